"""Check-ins: schedule, prompts and the mood log (bot/checkins).

Reads through ``CheckinRepository`` (``get_schedule``, ``entries_since``) and finishes
with its ``delete_user``; it has no per-table counts, prompt listing or per-table
deletes (needed to report what was removed), so that SQL is here. Register the mood
log, then prompts, then the schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.checkins.repository import CheckinRepository
from bot.privacy._sql import execute, iso, rows, scalar

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CheckinScheduleProvider:
    kind = "checkin_schedule"
    label = "check-in schedule and preferences"

    def __init__(self, db: aiosqlite.Connection, repo: CheckinRepository | None = None) -> None:
        self._db = db
        self._repo = repo or CheckinRepository(db)

    async def count(self, user_id: int) -> int:
        return await scalar(
            self._db, "SELECT COUNT(*) FROM checkin_schedules WHERE user_id = ?", (user_id,)
        )

    async def export(self, user_id: int) -> dict[str, Any] | None:
        row = await self._repo.get_schedule(user_id)
        if row is None:
            return None
        return {
            "guild_id": _s(row.guild_id),
            "local_time": row.local_time.isoformat(timespec="minutes") if row.local_time else None,
            "timezone": row.tz,
            "days_mask": row.days_mask,
            "status": row.status,
            "resume_on": row.resume_on.isoformat() if row.resume_on else None,
            "skip_date": row.skip_date.isoformat() if row.skip_date else None,
            "next_run_utc": _dt(row.next_run_utc),
            "share_with_moderators_in_guild": _s(row.share_guild_id),
            "last_care_message_utc": _dt(row.last_care_utc),
        }

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        # Registered last of the three: its own rows, then the repository's own sweep
        # (delete_user), which also covers any table check-ins add later.
        n = await execute(self._db, "DELETE FROM checkin_schedules WHERE user_id = ?", (user_id,))
        await self._db.commit()
        await self._repo.delete_user(user_id)
        return n


class CheckinPromptsProvider:
    kind = "checkin_prompts"
    label = "check-in messages sent to you"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def count(self, user_id: int) -> int:
        return await scalar(
            self._db, "SELECT COUNT(*) FROM checkin_prompts WHERE user_id = ?", (user_id,)
        )

    async def export(self, user_id: int) -> list[dict[str, Any]]:
        found = await rows(
            self._db,
            "SELECT local_date, status, sent_utc, answered_utc FROM checkin_prompts "
            "WHERE user_id = ? ORDER BY local_date",
            (user_id,),
        )
        return [
            {
                "local_date": r["local_date"],
                "status": r["status"],
                "sent_utc": iso(r["sent_utc"]),
                "answered_utc": iso(r["answered_utc"]),
            }
            for r in found
        ]

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        n = await execute(self._db, "DELETE FROM checkin_prompts WHERE user_id = ?", (user_id,))
        await self._db.commit()
        return n


class MoodLogProvider:
    kind = "mood_entries"
    label = "mood log entries (with notes and tags)"

    def __init__(self, db: aiosqlite.Connection, repo: CheckinRepository | None = None) -> None:
        self._db = db
        self._repo = repo or CheckinRepository(db)

    async def count(self, user_id: int) -> int:
        return await scalar(
            self._db, "SELECT COUNT(*) FROM mood_entries WHERE user_id = ?", (user_id,)
        )

    async def export(self, user_id: int) -> list[dict[str, Any]]:
        entries = await self._repo.entries_since(user_id, _EPOCH)
        return [
            {
                "mood": e.mood,
                "tags": list(e.tags),
                "note": e.note,
                "local_date": e.local_date.isoformat(),
                "logged_utc": _dt(e.created_utc),
                "source": e.source,
            }
            for e in entries
        ]

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        n = await execute(self._db, "DELETE FROM mood_entries WHERE user_id = ?", (user_id,))
        await self._db.commit()
        return n


def _s(value: int | None) -> str | None:
    return None if value is None else str(value)


def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
