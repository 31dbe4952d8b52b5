"""Fold chat text into one plain, lowercase form before any crisis rule looks at it.

People write the same words in many shapes: fancy fonts, look-alike letters from other
alphabets, invisible characters, leetspeak ("k1ll"), spaced or dotted letters ("k y s",
"k.m.s"), stretched letters ("diiiie") and emoji. Folding them here means each rule in
``resources/crisis`` is written once. The tables live in ``resources/crisis/normalise.toml``.

Every step is a single linear pass (``str.translate``, ``unicodedata`` or a regex without
nested quantifiers), and the input is capped first, so a 100 KB message costs little.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# Long messages: analyse the head and the tail (Discord caps messages at 4,000 characters,
# so only pasted walls of text are cut). Crisis wording sits at the start or the
# end of a wall of text far more often than in the middle, and the cap bounds the cost.
HEAD_CHARS = 4_000
TAIL_CHARS = 1_000

_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
# Pictographs, dingbats, symbols, skin-tone modifiers, tag characters: all become spaces
# once the meaningful ones have been turned into tokens.
_OTHER_EMOJI = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff"
    "\U0001f000-\U0001faff\U000e0000-\U000e007f]+"
)
_NEWLINES = re.compile(r"[\r\n\u2028\u2029\x85]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")
# Leet folding: a cheap test for "a letter next to a leet character" first, then a
# plain token pass (one match per token, so it stays linear on long input).
_LEET_HINT = re.compile(r"[a-z][0-9@$€!|]|[0-9@$€!|][a-z]")
_TOKEN = re.compile(r"[a-z0-9@$€!|]+")
_NUMBER_WITH_UNIT = re.compile(r"\d+[a-z]{0,5}")
_HAS_LEET = re.compile(r"[0-9@$!|€]")
_HAS_LETTER = re.compile(r"[a-z]")
# "k y s", "s u i c i d e": three or more single letters separated by single spaces.
_SPACED = re.compile(r"(?<![\w])(?:[a-z] ){2,}[a-z](?![\w])")
# "k.m.s", "s/h", "k-y-s", "k*m*s": two or more single letters joined by a separator
# with no spaces (so "plan b. i want" is left alone).
_DOTTED = re.compile(r"(?<![\w.])[a-z](?:[.\-_*/][a-z]){1,}(?![\w])")
_REPEATS = re.compile(r"([a-z])\1{2,}")
# Single quotes used as quotation marks ("the chorus 'i dont wanna live forever'") become
# double quotes, so the quote check still sees them once apostrophes are dropped.
# Apostrophes inside words (don't, parents') are left alone.
_SINGLE_QUOTED = re.compile(
    r"(?<![\w'‘’`])['‘`]((?:[^'‘’`\n]|(?<=\w)['’](?=\w)){1,300}?)['’`](?![\w'‘’`])"
)


def _may_quote(text: str) -> bool:
    """Cheap pre-check: a single quote that could open a quotation."""
    return (
        "‘" in text
        or "`" in text
        or text.startswith("'")
        or " '" in text
        or "('" in text
        or "\"'" in text
    )


@dataclass(frozen=True)
class _Tables:
    translate: dict[int, str | None]
    leet: dict[int, str]
    spaced_words: frozenset[str]
    simple: frozenset[str]


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    data = tomllib.loads(
        (resources.files("resources") / "crisis" / "normalise.toml").read_text(encoding="utf-8")
    )
    table: dict[int, str | None] = {ord(ch): None for ch in data["invisible"]}
    for src, dst in data["homoglyphs"].items():
        table[ord(src)] = dst
    for src, token in data["emoji"].items():
        table[ord(src)] = f" {token} "
    leet = {ord(src): dst for src, dst in data["leet"].items()}
    # Characters the table folds on its own, without NFKD first: ASCII, invisible
    # characters, apostrophes and the emoji that become tokens.
    simple = frozenset(chr(c) for c in range(128)) | {
        chr(k) for k, v in table.items() if v is None or v == "" or v.startswith(" ")
    }
    return _Tables(
        translate=table,
        leet=leet,
        spaced_words=frozenset(data["spaced_words"]),
        simple=frozenset(simple),
    )


def cap_length(text: str) -> str:
    """Keep the head and the tail of a very long message (see HEAD_CHARS/TAIL_CHARS)."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return f"{text[:HEAD_CHARS]} . {text[-TAIL_CHARS:]}"


def _fold_leet(match: re.Match[str], leet: dict[int, str]) -> str:
    token = match.group(0)
    # Keep a leading "@" (mentions) and trailing "!" / "|" (punctuation) as they are.
    core = token.lstrip("@").rstrip("!|")
    if (
        not core
        or not _HAS_LETTER.search(core)
        or not _HAS_LEET.search(core)
        or _NUMBER_WITH_UNIT.fullmatch(core)
    ):
        return token
    start = token.index(core[0]) if token.startswith("@") else 0
    return token[:start] + core.translate(leet) + token[start + len(core) :]


