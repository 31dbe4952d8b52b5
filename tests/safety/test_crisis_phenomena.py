"""Per-phenomenon contrast cases for the crisis detector, written independently of the dev set.

Each case: (text, expected category, lowest acceptable severity, highest acceptable
severity). For categories other than self_risk the severity is 0. Both sides of every
contrast pair are listed next to each other.
"""

from __future__ import annotations

import pytest

from bot.safety.crisis import Category, assess

SELF = Category.SELF_RISK
OTHER = Category.CONCERN_FOR_OTHER
HARASS = Category.HARASSMENT
NONE = Category.NONE

Case = tuple[str, Category, int, int]

IDIOMS: list[Case] = [
    ("this chem homework is killing me", NONE, 0, 0),
    (
        "honestly this homework makes me want to kill myself, i mean it, i cant keep going",
        SELF,
        2,
        3,
    ),
    ("kill me now, two more hours of this meeting", NONE, 0, 0),
    ("kill me. im not joking. i cant do this anymore", SELF, 2, 3),
    ("that dress is to die for", NONE, 0, 0),
    ("im dead 💀 who made this", NONE, 0, 0),
    ("im dead inside and its not a joke anymore", SELF, 1, 2),
    ("im literally dying of laughter", NONE, 0, 0),
    ("i could die of embarrassment rn", NONE, 0, 0),
    ("my dad is gonna murder me when he sees the car", NONE, 0, 0),
    ("id rather die than sit through another group call", NONE, 0, 0),
    ("i would rather be dead tbh. everything is too much", SELF, 1, 3),
    ("traffic was the death of me today", NONE, 0, 0),
    ("scared to death of spiders lol", NONE, 0, 0),
]

GAMES_MEDIA: list[Case] = [
    ("i keep killing myself with my own grenades lmao", NONE, 0, 0),
    ("suicide rush b with me next round", NONE, 0, 0),
    ("just watched suicide squad again, harley is the best", NONE, 0, 0),
    ("the boss killed me like 30 times", NONE, 0, 0),
    ("the main character wants to die in the last episode, so sad", NONE, 0, 0),
    ("that song about wanting to end it all is stuck in my head", NONE, 0, 0),
    ("i beat the game and now i want to die because theres nothing left to play lol", NONE, 0, 0),
    (
        "after losing ranked again i genuinely want to die. not about the game. everything",
        SELF,
        1,
        3,
    ),
]

NEGATION: list[Case] = [
    ("i would never hurt myself, dont worry", NONE, 0, 0),
    ("i will hurt myself tonight, i cant stop it", SELF, 2, 3),
    ("im not suicidal, just stressed", NONE, 0, 0),
    ("im suicidal and i dont know who to tell", SELF, 2, 3),
    ("not gonna kill myself over a quiz lol", NONE, 0, 0),
    ("not gonna lie i want to kill myself", SELF, 2, 3),
    ("i dont want to die, i just want a nap", NONE, 0, 0),
    ("i dont want to live anymore", SELF, 1, 2),
    ("me? end it? over a breakup? never", NONE, 0, 0),
]

RECOVERY: list[Case] = [
    ("i used to cut myself but im 3 years clean", NONE, 0, 0),
    ("i cut myself again last night", SELF, 2, 3),
    ("two years ago i tried to kill myself, now im studying psychology", NONE, 0, 0),
    ("i tried to kill myself two hours ago and i feel sick", SELF, 3, 3),
    ("back in high school i was suicidal, things are better now", NONE, 0, 0),
    ("i was suicidal last night and i still am", SELF, 2, 3),
    ("500 days sh free today!!", NONE, 0, 0),
    ("relapsed on self harm yesterday after 200 days", SELF, 2, 3),
    ("i threw away my razors and feel proud", NONE, 0, 0),
]

QUESTIONS: list[Case] = [
    ("would you rather die in space or in the ocean", NONE, 0, 0),
    ("what would you want at your funeral, hypothetically", NONE, 0, 0),
    ("is it normal to want to die every day?", SELF, 1, 3),
    ("should i just kill myself at this point", SELF, 2, 3),
    ("how many tylenol would it take to die", SELF, 2, 3),
    ("how many ibuprofen can i take for a migraine", NONE, 0, 0),
    ("whats the easiest way to die", SELF, 2, 3),
    ("whats the easiest way to learn python", NONE, 0, 0),
]

