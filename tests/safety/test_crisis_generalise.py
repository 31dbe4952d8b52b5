"""Contrast pairs for the widened phenomena (issue 3, generalisation round).

Each phenomenon was widened as a family (vocabulary, composition, context readers), so
each gets both sides: wording that must now be caught, and look-alikes that must not be.
All sentences are written for this file; none is copied from an evaluation set.
Case: (text, expected category, lowest acceptable severity, highest acceptable severity).
"""

from __future__ import annotations

import pytest

from bot.safety.crisis import Category, assess

SELF = Category.SELF_RISK
OTHER = Category.CONCERN_FOR_OTHER
HARASS = Category.HARASSMENT
NONE = Category.NONE

Case = tuple[str, Category, int, int]

WISH_AND_INDIFFERENCE: list[Case] = [
    ("some mornings i wish i could just stay asleep forever", SELF, 1, 2),
    ("some mornings i wish i could sleep in till noon", NONE, 0, 0),
    ("i keep wishing i didnt exist honestly", SELF, 1, 2),
    ("i keep wishing i had a dog", NONE, 0, 0),
    ("i kinda envy people who got to die before all this", SELF, 1, 2),
    ("i kinda envy people who get to travel for work", NONE, 0, 0),
    ("if i got run over on the way home id honestly be relieved", SELF, 1, 2),
    ("if i got the job id honestly be relieved", NONE, 0, 0),
    ("part of me hopes the flight crashes when im on it", SELF, 1, 2),
    ("i hope the flight doesnt crash, im a nervous flyer", NONE, 0, 0),
    ("dying honestly sounds kind of peaceful right now", SELF, 1, 2),
    ("i dont deserve to be alive after what i did", SELF, 1, 2),
    ("my illness is slow and i keep hoping it just takes me soon", SELF, 1, 2),
]

HOPELESSNESS: list[Case] = [
    ("i really dont see the point in living anymore", SELF, 1, 2),
    ("i really dont see the point in this update, it broke my save", NONE, 0, 0),
    ("nothing is ever going to change for me", SELF, 1, 2),
    ("nothing is ever going to change in this game's meta", NONE, 0, 0),
    ("i cant imagine myself still being alive at 30", SELF, 1, 2),
    ("i cant imagine myself being a teacher", NONE, 0, 0),
    ("tired of being a human tbh", SELF, 1, 2),
    ("tired of being the only one who cleans the kitchen", NONE, 0, 0),
]

BURDEN: list[Case] = [
    ("my family would sleep better if i wasnt around", SELF, 1, 2),
    ("my family would sleep better if the neighbours stopped partying", NONE, 0, 0),
    ("the whole team would be happier without me tbh", SELF, 1, 2),
    ("im just a drain on everyone around me", SELF, 1, 2),
    ("this bug is such a drain on my time", NONE, 0, 0),
]

METHOD_RESEARCH: list[Case] = [
    ("how much is a lethal dose of paracetamol", SELF, 2, 3),
    ("how much is a lethal dose of chocolate for dogs, mine ate a bar", NONE, 0, 0),
    ("whats the lethal dose of caffeine lol asking for science class", NONE, 0, 0),
    ("been googling which building in town is the tallest to jump from", SELF, 2, 3),
    ("googling which building in town is the tallest for my architecture essay", NONE, 0, 0),
    ("how many of my sleeping pills would be enough", SELF, 2, 3),
    ("how many ibuprofen is too many for a bad migraine", NONE, 0, 0),
]

PLANS_AND_MEANS: list[Case] = [
    ("picked the date already. saturday when my roommates are out", SELF, 3, 3),
    ("picked the date for our anniversary dinner, saturday!", NONE, 0, 0),
    ("i know exactly how and when now. next weekend", SELF, 3, 3),
    (
        "my moms pills are in the kitchen drawer and i know where she hides the key. tonight",
        SELF,
        3,
        3,
    ),
    ("my moms pills are in the kitchen drawer, she takes them every morning", NONE, 0, 0),
    ("ive been keeping a bottle in my backpack for when im ready", SELF, 3, 3),
    ("finish it all after the exam tomorrow, im done", SELF, 2, 3),
]

