"""Escalation decisions: open or merge, state changes, what still has to be delivered,
who to re-ping, report limits, stats and the per-guild allow-list. No discord here."""

from __future__ import annotations

import logging
import statistics
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import aiosqlite

from bot.config import EscalationSettings
from bot.db.guild_settings import GuildSettingsRepository
from bot.escalation.models import (
    Action,
    AuditEntry,
    Category,
    Delivery,
    DeliveryStatus,
    Escalation,
    GuildEscalationConfig,
    OpenResult,
    PendingDelivery,
    RepingDue,
    ReportDecision,
    State,
    Stats,
    Step,
    Transition,
)
from bot.escalation.repository import EscalationRepository
from bot.escalation.states import InvalidTransition, next_state

log = logging.getLogger(__name__)

EXCERPT_CHARS = 300
NOTE_CHARS = 500
PHRASE_CHARS = 100
ALLOWLIST_MAX = 200
DM_RECOVERY_HOURS = 24  # after this long, a DM about an old message would do more harm than good
ALERT_RECOVERY_DAYS = 7
_EXTRA_KEY = "escalation"


class AssessmentLike(Protocol):
    """What bot.safety.crisis.assess returns (only these fields are used)."""

    @property
    def category(self) -> Any: ...  # StrEnum: self_risk | concern_for_other | harassment | none

    @property
    def severity(self) -> int: ...

    @property
    def reasons(self) -> tuple[str, ...]: ...


Assessor = Callable[..., AssessmentLike]


class Route(StrEnum):
    """What the cog does with one assessed text."""

    NONE = "none"
    SELF_RISK = "self_risk"
    CONCERN = "concern_for_other"
    HARASSMENT = "harassment"


def route(assessment: AssessmentLike) -> Route:
    category = str(assessment.category)
    if category == "self_risk" and assessment.severity >= 1:
        return Route.SELF_RISK
    if category == "concern_for_other":
        return Route.CONCERN
    if category == "harassment":
        return Route.HARASSMENT
    return Route.NONE


def make_excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def normalise_phrase(phrase: str) -> str:
    return " ".join(phrase.lower().split())[:PHRASE_CHARS]


_RECENT_ASSESSMENTS = 64


def _default_assessor() -> Assessor:
    from bot.safety.crisis import assess  # the detector is its own module (issue 3)

    return assess


@dataclass(frozen=True, slots=True)
class TextOutcome:
    """Result of escalating a non-message text (vent, check-in note)."""

    route: Route
    assessment: AssessmentLike
    result: OpenResult | None = None


