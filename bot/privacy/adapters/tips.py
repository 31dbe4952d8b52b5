"""Tips: saved tips (``SavedTipsRepository``) and server tips a member wrote as a
moderator (``server_tips.created_by``; no repository method, so the SQL is here: the
tip belongs to the server and stays, only the author link is removed)."""

from __future__ import annotations

import aiosqlite

from bot.privacy._sql import execute, rows, scalar
from bot.tips.repository import SavedTipsRepository


class SavedTipsProvider:
    kind = "saved_tips"
    label = "saved tips"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._repo = SavedTipsRepository(db)

    async def count(self, user_id: int) -> int:
        return await self._repo.count(user_id)

    async def export(self, user_id: int) -> list[str]:
        return await self._repo.tip_ids(user_id)

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        return await self._repo.delete_user(user_id)


class ServerTipsAuthorProvider:
    kind = "server_tips_written"
    label = "server tips you wrote (the tips stay, your name is removed)"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def count(self, user_id: int) -> int:
        return await scalar(
            self._db, "SELECT COUNT(*) FROM server_tips WHERE created_by = ?", (user_id,)
        )

    async def export(self, user_id: int) -> list[dict[str, object]]:
        found = await rows(
            self._db,
            "SELECT id, guild_id, title, created_at FROM server_tips WHERE created_by = ? "
            "ORDER BY id",
            (user_id,),
        )
        return [{**r, "guild_id": str(r["guild_id"])} for r in found]

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        n = await execute(
            self._db, "UPDATE server_tips SET created_by = NULL WHERE created_by = ?", (user_id,)
        )
        await self._db.commit()
        return n
