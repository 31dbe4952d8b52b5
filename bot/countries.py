"""ISO 3166-1 alpha-2 country codes (data from resources/iso3166.tsv)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def countries() -> dict[str, str]:
    """Map of code → English name, e.g. ``{"GB": "Britain (UK)", ...}``."""
    text = (resources.files("resources") / "iso3166.tsv").read_text("utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t", 1)
            table[code.strip()] = name.strip()
    return table


def normalise_country(value: str) -> str | None:
    """``"gb"`` → ``"GB"``; ``"UK"`` is accepted as GB; unknown codes → None."""
    code = value.strip().upper()
    if code == "UK":
        code = "GB"
    return code if code in countries() else None
