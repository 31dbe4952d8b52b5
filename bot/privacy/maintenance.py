"""Background upkeep: scheduler heartbeat, the daily retention run, guild purges.

The cog registers ``heartbeat`` (every minute) and ``maybe_run_daily`` (hourly) on the
bot's scheduler. The daily run is keyed on its last recorded run, so restarts neither
skip it nor run it twice in a day.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.privacy.guilds import GuildDepartures, purge_guild
from bot.privacy.retention import RetentionPolicy, enforce

log = logging.getLogger(__name__)

HEARTBEAT = "scheduler"
DAILY = "retention"
DAILY_EVERY_SECONDS = 24 * 3600 - 600  # a little under a day: hourly checks never drift late


class JobRuns:
    """Sole writer of ``job_runs``."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def record(self, name: str, at: int, detail: dict[str, Any] | None = None) -> None:
        await self._db.execute(
            "INSERT INTO job_runs (name, last_run_at, detail) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at, "
            "detail = excluded.detail",
            (name, at, json.dumps(detail or {}, sort_keys=True)),
        )
        await self._db.commit()

    async def last(self, name: str) -> tuple[int, dict[str, Any]] | None:
        async with self._db.execute(
            "SELECT last_run_at, detail FROM job_runs WHERE name = ?", (name,)
        ) as cur:
            row = await cur.fetchone()
        return (int(row[0]), json.loads(row[1])) if row else None


@dataclass(frozen=True)
class DailyReport:
    retention: dict[str, int]
    purged_guilds: dict[int, dict[str, int]]


@dataclass
class Maintenance:
    db: aiosqlite.Connection
    policy: RetentionPolicy = field(default_factory=RetentionPolicy)
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.jobs = JobRuns(self.db)
        self.departures = GuildDepartures(self.db)

    def now(self) -> int:
        return int(self.clock())

    async def heartbeat(self) -> None:
        await self.jobs.record(HEARTBEAT, self.now())

    async def guild_left(self, guild_id: int) -> None:
        await self.departures.left(guild_id, self.now())
        log.info(
            "removed from guild %s: its data is purged in %d days unless I am added back",
            guild_id,
            self.policy.guild_grace_days,
        )

    async def guild_present(self, guild_id: int) -> bool:
        cancelled = await self.departures.returned(guild_id)
        if cancelled:
            log.info("back in guild %s: its scheduled purge is cancelled", guild_id)
        return cancelled

    async def maybe_run_daily(self) -> DailyReport | None:
        last = await self.jobs.last(DAILY)
        if last is not None and self.now() - last[0] < DAILY_EVERY_SECONDS:
            return None
        return await self.run_daily()

    async def run_daily(self) -> DailyReport:
        now = self.now()
        counts = await enforce(self.db, self.policy, datetime.fromtimestamp(now, UTC))
        purged: dict[int, dict[str, int]] = {}
        for guild_id in await self.departures.due(now, self.policy.guild_grace_days):
            purged[guild_id] = await purge_guild(self.db, guild_id)
        detail: dict[str, Any] = {k: v for k, v in counts.items() if v}
        detail["guilds_purged"] = len(purged)
        await self.jobs.record(DAILY, now, detail)
        async with self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)"):
            pass
        log.info(
            "retention run: %s",
            ", ".join(f"{k}={v}" for k, v in sorted(detail.items())),
        )
        return DailyReport(counts, purged)
