"""Storage for check-ins: schedules, claimed prompts and the mood log (sole writer).

Instants are integer epoch seconds (cheap indexed comparisons for the tick); local dates
are 'YYYY-MM-DD' text in the person's zone.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import weakref
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

import aiosqlite

from bot.checkins.schedule import Schedule, mask_to_days
from bot.privacy import sealing

_TX_LOCKS: weakref.WeakKeyDictionary[aiosqlite.Connection, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)

# Rows per multi-row INSERT (SQLite's variable limit is 32,766; 3 per row).
_CHUNK = 500


def to_epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def from_epoch(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@dataclass(frozen=True)
class ScheduleRow:
    user_id: int
    guild_id: int | None
    local_time: time | None
    tz: str
    days_mask: int
    status: str  # 'active' | 'off' | 'unreachable'
    resume_on: date | None
    skip_date: date | None
    next_run_utc: datetime | None
    share_guild_id: int | None
    last_care_utc: datetime | None

    def schedule(self) -> Schedule | None:
        if self.local_time is None:
            return None
        return Schedule(
            local_time=self.local_time,
            tz=self.tz,
            days=mask_to_days(self.days_mask),
            resume_on=self.resume_on,
            skip_date=self.skip_date,
        )


@dataclass(frozen=True)
class PromptRow:
    id: int
    user_id: int
    local_date: date
    status: str  # 'claimed' | 'sent' | 'failed' | 'answered'
    channel_id: int | None
    message_id: int | None


@dataclass(frozen=True)
class MoodEntry:
    id: int
    user_id: int
    mood: int
    tags: tuple[str, ...]
    note: str | None
    local_date: date
    created_utc: datetime
    prompt_id: int | None
    source: str


def _schedule(row: aiosqlite.Row) -> ScheduleRow:
    return ScheduleRow(
        user_id=row["user_id"],
        guild_id=row["guild_id"],
        local_time=time.fromisoformat(row["local_time"]) if row["local_time"] else None,
        tz=row["tz"],
        days_mask=row["days_mask"],
        status=row["status"],
        resume_on=_date(row["resume_on"]),
        skip_date=_date(row["skip_date"]),
        next_run_utc=from_epoch(row["next_run_utc"]),
        share_guild_id=row["share_guild_id"],
        last_care_utc=from_epoch(row["last_care_utc"]),
    )


def _prompt(row: aiosqlite.Row) -> PromptRow:
    return PromptRow(
        id=row["id"],
        user_id=row["user_id"],
        local_date=date.fromisoformat(row["local_date"]),
        status=row["status"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
    )


def _entry(row: aiosqlite.Row) -> MoodEntry:
    created = from_epoch(row["created_utc"])
    assert created is not None
    return MoodEntry(
        id=row["id"],
        user_id=row["user_id"],
        mood=row["mood"],
        tags=tuple(json.loads(row["tags"] or "[]")),
        note=row["note"],
        local_date=date.fromisoformat(row["local_date"]),
        created_utc=created,
        prompt_id=row["prompt_id"],
        source=row["source"],
    )


_SCHEDULE_COLUMNS = {
    "guild_id",
    "local_time",
    "tz",
    "days_mask",
    "status",
    "resume_on",
    "skip_date",
    "next_run_utc",
    "share_guild_id",
    "last_care_utc",
}


def _store(value: object) -> object:
    if isinstance(value, datetime):
        return to_epoch(value)
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


class CheckinRepository:
    """Sole writer of checkin_schedules, checkin_prompts and mood_entries."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One write transaction (BEGIN IMMEDIATE takes the write lock before reading due
        rows, so another process cannot claim the same rows in between)."""
        # Ticks sharing this connection take turns (one transaction per connection).
        lock = _TX_LOCKS.setdefault(self._db, asyncio.Lock())
        async with lock:
            began = False
            if not self._db.in_transaction:
                try:
                    await self._db.execute("BEGIN IMMEDIATE")
                    began = True
                except sqlite3.OperationalError:
                    # Another coroutine's statement opened one meanwhile; ours joins it.
                    began = False
            try:
                yield
            except BaseException:
                if began:
                    await self._db.rollback()
                raise
            await self._db.commit()

    # --- schedules -------------------------------------------------------------------

    async def get_schedule(self, user_id: int) -> ScheduleRow | None:
        async with self._db.execute(
            "SELECT * FROM checkin_schedules WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else _schedule(row)

    async def save_schedule(self, user_id: int, **values: object) -> ScheduleRow:
        """Insert or update some columns of a person's row (``None`` clears a value)."""
        unknown = set(values) - _SCHEDULE_COLUMNS
        if unknown:
            raise ValueError(f"unknown schedule column(s): {sorted(unknown)}")
        stored = {name: _store(value) for name, value in values.items()}
        names = ", ".join(stored)
        marks = ", ".join("?" for _ in stored)
        updates = ", ".join(f"{name} = excluded.{name}" for name in stored)
        head = f"INSERT INTO checkin_schedules (user_id{', ' if stored else ''}{names}) "
        await self._db.execute(
            head
            + f"VALUES (?{', ' if stored else ''}{marks}) ON CONFLICT (user_id) DO "
            + (
                f"UPDATE SET {updates}, updated_utc = CAST(strftime('%s', 'now') AS INTEGER)"
                if stored
                else "NOTHING"
            ),
            (user_id, *stored.values()),
        )
        await self._db.commit()
        row = await self.get_schedule(user_id)
        assert row is not None
        return row

    async def due_schedules(self, now: datetime, limit: int) -> list[ScheduleRow]:
        async with self._db.execute(
            "SELECT * FROM checkin_schedules WHERE next_run_utc <= ? AND status = 'active' "
            "ORDER BY next_run_utc LIMIT ?",
            (to_epoch(now), limit),
        ) as cur:
            return [_schedule(row) for row in await cur.fetchall()]

    async def set_next_runs(self, updates: Iterable[tuple[int, datetime | None]]) -> None:
        """(user_id, next_run) pairs; call inside ``transaction()``."""
        await self._db.executemany(
            "UPDATE checkin_schedules SET next_run_utc = ? WHERE user_id = ?",
            [(None if run is None else to_epoch(run), user_id) for user_id, run in updates],
        )

    async def count_active(self) -> int:
        async with self._db.execute(
            "SELECT COUNT(*) FROM checkin_schedules WHERE status = 'active'"
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def bulk_insert_schedules(self, rows: Sequence[tuple[object, ...]]) -> None:
        """(user_id, guild_id, 'HH:MM', tz, days_mask, next_run_epoch) rows, all active;
        for seeding benchmarks and imports."""
        await self._db.executemany(
            "INSERT INTO checkin_schedules (user_id, guild_id, local_time, tz, days_mask, "
            "next_run_utc, status) VALUES (?, ?, ?, ?, ?, ?, 'active')",
            rows,
        )
        await self._db.commit()

    # --- prompts -------------------------------------------------------------------

    async def claim_prompts(
        self, claims: Sequence[tuple[int, date]], now: datetime
    ) -> dict[tuple[int, date], int]:
        """Insert one prompt per (user, local date); return ids of the ones THIS call won.
        A claim that already exists (another tick, a restart) is silently not returned."""
        won: dict[tuple[int, date], int] = {}
        stamp = to_epoch(now)
        for start in range(0, len(claims), _CHUNK):
            chunk = claims[start : start + _CHUNK]
            marks = ", ".join("(?, ?, ?)" for _ in chunk)
            params: list[object] = []
            for user_id, day in chunk:
                params += [user_id, day.isoformat(), stamp]
            async with self._db.execute(
                "INSERT INTO checkin_prompts (user_id, local_date, claimed_utc) "
                f"VALUES {marks} ON CONFLICT (user_id, local_date) DO NOTHING "
                "RETURNING id, user_id, local_date",
                params,
            ) as cur:
                for row in await cur.fetchall():
                    won[(row["user_id"], date.fromisoformat(row["local_date"]))] = row["id"]
        return won

    async def get_prompt(self, prompt_id: int) -> PromptRow | None:
        async with self._db.execute(
            "SELECT * FROM checkin_prompts WHERE id = ?", (prompt_id,)
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else _prompt(row)

    async def prompt_for(self, user_id: int, day: date) -> PromptRow | None:
        async with self._db.execute(
            "SELECT * FROM checkin_prompts WHERE user_id = ? AND local_date = ?",
            (user_id, day.isoformat()),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else _prompt(row)

    async def mark_prompt_sent(
        self,
        prompt_id: int,
        *,
        channel_id: int | None,
        message_id: int | None,
        now: datetime,
        reminder_due: datetime | None,
    ) -> None:
        await self._db.execute(
            "UPDATE checkin_prompts SET status = 'sent', sent_utc = ?, channel_id = ?, "
            "message_id = ?, reminder_due_utc = ? WHERE id = ? AND status = 'claimed'",
            (
                to_epoch(now),
                channel_id,
                message_id,
                None if reminder_due is None else to_epoch(reminder_due),
                prompt_id,
            ),
        )
        await self._db.commit()

    async def mark_prompt_failed(self, prompt_id: int) -> None:
        await self._db.execute(
            "UPDATE checkin_prompts SET status = 'failed', reminder_due_utc = NULL "
            "WHERE id = ? AND status IN ('claimed', 'sent')",
            (prompt_id,),
        )
        await self._db.commit()

    async def claim_reminders(self, now: datetime, limit: int) -> list[PromptRow]:
        """Take due reminders (at most one per prompt: the due time is cleared as taken);
        call inside ``transaction()``."""
        stamp = to_epoch(now)
        async with self._db.execute(
            "UPDATE checkin_prompts SET reminder_due_utc = NULL, reminded_utc = ? "
            "WHERE id IN (SELECT id FROM checkin_prompts WHERE reminder_due_utc <= ? "
            "AND status = 'sent' ORDER BY reminder_due_utc LIMIT ?) RETURNING *",
            (stamp, stamp, limit),
        ) as cur:
            return [_prompt(row) for row in await cur.fetchall()]

    # --- mood log ------------------------------------------------------------------

    async def record_entry(
        self,
        *,
        user_id: int,
        mood: int,
        day: date,
        now: datetime,
        prompt_id: int | None,
        source: str,
    ) -> int:
        """Store a mood; answering the same prompt again changes its mood (one per prompt)."""
        async with self._db.execute(
            "INSERT INTO mood_entries (user_id, mood, local_date, created_utc, prompt_id, source) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (prompt_id) WHERE prompt_id IS NOT NULL DO UPDATE SET mood = excluded.mood "
            "RETURNING id",
            (user_id, mood, day.isoformat(), to_epoch(now), prompt_id, source),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        if prompt_id is not None:
            await self._db.execute(
                "UPDATE checkin_prompts SET status = 'answered', answered_utc = ?, "
                "reminder_due_utc = NULL WHERE id = ?",
                (to_epoch(now), prompt_id),
            )
        await self._db.commit()
        return int(row[0])

    def _entry(self, row: aiosqlite.Row) -> MoodEntry:
        """A mood entry with its note opened (notes are sealed at rest: bot/privacy/sealing)."""
        entry = _entry(row)
        if entry.note is None:
            return entry
        note = sealing.unseal(
            self._db, sealing.NOTE, entry.note, sealing.note_context(entry.user_id)
        )
        return replace(entry, note=note)

    async def get_entry(self, entry_id: int) -> MoodEntry | None:
        async with self._db.execute("SELECT * FROM mood_entries WHERE id = ?", (entry_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else self._entry(row)

    async def entry_for_prompt(self, prompt_id: int) -> MoodEntry | None:
        async with self._db.execute(
            "SELECT * FROM mood_entries WHERE prompt_id = ?", (prompt_id,)
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else self._entry(row)

    async def set_entry_tags(self, entry_id: int, user_id: int, tags: Sequence[str]) -> bool:
        cur = await self._db.execute(
            "UPDATE mood_entries SET tags = ? WHERE id = ? AND user_id = ?",
            (json.dumps(list(tags)), entry_id, user_id),
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def set_entry_note(self, entry_id: int, user_id: int, note: str | None) -> bool:
        sealed = sealing.seal(self._db, sealing.NOTE, note, sealing.note_context(user_id))
        cur = await self._db.execute(
            "UPDATE mood_entries SET note = ? WHERE id = ? AND user_id = ?",
            (sealed, entry_id, user_id),
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def entries_since(self, user_id: int, since: datetime) -> list[MoodEntry]:
        async with self._db.execute(
            "SELECT * FROM mood_entries WHERE user_id = ? AND created_utc >= ? "
            "ORDER BY created_utc, id",
            (user_id, to_epoch(since)),
        ) as cur:
            return [self._entry(row) for row in await cur.fetchall()]

    async def count_mood_since(self, user_id: int, mood: int, since: datetime) -> int:
        async with self._db.execute(
            "SELECT COUNT(*) FROM mood_entries WHERE user_id = ? AND mood = ? AND created_utc >= ?",
            (user_id, mood, to_epoch(since)),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def logged_dates(self, user_id: int, limit: int = 400) -> list[date]:
        """Distinct local dates with an entry, newest first (for streaks)."""
        async with self._db.execute(
            "SELECT DISTINCT local_date FROM mood_entries WHERE user_id = ? "
            "ORDER BY local_date DESC LIMIT ?",
            (user_id, limit),
        ) as cur:
            return [date.fromisoformat(row[0]) for row in await cur.fetchall()]

    async def claim_care(self, user_id: int, now: datetime, not_since: datetime) -> bool:
        """Record that care goes out now unless it already did after ``not_since``."""
        await self.save_schedule(user_id)  # make sure the row exists
        cur = await self._db.execute(
            "UPDATE checkin_schedules SET last_care_utc = ? WHERE user_id = ? "
            "AND (last_care_utc IS NULL OR last_care_utc < ?)",
            (to_epoch(now), user_id, to_epoch(not_since)),
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def delete_user(self, user_id: int) -> None:
        """Forget everything check-ins stored about a person."""
        for table in ("mood_entries", "checkin_prompts", "checkin_schedules"):
            await self._db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
        await self._db.commit()
