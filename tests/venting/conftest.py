"""Fixtures for venting service tests: a migrated temp database, a key ring, a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite
import pytest

from bot.db import apply_migrations, open_database
from bot.db.guild_settings import GuildSettingsRepository
from bot.keys import KeyRing, decode_key, generate_key
from bot.venting import VentingService


@dataclass
class FakeAssessment:
    category: str = "none"
    severity: int = 0
    reasons: tuple[str, ...] = ()
    is_crisis: bool = False


@dataclass
class FakeAssessor:
    """Flags any text containing 'CRISIS' as self-risk severity 2; records nothing else."""

    calls: int = 0
    seen: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> FakeAssessment:
        self.calls += 1
        self.seen.append(text)
        if "CRISIS" in text:
            return FakeAssessment("self_risk", 2, ("test rule",), True)
        return FakeAssessment()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    conn = await open_database(tmp_path / "haven.db")
    await apply_migrations(conn)
    yield conn
    await conn.close()


@pytest.fixture
def keys() -> KeyRing:
    return KeyRing(decode_key(generate_key()))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def assessor() -> FakeAssessor:
    return FakeAssessor()


GUILD = 111_111_111_111_111_111
VENT_CHANNEL = 222_222_222_222_222_222
ALERT_CHANNEL = 333_333_333_333_333_333


@pytest.fixture
async def venting(
    db: aiosqlite.Connection, keys: KeyRing, clock: Clock, assessor: FakeAssessor
) -> VentingService:
    settings = GuildSettingsRepository(db)
    await settings.update(GUILD, vent_channel_id=VENT_CHANNEL, alert_channel_id=ALERT_CHANNEL)
    return VentingService(
        db, keys, settings, max_length=4_000, cooldown_seconds=120, assess=assessor, clock=clock
    )
