"""Anonymous vents (bot/venting). The vents table holds no author id in the clear, so a
person's vents are found by decrypting each ``author_enc`` in memory (bound to its
guild) and comparing; nothing decrypted is stored or logged.

``VentRepository`` has no export/delete, so the SQL is here. Choices:
- a held or unposted vent is always deleted (it is not public; its text is the person's);
- a posted vent is deleted with its public post (the cog deletes the message), or, if
  the person prefers, kept with its author token and pseudonym overwritten, which cuts
  the link for good;
- the identity epoch (``vent_identities``) goes; a block moderators placed
  (``vent_bans``: a keyed hash, not the id) stays, so deleting data cannot lift it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiosqlite

from bot.keys import AUTHOR_ENCRYPTION, VENT_BODY_ENCRYPTION, DecryptionError, KeyRing
from bot.privacy._sql import execute, marks, rows, table_exists
from bot.privacy.registry import MessageRef
from bot.venting.pseudonyms import poster_key

log = logging.getLogger(__name__)

UNLINKED_AUTHOR = "unlinked"  # not a ciphertext: decrypts to no one
UNLINKED_PSEUDONYM = "anonymous"


def jump_url(guild_id: int, channel_id: int | None, message_id: int | None) -> str | None:
    if channel_id is None or message_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class VentsProvider:
    kind = "vents"
    label = "anonymous vents you posted"

    def __init__(self, db: aiosqlite.Connection, keys: KeyRing) -> None:
        self._db = db
        self._keys = keys

    async def _owned(self, user_id: int) -> list[dict[str, Any]]:
        if not await table_exists(self._db, "vents"):
            return []
        found = await rows(self._db, "SELECT * FROM vents ORDER BY id")
        return [row for row in found if self._is_author(row, user_id)]

    def _is_author(self, row: dict[str, Any], user_id: int) -> bool:
        token = row["author_enc"]
        if not token or token == UNLINKED_AUTHOR:
            return False
        try:
            author = self._keys.decrypt_int(
                AUTHOR_ENCRYPTION, token, context=f"guild:{row['guild_id']}"
            )
        except (DecryptionError, ValueError):
            return False
        return author == user_id

    async def vent_ids(self, user_id: int) -> list[int]:
        return [row["id"] for row in await self._owned(user_id)]

    async def count(self, user_id: int) -> int:
        return len(await self._owned(user_id))

    async def export(self, user_id: int) -> list[dict[str, Any]]:
        out = []
        for row in await self._owned(user_id):
            text = topic = None
            if row["body_enc"]:
                try:
                    body = json.loads(
                        self._keys.decrypt(
                            VENT_BODY_ENCRYPTION,
                            row["body_enc"],
                            context=f"guild:{row['guild_id']}",
                        )
                    )
                    text, topic = body.get("text"), body.get("topic")
                except (DecryptionError, ValueError):
                    log.warning("vent %s: kept text does not decrypt", row["id"])
            out.append(
                {
                    "id": row["id"],
                    "guild_id": str(row["guild_id"]),
                    "pseudonym": row["pseudonym"],
                    "state": row["state"],
                    "created_at": row["created_at"],
                    "content_warning": bool(row["content_warning"]),
                    "link": jump_url(row["guild_id"], row["channel_id"], row["message_id"]),
                    "text_waiting_for_approval": text,
                    "topic": topic,
                }
            )
        return out

    async def discord_messages(self, user_id: int) -> list[MessageRef]:
        return [
            MessageRef(row["channel_id"], row["message_id"], row["thread_id"])
            for row in await self._owned(user_id)
            if row["state"] == "posted" and row["channel_id"] and row["message_id"]
        ]

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        owned = await self._owned(user_id)
        keep = [r["id"] for r in owned if keep_vents_unlinked and r["state"] == "posted"]
        drop = [r["id"] for r in owned if r["id"] not in keep]
        touched = 0
        if keep:
            touched += await execute(
                self._db,
                f"UPDATE vents SET author_enc = ?, pseudonym = ?, body_enc = NULL "
                f"WHERE id IN ({marks(keep)})",
                (UNLINKED_AUTHOR, UNLINKED_PSEUDONYM, *keep),
            )
            # A pending unmask would otherwise try to decrypt the overwritten token.
            await execute(
                self._db,
                f"DELETE FROM vent_unmask_requests WHERE vent_id IN ({marks(keep)})",
                tuple(keep),
            )
        if drop:
            touched += await execute(
                self._db, f"DELETE FROM vents WHERE id IN ({marks(drop)})", tuple(drop)
            )
        touched += await self._forget_identities(user_id)
        await self._db.commit()
        return touched

    async def _forget_identities(self, user_id: int) -> int:
        if not await table_exists(self._db, "vent_identities"):
            return 0
        guilds = await rows(self._db, "SELECT DISTINCT guild_id FROM vent_identities")
        removed = 0
        for g in guilds:
            key = poster_key(self._keys, g["guild_id"], user_id)
            removed += await execute(
                self._db,
                "DELETE FROM vent_identities WHERE guild_id = ? AND poster_key = ?",
                (g["guild_id"], key),
            )
        return removed
