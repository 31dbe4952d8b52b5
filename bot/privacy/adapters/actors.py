"""Things a person did as a moderator (acknowledged an alert, decided a vent, dismissed a
log entry …). Those records are about other people and stay; only the moderator's id is
removed (set to NULL, or 0 where the column may not be NULL). SQL here because no
feature repository offers it; columns that do not exist are skipped.
"""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.privacy._sql import execute, scalar

# (table, column, what to do): "null" | "zero" | "delete_row"
ACTOR_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("escalations", "acknowledged_by", "null"),
    ("escalations", "claimed_by", "null"),
    ("escalations", "closed_by", "null"),
    ("escalation_audit", "actor_id", "null"),
    ("escalation_false_alarms", "marked_by", "null"),
    ("crisis_allowlist", "added_by", "null"),
    ("moderation_log", "moderator_id", "null"),
    ("vents", "decided_by", "null"),
    ("vent_audit", "moderator_id", "null"),
    ("vent_audit", "second_moderator_id", "null"),
    ("vent_bans", "banned_by", "zero"),
    ("vent_unmask_requests", "requested_by", "delete_row"),
)


class ModeratorActionsProvider:
    kind = "moderator_actions"
    label = "actions you took as a moderator (the records stay, your id is removed)"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def _present(self) -> list[tuple[str, str, str]]:
        present = []
        for table, column, mode in ACTOR_COLUMNS:
            async with self._db.execute(f"PRAGMA table_info({table})") as cur:
                names = {row[1] for row in await cur.fetchall()}
            if column in names:
                present.append((table, column, mode))
        return present

    async def _counts(self, user_id: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for table, column, _ in await self._present():
            n = await scalar(
                self._db, f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (user_id,)
            )
            if n:
                out[f"{table}.{column}"] = n
        return out

    async def count(self, user_id: int) -> int:
        return sum((await self._counts(user_id)).values())

    async def export(self, user_id: int) -> dict[str, Any]:
        return await self._counts(user_id)

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        n = 0
        for table, column, mode in await self._present():
            if mode == "delete_row":
                sql = f"DELETE FROM {table} WHERE {column} = ?"
            else:
                value = "NULL" if mode == "null" else "0"
                sql = f"UPDATE {table} SET {column} = {value} WHERE {column} = ?"
            n += await execute(self._db, sql, (user_id,))
        await self._db.commit()
        return n
