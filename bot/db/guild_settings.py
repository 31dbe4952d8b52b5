"""The ``guild_settings`` repository: per-guild configuration set by /setup or seeded from config."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

_COLUMNS = (
    "alert_channel_id",
    "moderator_role_id",
    "vent_channel_id",
    "monitored_channel_ids",
    "country",
)


@dataclass(frozen=True)
class GuildSettings:
    guild_id: int
    alert_channel_id: int | None = None
    moderator_role_id: int | None = None
    vent_channel_id: int | None = None
    monitored_channel_ids: tuple[int, ...] = ()  # empty = every readable text channel
    country: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def monitors(self, channel_id: int, parent_id: int | None = None) -> bool:
        """Whether a message in ``channel_id`` (or a thread under ``parent_id``) is read."""
        if not self.monitored_channel_ids:
            return True
        return channel_id in self.monitored_channel_ids or (
            parent_id is not None and parent_id in self.monitored_channel_ids
        )

    def missing(self) -> list[str]:
        """What an admin still has to set for the safety features to reach anyone."""
        gaps = []
        if self.alert_channel_id is None:
            gaps.append("a private moderator alert channel (/setup alerts)")
        if self.moderator_role_id is None:
            gaps.append("the moderator role to ping (/setup alerts)")
        if self.vent_channel_id is None:
            gaps.append("a vent channel for anonymous posts (/setup venting)")
        if self.country is None:
            gaps.append("the server's default country for helplines (/setup country)")
        return gaps


class GuildSettingsRepository:
    """Sole writer of ``guild_settings``."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def get(self, guild_id: int) -> GuildSettings:
        async with self._db.execute(
            "SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return GuildSettings(guild_id=guild_id)
        return GuildSettings(
            guild_id=guild_id,
            alert_channel_id=row["alert_channel_id"],
            moderator_role_id=row["moderator_role_id"],
            vent_channel_id=row["vent_channel_id"],
            monitored_channel_ids=tuple(json.loads(row["monitored_channel_ids"] or "[]")),
            country=row["country"],
            extra=json.loads(row["extra"] or "{}"),
        )

    async def update(self, guild_id: int, **values: Any) -> GuildSettings:
        """Set some columns (see ``GuildSettings``); ``None`` clears a value."""
        unknown = set(values) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown guild setting(s): {sorted(unknown)}")
        if "monitored_channel_ids" in values:
            values["monitored_channel_ids"] = json.dumps(
                sorted(values["monitored_channel_ids"] or [])
            )
        if values:
            names = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            updates = ", ".join(f"{name} = excluded.{name}" for name in values)
            await self._db.execute(
                f"INSERT INTO guild_settings (guild_id, {names}) VALUES (?, {marks}) "
                f"ON CONFLICT (guild_id) DO UPDATE SET {updates}, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (guild_id, *values.values()),
            )
            await self._db.commit()
        return await self.get(guild_id)

    async def set_extra(self, guild_id: int, key: str, value: Any) -> GuildSettings:
        """Store one feature setting (JSON-serialisable) under ``extra[key]``."""
        current = await self.get(guild_id)
        extra = dict(current.extra)
        if value is None:
            extra.pop(key, None)
        else:
            extra[key] = value
        await self._db.execute(
            "INSERT INTO guild_settings (guild_id, extra) VALUES (?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET extra = excluded.extra, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            (guild_id, json.dumps(extra, sort_keys=True)),
        )
        await self._db.commit()
        return await self.get(guild_id)

    async def all_guild_ids(self) -> list[int]:
        async with self._db.execute("SELECT guild_id FROM guild_settings ORDER BY guild_id") as cur:
            return [row[0] for row in await cur.fetchall()]