GOODBYES_AND_GIVING: list[Case] = [
    ("said my goodbyes to everyone, im ready to go now", SELF, 3, 3),
    ("said my goodbyes to everyone at the party, im ready to go home", NONE, 0, 0),
    ("you can have my skateboard and my games, i wont be around to use them", SELF, 3, 3),
    ("selling my old skateboard, i never use it", NONE, 0, 0),
    ("goodbye everyone, taking a break for a few weeks for exams", NONE, 0, 0),
    ("logging off for good. thanks for everything, all of you", SELF, 3, 3),
    ("logging off for the night, thanks for the games everyone", NONE, 0, 0),
    ("my notes are written and my slides are done for the seminar at 10", NONE, 0, 0),
]

ACTS_AND_RELAPSE: list[Case] = [
    ("took a lot of my meds and i feel really dizzy, sorry", SELF, 3, 3),
    ("took my meds with breakfast like my doctor said", NONE, 0, 0),
    ("i punched the wall on purpose until my knuckles bled, i deserved it", SELF, 2, 3),
    ("i punched the air when we won lol", NONE, 0, 0),
    ("fighting really hard not to cut tonight", SELF, 1, 2),
    ("relapsed on my no-soda challenge already", NONE, 0, 0),
    ("need to cut my phone bill, its insane", NONE, 0, 0),
    ("i need to cut so bad right now", SELF, 1, 3),
]

CONTEXT_READERS: list[Case] = [
    ("if i fail this class im killing myself, no joke", SELF, 2, 3),
    ("im not killing myself over a failed class", NONE, 0, 0),
    ("die over a parking ticket? nah im good", NONE, 0, 0),
    ("what does kms mean, my little cousin keeps typing it", NONE, 0, 0),
    ("took all my tablets tonight as prescribed, feel fine", NONE, 0, 0),
    ("🔪🥕 chopping veggies for dinner tonight", NONE, 0, 0),
    ("the song 'i wanna die young' came on in the car", NONE, 0, 0),
    ("that was 2015 when i tried to end it. im married with kids now and happy", NONE, 0, 0),
    ("i keep saying 'i want to disappear' out loud when im alone", SELF, 1, 2),
    ("im at the bridge by the cafe, where are you guys", NONE, 0, 0),
]

THIRD_PERSON: list[Case] = [
    ("my brother texted 'i wont be a bother much longer' and his phone is off", OTHER, 0, 0),
    ("my aunt keeps saying shes ready to die since uncle passed", OTHER, 0, 0),
    ("my friend has fresh cuts on her arms and wont talk about it", OTHER, 0, 0),
    ("my cousin has been giving away all his stuff", OTHER, 0, 0),
]

HARASSMENT: list[Case] = [
    ("hope you trip on your laces and never get up", HARASS, 0, 0),
    ("do the world a favour and unalive", HARASS, 0, 0),
    ("go climb a tall building and jump, loser", HARASS, 0, 0),
    ("hope you have a great trip and never want to come home", NONE, 0, 0),
]

MULTILINGUAL: list[Case] = [
    ("nadie me extrañaría, la verdad", SELF, 1, 2),
    ("je suis un poids pour ma famille", SELF, 1, 2),
    ("ich will nicht mehr aufwachen", SELF, 1, 2),
    ("esta noche acabo con todo, ya tengo las pastillas", SELF, 2, 3),
    ("me muero de risa con este video", NONE, 0, 0),
    ("minha mãe vai me matar quando ver isso", NONE, 0, 0),
]