QUOTES: list[Case] = [
    ('my fav lyric is "i want to disappear" from that album', NONE, 0, 0),
    ("to be or not to be, that is the question for my english essay", NONE, 0, 0),
    ("he sang goodbye cruel world and we all cried laughing", NONE, 0, 0),
]

THIRD_PERSON: list[Case] = [
    ("my sister told me she wants to die, what do i do", OTHER, 0, 0),
    ("my friend died last month and i want to die too", SELF, 1, 3),
    ("my boyfriend has been cutting himself again", OTHER, 0, 0),
    ("someone in my discord said theyre going to kill themselves tonight", OTHER, 0, 0),
    ("my roommate keeps saying shes a burden to everyone", OTHER, 0, 0),
    ("my best friend posted a goodbye letter and isnt answering", OTHER, 0, 0),
    ("why do people kill themselves? for my sociology essay", NONE, 0, 0),
]

MEDICAL: list[Case] = [
    ("took 2 advil for my headache", NONE, 0, 0),
    ("took 30 advil, sorry everyone", SELF, 3, 3),
    ("the pharmacist said 500mg paracetamol every 6 hours", NONE, 0, 0),
    ("my surgeon cut my stomach open for the appendix lol", NONE, 0, 0),
    ("im on 100mg sertraline now and it helps", NONE, 0, 0),
    ("took all my sertraline at once", SELF, 3, 3),
]

SLANG: list[Case] = [
    ("been thinking about unaliving myself a lot", SELF, 2, 3),
    ("i might ctb this weekend", SELF, 3, 3),
    ("sewer slide is on my mind again", SELF, 1, 3),
    ("kms fr i mean it this time", SELF, 2, 3),
    ("forgot my headphones kms lol", NONE, 0, 0),
    ("my sh is getting worse", SELF, 2, 3),
    ("i sh again today", SELF, 2, 3),
    ("she said sh is fine lol", NONE, 0, 0),
]

OBFUSCATION: list[Case] = [
    ("i w4nt t0 k1ll mys3lf", SELF, 2, 3),
    ("k y s loser", HARASS, 0, 0),
    ("k.m.s. for real this time", SELF, 2, 3),
    ("i want to k\u200bi\u200bl\u200bl myself", SELF, 2, 3),
    # a zero-width space standing in for a real space, not splitting a word
    ("i want to kill\u200bmyself tbh", SELF, 2, 3),
    ("i\u2060want\u2060to\u2060die", SELF, 1, 2),
    ("this exam is killing\u200bme", NONE, 0, 0),
    ("kys\u200bloser", HARASS, 0, 0),
    ("i want to kіll myself", SELF, 2, 3),  # Cyrillic i
    ("ｉ ｗａｎｔ ｔｏ ｄｉｅ", SELF, 1, 2),
    ("i want to diiiiiie", SELF, 1, 2),
    ("I WANT TO KILL MYSELF", SELF, 2, 3),
    ("s u i c i d a l again tonight", SELF, 2, 3),
    ("kiiiiiill myseeeelf", SELF, 2, 3),
    ("𝓲 𝔀𝓪𝓷𝓽 𝓽𝓸 𝓭𝓲𝓮", SELF, 1, 2),
]

EMOJI: list[Case] = [
    ("💊💊💊💊 tonight", SELF, 3, 3),
    ("vitamin time 💊🍊", NONE, 0, 0),
    ("cant take it anymore 🔪🩸", SELF, 2, 3),
    ("knife skills class today 🔪🥕", NONE, 0, 0),
    ("🪦 rip my sleep schedule", NONE, 0, 0),
    ("😂😂😂 im dead", NONE, 0, 0),
]

METHOD_QUANTITY: list[Case] = [
    ("i just swallowed 25 sleeping pills", SELF, 3, 3),
    ("took like 40 of my moms pills", SELF, 3, 3),
    ("downed a whole bottle of tylenol", SELF, 3, 3),
    ("took 20 minutes to get here", NONE, 0, 0),
    ("i have 60 pills saved for when i need them", SELF, 3, 3),
    ("bought a rope today", NONE, 0, 0),
    ("bought a rope today. im doing it tonight", SELF, 3, 3),
    ("the noose is tied", SELF, 3, 3),
]

TIMING: list[Case] = [
    ("im going to kill myself tonight", SELF, 3, 3),
    ("im going to the party tonight", NONE, 0, 0),
    ("gonna end it after my exam on friday", SELF, 3, 3),
    ("gonna end it with him after my exam on friday", NONE, 0, 0),
    ("i picked a date. next saturday.", SELF, 3, 3),
    ("we picked a date for the wedding!", NONE, 0, 0),
]

