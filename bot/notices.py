"""Notices owed to a person whose DM failed; shown the next time they use any Haven command."""

from __future__ import annotations

import aiosqlite


class PendingNotices:
    """Sole writer of ``pending_notices``. One notice per (user, kind)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def add(self, user_id: int, kind: str, guild_id: int | None = None) -> None:
        await self._db.execute(
            "INSERT INTO pending_notices (user_id, kind, guild_id) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id, kind) DO NOTHING",
            (user_id, kind, guild_id),
        )
        await self._db.commit()

    async def peek(self, user_id: int) -> list[str]:
        async with self._db.execute(
            "SELECT kind FROM pending_notices WHERE user_id = ? ORDER BY id", (user_id,)
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def take(self, user_id: int) -> list[tuple[str, int | None]]:
        """Return and delete this person's notices (kind, guild_id), oldest first."""
        async with self._db.execute(
            "DELETE FROM pending_notices WHERE user_id = ? RETURNING kind, guild_id, id", (user_id,)
        ) as cur:
            rows = sorted(await cur.fetchall(), key=lambda r: r[2])
        await self._db.commit()
        return [(row[0], row[1]) for row in rows]

    async def discard(self, user_id: int, kind: str) -> None:
        await self._db.execute(
            "DELETE FROM pending_notices WHERE user_id = ? AND kind = ?", (user_id, kind)
        )
        await self._db.commit()
