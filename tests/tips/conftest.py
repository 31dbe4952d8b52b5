"""Fixtures for the tips service: a migrated in-memory database and the real library."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiosqlite
import pytest

from bot.db import apply_migrations, open_database
from bot.tips import TipsService, load_library
from bot.tips.loader import Library


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library()


@pytest.fixture
async def db() -> AsyncIterator[aiosqlite.Connection]:
    conn = await open_database(":memory:")
    await apply_migrations(conn)
    yield conn
    await conn.close()


@pytest.fixture
def service(db: aiosqlite.Connection, library: Library) -> TipsService:
    return TipsService(db, library)
