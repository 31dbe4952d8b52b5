"""The services a running bot shares, built once in ``setup_hook`` (no discord imports here).

Feature services are added here as fields and built in ``build_services``; cogs reach
them as ``bot.services.<name>``. Background work starts in ``start`` and stops in
``stop`` (reverse order), which ``HavenBot.close`` calls before closing the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import aiosqlite
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.db.guild_settings import GuildSettingsRepository
from bot.notices import PendingNotices

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: aiosqlite.Connection
    guild_settings: GuildSettingsRepository
    notices: PendingNotices
    # One scheduler for the whole bot; cogs add interval jobs in their setup().
    scheduler: AsyncIOScheduler = field(
        default_factory=lambda: AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
    )
    _started: bool = False

    async def start(self) -> None:
        """Start background work (model loading, schedulers) once the bot is wired."""
        if not self.scheduler.running:
            self.scheduler.start()
        self._started = True

    async def stop(self) -> None:
        """Stop background work in reverse order of start; safe to call twice."""
        if not self._started:
            return
        self._started = False
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


async def build_services(settings: Settings, db: aiosqlite.Connection) -> Services:
    return Services(
        settings=settings,
        db=db,
        guild_settings=GuildSettingsRepository(db),
        notices=PendingNotices(db),
    )
