"""Migrations and the guild_settings repository."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.db import apply_migrations, latest_version, open_database
from bot.db.guild_settings import GuildSettingsRepository
from bot.db.migrate import MigrationError, load_migrations
from bot.notices import PendingNotices


async def test_fresh_database_reaches_latest_version_and_pragmas(tmp_path: Path) -> None:
    conn = await open_database(tmp_path / "x" / "haven.db")
    applied = await apply_migrations(conn)
    assert len(applied) == len(load_migrations())
    async with conn.execute("PRAGMA user_version") as cur:
        assert (await cur.fetchone())[0] == latest_version()
    async with conn.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    async with conn.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1
    assert await apply_migrations(conn) == []  # idempotent
    await conn.close()


async def test_upgrading_an_old_schema_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    first = load_migrations()[0]
    with sqlite3.connect(path) as old:  # a database left at version 1 by an older Haven
        old.executescript(first.sql)
        old.execute("INSERT INTO guild_settings (guild_id, country) VALUES (42, 'GB')")
        old.execute("PRAGMA user_version = 1")
    conn = await open_database(path)
    await apply_migrations(conn)
    assert (await GuildSettingsRepository(conn).get(42)).country == "GB"
    async with conn.execute("PRAGMA user_version") as cur:
        assert (await cur.fetchone())[0] == latest_version()
    await conn.close()


async def test_a_newer_database_is_refused_with_advice(tmp_path: Path) -> None:
    conn = await open_database(tmp_path / "new.db")
    await conn.execute("PRAGMA user_version = 9999")
    with pytest.raises(MigrationError, match="newer than this Haven"):
        await apply_migrations(conn)
    await conn.close()


async def test_guild_settings_defaults_updates_and_extra(tmp_path: Path) -> None:
    conn = await open_database(":memory:")
    await apply_migrations(conn)
    repo = GuildSettingsRepository(conn)
    empty = await repo.get(1)
    assert empty.alert_channel_id is None and empty.monitors(5)
    assert len(empty.missing()) == 4

    await repo.update(1, alert_channel_id=10, moderator_role_id=20, monitored_channel_ids=[7, 3])
    stored = await repo.update(1, country="DE")
    assert (stored.alert_channel_id, stored.moderator_role_id, stored.country) == (10, 20, "DE")
    assert stored.monitored_channel_ids == (3, 7)
    assert stored.monitors(3) and not stored.monitors(5) and stored.monitors(99, parent_id=7)

    stored = await repo.set_extra(1, "reping_minutes", 9)
    assert stored.extra == {"reping_minutes": 9} and stored.country == "DE"
    assert (await repo.set_extra(1, "reping_minutes", None)).extra == {}
    with pytest.raises(ValueError, match="unknown guild setting"):
        await repo.update(1, owner="me")
    assert (await repo.get(2)).country is None  # other guilds untouched
    await conn.close()


async def test_pending_notices_are_unique_and_taken_once() -> None:
    conn = await open_database(":memory:")
    await apply_migrations(conn)
    notices = PendingNotices(conn)
    await notices.add(5, "crisis_resources", 1)
    await notices.add(5, "crisis_resources", 1)
    await notices.add(5, "checkin_dm_closed")
    await notices.add(6, "crisis_resources")
    assert await notices.take(5) == [("crisis_resources", 1), ("checkin_dm_closed", None)]
    assert await notices.take(5) == []
    assert await notices.peek(6) == ["crisis_resources"]
    await conn.close()