def _segment(joined: str, words: frozenset[str]) -> str:
    """Split a joined run into known words if it splits completely, else leave it."""
    if len(joined) < 6 or len(joined) > 60:
        return joined
    # best[i]: fewest words covering joined[:i] (dynamic programming, O(n * 10)).
    best: list[list[str] | None] = [[]] + [None] * len(joined)
    for end in range(1, len(joined) + 1):
        for start in range(max(0, end - 10), end):
            prev = best[start]
            if prev is not None and joined[start:end] in words:
                cand = [*prev, joined[start:end]]
                if best[end] is None or len(cand) < len(best[end] or ()):
                    best[end] = cand
    found = best[-1]
    return " ".join(found) if found else joined


def _join_letters(match: re.Match[str]) -> str:
    return _segment(re.sub(r"[^a-z]", "", match.group(0)), _tables().spaced_words)


def normalise(text: str) -> str:
    """Return the folded form of ``text`` that the crisis rules match against.

    Steps: cap length; NFKD (folds full-width and "math font" letters) and drop accents
    and stacked combining marks; remove invisible characters; fold homoglyphs; turn
    meaningful emoji into tokens and drop the rest; lowercase; drop apostrophes
    ("i'm" -> "im"); fold leetspeak inside words; join spaced or dotted single letters;
    shorten runs of three or more identical letters to one ("diiiie" -> "die", "killll"
    -> "kil"; the rules accept a single letter wherever a word has a double one).
    """
    tables = _tables()
    text = cap_length(text)
    if _may_quote(text):
        text = _SINGLE_QUOTED.sub(r'"\1"', text)
    if text.isascii():
        # Fast path for most chat: nothing to fold but apostrophes and case.
        text = text.replace("'", "").replace("`", "").lower()
    elif all(ch in tables.simple or _OTHER_EMOJI.match(ch) for ch in set(text)):
        # ASCII plus invisible characters, emoji and curly quotes only: the table and the
        # emoji filter fold them, no Unicode normalisation needed.
        text = text.translate(tables.translate)
        text = _OTHER_EMOJI.sub(" ", text).replace("'", "").replace("`", "").lower()
    else:
        text = unicodedata.normalize("NFKD", text)
        text = _COMBINING.sub("", text)
        text = text.translate(tables.translate)
        text = unicodedata.normalize("NFC", text)
        text = _OTHER_EMOJI.sub(" ", text)
        text = text.casefold()
        # casefold can expose characters the table maps (e.g. upper-case homoglyphs).
        text = text.translate(tables.translate)
    if not text.isprintable():  # printable text has no newlines or control characters
        text = _NEWLINES.sub(" . ", text)
        text = _CONTROL.sub(" ", text)
    if _LEET_HINT.search(text):
        text = _TOKEN.sub(lambda m: _fold_leet(m, tables.leet), text)
    text = _DOTTED.sub(_join_letters, text)
    if "-" in text:  # "self-harm" -> "self harm", after "k-y-s" was joined
        text = text.replace("-", " ")
    text = _SPACED.sub(_join_letters, text)
    text = _REPEATS.sub(r"\1", text)
    return " ".join(text.split())


def normalise_pattern(source: str) -> str:
    """Fold a rule pattern the way messages are folded, without touching regex syntax.

    Accents are dropped (so rules may be written "não quero viver") and every doubled
    letter becomes "letter, optional letter" ("kill" -> "kill?"), because ``normalise``
    shortens stretched letters to one.
    """
    source = unicodedata.normalize("NFKD", source)
    source = _COMBINING.sub("", source)
    source = unicodedata.normalize("NFC", source)
    # Three-letter words ("off", "all", "too") stay exact: "of" must not match "off".
    return re.sub(r"(?<![\\\[])(?<!\b[a-z])([a-z])\1(?![?*+{])", r"\1\1?", source)


# Three or more letters joined by dots or dashes ("k.y.s", "d-i-e"); two ("i.e.", "a/b")
# are ordinary writing.
_DOTTED_RUN = re.compile(r"(?<![\w.])[a-z](?:[.\-_*/][a-z]){2,}(?![\w])")


def looks_obfuscated(text: str) -> bool:
    """Whether ``text`` disguises its words: letters spelled out with spaces or dots
    ("k i l l", "k.y.s"), digits or symbols for letters ("k1ll"), or look-alike letters
    from another alphabet inside a Latin word ("kіll" with a Cyrillic "і").

    The semantic layer reads such a message in its folded form (:func:`normalise`):
    its tokenizer cannot put "t o n i g h t" or a Cyrillic "о" back together.
    """
    low = text[: HEAD_CHARS + TAIL_CHARS].lower()
    if _SPACED.search(low) or _DOTTED_RUN.search(low):
        return True
    tables = _tables()
    if _LEET_HINT.search(low) and any(
        _fold_leet(m, tables.leet) != m.group(0) for m in _TOKEN.finditer(low)
    ):
        return True
    if low.isascii():
        return False
    for word in low.split():
        if any("a" <= ch <= "z" for ch in word) and any(
            not ch.isascii() and str(tables.translate.get(ord(ch)) or "").isalpha() for ch in word
        ):
            return True
    return False
