"""Mood notes and escalation excerpts are sealed at rest and read back in the clear."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.checkins.repository import CheckinRepository
from bot.db import apply_migrations, open_database
from bot.keys import KeyRing
from bot.privacy import sealing
from bot.privacy._sql import rows

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ME, OTHER = 345_678_901_234_567_891, 456_789_012_345_678_912


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    conn = await open_database(tmp_path / "haven.db")
    await apply_migrations(conn)
    sealing.install(conn, KeyRing(secrets.token_bytes(32)))
    yield conn
    await conn.close()


async def _entry(repo: CheckinRepository, user_id: int, note: str) -> int:
    entry = await repo.record_entry(
        user_id=user_id, mood=3, day=date(2026, 11, 20), now=NOW, prompt_id=None, source="now"
    )
    await repo.set_entry_note(entry, user_id, note)
    return entry


async def test_notes_are_sealed_on_disk_and_clear_through_the_repository(
    db: aiosqlite.Connection,
) -> None:
    repo = CheckinRepository(db)
    entry = await _entry(repo, ME, "a private note")
    stored = await rows(db, "SELECT note FROM mood_entries WHERE id = ?", (entry,))
    assert sealing.is_sealed(stored[0]["note"])
    assert "private" not in stored[0]["note"]
    got = await repo.get_entry(entry)
    assert got is not None and got.note == "a private note"
    assert [e.note for e in await repo.entries_since(ME, datetime(2000, 1, 1, tzinfo=UTC))] == [
        "a private note"
    ]


async def test_a_note_moved_to_someone_elses_row_does_not_open(db: aiosqlite.Connection) -> None:
    repo = CheckinRepository(db)
    mine = await _entry(repo, ME, "mine only")
    theirs = await _entry(repo, OTHER, "theirs")
    await db.execute(
        "UPDATE mood_entries SET note = (SELECT note FROM mood_entries WHERE id = ?) WHERE id = ?",
        (mine, theirs),
    )
    await db.commit()
    got = await repo.get_entry(theirs)
    assert got is not None and got.note is None


async def test_plain_text_from_before_encryption_still_reads(db: aiosqlite.Connection) -> None:
    repo = CheckinRepository(db)
    entry = await repo.record_entry(
        user_id=ME, mood=3, day=date(2026, 11, 20), now=NOW, prompt_id=None, source="now"
    )
    await db.execute("UPDATE mood_entries SET note = 'old plain note' WHERE id = ?", (entry,))
    await db.commit()
    got = await repo.get_entry(entry)
    assert got is not None and got.note == "old plain note"


def test_without_a_key_ring_values_pass_through() -> None:
    class Conn:  # never installed: seal is the identity
        pass

    conn = Conn()
    assert sealing.seal(conn, sealing.NOTE, "x", "user:1") == "x"  # type: ignore[arg-type]
    assert sealing.unseal(conn, sealing.NOTE, "x", "user:1") == "x"  # type: ignore[arg-type]
