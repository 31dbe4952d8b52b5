"""Crisis escalations about a member, concern reports and the harassment log
(bot/escalation). ``EscalationRepository`` has no export/delete, so the SQL is here.

Export is a summary (dates, severity, category, state, source): never the excerpt of
what was written, never moderators' notes, never who reported. Delete removes the
escalations about the person (their audit, deliveries and false-alarm rows cascade),
escalations raised from their vents, reports they filed or that named them, and
harassment entries about their messages. Moderator alerts already posted in Discord
stay with the moderators.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite

from bot.privacy._sql import execute, iso, marks, rows, scalar, table_exists

VentIds = Callable[[int], Awaitable[list[int]]]
SEVERITY_WORDS = {1: "concern", 2: "urgent", 3: "imminent risk"}


class EscalationsProvider:
    kind = "escalations"
    label = "crisis escalations about you (summary)"

    def __init__(self, db: aiosqlite.Connection, vent_ids: VentIds | None = None) -> None:
        self._db = db
        self._vent_ids = vent_ids

    async def _where(self, user_id: int) -> tuple[str, tuple[Any, ...]]:
        refs = [str(v) for v in (await self._vent_ids(user_id) if self._vent_ids else [])]
        if refs:
            return (
                f"(user_id = ? OR (source = 'vent' AND user_id IS NULL "
                f"AND source_ref IN ({marks(refs)})))",
                (user_id, *refs),
            )
        return "user_id = ?", (user_id,)

    async def count(self, user_id: int) -> int:
        if not await table_exists(self._db, "escalations"):
            return 0
        where, params = await self._where(user_id)
        return await scalar(self._db, f"SELECT COUNT(*) FROM escalations WHERE {where}", params)

    async def export(self, user_id: int) -> list[dict[str, Any]]:
        if not await table_exists(self._db, "escalations"):
            return []
        where, params = await self._where(user_id)
        found = await rows(
            self._db,
            "SELECT id, guild_id, source, category, severity, state, message_count, "
            f"created_at, last_seen_at, acknowledged_at, closed_at FROM escalations "
            f"WHERE {where} ORDER BY id",
            params,
        )
        return [
            {
                "id": r["id"],
                "guild_id": str(r["guild_id"]),
                "source": r["source"],
                "category": r["category"],
                "severity": r["severity"],
                "severity_word": SEVERITY_WORDS.get(r["severity"], str(r["severity"])),
                "state": r["state"],
                "messages": r["message_count"],
                "opened_utc": iso(r["created_at"]),
                "last_seen_utc": iso(r["last_seen_at"]),
                "first_response_utc": iso(r["acknowledged_at"]),
                "closed_utc": iso(r["closed_at"]),
            }
            for r in found
        ]

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        if not await table_exists(self._db, "escalations"):
            return 0
        where, params = await self._where(user_id)
        n = await execute(self._db, f"DELETE FROM escalations WHERE {where}", params)
        await self._db.commit()
        return n


class ConcernReportsProvider:
    kind = "concern_reports"
    label = "'Report concern' uses by you or about you (dates only)"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def count(self, user_id: int) -> int:
        if not await table_exists(self._db, "concern_reports"):
            return 0
        return await scalar(
            self._db,
            "SELECT COUNT(*) FROM concern_reports WHERE reporter_id = ? OR target_id = ?",
            (user_id, user_id),
        )

    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        if not await table_exists(self._db, "concern_reports"):
            return {"filed_by_you": [], "about_you": []}
        filed = await rows(
            self._db,
            "SELECT guild_id, at FROM concern_reports WHERE reporter_id = ? ORDER BY id",
            (user_id,),
        )
        about = await rows(
            self._db,
            "SELECT guild_id, at FROM concern_reports WHERE target_id = ? ORDER BY id",
            (user_id,),
        )

        def shape(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{"guild_id": str(r["guild_id"]), "at_utc": iso(r["at"])} for r in found]

        return {"filed_by_you": shape(filed), "about_you": shape(about)}

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        if not await table_exists(self._db, "concern_reports"):
            return 0
        n = await execute(
            self._db,
            "DELETE FROM concern_reports WHERE reporter_id = ? OR target_id = ?",
            (user_id, user_id),
        )
        # Escalations they reported about someone else stay (they are that person's);
        # only the reporter link goes.
        n += await execute(
            self._db, "UPDATE escalations SET reporter_id = NULL WHERE reporter_id = ?", (user_id,)
        )
        await self._db.commit()
        return n


class HarassmentLogProvider:
    kind = "harassment_log"
    label = "messages of yours flagged as harassment (ids and reasons only)"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def count(self, user_id: int) -> int:
        if not await table_exists(self._db, "harassment_log"):
            return 0
        return await scalar(
            self._db, "SELECT COUNT(*) FROM harassment_log WHERE author_id = ?", (user_id,)
        )

    async def export(self, user_id: int) -> list[dict[str, Any]]:
        if not await table_exists(self._db, "harassment_log"):
            return []
        found = await rows(
            self._db,
            "SELECT guild_id, severity, reasons, at FROM harassment_log WHERE author_id = ? "
            "ORDER BY id",
            (user_id,),
        )
        return [
            {
                "guild_id": str(r["guild_id"]),
                "severity": r["severity"],
                "reasons": r["reasons"],
                "at_utc": iso(r["at"]),
            }
            for r in found
        ]

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        if not await table_exists(self._db, "harassment_log"):
            return 0
        n = await execute(self._db, "DELETE FROM harassment_log WHERE author_id = ?", (user_id,))
        await self._db.commit()
        return n