class EscalationService:
    def __init__(
        self,
        db: aiosqlite.Connection,
        guild_settings: GuildSettingsRepository,
        settings: EscalationSettings,
        *,
        assessor: Assessor | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.repo = EscalationRepository(db)
        self._guild_settings = guild_settings
        self.settings = settings
        self.assessor = assessor
        self.clock = clock
        self._allow_cache: dict[int, tuple[str, ...]] = {}
        self._inflight: set[tuple[int, Step]] = set()
        # The escalation and moderation listeners both assess each monitored message;
        # the second asks within microseconds, so a few recent answers save a rule run.
        self._recent: OrderedDict[tuple[tuple[str, ...], str], AssessmentLike] = OrderedDict()

    def now(self) -> int:
        return int(self.clock())

    # ---- assessing ------------------------------------------------------------------------

    async def assess(self, guild_id: int | None, text: str) -> AssessmentLike:
        """The detector with this guild's allow-list applied."""
        if self.assessor is None:
            self.assessor = _default_assessor()
        allow = await self.allowlist(guild_id) if guild_id is not None else ()
        key = (allow, text)
        found = self._recent.get(key)
        if found is None:
            found = self._recent[key] = self.assessor(text, allow=allow)
            if len(self._recent) > _RECENT_ASSESSMENTS:
                self._recent.popitem(last=False)
        return found

    # ---- opening ----------------------------------------------------------------------------

    async def open_or_merge(
        self,
        *,
        guild_id: int,
        user_id: int | None,
        category: Category,
        severity: int,
        reasons: Sequence[str],
        excerpt: str | None,
        source: str,
        channel_id: int | None = None,
        message_id: int | None = None,
        pseudonym: str | None = None,
        source_ref: str | None = None,
        reporter_id: int | None = None,
        dm_wanted: bool = True,
        claim: bool = True,
    ) -> OpenResult:
        """Persist first: the returned escalation is committed before anything is sent.

        A message from the same person within the repeat window updates their live
        escalation (count, highest severity) instead of opening another one. With
        ``claim`` the new row's steps come back in ``claimed``: the caller must deliver
        them and then ``release_step`` each one."""
        severity = max(1, min(3, int(severity)))
        if pseudonym is not None:
            user_id = None  # never store who wrote a pseudonymous text
        now = self.now()
        window = self.settings.repeat_window_minutes * 60
        live = await self.repo.find_live(
            guild_id, user_id=user_id, pseudonym=pseudonym, category=category, since=now - window
        )
        if live is None:
            escalation_id = await self.repo.insert(
                guild_id=guild_id,
                user_id=user_id,
                pseudonym=pseudonym,
                source=source,
                source_ref=source_ref,
                category=category,
                severity=severity,
                reasons=list(reasons),
                excerpt=excerpt,
                channel_id=channel_id,
                message_id=message_id,
                reporter_id=reporter_id,
                dm_wanted=dm_wanted,
                now=now,
            )
            # Claimed before any other task can see the row: the caller delivers these
            # itself, so start-up recovery or the minute tick never send them a second time.
            claimed = frozenset({Step.ALERT, Step.DM} if dm_wanted else {Step.ALERT})
            if claim:
                self._inflight.update((escalation_id, step) for step in claimed)
            # Built in memory rather than read back: one database round trip fewer before
            # the alert goes out (each one can wait on a busy thread for the GIL).
            escalation = Escalation(
                id=escalation_id,
                guild_id=guild_id,
                channel_id=channel_id,
                message_id=message_id,
                user_id=user_id,
                pseudonym=pseudonym,
                source=source,
                source_ref=source_ref,
                category=category,
                severity=severity,
                reasons=tuple(reasons),
                excerpt=excerpt,
                reporter_id=reporter_id,
                state=State.OPEN,
                message_count=1,
                dm_wanted=dm_wanted,
                created_at=now,
                last_seen_at=now,
            )
            log.info(
                "escalation %s opened: guild %s, %s severity %s via %s",
                escalation.id,
                guild_id,
                category,
                severity,
                source,
            )
            return OpenResult(
                escalation,
                created=True,
                send_dm=dm_wanted,
                post_alert=True,
                claimed=claimed if claim else frozenset(),
            )
        merged = await self.repo.merge(
            live,
            severity=severity,
            reasons=reasons,
            excerpt=excerpt,
            want_dm=dm_wanted,
            channel_id=channel_id,
            message_id=message_id,
            now=now,
        )
        log.info(
            "escalation %s merged a repeat (count %s, severity %s→%s)",
            merged.id,
            merged.message_count,
            live.severity,
            merged.severity,
        )
        send_dm = dm_wanted and (not live.dm_wanted or (merged.severity == 3 and live.severity < 3))
        ping_now = (
            category == Category.SELF_RISK
            and live.severity < 2 <= merged.severity
            and not merged.state.terminal
        )
        return OpenResult(
            merged,
            created=False,
            previous_severity=live.severity,
            send_dm=send_dm,
            ping_now=ping_now,
        )

    async def open_from_assessment(
        self,
        assessment: AssessmentLike,
        *,
        guild_id: int,
        user_id: int | None,
        text: str,
        source: str,
        channel_id: int | None = None,
        message_id: int | None = None,
        pseudonym: str | None = None,
        source_ref: str | None = None,
    ) -> OpenResult | None:
        """Open/merge for self_risk and concern_for_other; None for anything else."""
        kind = route(assessment)
        if kind not in (Route.SELF_RISK, Route.CONCERN):
            return None
        category = Category.SELF_RISK if kind is Route.SELF_RISK else Category.CONCERN_FOR_OTHER
        return await self.open_or_merge(
            guild_id=guild_id,
            user_id=user_id,
            category=category,
            severity=max(1, assessment.severity),
            reasons=list(assessment.reasons),
            excerpt=make_excerpt(text),
            source=source,
            channel_id=channel_id,
            message_id=message_id,
            pseudonym=pseudonym,
            source_ref=source_ref,
        )

    async def open_from_text(
        self,
        guild_id: int,
        user_id: int | None,
        text: str,
        source: str,
        pseudonym: str | None = None,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
        source_ref: str | None = None,
        assessment: AssessmentLike | None = None,
    ) -> TextOutcome:
        """Assess (unless given) and persist a text that is not a channel message."""
        if assessment is None:
            assessment = await self.assess(guild_id, text)
        result = await self.open_from_assessment(
            assessment,
            guild_id=guild_id,
            user_id=user_id,
            text=text,
            source=source,
            channel_id=channel_id,
            message_id=message_id,
            pseudonym=pseudonym,
            source_ref=source_ref,
        )
        return TextOutcome(route(assessment), assessment, result)

    async def record_harassment(
        self,
        assessment: AssessmentLike,
        *,
        guild_id: int,
        author_id: int,
        channel_id: int | None,
        message_id: int | None,
    ) -> int:
        """A moderation log entry (ids and reasons only) for the toxicity action ladder."""
        return await self.repo.log_harassment(
            guild_id=guild_id,
            channel_id=channel_id,
            message_id=message_id,
            author_id=author_id,
            severity=assessment.severity,
            reasons=list(assessment.reasons),
            now=self.now(),
        )

    # ---- reading ----------------------------------------------------------------------------

    async def get(self, escalation_id: int, guild_id: int | None = None) -> Escalation | None:
        escalation = await self.repo.get(escalation_id)
        if escalation is None or (guild_id is not None and escalation.guild_id != guild_id):
            return None
        return escalation

    async def list_open(self, guild_id: int, limit: int = 25) -> list[Escalation]:
        return await self.repo.list_live(guild_id, limit)

    async def audit(self, escalation_id: int) -> list[AuditEntry]:
        return await self.repo.audit(escalation_id)

    async def deliveries(self, escalation_id: int) -> list[Delivery]:
        return await self.repo.deliveries(escalation_id)

    async def alert_messages(self, escalation_id: int) -> list[tuple[int, int]]:
        """(channel_id, message_id) of every posted alert / re-ping, to edit on state change."""
        return [
            (d.channel_id, d.message_id)
            for d in await self.repo.deliveries(escalation_id)
            if d.step in (Step.ALERT, Step.REPING, Step.BACKUP, Step.PING)
            and d.status is DeliveryStatus.SENT
            and d.channel_id is not None
            and d.message_id is not None
        ]

    # ---- state changes ------------------------------------------------------------------------

    async def act(
        self,
        escalation_id: int,
        action: Action,
        actor_id: int,
        *,
        guild_id: int,
        note: str | None = None,
    ) -> Transition:
        """Apply one moderator action; raises ``InvalidTransition`` (user-facing) if not allowed."""
        escalation = await self.get(escalation_id, guild_id)
        if escalation is None:
            raise InvalidTransition("I can't find that escalation in this server.")
        target = next_state(escalation.state, action)
        clean_note = note.strip()[:NOTE_CHARS] if note and note.strip() else None
        changed = await self.repo.transition(
            escalation, action, target, actor_id, clean_note, self.now()
        )
        if not changed:
            raise InvalidTransition(
                "Another moderator changed this escalation a moment ago; look at the alert again."
            )
        updated = await self.repo.get(escalation_id)
        assert updated is not None
        log.info("escalation %s: %s → %s", escalation_id, escalation.state, target)
        return Transition(updated, escalation.state, action)

    # ---- deliveries ----------------------------------------------------------------------------

    def claim_step(self, escalation_id: int, step: Step) -> bool:
        """In-process guard so the live path and recovery never send the same step at once."""
        key = (escalation_id, step)
        if key in self._inflight:
            return False
        self._inflight.add(key)
        return True

    def release_step(self, escalation_id: int, step: Step) -> None:
        self._inflight.discard((escalation_id, step))

    async def record_delivery(
        self,
        escalation_id: int,
        step: Step,
        status: DeliveryStatus,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        await self.repo.record_delivery(
            escalation_id,
            step,
            status,
            channel_id=channel_id,
            message_id=message_id,
            detail=detail,
            now=self.now(),
        )

    async def has_delivery(self, escalation_id: int, step: Step) -> bool:
        return any(d.step is step for d in await self.repo.deliveries(escalation_id))

    async def mark_pinged(self, escalation_id: int) -> None:
        await self.repo.set_pinged(escalation_id, self.now())

    async def pending_deliveries(self) -> list[PendingDelivery]:
        """Steps never recorded (crash between commit and send), oldest first; skips in-flight."""
        now = self.now()
        pending: list[PendingDelivery] = []
        for escalation in await self.repo.missing_dms(now - DM_RECOVERY_HOURS * 3600):
            if (escalation.id, Step.DM) not in self._inflight:
                pending.append(PendingDelivery(escalation, Step.DM))
        for escalation in await self.repo.missing_alerts(now - ALERT_RECOVERY_DAYS * 86400):
            if (escalation.id, Step.ALERT) not in self._inflight:
                pending.append(PendingDelivery(escalation, Step.ALERT))
        pending.sort(key=lambda p: (p.escalation.id, p.step != Step.DM))
        return pending

    # ---- re-pings -------------------------------------------------------------------------------

    async def guild_config(self, guild_id: int) -> GuildEscalationConfig:
        extra = (await self._guild_settings.get(guild_id)).extra.get(_EXTRA_KEY) or {}
        return GuildEscalationConfig(
            reping_minutes=int(extra.get("reping_minutes") or self.settings.reping_minutes),
            backup_channel_id=extra.get("backup_channel_id"),
            backup_role_id=extra.get("backup_role_id"),
        )

    async def set_guild_config(self, guild_id: int, **values: int | None) -> GuildEscalationConfig:
        """Update reping_minutes / backup_channel_id / backup_role_id (None clears)."""
        allowed = {"reping_minutes", "backup_channel_id", "backup_role_id"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown escalation setting(s): {sorted(unknown)}")
        minutes = values.get("reping_minutes")
        if minutes is not None and not 1 <= minutes <= 240:
            raise ValueError("reping_minutes must be between 1 and 240")
        current = dict((await self._guild_settings.get(guild_id)).extra.get(_EXTRA_KEY) or {})
        for key, value in values.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = int(value)
        await self._guild_settings.set_extra(guild_id, _EXTRA_KEY, current or None)
        return await self.guild_config(guild_id)

    async def due_repings(self) -> list[RepingDue]:
        """Unacknowledged severity 2-3 alerts whose guild's re-ping interval has passed."""
        now = self.now()
        due: list[RepingDue] = []
        configs: dict[int, GuildEscalationConfig] = {}
        for escalation in await self.repo.unacknowledged_pinging():
            config = configs.get(escalation.guild_id)
            if config is None:
                config = configs[escalation.guild_id] = await self.guild_config(escalation.guild_id)
            previous = escalation.last_pinged_at or escalation.created_at
            if now - previous < config.reping_minutes * 60:
                continue
            wants_backup = escalation.severity >= 3 and (
                config.backup_channel_id is not None or config.backup_role_id is not None
            )
            send_backup = wants_backup and not await self.has_delivery(escalation.id, Step.BACKUP)
            due.append(RepingDue(escalation, config, previous, send_backup))
        return due

    async def claim_reping(self, due: RepingDue) -> bool:
        """Claim one re-ping (so overlapping ticks or processes send it once)."""
        return await self.repo.claim_ping(due.escalation.id, due.previous_ping_at, self.now())

    # ---- concern reports -------------------------------------------------------------------------

    async def check_report(self, guild_id: int, reporter_id: int, target_id: int) -> ReportDecision:
        now = self.now()
        cooldown = self.settings.report_cooldown_minutes * 60
        if await self.repo.count_reports(
            guild_id, now - cooldown, reporter_id=reporter_id, target_id=target_id
        ):
            return ReportDecision.REPORTER_COOLDOWN
        day = now - 86400
        if (
            await self.repo.count_reports(guild_id, day, reporter_id=reporter_id)
            >= self.settings.report_daily_limit
        ):
            return ReportDecision.REPORTER_DAILY
        if await self.repo.count_reports(guild_id, day, target_id=target_id) >= (
            self.settings.report_target_daily_limit
        ):
            return ReportDecision.TARGET_LIMIT
        return ReportDecision.ALLOWED

    async def file_report(
        self,
        *,
        guild_id: int,
        reporter_id: int,
        target_id: int,
        text: str,
        channel_id: int | None,
        message_id: int | None,
    ) -> tuple[ReportDecision, OpenResult | None]:
        """'Report concern': a severity-1 escalation about ``target_id``, never a DM to them
        (so it cannot be used to send someone unwanted 'care' messages)."""
        decision = await self.check_report(guild_id, reporter_id, target_id)
        if decision is not ReportDecision.ALLOWED:
            log.info("concern report refused in guild %s: %s", guild_id, decision)
            return decision, None
        reasons = ["member_report"]
        if text.strip():
            assessment = await self.assess(guild_id, text)
            reasons += [r for r in assessment.reasons if r not in reasons]
        result = await self.open_or_merge(
            guild_id=guild_id,
            user_id=target_id,
            category=Category.SELF_RISK,
            severity=1,
            reasons=reasons,
            excerpt=make_excerpt(text) if text.strip() else None,
            source="report",
            channel_id=channel_id,
            message_id=message_id,
            reporter_id=reporter_id,
            dm_wanted=False,
        )
        await self.repo.add_report(
            guild_id, reporter_id, target_id, result.escalation.id, self.now()
        )
        return decision, result

    # ---- allow-list -----------------------------------------------------------------------------

    async def allowlist(self, guild_id: int) -> tuple[str, ...]:
        cached = self._allow_cache.get(guild_id)
        if cached is None:
            cached = self._allow_cache[guild_id] = tuple(await self.repo.allowlist(guild_id))
        return cached

    async def allow_add(self, guild_id: int, phrase: str, added_by: int | None) -> str:
        clean = normalise_phrase(phrase)
        if len(clean) < 3:
            raise ValueError("an allow-list phrase needs at least 3 characters")
        if len(await self.allowlist(guild_id)) >= ALLOWLIST_MAX:
            raise ValueError(f"the allow-list is full ({ALLOWLIST_MAX} phrases)")
        await self.repo.allow_add(guild_id, clean, added_by, self.now())
        self._allow_cache.pop(guild_id, None)
        return clean

    async def allow_remove(self, guild_id: int, phrase: str) -> bool:
        removed = await self.repo.allow_remove(guild_id, normalise_phrase(phrase))
        self._allow_cache.pop(guild_id, None)
        return removed

    async def false_alarm_reasons(self, guild_id: int, days: int = 30) -> list[tuple[str, int]]:
        return await self.repo.false_alarm_reasons(guild_id, self.now() - days * 86400)

    # ---- stats --------------------------------------------------------------------------------

    async def stats(self, guild_id: int, days: int) -> Stats:
        since = self.now() - days * 86400
        rows = await self.repo.created_since(guild_id, since)
        by_severity = {1: 0, 2: 0, 3: 0}
        for e in rows:
            by_severity[e.severity] = by_severity.get(e.severity, 0) + 1
        ack = [e.acknowledged_at - e.created_at for e in rows if e.acknowledged_at is not None]
        closed = [e.closed_at - e.created_at for e in rows if e.closed_at is not None]
        return Stats(
            days=days,
            total=len(rows),
            by_severity=by_severity,
            open_now=await self.repo.count_live(guild_id),
            false_alarms=sum(1 for e in rows if e.state == "false_alarm"),
            median_ack_seconds=_median(ack),
            median_close_seconds=_median(closed),
            acknowledged=len(ack),
            closed=len(closed),
        )


def _median(values: Iterable[int]) -> float | None:
    data = list(values)
    return float(statistics.median(data)) if data else None


def describe_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
