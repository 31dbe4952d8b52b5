"""Crisis detector: does this chat message suggest the writer may be at risk, and how badly?

Pure library (no discord). ``assess(text)`` returns an :class:`Assessment` with a category
(self-risk, concern for someone else, harassment or none), a severity on the C-SSRS ladder
(1 concern, 2 active ideation or self-harm, 3 imminent) and the reasons a moderator sees.

How it decides, in order:

1. ``normalise`` folds the text (fonts, homoglyphs, leet, spacing, emoji) into one form.
2. Benign masks blank out idioms and titles ("this exam is killing me", "suicide squad")
   and the guild's allow-listed phrases.
3. Each rule group (one combined regex) is scanned. Every match is then read in context:
   negation just before it, who the subject is (me / someone else / you / a song), past
   tense or recovery in the sentence, and whole-message cues (joking, "i mean it").
4. Weak signals (a time, a goodbye, possessions given away, means) are combined into
   severity by the ``[[combo]]`` table, separately for the writer and for other people.

All patterns and word lists are data in ``resources/crisis/*.toml``; this module only
holds the logic. Everything is compiled once per :class:`CrisisDetector`.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from bot.safety.normalise import normalise, normalise_pattern

log = logging.getLogger(__name__)

RESOURCE_FILES = (
    "context.toml",
    "self_risk.toml",
    "signals.toml",
    "others.toml",
    "multilingual.toml",
)
_MAX_SPAN = 40
_MAX_REASONS = 8
_LOOKBACK = 90
_LOOKAHEAD = 60

_SENTENCE_END = re.compile(r"[.!?;]")
_CLAUSE_BREAK = re.compile(r"[,:()\"]|\b(?:but|and|so|because|bc|cuz|though|tho|while|when)\b")
_FIRST_WORD = re.compile(r"(?:i|im|ive|id|ill|i am)\b")
_ME_OBJECT = re.compile(
    r"\b(?:sent|send|sends|sending|showed|showing|texted|texting|messaged|dmd|told|tells|telling|gave|gives|asked|asks|asking|called|tagged|left)\s$"
)
_FIRST_ANY = re.compile(r"\b(?:i|im|ive|id|ill|me|my|myself|mine)\b")
_REPORTING = re.compile(
    r"\b(?:says|said|saying|keeps saying|told me|tells me|texted|posted|wrote|thinks)\b"
)
_FIRST_THINKING = re.compile(r"\bi (?:\w+ )?(?:think|thinking|feel|know|believe)\b")
_POSSESSED = re.compile(
    r" (?:gun|guns|rifle|pistol|shotgun|pills|meds|medicine|medication|tablets|prescription|"
    r"car|room|house|place|stuff|things|bed|cabinet|drawer|bathroom|garage|closet|safe|"
    r"razor|razors|knife|rope|belt|bottle|tramadol|sleeping|insulin|painkillers)\b"
)
_CONTRAST = re.compile(r"\b(?:but|though|tho|however|yet)\b")
_MACRO = re.compile(r"\{([A-Z][A-Z_]*)\}")
_OBJECT_BEFORE = re.compile(
    r"\b(?:to|for|with|at|from|of|by|on|onto|than|like|gave|give|tell|told|ask|asked|help|love|miss|text|texted|call|called|sent|send|sends|showed|show|messaged|dmd|tagged|left|made|makes|make|let|lets)\s$"
)


class Category(StrEnum):
    SELF_RISK = "self_risk"
    CONCERN_FOR_OTHER = "concern_for_other"
    HARASSMENT = "harassment"
    NONE = "none"


@dataclass(frozen=True)
class Assessment:
    """What the detector decided about one message.

    ``severity`` is 0 unless ``category`` is self-risk. ``urgency`` (0-3) grades
    concern for someone else the same way ("posted a goodbye message" is 3).
    """

    category: Category
    severity: int = 0
    reasons: tuple[str, ...] = ()
    urgency: int = 0

    @property
    def is_crisis(self) -> bool:
        return self.category is Category.SELF_RISK and self.severity >= 1


NO_RISK = Assessment(Category.NONE)
# Invisible characters used as word gaps to dodge filters (see CrisisDetector.assess):
# between two words, not between single letters ("k\u200bi\u200bl\u200bl" is a split word).
_INVISIBLE_GAPS = re.compile("[\u200b\u200c\u2060]")
_INVISIBLE_WORD_GAP = re.compile(r"\w\w[\u200b\u200c\u2060]+\w\w")


def _gravity(assessment: Assessment) -> tuple[bool, int, bool]:
    """Orders two readings of one message: self-risk first, then severity, then any finding."""
    return (assessment.is_crisis, assessment.severity, assessment.category is not Category.NONE)


class Disposition(IntEnum):
    SELF = 0
    THIRD = 1
    OTHER = 2  # generic, second person, media: nobody in particular at risk
    NEGATED = 3
    PAST = 4


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    severity: int = 0
    serious_severity: int | None = None
    prone: bool = False
    intent: bool = False
    present: bool = False
    require_first: bool = False
    require_third: bool = False
    person: str = "any"
    third: str = "concern"
    tags: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()  # whole-message cues that cancel it (unless serious)


@dataclass(frozen=True)
class Group:
    id: str
    kind: str  # mask | risk | harassment | tag
    regex: re.Pattern[str]
    rules: dict[str, Rule]
    tag: str = ""
    subject: bool = False
    unless: tuple[str, ...] = ()  # whole-message cues that cancel this signal

    # Each rule's own regex, in order: used to tell which rule a group match came from.
    by_rule: tuple[tuple[Rule, re.Pattern[str]], ...] = ()
    sources: tuple[tuple[str, tuple[str, ...]], ...] = ()
    letters: frozenset[str] = frozenset()  # first letters of word-start patterns
    anywhere: bool = True  # has patterns that may start elsewhere
    # How word-start patterns begin: their literal prefixes of up to _KEY characters
    # ("took (?:...)" -> "took", "k(?:ms|ys)" -> "k").
    prefixes: frozenset[str] = frozenset()

    def matches(
        self, text: str, candidates: Sequence[int] | None = None
    ) -> Iterable[tuple[Rule, re.Match[str]]]:
        """All (rule, match) pairs, leftmost and non-overlapping like ``finditer``.

        ``candidates``: the only positions where a rule of this group can start (from the
        detector's trigger scan, filtered by ``prefixes``); trying just those gives the
        same result as scanning everything.
        The group regex has no named groups on purpose: capturing groups make every
        branch attempt save and restore marks, which tripled its cost; the rule's own
        regex, tried only where the group matched, says which rule it was.
        """
        if candidates is None:
            starts: Iterable[int] = (m.start() for m in self.regex.finditer(text))
        else:
            starts = candidates
        last_end = -1
        for pos in starts:
            if pos < last_end:
                continue
            if candidates is not None and not self.regex.match(text, pos):
                continue
            for rule, regex in self.by_rule:
                own = regex.match(text, pos)
                if own:
                    last_end = max(own.end(), pos + 1)
                    yield rule, own
                    break


@dataclass(frozen=True)
class Combo:
    id: str
    all: tuple[str, ...]
    any: tuple[str, ...]
    severity: int
    side: str = "both"  # "other": only for someone else (concern), never the writer

    @cached_property
    def all_set(self) -> frozenset[str]:
        return frozenset(self.all)


@dataclass
class _Side:
    """Evidence gathered for one person (the writer, or someone else)."""

    severity: int = 0
    reasons: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # tag -> first span
    hyperbole_only: bool = True  # every self-risk match so far came from a prone rule

    def add_tag(self, tag: str, span: str) -> None:
        self.tags.setdefault(tag, span)


def _span(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_SPAN else text[: _MAX_SPAN - 1] + "…"


def _load_toml(name: str) -> dict[str, Any]:
    path = resources.files("resources") / "crisis" / name
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _structural(source: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """Positions and characters of a regex outside escapes and ``[...]`` classes."""
    i, in_class = start, False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        else:
            yield i, ch
        i += 1


def _split_top(source: str) -> list[str] | None:
    """Split a regex at its top-level "|" (respecting groups, classes and escapes)."""
    parts, depth, start = [], 0, 0
    for i, ch in _structural(source):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    parts.append(source[start:])
    return parts


def _close_paren(source: str, open_at: int) -> int:
    depth = 0
    for i, ch in _structural(source, open_at):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


_TRIE_DEPTH = 6
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 ")
_SIMPLE_CLASS = re.compile(r"\[((?:[a-z0-9](?:-[a-z0-9])?)+)\]")


def _plain(ch: str) -> bool:
    """A literal character a pattern can start with (ASCII or another script's letter)."""
    return ch in _PLAIN or (len(ch) == 1 and ord(ch) > 127 and ch.isalnum())


def _class_chars(spec: str) -> str:
    out, i = [], 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


_QUANTIFIERS = frozenset("?*+{")


def _alternatives(body: str, depth: int = 0) -> list[str] | None:
    """A pattern body (after its leading \\b) as self-contained alternatives.

    "(?:took|taken) x" -> ["took x", "taken x"]; "(?:me )?quiero" -> ["me quiero",
    "quiero"]; "a\\b|\\bb" -> ["a\\b", "b"]. Equivalent because each alternative has no
    top-level "|". Returns None when some alternative does not start with a plain letter.
    """
    if depth > 3:
        return None
    top = _split_top(body)
    if top is None:
        return None
    if len(top) > 1:
        out: list[str] = []
        for alt in top:
            split = _alternatives(alt.removeprefix("\\b"), depth + 1)
            if split is None:
                return None
            out.extend(split)
        return out
    if body.startswith("(?:"):
        close = _close_paren(body, 0)
        if close < 0:
            return None
        head, rest = body[3:close], body[close + 1 :]
        optional = rest[:1] == "?" and rest[1:2] not in _QUANTIFIERS
        if optional:
            rest = rest[1:]
        elif rest[:1] in _QUANTIFIERS:
            return None
        heads = _split_top(head) or []
        if optional:
            heads.append("")
        out = []
        for alt in heads:
            item = alt + rest
            if not _plain(item[:1]) or item[:1] == " " or item[1:2] in _QUANTIFIERS:
                split = _alternatives(item.removeprefix("\\b"), depth + 1)
                if split is None:
                    return None
                out.extend(split)
            else:
                out.append(item)
        return out
    cls = _SIMPLE_CLASS.match(body)
    if cls:
        # "[5-9] x" -> "5 x", ..., "9 x", so digit patterns are dispatched too.
        chars, rest = _class_chars(cls.group(1)), body[cls.end() :]
        if len(chars) > 12 or rest[:1] in _QUANTIFIERS:
            return None
        out = []
        for ch in chars:
            split = _alternatives(ch + rest, depth + 1)
            if split is None:
                return None
            out.extend(split)
        return out
    if not body or not _plain(body[0]) or body[0] == " " or body[1:2] in _QUANTIFIERS:
        return None
    return [body]


def _trie(items: Sequence[str], depth: int = 0) -> str:
    """Alternatives factored by their leading literal characters (a prefix trie)."""
    groups: dict[str, list[str]] = {}
    rest: list[str] = []
    for item in items:
        if (
            depth < _TRIE_DEPTH
            and len(item) >= 2
            and _plain(item[0])
            and item[1] not in _QUANTIFIERS
            and item[1] != "|"
        ):
            groups.setdefault(item[0], []).append(item[1:])
        else:
            rest.append(f"(?:{item})")
    parts = [f"{ch}(?:{_trie(sub, depth + 1)})" for ch, sub in sorted(groups.items())]
    return "|".join([*parts, *rest])


def _dispatch_source(rules: Sequence[tuple[str, Sequence[str]]], *, lookahead: bool = False) -> str:
    """One regex for many rules, factored into a prefix trie after a word start.

    Speed: Python's regex engine tries every branch at every word start; a branch that
    starts with a literal letter is skipped in one step. Factoring all patterns by their
    leading letters (``\\b(?=\\w)(?:k(?:i(?:...))|t(?:o(?:...)|a(?:...))|...)``) means each
    word start only enters the patterns that can match there. The order of alternatives
    changes, so this regex only answers "does some rule match here"; each rule's own
    regex then says which one and where it ends (see Group.matches).
    """
    items: list[str] = []
    loose: list[str] = []
    for _key, sources in rules:
        for source in sources:
            if not source.startswith("\\b") or source.startswith("\\b(?="):
                loose.append(f"(?:{source})")
                continue
            split = _alternatives(source[2:])
            items.extend(split if split is not None else [f"(?:{source[2:]})"])
    parts = []
    if items:
        body = _trie(items)
        parts.append(f"\\b(?=\\w)(?=(?:{body}))" if lookahead else f"\\b(?=\\w)(?:{body})")
    parts.extend(f"(?={x})" if lookahead else x for x in loose)
    return "|".join(parts) or "(?!x)x"


_KEY = 4


def _literal_prefix(alt: str) -> str:
    """The leading characters of an alternative that every match must start with."""
    k = 0
    while k < min(_KEY, len(alt)) and _plain(alt[k]) and alt[k + 1 : k + 2] not in _QUANTIFIERS:
        k += 1
    return alt[: max(k, 1)]


def _shape(sources: Sequence[str]) -> tuple[frozenset[str], bool, frozenset[str]]:
    """Where the word-start patterns can begin: first letters, whether any pattern starts
    elsewhere, and the literal prefixes (up to _KEY characters) they begin with."""
    letters: set[str] = set()
    prefixes: set[str] = set()
    anywhere = False
    for source in sources:
        split = None
        if source.startswith("\\b") and not source.startswith("\\b(?="):
            split = _alternatives(source[2:])
        if split is None:
            anywhere = True
            continue
        for alt in split:
            letters.add(alt[0])
            prefixes.add(_literal_prefix(alt))
    return frozenset(letters), anywhere, frozenset(prefixes)


class CrisisDetector:
    """Compiled rules. Build once (it takes a few milliseconds) and reuse."""

    def __init__(self, files: Iterable[str] = RESOURCE_FILES) -> None:
        self._macros: dict[str, str] = {}
        for name, source in _load_toml("macros.toml").items():
            self._macros[name] = self._expand(source)
        self.groups: list[Group] = []
        self.combos: list[Combo] = []
        cues: dict[str, list[str]] = {}
        for name in files:
            data = _load_toml(name)
            for raw in data.get("group", []):
                self.groups.append(self._compile_group(raw))
            for raw in data.get("combo", []):
                self.combos.append(
                    Combo(
                        raw["id"],
                        tuple(raw["all"]),
                        tuple(raw.get("any", ())),
                        raw["severity"],
                        raw.get("side", "both"),
                    )
                )
            for key, patterns in data.get("cues", {}).items():
                cues[key] = patterns
        self._cue = {key: self._compile_alternation(pats) for key, pats in cues.items()}
        self._serious_partners = frozenset(
            t for c in self.combos if "serious" in (*c.all, *c.any) for t in (*c.all, *c.any)
        ) - {"serious"}
        self._subject_re = re.compile(
            "|".join(
                f"(?P<{key}>{self._prepare(self._join(cues[f'{key}_subject']))})"
                for key in ("first", "third", "generic", "second", "media")
            )
        )
        self._masks = [g for g in self.groups if g.kind == "mask"]
        self._risk = [g for g in self.groups if g.kind == "risk"]
        self._harassment = [g for g in self.groups if g.kind == "harassment"]
        self._tags = [g for g in self.groups if g.kind == "tag"]
        self._rules = {r.id: r for g in self.groups for r in g.rules.values()}
        # Which groups can start at a candidate position, by its first characters.
        by_prefix: dict[str, set[str]] = {}
        for g in self.groups:
            if g.kind == "mask" or g.anywhere:  # anywhere groups get every candidate
                continue
            for prefix in g.prefixes:
                by_prefix.setdefault(prefix, set()).add(g.id)
        self._by_prefix = {k: frozenset(v) for k, v in by_prefix.items()}
        self._anywhere = frozenset(g.id for g in self.groups if g.anywhere and g.kind != "mask")
        # One zero-width scan over every rule and signal finds the positions where any of
        # them starts; groups are then only tried there (see Group.matches).
        self._trigger = re.compile(
            _dispatch_source(
                [src for g in self.groups if g.kind != "mask" for src in g.sources],
                lookahead=True,
            )
        )
        log.debug("crisis detector: %d groups, %d rules", len(self.groups), len(self._rules))

    # ---- compilation -------------------------------------------------------------
    def _expand(self, source: str) -> str:
        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in self._macros:
                raise KeyError(f"unknown macro {{{name}}}")
            return f"(?:{self._macros[name]})"

        return _MACRO.sub(repl, source)

    def _prepare(self, source: str) -> str:
        return normalise_pattern(self._expand(source))

    @staticmethod
    def _join(patterns: Sequence[str]) -> str:
        return "|".join(f"(?:{p})" for p in patterns)

    def _prepared(self, patterns: Sequence[str]) -> list[str]:
        out = []
        for p in patterns:
            source = self._prepare(p)
            if re.compile(source).groups:
                raise ValueError(f"pattern {p!r}: use (?:...) instead of capturing groups")
            out.append(source)
        return out

    def _compile_alternation(self, patterns: Sequence[str]) -> re.Pattern[str]:
        return re.compile(_dispatch_source([("c", self._prepared(patterns))]))

    def _compile_group(self, raw: dict[str, Any]) -> Group:
        kind = raw["kind"]
        rules: dict[str, Rule] = {}
        sources: list[tuple[str, list[str]]] = []
        by_rule: list[tuple[Rule, re.Pattern[str]]] = []
        for i, r in enumerate(raw["rule"]):
            rules[f"r{i}"] = Rule(
                id=r["id"],
                kind=kind,
                severity=r.get("severity", 0),
                serious_severity=r.get("serious_severity"),
                prone=r.get("prone", False),
                intent=r.get("intent", False),
                present=r.get("present", False),
                require_first=r.get("require_first", False),
                require_third=r.get("require_third", False),
                person=r.get("person", "any"),
                third=r.get("third", "concern"),
                tags=tuple(r.get("tags", ())),
                unless=tuple(r.get("unless", ())),
            )
            prepared = self._prepared(r["patterns"])
            sources.append((f"r{i}", prepared))
            by_rule.append((rules[f"r{i}"], re.compile(self._join(prepared))))
        letters, anywhere, prefixes = _shape([x for _, prepared in sources for x in prepared])
        return Group(
            id=raw["id"],
            kind=kind,
            regex=re.compile(_dispatch_source(sources)),
            rules=rules,
            tag=raw.get("tag", ""),
            subject=raw.get("subject", False),
            unless=tuple(raw.get("unless", ())),
            by_rule=tuple(by_rule),
            sources=tuple((f"{raw['id']}.{key}", tuple(x)) for key, x in sources),
            letters=letters,
            anywhere=anywhere,
            prefixes=prefixes,
        )

    # ---- context -----------------------------------------------------------------
    def _sentence_bounds(self, text: str, start: int, end: int) -> tuple[int, int]:
        lo = max(0, start - _LOOKBACK)
        head = text[lo:start]
        cut = None
        for m in _SENTENCE_END.finditer(head):
            cut = m.end()
        s_start = lo + cut if cut is not None else lo
        tail = text[end : end + _LOOKAHEAD]
        m = _SENTENCE_END.search(tail)
        s_end = end + (m.start() if m else len(tail))
        return s_start, s_end

    def _subject(self, prefix: str) -> str | None:
        """The last subject mentioned before a match ("first", "third", "generic", ...).

        A person after a preposition is an object, not a subject: in "gave my guitar to
        my brother, wont need it" the writer is still the one speaking.
        """
        last = None
        for m in self._subject_re.finditer(prefix):
            if m.lastgroup == "third" and _OBJECT_BEFORE.search(prefix, 0, m.start()):
                continue
            # "my dads gun", "my grandpas pills": a possessive, not the subject.
            if m.lastgroup == "third" and _POSSESSED.match(prefix, m.end()):
                continue
            # "sent me a goodbye message": "me" after a verb is an object, not the subject.
            if m.group(0) == "me" and _ME_OBJECT.search(prefix, 0, m.start()):
                continue
            last = m.lastgroup
        return last

    def _negated(self, text: str, s_start: int, start: int, end: int) -> bool:
        if _FIRST_WORD.match(text, start):
            # The match names its own subject ("i dont want to kill myself i just want it
            # to stop"): a negation before it belongs to an earlier clause.
            return bool(self._cue["rhetorical"].match(text, end, end + _LOOKAHEAD))
        sentence_prefix = text[s_start:start]
        cut = 0
        for m in _CLAUSE_BREAK.finditer(sentence_prefix):
            cut = m.end()
        clause = self._cue["negation_exempt"].sub(" ", sentence_prefix[cut:])
        negations = list(self._cue["negation"].finditer(clause))
        if negations and not self._conditional(clause, negations[-1].start(), negations[-1].end()):
            return True
        return bool(self._cue["rhetorical"].match(text, end, end + _LOOKAHEAD))

    def _conditional(self, clause: str, neg_start: int, neg_end: int) -> bool:
        """The negation sits in an "if" clause and a new subject follows it: "if i dont
        get in im killing myself" denies the condition, not the act."""
        return bool(
            self._cue["condition"].search(clause, max(0, neg_start - 12), neg_start)
            and self._cue["new_subject"].search(clause, neg_end)
        )

    def _quoted(self, text: str, start: int) -> Disposition | None:
        """Inside double quotes, in a message that talks about a song, film, post etc.

        Someone's reported words ("my friend said 'im not gonna be here much longer'")
        are concern for that person; lyrics, titles and other quotes concern nobody.
        """
        if text.count('"', 0, start) % 2 == 0:
            return None
        outside = re.sub(r'"[^"]*"?', " ", text)
        if self._cue["artwork"].search(outside):
            return Disposition.OTHER
        media = self._cue["media_subject"].search(outside)
        if not media and not self._cue["reported"].search(outside):
            return None
        opening = text.rfind('"', 0, start)
        s_start, _ = self._sentence_bounds(text, opening, opening)
        subject = self._subject(text[s_start:opening])
        if subject == "third":
            return Disposition.THIRD  # "my daughter posted 'i wont be a problem much longer'"
        if subject == "first" and not media:
            return None  # the writer's own words ("i keep writing 'i dont want to be here'")
        return Disposition.OTHER

    def _disposition(
        self, text: str, start: int, end: int, rule: Rule, *, addressed: bool = False
    ) -> Disposition:
        """Who a match is about, and whether it stands. ``addressed``: a signal such as a
        goodbye or a gift that is naturally said *to* "you" (second person means the writer).
        """
        s_start, s_end = self._sentence_bounds(text, start, end)
        if self._negated(text, s_start, start, end):
            return Disposition.NEGATED
        if '"' in text:
            quoted = self._quoted(text, start)
            if quoted is not None:
                return quoted
        # A match that starts with "i"/"im" names its own subject ("... and i know the code").
        subject = "first" if _FIRST_WORD.match(text, start) else self._subject(text[s_start:start])
        if addressed and subject == "second":
            subject = "first"
        if rule.person == "third":
            if subject in ("generic", "media"):
                return Disposition.OTHER
            return Disposition.THIRD
        if subject == "third":
            if rule.third != "self":
                return Disposition.THIRD if rule.third == "concern" else Disposition.OTHER
            # "theyd be better off without me" is about the writer, unless someone else
            # is being quoted: "my husband keeps saying wed all be better off".
            prefix = text[s_start:start]
            if _REPORTING.search(prefix) and not _FIRST_THINKING.search(prefix):
                return Disposition.THIRD
        if subject in ("generic", "second", "media"):
            return Disposition.OTHER
        if rule.require_third:
            return Disposition.OTHER
        if rule.require_first and subject != "first":
            return Disposition.OTHER
        if not rule.present:
            # "in recovery but i feel like im just waiting to not exist": a contrast
            # before the match starts a new, present-tense thought.
            for contrast in _CONTRAST.finditer(text, s_start, start):
                s_start = contrast.end()
            sentence = text[s_start:s_end]
            if self._cue["past"].search(sentence) and not self._cue["present"].search(sentence):
                return Disposition.PAST
        return Disposition.SELF

    # ---- assessment --------------------------------------------------------------
    def assess(
        self, text: str, *, allow: Sequence[str] = (), deny: Sequence[str] = ()
    ) -> Assessment:
        """Assess one message. ``allow``/``deny``: the guild's extra phrase lists."""
        first = self._assess(text, allow, deny)
        if first.severity == 3 or not _INVISIBLE_WORD_GAP.search(text):
            return first
        # A zero-width space may split a word ("k\u200bys", removed by normalise) or stand
        # in for a real space ("kill\u200bmyself"): read it both ways, keep the graver.
        spaced = self._assess(_INVISIBLE_GAPS.sub(" ", text), allow, deny)
        return spaced if _gravity(spaced) > _gravity(first) else first

    def _assess(self, text: str, allow: Sequence[str], deny: Sequence[str]) -> Assessment:
        norm = normalise(text)
        if not norm:
            return NO_RISK
        norm = self._apply_masks(norm, allow)
        candidates = [m.start() for m in self._trigger.finditer(norm)]
        if not candidates and not deny:
            return NO_RISK
        cues = _LazyCues(self._cue, norm)
        # Each group is tried only at the candidates its patterns can start with.
        starts: dict[str, list[int]] = {gid: list(candidates) for gid in self._anywhere}
        by_prefix = self._by_prefix
        for p in candidates:
            found: set[str] = set()
            for k in range(1, _KEY + 1):
                found.update(by_prefix.get(norm[p : p + k], ()))
            for gid in found:
                starts.setdefault(gid, []).append(p)
        me, other = _Side(), _Side()
        self._scan_risk(norm, starts, cues, me, other)
        if deny:
            for m in _phrase_regex(tuple(deny)).finditer(norm):
                me.severity = max(me.severity, 1)
                me.reasons.append(f"guild.deny: '{_span(m.group(0))}'")
                me.add_tag("self_risk", m.group(0))
        self._scan_tags(norm, starts, cues, me, other)
        # "i mean it" only matters next to a signal it can confirm (searched lazily).
        if not self._serious_partners.isdisjoint(me.tags) and cues["serious"]:
            me.add_tag("serious", cues["serious"].group(0))
        self._apply_combos(me)
        if other.reasons:
            self._apply_combos(other, other_side=True)

        if me.severity == 1 and me.hyperbole_only and not _FIRST_ANY.search(norm):
            # "do the world a favour and unalive": a bare hyperbole-prone word inside a
            # death wish aimed at someone else is the attack, not the writer's risk.
            harassment = self._scan_harassment(norm, starts)
            if harassment:
                return Assessment(Category.HARASSMENT, 0, _dedupe(harassment))
        if me.severity >= 1:
            return Assessment(Category.SELF_RISK, me.severity, _dedupe(me.reasons))
        if other.severity >= 1:
            return Assessment(
                Category.CONCERN_FOR_OTHER, 0, _dedupe(other.reasons), urgency=other.severity
            )
        harassment = self._scan_harassment(norm, starts)
        if harassment:
            return Assessment(Category.HARASSMENT, 0, _dedupe(harassment))
        return NO_RISK

    def _apply_masks(self, norm: str, allow: Sequence[str]) -> str:
        def blank(m: re.Match[str]) -> str:
            return " " * len(m.group(0))

        for group in self._masks:
            norm = group.regex.sub(blank, norm)
        if allow:
            norm = _phrase_regex(tuple(allow)).sub(blank, norm)
        return norm

    def _scan_risk(
        self,
        norm: str,
        starts: dict[str, list[int]],
        cues: _LazyCues,
        me: _Side,
        other: _Side,
    ) -> None:
        for group in self._risk:
            positions = starts.get(group.id)
            if not positions:
                continue
            for rule, m in group.matches(norm, positions):
                disposition = self._disposition(norm, m.start(), m.end(), rule)
                if disposition > Disposition.THIRD:
                    continue
                if (
                    disposition is Disposition.SELF
                    and not rule.present
                    and cues["recovered"]
                    and not cues["present"]
                ):
                    continue  # a recovery story told in the past tense
                severity = rule.severity
                note = ""
                if rule.unless and not cues["serious"] and any(cues[c] for c in rule.unless):
                    continue
                if rule.prone:
                    if cues["serious"]:
                        severity = rule.serious_severity or max(severity, 1)
                        note = f" (serious: '{_span(cues['serious'].group(0))}')"
                    elif cues["joke"] or cues["hypothetical"]:
                        severity = 0
                if cues["academic"] and severity <= 2 and disposition is Disposition.SELF:
                    subject = self._subject(norm[max(0, m.start() - _LOOKBACK) : m.start()])
                    if subject != "first" and "my" not in m.group(0).split():
                        severity = 0
                if severity < 1 and not rule.tags:
                    continue
                side = me if disposition is Disposition.SELF else other
                if severity >= 1:
                    side.hyperbole_only = side.hyperbole_only and rule.prone
                    side.severity = max(side.severity, severity)
                    side.reasons.append(f"{rule.id}: '{_span(m.group(0))}'{note}")
                    side.add_tag("self_risk", m.group(0))
                    if severity >= 2:
                        side.add_tag("self_risk_strong", m.group(0))
                    if rule.intent:
                        side.add_tag("intent", m.group(0))
                for tag in rule.tags:
                    side.add_tag(tag, m.group(0))

    def _scan_tags(
        self,
        norm: str,
        starts: dict[str, list[int]],
        cues: _LazyCues,
        me: _Side,
        other: _Side,
    ) -> None:
        for group in self._tags:
            positions = starts.get(group.id)
            if not positions:
                continue
            if group.unless and any(cues[c] for c in group.unless):
                continue
            if not group.subject:
                for _, m in group.matches(norm, positions):
                    me.add_tag(group.tag, m.group(0))
                    other.add_tag(group.tag, m.group(0))
                    break
                continue
            for rule, m in group.matches(norm, positions):
                disposition = self._disposition(norm, m.start(), m.end(), rule, addressed=True)
                if disposition is Disposition.SELF:
                    me.add_tag(group.tag, m.group(0))
                elif disposition is Disposition.THIRD:
                    other.add_tag(group.tag, m.group(0))
                    other.reasons.append(f"{rule.id}: '{_span(m.group(0))}'")

    def _apply_combos(self, side: _Side, *, other_side: bool = False) -> None:
        present = side.tags.keys()
        for combo in self.combos:
            if combo.side == "other" and not other_side:
                continue
            if combo.severity <= side.severity and side.severity:
                continue
            if not present >= combo.all_set:
                continue
            hit_any = [t for t in combo.any if t in present]
            if combo.any and not hit_any:
                continue
            used = [*combo.all, *hit_any[:1]]
            side.severity = max(side.severity, combo.severity)
            joined = " + ".join(f"{t} '{_span(side.tags[t])}'" for t in used)
            side.reasons.append(f"combo {combo.id}: {joined}")

    def _scan_harassment(self, norm: str, starts: dict[str, list[int]]) -> list[str]:
        reasons: list[str] = []
        exempt = self._cue["harassment_exempt"]
        for group in self._harassment:
            positions = starts.get(group.id)
            if not positions:
                continue
            for rule, m in group.matches(norm, positions):
                s_start, _ = self._sentence_bounds(norm, m.start(), m.end())
                prefix = norm[max(s_start, m.start() - 40) : m.start()]
                if exempt.search(prefix) or self._negated(norm, s_start, m.start(), m.end()):
                    continue
                reasons.append(f"{rule.id}: '{_span(m.group(0))}'")
        return reasons


class _LazyCues(dict[str, "re.Match[str] | None"]):
    """Whole-message cues (joke, serious, ...) searched only when first asked for."""

    def __init__(self, cues: dict[str, re.Pattern[str]], text: str) -> None:
        super().__init__()
        self._cues = cues
        self._text = text

    def __missing__(self, key: str) -> re.Match[str] | None:
        found = self._cues[key].search(self._text)
        self[key] = found
        return found


def _dedupe(reasons: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))[:_MAX_REASONS]


@lru_cache(maxsize=256)
def _phrase_regex(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """A guild's allow/deny phrases as one regex over normalised text (cached per list)."""
    folded = sorted({normalise(p) for p in phrases if p.strip()}, key=len, reverse=True)
    if not folded:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in folded) + r")(?!\w)")


@lru_cache(maxsize=1)
def default_detector() -> CrisisDetector:
    """The detector built from the packaged resources, built on first use."""
    return CrisisDetector()


def assess(text: str, *, allow: Sequence[str] = (), deny: Sequence[str] = ()) -> Assessment:
    """Assess ``text`` with the default detector. See :meth:`CrisisDetector.assess`."""
    return default_detector().assess(text, allow=allow, deny=deny)
