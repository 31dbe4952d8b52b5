"""Per-guild venting options, stored in ``guild_settings.extra["venting"]``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

EXTRA_KEY = "venting"


@dataclass(frozen=True)
class VentingOptions:
    vetting: bool = False  # every vent waits for a moderator's Approve
    hold_crisis: bool = False  # vents assessed as self-risk wait for a moderator
    unmasking: bool = False  # two different moderators may reveal an author (audited, told)

    @classmethod
    def from_extra(cls, extra: dict[str, Any]) -> VentingOptions:
        raw = extra.get(EXTRA_KEY) or {}
        known = {f.name for f in fields(cls)}
        return cls(**{k: bool(v) for k, v in raw.items() if k in known})

    def to_json(self) -> dict[str, bool]:
        return asdict(self)