ROUND_THREE: list[Case] = [
    ("every night i pray that god takes me in my sleep", SELF, 1, 2),
    ("every night i pray that god gives me strength for tomorrow", NONE, 0, 0),
    ("i honestly think im not meant to be alive", SELF, 1, 2),
    ("i honestly think im not meant to be a doctor", NONE, 0, 0),
    ("held my head under the bath water to see how long i could last", SELF, 2, 3),
    ("a year since dad died and i just want to be with him", SELF, 2, 3),
    ("i just want to be with him, hes so sweet", NONE, 0, 0),
    ("factory reset my phone and said bye to my sister. its almost time", SELF, 3, 3),
    ("factory reset my phone so i can sell it, any buyers?", NONE, 0, 0),
]

CASES = [
    pytest.param(*case, id=f"{name}-{i}")
    for name, group in [
        ("wish", WISH_AND_INDIFFERENCE),
        ("hopeless", HOPELESSNESS),
        ("burden", BURDEN),
        ("method", METHOD_RESEARCH),
        ("plans", PLANS_AND_MEANS),
        ("goodbye", GOODBYES_AND_GIVING),
        ("acts", ACTS_AND_RELAPSE),
        ("context", CONTEXT_READERS),
        ("third", THIRD_PERSON),
        ("harass", HARASSMENT),
        ("multilingual", MULTILINGUAL),
        ("round3", ROUND_THREE),
    ]
    for i, case in enumerate(group)
]


@pytest.mark.parametrize(("text", "category", "lowest", "highest"), CASES)
def test_phenomenon(text: str, category: Category, lowest: int, highest: int) -> None:
    result = assess(text)
    assert result.category is category, result
    assert lowest <= result.severity <= highest, result


def test_warning_sign_about_someone_else_is_concern_not_self_risk() -> None:
    # One warning sign about another person raises concern; the same sign from the
    # writer alone ("ready to go") is not a crisis.
    other = assess("my grandad keeps saying hes ready to go, should i worry")
    assert other.category is Category.CONCERN_FOR_OTHER
    assert other.urgency >= 1
    assert assess("im ready to go, see you at the car").category is Category.NONE


def test_burden_with_third_person_subject_is_about_the_writer() -> None:
    result = assess("my parents would be better off if i wasnt here")
    assert result.category is Category.SELF_RISK
    assert any(r.startswith("passive.better_off") for r in result.reasons)


def test_reported_speech_of_someone_else_is_concern() -> None:
    result = assess("my sister posted 'i wont be here much longer' on her story")
    assert result.category is Category.CONCERN_FOR_OTHER


def test_quoted_lyric_is_nobodys_risk() -> None:
    assert assess("that song 'i dont want to be alive' is on repeat").category is Category.NONE


def test_writer_quoting_themself_still_counts() -> None:
    result = assess("i keep whispering 'i dont want to be alive anymore' to myself")
    assert result.category is Category.SELF_RISK


def test_quoting_someone_about_their_burden_is_concern_not_self() -> None:
    result = assess("my dad keeps saying wed all be better off with the life insurance")
    assert result.category is Category.CONCERN_FOR_OTHER


def test_negated_condition_does_not_cancel_the_act() -> None:
    assert assess("if she doesnt text back im ending my life").severity >= 2
    assert assess("im not ending my life over a text").category is Category.NONE


def test_recovery_story_in_past_is_not_current_risk() -> None:
    text = "back in 2018 i tried to overdose. that was years ago, im doing great now"
    assert assess(text).category is Category.NONE


def test_departure_context_cancels_goodbye_but_not_a_plan() -> None:
    assert assess("goodbye forever (going to camp, no wifi for a week)").category is Category.NONE
    assert assess("goodbye forever. i have the pills and its tonight").severity == 3


def test_game_mechanics_cancel_kill_myself_unless_serious() -> None:
    assert assess("gonna kill myself in the lava to respawn at the checkpoint").category is (
        Category.NONE
    )
    assert assess("not the game, i mean it, i want to kill myself").severity >= 2


def test_possessive_is_not_the_subject() -> None:
    # "my brothers pills" is what the writer has, not who is speaking.
    mine = assess("ive got my brothers pills and nobody is home")
    assert mine.category is Category.SELF_RISK
    assert mine.severity == 3
    other = assess("my brother said he wants to die")
    assert other.category is Category.CONCERN_FOR_OTHER
