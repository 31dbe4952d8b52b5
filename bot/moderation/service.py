"""Auto-moderation for one message, start to finish, without Discord: the cog's one call.

``check(facts, text)`` = policy precheck (exempt / crisis / disabled: no inference) → the
toxicity score (awaited, never on the event loop's time) → policy decision with the
author's recent strikes → the log entry and strike committed → an ``Outcome`` the cog acts
on (post the log embed, delete, DM the author, time out). Durable before visible.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.moderation.policy import (
    Action,
    Decision,
    MessageFacts,
    ModerationSettings,
    decide,
    precheck,
)
from bot.moderation.repository import LogEntry, ModerationRepository

log = logging.getLogger(__name__)

ScoreFn = Callable[[str], Awaitable[Mapping[str, float] | None]]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The decision, the guild's settings it was made under, and the log entry if any."""

    decision: Decision
    settings: ModerationSettings
    entry: LogEntry | None = None

    @property
    def log_channel_id(self) -> int | None:
        return self.settings.log_channel_id


class ModerationService:
    """Caches each guild's settings; the repository stays the only writer."""

    def __init__(
        self,
        repository: ModerationRepository,
        score: ScoreFn | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._repo = repository
        self._score = score
        self._clock = clock
        self._settings: dict[int, ModerationSettings] = {}

    @property
    def repository(self) -> ModerationRepository:
        return self._repo

    async def settings(self, guild_id: int) -> ModerationSettings:
        cached = self._settings.get(guild_id)
        if cached is None:
            cached = await self._repo.get_settings(guild_id)
            self._settings[guild_id] = cached
        return cached

    async def update_settings(self, guild_id: int, **changes: Any) -> ModerationSettings:
        """For ``/setup moderation``; raises ``ValueError`` with an admin-readable message."""
        updated = await self._repo.update_settings(guild_id, **changes)
        self._settings[guild_id] = updated
        return updated

    def forget_guild(self, guild_id: int) -> None:
        self._settings.pop(guild_id, None)

    async def precheck(self, facts: MessageFacts) -> Decision | None:
        return precheck(await self.settings(facts.guild_id), facts)

    async def check(self, facts: MessageFacts, text: str) -> Outcome:
        """Score ``text`` (unless exempt) and decide; records the entry before returning."""
        settings = await self.settings(facts.guild_id)
        early = precheck(settings, facts)
        if early is not None:
            return Outcome(early, settings)
        scores = await self._score(text) if self._score is not None else None
        return await self.handle(facts, scores)

    async def handle(self, facts: MessageFacts, scores: Mapping[str, float] | None) -> Outcome:
        """Decide for already-computed scores (``None`` = not scored) and record the result."""
        settings = await self.settings(facts.guild_id)
        now = self._clock()
        since = now - timedelta(minutes=settings.strike_window_minutes)
        strikes = await self._repo.strike_times(facts.guild_id, facts.author_id, since)
        decision = decide(settings, facts, scores, now=now, strike_times=strikes)
        if decision.action is Action.NONE:
            return Outcome(decision, settings)
        entry = await self._repo.record(facts, decision, now)
        log.info(
            "moderation: guild %s message %s by %s → %s (%s; strike %d)",
            facts.guild_id,
            facts.message_id,
            facts.author_id,
            decision.action.value,
            ", ".join(decision.labels),
            decision.strikes_in_window,
        )
        return Outcome(decision, settings, entry)

    async def attach_log_message(self, log_id: int, log_message_id: int) -> None:
        await self._repo.set_log_message(log_id, log_message_id)

    async def resolve(self, log_id: int, status: str, moderator_id: int) -> LogEntry | None:
        """A log button: ``deleted``, ``timed_out`` or ``dismissed`` (voids the strike)."""
        return await self._repo.resolve(log_id, status, moderator_id, self._clock())
