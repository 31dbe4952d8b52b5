"""Ranked, typo-tolerant search over tips: titles, tags, categories and bodies.

Pipeline for a query: normalise → correct unknown words by edit distance against the
library's vocabulary and the synonym keys → match synonym phrases (longest first) and
words → weight each resulting term by field (title > tags > category > body) and rarity
(idf). ``category:<id>`` expansions from ``_synonyms.toml`` boost a whole category, which
is what makes "cant sleep" or "urge to cut" land in the right place.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.tips.models import Category, Tip

_NON_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['’‘`]")

_STOPWORDS_TEXT = """
a an the i im ive id me my myself to and or of for in on at is am are was be been so
very really feel feeling feels just do does how what with about it its this that when
have has had some any tip tips please can could should would will from by as up out
there something anything things thing get getting lot lots too bit kind sort
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

TITLE, TAG, CATEGORY, BODY = 3.0, 2.5, 2.0, 1.0
CATEGORY_BOOST = 4.0
EXPANSION_WEIGHT = 0.9
TYPO_WEIGHT = 0.8
MIN_FUZZY_LEN = 4


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text)
    return _NON_WORD.sub(" ", text).strip()


def words(text: str) -> list[str]:
    return normalise(text).split()


def stem(word: str) -> str:
    """A deliberately small suffix stripper; index and query share it, so it only needs
    to be consistent, not linguistically right."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ied") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if len(base) >= 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # cutting → cut, running → run
            return base
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (Damerau: a swap of neighbours costs 1)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _allowed_typos(word: str) -> int:
    return 1 if len(word) <= 6 else 2


@dataclass(frozen=True)
class QueryTerm:
    term: str  # stemmed word, or "category:<id>"
    weight: float


@dataclass(frozen=True)
class _Doc:
    tip: Tip
    fields: tuple[tuple[float, Counter[str]], ...]
    title_text: str


class TipIndex:
    """An in-memory index of a fixed set of tips (the library, plus a guild's own)."""

    def __init__(
        self,
        tips: Sequence[Tip],
        categories: Mapping[str, Category],
        synonyms: Mapping[str, Sequence[str]],
    ) -> None:
        self._categories = categories
        self._synonyms = {normalise(k): tuple(v) for k, v in synonyms.items()}
        self._phrases = sorted(
            (k for k in self._synonyms if " " in k), key=lambda k: -len(k.split())
        )
        self._docs = [self._doc(tip) for tip in tips]
        df: Counter[str] = Counter()
        vocab: set[str] = set()
        for doc in self._docs:
            seen: set[str] = set()
            for _, counter in doc.fields:
                seen.update(counter)
            df.update(seen)
        for tip in tips:
            vocab.update(words(self._all_text(tip)))
        for key in self._synonyms:
            vocab.update(key.split())
        self._df = df
        self._n = max(len(self._docs), 1)
        # Correction targets, by first letter is too strict for typos like "slepe"; the
        # vocabulary is a few thousand words, so a linear scan per unknown word is fine.
        self._vocab = sorted(w for w in vocab if len(w) >= 3 and not w.isdigit())
        self._vocab_set = set(vocab)

    def _all_text(self, tip: Tip) -> str:
        category = self._categories.get(tip.category)
        return " ".join(
            [
                tip.title,
                " ".join(tip.tags),
                tip.body,
                " ".join(tip.steps),
                category.name if category else tip.category,
            ]
        )

    def _doc(self, tip: Tip) -> _Doc:
        category = self._categories.get(tip.category)
        cat_text = f"{tip.category.replace('-', ' ')} {category.name if category else ''}"

        def bag(text: str) -> Counter[str]:
            return Counter(stem(w) for w in words(text) if w not in STOPWORDS)

        return _Doc(
            tip=tip,
            fields=(
                (TITLE, bag(tip.title)),
                (TAG, bag(" ".join(tip.tags))),
                (CATEGORY, bag(cat_text)),
                (BODY, bag(" ".join([tip.body, *tip.steps, tip.evidence]))),
            ),
            title_text=normalise(tip.title),
        )

    # -- query side -------------------------------------------------------------------

    def correct(self, word: str) -> tuple[str, bool]:
        """The closest known word (and whether it was changed); unknown words stay as-is."""
        if word in self._vocab_set or len(word) < MIN_FUZZY_LEN or word.isdigit():
            return word, False
        limit = _allowed_typos(word)
        best: tuple[int, int, str] | None = None
        for candidate in self._vocab:
            if abs(len(candidate) - len(word)) > limit:
                continue
            distance = edit_distance(word, candidate, limit)
            if distance <= limit:
                # Prefer fewer edits, then words sharing the first letter, then shorter.
                key = (distance, 0 if candidate[0] == word[0] else 1, candidate)
                if best is None or key < (best[0], best[1], best[2]):
                    best = key
        if best is None:
            return word, False
        return best[2], True

    def parse(self, query: str, *, prefix: bool = False) -> list[QueryTerm]:
        raw = words(query)
        tokens: list[str] = []
        typo: list[bool] = []
        for i, word in enumerate(raw):
            is_last = i == len(raw) - 1
            if prefix and is_last and word not in self._vocab_set and len(word) >= 2:
                completions = [w for w in self._vocab if w.startswith(word)]
                if completions:
                    tokens.append(min(completions, key=len))
                    typo.append(False)
                    continue
            fixed, changed = self.correct(word)
            tokens.append(fixed)
            typo.append(changed)

        terms: list[QueryTerm] = []
        used = [False] * len(tokens)
        text = " ".join(tokens)
        for phrase in self._phrases:
            if f" {phrase} " not in f" {text} ":
                continue
            size = len(phrase.split())
            for start in range(len(tokens) - size + 1):
                if " ".join(tokens[start : start + size]) == phrase and not any(
                    used[start : start + size]
                ):
                    factor = TYPO_WEIGHT if any(typo[start : start + size]) else 1.0
                    for j in range(start, start + size):
                        used[j] = True
                        if tokens[j] not in STOPWORDS:
                            terms.append(QueryTerm(stem(tokens[j]), factor))
                    terms.extend(self._expand(phrase, factor))
        for j, token in enumerate(tokens):
            if used[j] or token in STOPWORDS:
                continue
            factor = TYPO_WEIGHT if typo[j] else 1.0
            terms.append(QueryTerm(stem(token), factor))
            terms.extend(self._expand(token, factor))
        merged: dict[str, float] = {}
        for t in terms:
            merged[t.term] = max(merged.get(t.term, 0.0), t.weight)
        return [QueryTerm(term, weight) for term, weight in merged.items()]

    def _expand(self, key: str, factor: float) -> list[QueryTerm]:
        out: list[QueryTerm] = []
        for value in self._synonyms.get(key, ()):
            weight = factor * EXPANSION_WEIGHT
            if value.startswith("category:"):
                out.append(QueryTerm(value, weight))
            else:
                out.extend(QueryTerm(stem(w), weight) for w in words(value) if w not in STOPWORDS)
        return out

    def _idf(self, term: str) -> float:
        return math.log(1 + self._n / (1 + self._df.get(term, 0)))

    def search(
        self, query: str, *, limit: int = 10, prefix: bool = False
    ) -> list[tuple[Tip, float]]:
        terms = self.parse(query, prefix=prefix)
        if not terms:
            return []
        phrase = normalise(query)
        scored: list[tuple[Tip, float]] = []
        for doc in self._docs:
            score = 0.0
            for qt in terms:
                if qt.term.startswith("category:"):
                    if doc.tip.category == qt.term.removeprefix("category:"):
                        score += CATEGORY_BOOST * qt.weight
                    continue
                hits = [w * (1 + math.log(c[qt.term])) for w, c in doc.fields if qt.term in c]
                if hits:
                    # The best field counts fully, other fields a little.
                    hits.sort(reverse=True)
                    score += qt.weight * self._idf(qt.term) * (hits[0] + 0.25 * sum(hits[1:]))
            if score > 0 and len(phrase) >= 4 and phrase in doc.title_text:
                score += TITLE * 2
            if score > 0:
                scored.append((doc.tip, score))
        scored.sort(key=lambda pair: -pair[1])
        return scored[:limit]
