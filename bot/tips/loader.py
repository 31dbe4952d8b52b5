"""Load and validate the curated library from ``resources/tips/*.toml`` (importlib.resources).

One file per category: a ``[category]`` table and ``[[tips]]``. Files starting with ``_``
hold data for search (``_synonyms.toml``). Every problem is reported with its file and
tip id, so a content mistake fails the test suite (and start-up) with a clear message.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from pydantic import ValidationError

from bot.tips.models import Category, LibraryTip, Tip

SYNONYMS_FILE = "_synonyms.toml"


class LibraryError(ValueError):
    """The tips library on disk is invalid."""


@dataclass(frozen=True)
class Synonyms:
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    mood_tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Library:
    categories: tuple[Category, ...]
    tips: tuple[Tip, ...]
    synonyms: Synonyms

    @cached_property
    def by_id(self) -> dict[str, Tip]:
        return {tip.id: tip for tip in self.tips}

    @cached_property
    def category_by_id(self) -> dict[str, Category]:
        return {c.id: c for c in self.categories}

    def in_category(self, category_id: str) -> list[Tip]:
        return [tip for tip in self.tips if tip.category == category_id]


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )


def parse_category_file(name: str, data: Mapping[str, Any]) -> tuple[Category, list[Tip]]:
    """Validate one category file's parsed TOML; ``name`` is the file name for messages."""
    unknown = set(data) - {"category", "tips"}
    if unknown:
        raise LibraryError(f"{name}: unknown top-level keys {sorted(unknown)}")
    if "category" not in data:
        raise LibraryError(f"{name}: missing [category] table")
    try:
        category = Category.model_validate(data["category"])
    except ValidationError as exc:
        raise LibraryError(f"{name}: [category]: {_describe(exc)}") from None
    expected = name.removesuffix(".toml")
    if category.id != expected:
        raise LibraryError(f"{name}: category id '{category.id}' must match the file name")
    raw_tips = data.get("tips", [])
    if not raw_tips:
        raise LibraryError(f"{name}: no [[tips]]")
    tips: list[Tip] = []
    for index, raw in enumerate(raw_tips):
        if raw.get("category", category.id) != category.id:
            raise LibraryError(f"{name}: tip {raw.get('id', index)} names another category")
        try:
            tips.append(LibraryTip.model_validate({**raw, "category": category.id}))
        except ValidationError as exc:
            raise LibraryError(f"{name}: tip {raw.get('id', index)}: {_describe(exc)}") from None
    return category, tips


def parse_synonyms(data: Mapping[str, Any]) -> Synonyms:
    def table(key: str) -> dict[str, tuple[str, ...]]:
        raw = data.get(key, {})
        out: dict[str, tuple[str, ...]] = {}
        for term, values in raw.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise LibraryError(f"{SYNONYMS_FILE}: [{key}] {term!r} must be a list of strings")
            out[str(term).lower()] = tuple(v.lower() for v in values)
        return out

    return Synonyms(terms=table("terms"), mood_tags=table("mood_tags"))


def build_library(files: Iterable[tuple[str, Mapping[str, Any]]], synonyms: Synonyms) -> Library:
    """Cross-file checks: unique category ids, tip ids and titles; synonyms name real categories."""
    categories: list[Category] = []
    tips: list[Tip] = []
    for name, data in files:
        category, found = parse_category_file(name, data)
        categories.append(category)
        tips.extend(found)
    if not categories:
        raise LibraryError("no category files found")
    seen_ids: dict[str, str] = {}
    seen_titles: dict[str, str] = {}
    for tip in tips:
        if tip.id in seen_ids:
            raise LibraryError(f"duplicate tip id '{tip.id}'")
        seen_ids[tip.id] = tip.category
        key = tip.title.casefold()
        if key in seen_titles:
            raise LibraryError(f"duplicate tip title '{tip.title}'")
        seen_titles[key] = tip.id
    category_ids = {c.id for c in categories}
    if len(category_ids) != len(categories):
        raise LibraryError("duplicate category id")
    for term, values in synonyms.terms.items():
        for value in values:
            if (
                value.startswith("category:")
                and value.removeprefix("category:") not in category_ids
            ):
                raise LibraryError(f"{SYNONYMS_FILE}: '{term}' boosts unknown {value}")
    for tag, wanted in synonyms.mood_tags.items():
        missing = set(wanted) - category_ids
        if missing:
            raise LibraryError(f"{SYNONYMS_FILE}: mood tag '{tag}' names unknown {sorted(missing)}")
    categories.sort(key=lambda c: (c.order, c.id))
    order = {c.id: i for i, c in enumerate(categories)}
    tips.sort(key=lambda t: order[t.category])  # stable: file order within a category
    return Library(categories=tuple(categories), tips=tuple(tips), synonyms=synonyms)


def _read(entry: Traversable) -> dict[str, Any]:
    try:
        return tomllib.loads(entry.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LibraryError(f"{entry.name}: malformed TOML: {exc}") from None


def tip_files(folder: Traversable | None = None) -> list[Traversable]:
    folder = folder or resources.files("resources") / "tips"
    return sorted(
        (e for e in folder.iterdir() if e.name.endswith(".toml") and not e.name.startswith("_")),
        key=lambda e: e.name,
    )


def load_library(folder: Traversable | None = None) -> Library:
    folder = folder or resources.files("resources") / "tips"
    synonyms_entry = folder / SYNONYMS_FILE
    synonyms = parse_synonyms(_read(synonyms_entry)) if synonyms_entry.is_file() else Synonyms()
    return build_library(((e.name, _read(e)) for e in tip_files(folder)), synonyms)
