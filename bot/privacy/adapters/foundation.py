"""Foundation data: pending notices (bot/notices.py) and the member's own country
(member_country, written by bot/safety/helplines.py).

``PendingNotices`` has no per-user count/delete-all, and ``HelplineService`` only
clears the country through ``set_member_country(user, None)``; the SQL for the
notices lives here.
"""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.privacy._sql import execute, rows, scalar, table_exists


class PendingNoticesProvider:
    kind = "pending_notices"
    label = "messages waiting to be shown to you"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def count(self, user_id: int) -> int:
        return await scalar(
            self._db, "SELECT COUNT(*) FROM pending_notices WHERE user_id = ?", (user_id,)
        )

    async def export(self, user_id: int) -> list[dict[str, Any]]:
        found = await rows(
            self._db,
            "SELECT kind, guild_id, created_at FROM pending_notices WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [{**r, "guild_id": _str(r["guild_id"])} for r in found]

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        n = await execute(self._db, "DELETE FROM pending_notices WHERE user_id = ?", (user_id,))
        await self._db.commit()
        return n


class MemberCountryProvider:
    kind = "member_country"
    label = "your country for helplines"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def count(self, user_id: int) -> int:
        if not await table_exists(self._db, "member_country"):
            return 0
        return await scalar(
            self._db, "SELECT COUNT(*) FROM member_country WHERE user_id = ?", (user_id,)
        )

    async def export(self, user_id: int) -> str | None:
        if not await table_exists(self._db, "member_country"):
            return None
        found = await rows(
            self._db, "SELECT country FROM member_country WHERE user_id = ?", (user_id,)
        )
        return found[0]["country"] if found else None

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        if not await table_exists(self._db, "member_country"):
            return 0
        n = await execute(self._db, "DELETE FROM member_country WHERE user_id = ?", (user_id,))
        await self._db.commit()
        return n


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)
