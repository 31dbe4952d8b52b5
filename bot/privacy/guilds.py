"""Guild departure: remember when the bot was removed, purge after a grace period.

The purge deletes every row of every table with a ``guild_id`` column (so tables that
features add later are covered too), except:
- ``checkin_schedules``: a person's check-ins are theirs, not the server's; only the
  link to the server (``guild_id``, ``share_guild_id``) is cleared;
- saved tips that pointed at the server's own tips are deleted with those tips.
"""

from __future__ import annotations

import logging

import aiosqlite

from bot.moderation import ModerationRepository
from bot.privacy._sql import execute, marks, rows, table_exists

log = logging.getLogger(__name__)

_PERSONAL_LINKS = {"checkin_schedules": ("guild_id", "share_guild_id")}
_OWN = {"guild_departures"}
DAY = 86_400


class GuildDepartures:
    """Sole writer of ``guild_departures``."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def left(self, guild_id: int, now: int) -> None:
        """Record the first departure (a repeated GUILD_DELETE keeps the first date)."""
        await self._db.execute(
            "INSERT INTO guild_departures (guild_id, left_at) VALUES (?, ?) "
            "ON CONFLICT (guild_id) DO NOTHING",
            (guild_id, now),
        )
        await self._db.commit()

    async def returned(self, guild_id: int) -> bool:
        """The bot is back in the guild: cancel the purge. True if one was pending."""
        cur = await self._db.execute("DELETE FROM guild_departures WHERE guild_id = ?", (guild_id,))
        await self._db.commit()
        return cur.rowcount == 1

    async def pending(self) -> list[tuple[int, int]]:
        found = await rows(
            self._db, "SELECT guild_id, left_at FROM guild_departures ORDER BY left_at"
        )
        return [(r["guild_id"], r["left_at"]) for r in found]

    async def due(self, now: int, grace_days: int) -> list[int]:
        found = await rows(
            self._db,
            "SELECT guild_id FROM guild_departures WHERE left_at <= ? ORDER BY left_at",
            (now - grace_days * DAY,),
        )
        return [r["guild_id"] for r in found]


async def guild_tables(db: aiosqlite.Connection) -> list[str]:
    tables = await rows(
        db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    out = []
    for t in tables:
        async with db.execute(f"PRAGMA table_info({t['name']})") as cur:
            columns = {row[1] for row in await cur.fetchall()}
        if "guild_id" in columns and t["name"] not in _OWN:
            out.append(t["name"])
    return sorted(out)


async def purge_guild(db: aiosqlite.Connection, guild_id: int) -> dict[str, int]:
    """Delete the guild's data everywhere; return rows affected per table."""
    await db.execute("PRAGMA secure_delete = ON")
    counts: dict[str, int] = {}
    if await table_exists(db, "server_tips") and await table_exists(db, "saved_tips"):
        own = await rows(db, "SELECT id FROM server_tips WHERE guild_id = ?", (guild_id,))
        tip_ids = [f"server-{r['id']}" for r in own]
        if tip_ids:
            counts["saved_tips"] = await execute(
                db, f"DELETE FROM saved_tips WHERE tip_id IN ({marks(tip_ids)})", tuple(tip_ids)
            )
    if await table_exists(db, "moderation_log"):
        counts["moderation"] = await ModerationRepository(db).delete_guild(guild_id)
    for table in await guild_tables(db):
        if table in _PERSONAL_LINKS:
            n = 0
            for column in _PERSONAL_LINKS[table]:
                n += await execute(
                    db, f"UPDATE {table} SET {column} = NULL WHERE {column} = ?", (guild_id,)
                )
        else:
            n = await execute(db, f"DELETE FROM {table} WHERE guild_id = ?", (guild_id,))
        if n:
            counts[table] = counts.get(table, 0) + n
    await execute(db, "DELETE FROM guild_departures WHERE guild_id = ?", (guild_id,))
    await db.commit()
    log.info(
        "purged guild %s after its grace period: %s",
        guild_id,
        ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing stored",
    )
    return counts
