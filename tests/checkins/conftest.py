"""Fixtures for check-in services: a migrated database and a clock tests move by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.checkins.service import CheckinService
from bot.config import CheckinSettings
from bot.db import apply_migrations, open_database
from tests.checkins.clock import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 6, 2, 6, 0, tzinfo=UTC))  # a Monday


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    conn = await open_database(tmp_path / "checkins.db")
    await apply_migrations(conn)
    yield conn
    await conn.close()


@pytest.fixture
def service(db: aiosqlite.Connection, clock: Clock) -> CheckinService:
    return CheckinService(db, CheckinSettings(), now=clock)
