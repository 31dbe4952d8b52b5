"""User-facing safety copy (resources/copy/crisis.toml) rendered with a person's helplines."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from bot.safety.helplines import HelplineChoice

# Phrases safe-messaging guidance rules out; a test scans every copy string for them.
FORBIDDEN_PHRASES = ("commit suicide", "committed suicide", "commits suicide", "successful suicide")

_REQUIRED = {
    "dm": ("severity_1", "severity_2", "severity_3", "direct", "talk_note_pseudonymous"),
    "talk": ("confirm", "already"),
    "concern": ("writer", "reporter"),
    "notice": ("dm_closed",),
    "helplines": (
        "header",
        "fallback_header",
        "emergency",
        "emergency_unknown",
        "unverified",
        "footer",
    ),
}


class CopyError(ValueError):
    """resources/copy/crisis.toml is missing a key."""


@cache
def crisis_copy() -> dict[str, dict[str, str]]:
    text = (resources.files("resources") / "copy" / "crisis.toml").read_text("utf-8")
    return validate_copy(tomllib.loads(text))


def validate_copy(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    for section, keys in _REQUIRED.items():
        table = data.get(section)
        if not isinstance(table, dict):
            raise CopyError(f"crisis copy: missing [{section}]")
        for key in keys:
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise CopyError(f"crisis copy: missing {section}.{key}")
    return data


def emergency_text(choice: HelplineChoice) -> str:
    return choice.emergency or "your local emergency number"


def helpline_bullets(choice: HelplineChoice, limit: int = 2) -> str:
    return "\n".join(f"- {h.contact_line()}" for h in choice.for_dm(limit))


@dataclass(frozen=True, slots=True)
class CrisisCopy:
    """Renders the copy; separate from loading so tests can feed their own tables."""

    table: dict[str, dict[str, str]]

    @classmethod
    def bundled(cls) -> CrisisCopy:
        return cls(crisis_copy())

    def dm(
        self, severity: int, *, name: str, place: str, choice: HelplineChoice, pseudonymous: bool
    ) -> str:
        key = f"severity_{max(1, min(3, severity))}"
        note = self.table["dm"]["talk_note_pseudonymous"] if pseudonymous else ""
        return self.table["dm"][key].format(
            name=name,
            place=place,
            helplines=helpline_bullets(choice),
            emergency=emergency_text(choice),
            talk_note=note,
        )

    def direct(self, *, name: str, choice: HelplineChoice) -> str:
        """For a DM to the bot itself: no moderators were told, so none are promised."""
        return self.table["dm"]["direct"].format(
            name=name, helplines=helpline_bullets(choice), emergency=emergency_text(choice)
        )

    def talk_confirm(self, choice: HelplineChoice, *, already: bool = False) -> str:
        return self.table["talk"]["already" if already else "confirm"].format(
            emergency=emergency_text(choice)
        )

    def concern(self, choice: HelplineChoice, *, reporter: bool = False) -> str:
        return self.table["concern"]["reporter" if reporter else "writer"].format(
            helplines=helpline_bullets(choice), emergency=emergency_text(choice)
        )

    def dm_closed_notice(self, choice: HelplineChoice) -> str:
        return self.table["notice"]["dm_closed"].format(
            helplines=helpline_bullets(choice), emergency=emergency_text(choice)
        )

    def directory(self, choice: HelplineChoice, requested: str | None) -> str:
        """The /helplines answer: every entry for the country, or the global fallback."""
        words = self.table["helplines"]
        if choice.is_fallback:
            lines = [words["fallback_header"].format(country=requested or "your country")]
        else:
            lines = [words["header"].format(country=f"{choice.name} ({choice.country})")]
        for helpline in choice.helplines:
            suffix = f" {words['unverified']}" if not helpline.verified else ""
            lines.append(f"- {helpline.contact_line()}{suffix}")
        if choice.emergency:
            lines.append(words["emergency"].format(emergency=choice.emergency))
        else:
            lines.append(words["emergency_unknown"])
        lines.append(words["footer"])
        return "\n".join(lines)

    def all_strings(self) -> list[str]:
        return [v for table in self.table.values() for v in table.values() if isinstance(v, str)]
