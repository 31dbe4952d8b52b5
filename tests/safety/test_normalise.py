"""Text normalisation: every obfuscation folds to the plain form the rules expect."""

from __future__ import annotations

import pytest

from bot.safety.normalise import (
    HEAD_CHARS,
    TAIL_CHARS,
    cap_length,
    looks_obfuscated,
    normalise,
    normalise_pattern,
)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        pytest.param("I'm SO Tired", "im so tired", id="case-apostrophe"),
        pytest.param("I’m done", "im done", id="curly-apostrophe"),
        pytest.param("ｋｉｌｌ ｍｙｓｅｌｆ", "kill myself", id="fullwidth"),
        pytest.param("𝓀𝓎𝓈", "kys", id="math-script"),
        pytest.param("кys", "kys", id="cyrillic-k"),
        pytest.param("kіll myѕelf", "kill myself", id="cyrillic-i-s"),
        pytest.param("k\u200by\u200cs", "kys", id="zero-width"),
        pytest.param("k\u00ady\u2060s", "kys", id="soft-hyphen-word-joiner"),
        pytest.param("z̴̡a̸l̷g̵o̶", "zalgo", id="combining-marks"),
        pytest.param("não", "nao", id="accents"),
        pytest.param("su1c1d3", "suicide", id="leet-digits"),
        pytest.param("$elf h@rm", "self harm", id="leet-symbols"),
        pytest.param("k!ll", "kill", id="leet-bang-inside"),
        pytest.param("help!", "help!", id="bang-at-end-kept"),
        pytest.param("took 20 pills", "took 20 pills", id="numbers-kept"),
        pytest.param("800mg at 4am", "800mg at 4am", id="units-kept"),
        pytest.param("k y s", "kys", id="spaced"),
        pytest.param("k.m.s", "kms", id="dotted"),
        pytest.param("s/h", "sh", id="slashed"),
        pytest.param("k i l l m y s e l f", "kill myself", id="spaced-phrase-segmented"),
        pytest.param("plan b. i want", "plan b. i want", id="sentence-not-joined"),
        pytest.param("diiiiie", "die", id="repeats"),
        pytest.param("sooooo tired", "so tired", id="repeats-word"),
        pytest.param("💊💊", "emo_pill emo_pill", id="pill-emoji"),
        pytest.param("🔪🩸", "emo_knife emo_blood", id="knife-blood-emoji"),
        pytest.param("😂 lol", "emo_laugh lol", id="laugh-emoji"),
        pytest.param("ok 🌈✨ cool", "ok cool", id="other-emoji-dropped"),
        pytest.param("line one\nline two", "line one . line two", id="newline-is-boundary"),
        pytest.param("  spaced   out\t", "spaced out", id="whitespace"),
        pytest.param("", "", id="empty"),
        pytest.param(
            "the chorus 'i don't wanna go' slaps",
            'the chorus "i dont wanna go" slaps',
            id="single-quotes-become-quotes",
        ),
        pytest.param("‘goodbye’ he said", '"goodbye" he said', id="curly-quotes-become-quotes"),
        pytest.param("my parents' car isn't here", "my parents car isnt here", id="apostrophes"),
        pytest.param("self-harm free", "self harm free", id="hyphen-is-space"),
        pytest.param("k-y-s", "kys", id="hyphen-dotted-letters-joined"),
    ],
)
def test_normalise(raw: str, folded: str) -> None:
    assert normalise(raw) == folded


def test_cap_keeps_head_and_tail() -> None:
    text = "a" * HEAD_CHARS + "b" * 50_000 + "c" * TAIL_CHARS
    capped = cap_length(text)
    assert capped.startswith("a" * HEAD_CHARS)
    assert capped.endswith("c" * TAIL_CHARS)
    assert len(capped) < HEAD_CHARS + TAIL_CHARS + 10


def test_short_text_not_capped() -> None:
    assert cap_length("hello") == "hello"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bkill myself\b", r"\bkill? myself\b"),
        (r"\b(?:off|all|too)\b", r"\b(?:off|all|too)\b"),  # 3-letter words stay exact
        (r"não", "nao"),
        (r"\bb\b", r"\bb\b"),
    ],
)
def test_normalise_pattern(pattern: str, expected: str) -> None:
    assert normalise_pattern(pattern) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "i want to k\u200bill myself 💊",
        "ok 🌈✨ cool 😂",
        "I\u2019M FINE 🙃",
        "bye\ufe0f 👋 all",
    ],
)
def test_fast_path_for_emoji_and_invisible_characters_matches_full_folding(raw: str) -> None:
    # Text that is ASCII plus invisible characters and emoji skips Unicode normalisation;
    # the result must be what the full path gives (appending a letter that needs NFKD
    # forces the full path).
    assert normalise(raw) + " e" == normalise(raw + " é")


@pytest.mark.parametrize(
    ("text", "disguised"),
    [
        ("t o n i g h t  i m  d o i n g  i t", True),  # spaced letters
        ("k.y.s lmao", True),  # dotted letters
        ("k-m-s k-m-s", True),
        ("i w4nt t0 d1e", True),  # leetspeak
        ("the r\u043ep\u0435 is up", True),  # Cyrillic look-alikes in Latin words
        ("i.e. the exam is friday", False),  # two dotted letters: ordinary writing
        ("took 30mg at 4am, see u at 5", False),  # numbers with units are not leet
        ("caf\u00e9 au lait, me tom\u00e9 un caf\u00e9", False),  # accents are letters
        (
            "\u043f\u0440\u0438\u0432\u0435\u0442 \u043a\u0430\u043a \u0434\u0435\u043b\u0430",
            False,
        ),  # all-Cyrillic text is not a disguise
        ("", False),
    ],
)
def test_looks_obfuscated(text: str, disguised: bool) -> None:
    assert looks_obfuscated(text) is disguised