GOODBYES: list[Case] = [
    ("this is my last message. i love you all", SELF, 3, 3),
    ("bye everyone, see you after my holiday", NONE, 0, 0),
    ("goodbye everyone, its been nice knowing you", SELF, 3, 3),
    ("love you all, goodnight! 🌙", NONE, 0, 0),
    ("please dont blame yourselves for what happens", SELF, 3, 3),
    ("if anyone finds this, i wrote notes for everyone. its over", SELF, 3, 3),
]

GIVING_AWAY: list[Case] = [
    ("giving away all my stuff, i wont need it anymore", SELF, 3, 3),
    ("giving away my old clothes to charity", NONE, 0, 0),
    ("you can have my switch and my games, i wont be needing them", SELF, 3, 3),
    ("please take care of my dog for me. goodbye everyone", SELF, 3, 3),
]

PASSIVE_AND_BURDEN: list[Case] = [
    ("everyone would be happier if i was gone", SELF, 1, 2),
    ("i wish i could go to sleep forever", SELF, 1, 2),
    ("im such a burden to my family", SELF, 1, 2),
    ("this bag is such a burden to carry", NONE, 0, 0),
    ("theres no point in living anymore", SELF, 1, 2),
    ("whats the point of this assignment", NONE, 0, 0),
    ("i cant see things ever getting better", SELF, 1, 2),
]

HARASSMENT: list[Case] = [
    ("go kill yourself", HARASS, 0, 0),
    ("just kys already, nobody wants you here", HARASS, 0, 0),
    ("hope you get hit by a bus", HARASS, 0, 0),
    ("go drink bleach", HARASS, 0, 0),
    ("if you ever feel like you want to kill yourself please talk to us", NONE, 0, 0),
    ("please dont kill yourself, we love you", NONE, 0, 0),
]

MULTILINGUAL: list[Case] = [
    ("ya no quiero vivir", SELF, 1, 2),
    ("quiero suicidarme esta noche", SELF, 3, 3),
    ("não aguento mais, quero morrer", SELF, 1, 2),
    ("vou me matar", SELF, 2, 3),
    ("je veux mourir", SELF, 1, 2),
    ("je vais me suicider ce soir", SELF, 3, 3),
    ("ich will nicht mehr leben", SELF, 1, 2),
    ("ich will mich umbringen", SELF, 2, 3),
    ("gusto ko nang mamatay", SELF, 1, 2),
    ("magpapakamatay na ako", SELF, 2, 3),
    ("main marna chahta hoon", SELF, 1, 2),
    ("मैं मरना चाहता हूँ", SELF, 1, 2),
    ("aku ingin mati", SELF, 1, 2),
    ("aku mau bunuh diri malam ini", SELF, 3, 3),
    ("no quiero morir", NONE, 0, 0),
    ("matate pendejo", HARASS, 0, 0),
    ("bring dich um", HARASS, 0, 0),
    ("la película de terror me mató de miedo jaja", NONE, 0, 0),
]

ALL = {
    "idioms": IDIOMS,
    "games_media": GAMES_MEDIA,
    "negation": NEGATION,
    "recovery": RECOVERY,
    "questions": QUESTIONS,
    "quotes": QUOTES,
    "third_person": THIRD_PERSON,
    "medical": MEDICAL,
    "slang": SLANG,
    "obfuscation": OBFUSCATION,
    "emoji": EMOJI,
    "method_quantity": METHOD_QUANTITY,
    "timing": TIMING,
    "goodbyes": GOODBYES,
    "giving_away": GIVING_AWAY,
    "passive_burden": PASSIVE_AND_BURDEN,
    "harassment": HARASSMENT,
    "multilingual": MULTILINGUAL,
}
CASES = [
    pytest.param(text, cat, lo, hi, id=f"{name}-{i}")
    for name, cases in ALL.items()
    for i, (text, cat, lo, hi) in enumerate(cases)
]


@pytest.mark.parametrize(("text", "category", "lowest", "highest"), CASES)
def test_phenomenon(text: str, category: Category, lowest: int, highest: int) -> None:
    result = assess(text)
    assert result.category is category, result
    assert lowest <= result.severity <= highest, result
    if category is Category.NONE:
        assert result.reasons == ()
    else:
        assert result.reasons, "a flagged message must say why"
