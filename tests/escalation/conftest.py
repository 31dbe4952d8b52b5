"""Fixtures for the escalation service: a real migrated database, a settable clock and a
stand-in detector (keyword → assessment) so these tests do not depend on the lexicon."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
import pytest

from bot.config import EscalationSettings
from bot.db import apply_migrations, open_database
from bot.db.guild_settings import GuildSettingsRepository
from bot.escalation import EscalationService


@dataclass(frozen=True)
class FakeAssessment:
    category: str = "none"
    severity: int = 0
    reasons: tuple[str, ...] = ()

    @property
    def is_crisis(self) -> bool:
        return self.category == "self_risk" and self.severity >= 1


@dataclass
class FakeAssessor:
    """'sev1'/'sev2'/'sev3' in the text → self_risk; 'friend' → concern; 'kys' → harassment.
    Records the allow-list each call received."""

    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def __call__(self, text: str, *, allow: Any = (), deny: Any = ()) -> FakeAssessment:
        self.calls.append((text, tuple(allow)))
        lowered = text.lower()
        if any(phrase in lowered for phrase in allow):
            return FakeAssessment()
        for level in (3, 2, 1):
            if f"sev{level}" in lowered:
                return FakeAssessment("self_risk", level, (f"rule_sev{level}",))
        if "friend" in lowered:
            return FakeAssessment("concern_for_other", 1, ("third_person",))
        if "kys" in lowered:
            return FakeAssessment("harassment", 2, ("death_wish_at_other",))
        return FakeAssessment()


class Clock:
    def __init__(self, start: float = 1_800_000_000) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def db() -> AsyncIterator[aiosqlite.Connection]:
    conn = await open_database(":memory:")
    await apply_migrations(conn)
    yield conn
    await conn.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def assessor() -> FakeAssessor:
    return FakeAssessor()


@pytest.fixture
def guild_settings(db: aiosqlite.Connection) -> GuildSettingsRepository:
    return GuildSettingsRepository(db)


@pytest.fixture
def service(
    db: aiosqlite.Connection,
    guild_settings: GuildSettingsRepository,
    clock: Clock,
    assessor: FakeAssessor,
) -> EscalationService:
    return EscalationService(
        db, guild_settings, EscalationSettings(), assessor=assessor, clock=clock
    )
