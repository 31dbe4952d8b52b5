"""SQL for the tips feature; sole writer of saved_tips, server_tips and daily_tip_*."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.tips.models import Source, Tip, TipContent
from bot.tips.schedule import iso

SERVER_PREFIX = "server-"


def server_tip_id(row_id: int) -> str:
    return f"{SERVER_PREFIX}{row_id}"


def server_row_id(tip_id: str) -> int | None:
    if not tip_id.startswith(SERVER_PREFIX):
        return None
    number = tip_id.removeprefix(SERVER_PREFIX)
    return int(number) if number.isdigit() else None


class SavedTipsRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def save(self, user_id: int, tip_id: str) -> bool:
        """True if newly saved, False if it already was."""
        cur = await self._db.execute(
            "INSERT INTO saved_tips (user_id, tip_id) VALUES (?, ?) "
            "ON CONFLICT (user_id, tip_id) DO NOTHING",
            (user_id, tip_id),
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def unsave(self, user_id: int, tip_id: str) -> bool:
        cur = await self._db.execute(
            "DELETE FROM saved_tips WHERE user_id = ? AND tip_id = ?", (user_id, tip_id)
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def tip_ids(self, user_id: int) -> list[str]:
        async with self._db.execute(
            "SELECT tip_id FROM saved_tips WHERE user_id = ? ORDER BY saved_at, rowid",
            (user_id,),
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def count(self, user_id: int) -> int:
        async with self._db.execute(
            "SELECT COUNT(*) FROM saved_tips WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def forget_tip(self, tip_id: str) -> None:
        """A server tip was removed: drop it from everyone's saved list."""
        await self._db.execute("DELETE FROM saved_tips WHERE tip_id = ?", (tip_id,))
        await self._db.commit()

    async def delete_user(self, user_id: int) -> int:
        """Data rights: erase a person's saved tips; returns how many rows went."""
        cur = await self._db.execute("DELETE FROM saved_tips WHERE user_id = ?", (user_id,))
        await self._db.commit()
        return cur.rowcount


def _row_to_tip(row: aiosqlite.Row) -> Tip:
    source = (
        Source(name=row["source_name"] or "Shared by this server", url=row["source_url"])
        if row["source_url"]
        else None
    )
    return Tip(
        id=server_tip_id(row["id"]),
        category=row["category"],
        title=row["title"],
        body=row["body"],
        steps=tuple(json.loads(row["steps"])),
        tags=tuple(json.loads(row["tags"])),
        duration_minutes=row["duration_minutes"],
        source=source,
        origin="server",
        guild_id=row["guild_id"],
    )


def _tip_columns(category: str, content: TipContent, source: Source | None) -> tuple[object, ...]:
    """category, title, body, steps, tags, duration_minutes, source_name, source_url."""
    return (
        category,
        content.title,
        content.body,
        json.dumps(list(content.steps)),
        json.dumps(list(content.tags)),
        content.duration_minutes,
        source.name if source else None,
        str(source.url) if source else None,
    )


class ServerTipsRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def add(
        self,
        guild_id: int,
        category: str,
        content: TipContent,
        source: Source | None,
        author_id: int | None,
    ) -> Tip:
        cur = await self._db.execute(
            "INSERT INTO server_tips (guild_id, category, title, body, steps, tags, "
            "duration_minutes, source_name, source_url, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, *_tip_columns(category, content, source), author_id),
        )
        await self._db.commit()
        assert cur.lastrowid is not None
        tip = await self.get(guild_id, server_tip_id(cur.lastrowid))
        assert tip is not None
        return tip

    async def update(
        self, guild_id: int, tip_id: str, category: str, content: TipContent, source: Source | None
    ) -> Tip | None:
        row_id = server_row_id(tip_id)
        if row_id is None:
            return None
        cur = await self._db.execute(
            "UPDATE server_tips SET category = ?, title = ?, body = ?, steps = ?, tags = ?, "
            "duration_minutes = ?, source_name = ?, source_url = ?, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
            "WHERE id = ? AND guild_id = ?",
            (*_tip_columns(category, content, source), row_id, guild_id),
        )
        await self._db.commit()
        if cur.rowcount != 1:
            return None
        return await self.get(guild_id, tip_id)

    async def delete(self, guild_id: int, tip_id: str) -> bool:
        row_id = server_row_id(tip_id)
        if row_id is None:
            return False
        cur = await self._db.execute(
            "DELETE FROM server_tips WHERE id = ? AND guild_id = ?", (row_id, guild_id)
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def get(self, guild_id: int | None, tip_id: str) -> Tip | None:
        """By id; ``guild_id=None`` finds it in any guild (for a member's saved list)."""
        row_id = server_row_id(tip_id)
        if row_id is None:
            return None
        sql = "SELECT * FROM server_tips WHERE id = ?"
        params: tuple[int, ...] = (row_id,)
        if guild_id is not None:
            sql += " AND guild_id = ?"
            params = (row_id, guild_id)
        async with self._db.execute(sql, params) as cur:
            row = await cur.fetchone()
        return _row_to_tip(row) if row else None

    async def for_guild(self, guild_id: int) -> list[Tip]:
        async with self._db.execute(
            "SELECT * FROM server_tips WHERE guild_id = ? ORDER BY id", (guild_id,)
        ) as cur:
            return [_row_to_tip(row) for row in await cur.fetchall()]

    async def title_taken(self, guild_id: int, title: str, except_id: str | None = None) -> bool:
        skip = server_row_id(except_id) if except_id else None
        async with self._db.execute(
            "SELECT 1 FROM server_tips WHERE guild_id = ? AND title = ? COLLATE NOCASE "
            "AND id IS NOT ?",
            (guild_id, title, skip),
        ) as cur:
            return await cur.fetchone() is not None


@dataclass(frozen=True)
class DailySettings:
    guild_id: int
    channel_id: int
    local_time: str  # 'HH:MM'
    timezone: str  # IANA
    next_run_utc: str


class DailyTipRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def configure(
        self, guild_id: int, channel_id: int, local_time: str, timezone: str, next_run: datetime
    ) -> DailySettings:
        await self._db.execute(
            "INSERT INTO daily_tip_settings (guild_id, channel_id, local_time, timezone, "
            "next_run_utc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
            "channel_id = excluded.channel_id, local_time = excluded.local_time, "
            "timezone = excluded.timezone, next_run_utc = excluded.next_run_utc, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            (guild_id, channel_id, local_time, timezone, iso(next_run)),
        )
        await self._db.commit()
        settings = await self.get(guild_id)
        assert settings is not None
        return settings

    async def disable(self, guild_id: int) -> bool:
        cur = await self._db.execute(
            "DELETE FROM daily_tip_settings WHERE guild_id = ?", (guild_id,)
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def get(self, guild_id: int) -> DailySettings | None:
        async with self._db.execute(
            "SELECT guild_id, channel_id, local_time, timezone, next_run_utc "
            "FROM daily_tip_settings WHERE guild_id = ?",
            (guild_id,),
        ) as cur:
            row = await cur.fetchone()
        return DailySettings(*row) if row else None

    async def due(self, now: datetime, limit: int = 200) -> list[DailySettings]:
        async with self._db.execute(
            "SELECT guild_id, channel_id, local_time, timezone, next_run_utc "
            "FROM daily_tip_settings WHERE next_run_utc <= ? ORDER BY next_run_utc LIMIT ?",
            (iso(now), limit),
        ) as cur:
            return [DailySettings(*row) for row in await cur.fetchall()]

    async def claim(self, guild_id: int, expected: str, next_run: datetime) -> bool:
        """Move the row's next run on, only if nobody else did (safe with several workers)."""
        cur = await self._db.execute(
            "UPDATE daily_tip_settings SET next_run_utc = ? "
            "WHERE guild_id = ? AND next_run_utc = ?",
            (iso(next_run), guild_id, expected),
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def record(self, guild_id: int, day: date, tip_id: str) -> bool:
        """Remember the day's tip; False if that day already has one."""
        cur = await self._db.execute(
            "INSERT INTO daily_tip_history (guild_id, day, tip_id) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, day) DO NOTHING",
            (guild_id, day.isoformat(), tip_id),
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def recent(self, guild_id: int, since: date) -> list[str]:
        """Tip ids posted on or after ``since``, most recent first."""
        async with self._db.execute(
            "SELECT tip_id FROM daily_tip_history WHERE guild_id = ? AND day >= ? "
            "ORDER BY day DESC",
            (guild_id, since.isoformat()),
        ) as cur:
            return [row[0] for row in await cur.fetchall()]
