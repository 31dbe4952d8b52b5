"""Toxicity auto-moderation glue: message in → facts → ModerationService → Discord actions out.

The listener returns at once: the crisis category is read inline (microseconds), scoring is
awaited in a background task, so neither the crisis path nor the event loop ever waits on
the model. Per decision: log → an embed with buttons in the moderation log channel; hide →
also delete the message and tell the author privately how to appeal; timeout → also time the
member out. The entry is committed by the service before anything visible happens, and
entries whose embed was never posted are posted once at start-up.

Harassment ("kys" aimed at someone) is flagged by the policy from the crisis category even
without model scores. The escalation cog may also dispatch ``haven_harassment``; each message
and each log entry is acted on once, whichever path gets there first.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.moderation import Action, Decision, LogEntry, MessageFacts, ModerationService
from bot.moderation import ModerationSettings as GuildModerationSettings
from bot.moderation.policy import HARASSMENT_LABEL
from bot.safety.toxicity import ModelState
from cogs._ui import is_moderator, send_ephemeral
from cogs.moderation._embeds import (
    ActionReport,
    author_dm,
    duration,
    log_embed,
    resolved_embed,
)
from cogs.moderation._views import log_view

if TYPE_CHECKING:
    from bot.app import HavenBot

log = logging.getLogger(__name__)

RECOVERY_HOURS = 24  # older undelivered entries are stale: nobody can act on them usefully
CLAIM_MEMORY = 5_000  # message ids remembered to act on each message once
NOT_MODERATOR = (
    "Only this server's moderators (the moderator role, or Manage Server) can use these buttons."
)


class ActionFailed(Exception):
    """A moderator's button could not be carried out; the message says why (shown privately)."""


@functools.cache
def _assessor() -> Callable[[str], Any] | None:
    try:
        from bot.safety.crisis import assess
    except ImportError:
        log.warning(
            "bot.safety.crisis is not installed: auto-moderation cannot tell crisis messages "
            "apart and relies on the model alone"
        )
        return None
    return assess


async def crisis_category(bot: HavenBot, guild_id: int, text: str) -> str | None:
    """The crisis detector's category for ``text`` (``None`` if the detector is unavailable).

    Through the escalation service when there is one, so the guild's allow-list applies
    here exactly as it does on the crisis path.
    """
    try:
        escalations = bot.services.escalations
        if escalations is not None:
            category = (await escalations.assess(guild_id, text)).category
        else:
            assess = _assessor()
            if assess is None:
                return None
            category = assess(text).category
    except Exception as exc:
        log.warning("crisis detector failed on a message (%s)", type(exc).__name__)
        return None
    return str(getattr(category, "value", category))


def _dm_closed(exc: discord.HTTPException) -> bool:
    # 50007 "Cannot send messages to this user"; any other 403 on a DM means the same to us.
    return exc.code == 50007 or exc.status == 403


class Moderation(commands.Cog):
    def __init__(self, bot: HavenBot) -> None:
        self.bot = bot
        self._tasks: set[asyncio.Task[None]] = set()
        # message id → crisis category it was checked with; bounded, oldest forgotten first.
        self._claims: OrderedDict[int, str | None] = OrderedDict()
        self._delivered: set[int] = set()  # log ids whose actions/embed this process handled
        self._warned_no_channel: set[int] = set()
        self._recovered = False

    @property
    def service(self) -> ModerationService | None:
        return self.bot.services.moderation

    async def cog_unload(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until every background moderation task has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- messages in ------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or message.webhook_id is not None:
            return
        if not message.content or self.service is None:
            return
        facts = await self.facts_for(message)
        if facts is None or not self._claim(message.id, facts.crisis_category):
            return
        self._spawn(self.moderate(message, facts))

    @commands.Cog.listener()
    async def on_haven_harassment(self, message: discord.Message, assessment: Any) -> None:
        """The escalation cog saw a death wish aimed at someone: make sure it is logged once."""
        if message.author.bot or message.guild is None or self.service is None:
            return
        facts = await self.facts_for(message, crisis=HARASSMENT_LABEL)
        if facts is None or not self._claim(message.id, HARASSMENT_LABEL):
            return
        self._spawn(self.moderate(message, facts))

    async def facts_for(
        self, message: discord.Message, *, crisis: str | None = None
    ) -> MessageFacts | None:
        """What the policy needs about ``message``; ``None`` if the channel is not read.

        ``crisis``: the crisis category if already known; otherwise the detector is asked.
        """
        guild = message.guild
        assert guild is not None
        settings = await self.bot.services.guild_settings.get(guild.id)
        channel = message.channel
        parents: set[int] = set()
        parent_id: int | None = None
        if isinstance(channel, discord.Thread):
            parent_id = channel.parent_id
            parents.add(channel.parent_id)
            parent = channel.parent
            if parent is not None and parent.category_id is not None:
                parents.add(parent.category_id)
        else:
            category_id = getattr(channel, "category_id", None)
            if category_id is not None:
                parents.add(category_id)
        vent = settings.vent_channel_id
        reference = message.reference
        vent_context = vent is not None and (
            channel.id == vent
            or parent_id == vent
            or (reference is not None and reference.channel_id == vent)
        )
        # Vent threads and replies to vents are always read: that is where cruelty hurts most.
        if not vent_context and not settings.monitors(channel.id, parent_id):
            return None
        author = message.author
        role_ids: frozenset[int] = frozenset()
        is_mod = False
        if isinstance(author, discord.Member):
            role_ids = frozenset(role.id for role in author.roles)
            perms = author.guild_permissions
            is_mod = (
                perms.manage_messages
                or perms.administrator
                or (
                    settings.moderator_role_id is not None
                    and settings.moderator_role_id in role_ids
                )
            )
        category = (
            crisis
            if crisis is not None
            else await crisis_category(self.bot, guild.id, message.content)
        )
        return MessageFacts(
            guild_id=guild.id,
            channel_id=channel.id,
            message_id=message.id,
            author_id=author.id,
            author_role_ids=role_ids,
            parent_ids=frozenset(parents),
            vent_context=vent_context,
            author_is_moderator=is_mod,
            crisis_category=category,
        )

    def _claim(self, message_id: int, category: str | None) -> bool:
        """First path to see a message acts on it; a later harassment verdict may add to it."""
        if message_id in self._claims and (
            category != HARASSMENT_LABEL or self._claims[message_id] == HARASSMENT_LABEL
        ):
            return False
        self._claims[message_id] = category
        self._claims.move_to_end(message_id)
        while len(self._claims) > CLAIM_MEMORY:
            self._claims.popitem(last=False)
        return True

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name="moderation-check")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("moderation check failed", exc_info=task.exception())

    # -- the ladder --------------------------------------------------------------------------

    async def moderate(self, message: discord.Message, facts: MessageFacts) -> None:
        service = self.service
        assert service is not None
        outcome = await service.check(facts, message.content)
        if outcome.entry is None:
            return
        await self.deliver(message, outcome.entry, outcome.decision, outcome.settings)

    async def deliver(
        self,
        message: discord.Message,
        entry: LogEntry,
        decision: Decision,
        settings: GuildModerationSettings,
    ) -> None:
        """Act on a recorded decision once: delete, time out, DM, then the log embed."""
        if entry.id in self._delivered or entry.log_message_id is not None:
            return
        self._delivered.add(entry.id)
        report = ActionReport()
        if decision.hide:
            await self._delete(message, report)
        if decision.timeout:
            await self._timeout(message, entry, decision, settings, report)
        if decision.hide:
            assert message.guild is not None
            text = author_dm(
                message.guild.name,
                decision.labels,
                timeout_minutes=report.timed_out_minutes,
            )
            report.dm = await self._dm(message.author, text)
        assert message.guild is not None
        await self._post_log(message.guild, entry, settings, text=message.content, report=report)

    async def _delete(self, message: discord.Message, report: ActionReport) -> None:
        try:
            await message.delete()
        except discord.NotFound:
            report.deleted = True  # already gone: the author or a moderator beat us to it
        except discord.Forbidden:
            report.problems.append("Could not delete it: I need Manage Messages in that channel.")
        except discord.HTTPException as exc:
            log.warning("could not delete flagged message %s (HTTP %s)", message.id, exc.status)
            report.problems.append("Deleting it failed (Discord error): please delete it by hand.")
        else:
            report.deleted = True

    async def _timeout(
        self,
        message: discord.Message,
        entry: LogEntry,
        decision: Decision,
        settings: GuildModerationSettings,
        report: ActionReport,
    ) -> None:
        member = message.author
        if not isinstance(member, discord.Member):
            report.problems.append("Not timed out: the author is no longer in the server.")
            return
        minutes = decision.timeout_minutes or settings.timeout_minutes
        reason = (
            f"Haven auto-moderation: {decision.strikes_in_window} flagged messages within "
            f"{duration(settings.strike_window_minutes)} (log #{entry.id})"
        )
        try:
            await member.timeout(timedelta(minutes=minutes), reason=reason)
        except discord.Forbidden:
            report.problems.append(
                "Could not time them out: I need Timeout Members and a role above theirs."
            )
        except discord.HTTPException as exc:
            log.warning("could not time out member %s (HTTP %s)", member.id, exc.status)
            report.problems.append("The timeout failed (Discord error).")
        else:
            report.timed_out_minutes = minutes

    async def _dm(self, user: discord.User | discord.Member, text: str) -> str:
        try:
            await user.send(text)
        except discord.HTTPException as exc:
            if _dm_closed(exc):
                log.debug("DMs closed for %s; moderation note not sent", user.id)
                return "closed"
            log.warning("moderation DM to %s failed (HTTP %s)", user.id, exc.status)
            return "failed"
        return "sent"

    async def _log_channel_id(self, guild_id: int, settings: GuildModerationSettings) -> int | None:
        if settings.log_channel_id is not None:
            return settings.log_channel_id
        # No log channel yet: the private alert channel is the one place moderators look.
        return (await self.bot.services.guild_settings.get(guild_id)).alert_channel_id

    async def _channel(self, guild: discord.Guild, channel_id: int) -> Any:
        channel: Any = guild.get_channel_or_thread(channel_id)
        if channel is None:
            channel = await self.bot.fetch_channel(channel_id)
        return channel

    async def _post_log(
        self,
        guild: discord.Guild,
        entry: LogEntry,
        settings: GuildModerationSettings,
        *,
        text: str | None,
        report: ActionReport | None,
        recovered: bool = False,
    ) -> None:
        channel_id = await self._log_channel_id(guild.id, settings)
        if channel_id is None:
            if guild.id not in self._warned_no_channel:
                self._warned_no_channel.add(guild.id)
                log.warning(
                    "guild %s has no moderation log channel (/setup moderation log-channel): "
                    "flagged messages are recorded but not shown to anyone",
                    guild.id,
                )
            return
        embed = log_embed(entry, settings, text=text, report=report, recovered=recovered)
        view = log_view(
            entry.id, entry.action, message_deleted=report is not None and report.deleted
        )
        try:
            channel = await self._channel(guild, channel_id)
            posted = await channel.send(embed=embed, view=view)
        except discord.HTTPException as exc:
            log.warning(
                "could not post moderation log #%s to channel %s (HTTP %s); it will be retried "
                "at the next start",
                entry.id,
                channel_id,
                exc.status,
            )
            return
        service = self.service
        assert service is not None
        await service.attach_log_message(entry.id, posted.id)

    # -- start-up recovery -------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._recovered:
            return
        self._recovered = True
        await self.recover_undelivered()

    async def recover_undelivered(self, now: datetime | None = None) -> int:
        """Post log embeds committed before a crash but never shown; returns how many."""
        service = self.service
        if service is None:
            return 0
        since = (now or datetime.now(UTC)) - timedelta(hours=RECOVERY_HOURS)
        posted = 0
        for entry in await service.repository.undelivered(since):
            guild = self.bot.get_guild(entry.guild_id)
            if guild is None or entry.id in self._delivered:
                continue
            self._delivered.add(entry.id)
            text: str | None = None
            try:
                channel = await self._channel(guild, entry.channel_id)
                text = (await channel.fetch_message(entry.message_id)).content
            except (discord.HTTPException, AttributeError):
                text = None  # deleted, or a channel we cannot read any more
            settings = await service.settings(entry.guild_id)
            await self._post_log(guild, entry, settings, text=text, report=None, recovered=True)
            posted += 1
        if posted:
            log.info("posted %d moderation log entries recovered after a restart", posted)
        return posted

    # -- moderator buttons -------------------------------------------------------------------

    async def press(self, interaction: discord.Interaction[Any], log_id: int, verdict: str) -> None:
        """Delete / Timeout / Dismiss from a log embed; only moderators change anything."""
        if not await is_moderator(self.bot, interaction.user):
            await send_ephemeral(interaction, NOT_MODERATOR)
            return
        service = self.service
        assert service is not None
        entry = await service.repository.entry(log_id)
        if entry is None or entry.guild_id != interaction.guild_id:
            await send_ephemeral(interaction, "That log entry no longer exists.")
            return
        if entry.status != "open":
            await send_ephemeral(interaction, _already(entry))
            return
        await interaction.response.defer()
        settings = await service.settings(entry.guild_id)
        try:
            detail = await self._carry_out(interaction, entry, verdict, settings)
        except ActionFailed as exc:
            await interaction.followup.send(str(exc), ephemeral=True)
            return
        resolved = await service.resolve(log_id, verdict, interaction.user.id)
        if resolved is None or (resolved.status, resolved.moderator_id) != (
            verdict,
            interaction.user.id,
        ):
            if resolved is not None:
                await interaction.followup.send(_already(resolved), ephemeral=True)
            return
        original = None
        if interaction.message is not None and interaction.message.embeds:
            original = interaction.message.embeds[0]
        when = resolved.resolved_at or datetime.now(UTC)
        embed = resolved_embed(original, resolved, verdict, interaction.user.id, when, detail)
        await interaction.edit_original_response(embed=embed, view=None)

    async def _carry_out(
        self,
        interaction: discord.Interaction[Any],
        entry: LogEntry,
        verdict: str,
        settings: GuildModerationSettings,
    ) -> str:
        guild = interaction.guild
        assert guild is not None
        moderator = interaction.user.id
        if verdict == "dismissed":
            detail = "Strike voided."
            if entry.action is Action.TIMEOUT:
                member = await self._member(guild, entry.user_id)
                if member is not None:
                    try:
                        await member.timeout(None, reason=f"Haven log #{entry.id} dismissed")
                        detail += " Timeout lifted."
                    except discord.HTTPException:
                        detail += " I could not lift the timeout: please do it by hand."
            return detail
        gone = await self._delete_logged(guild, entry)
        detail = "Message deleted." if gone else ""
        timeout_minutes: int | None = None
        if verdict == "timed_out":
            member = await self._member(guild, entry.user_id)
            if member is None:
                raise ActionFailed(f"<@{entry.user_id}> is no longer in the server.")
            timeout_minutes = settings.timeout_minutes
            try:
                await member.timeout(
                    timedelta(minutes=timeout_minutes),
                    reason=f"Haven moderation log #{entry.id}, by moderator {moderator}",
                )
            except discord.Forbidden as exc:
                raise ActionFailed(
                    f"I can't time out <@{entry.user_id}>: I need Timeout Members and a role "
                    "above theirs."
                ) from exc
            detail = f"{detail} Timed out for {duration(timeout_minutes)}.".strip()
        member_or_user = await self._member(guild, entry.user_id)
        if member_or_user is not None:
            note = author_dm(
                guild.name, entry.labels, timeout_minutes=timeout_minutes, by_moderator=True
            )
            if await self._dm(member_or_user, note) == "closed":
                detail += " Their DMs are closed: they were not told."
        return detail

    async def _delete_logged(self, guild: discord.Guild, entry: LogEntry) -> bool:
        """Delete the flagged message; ``True`` once it is gone (already gone counts)."""
        channel = guild.get_channel_or_thread(entry.channel_id)
        target: Any = (
            channel
            if channel is not None
            else self.bot.get_partial_messageable(entry.channel_id, guild_id=guild.id)
        )
        try:
            await target.get_partial_message(entry.message_id).delete()
        except discord.NotFound:
            return True
        except discord.Forbidden as exc:
            raise ActionFailed(
                f"I can't delete messages in <#{entry.channel_id}>: I need Manage Messages there."
            ) from exc
        return True

    async def _member(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        member = guild.get_member(user_id)
        if member is not None:
            return member
        try:
            return await guild.fetch_member(user_id)
        except discord.NotFound:
            return None

    # -- /setup show -------------------------------------------------------------------------

    async def status_lines(self, guild_id: int) -> list[str]:
        """Model state, queue depth and dropped messages; a failed load comes first, with its fix."""
        lines: list[str] = []
        toxicity = self.bot.services.toxicity
        if toxicity is not None:
            status = toxicity.status()
            if status.state is ModelState.FAILED:
                lines.append(
                    f"⚠️ **Auto-moderation is off: the toxicity model did not load.** {status.error}"
                )
            model = status.model + (", int8" if status.quantized else "")
            lines.append(
                f"**Toxicity model:** {status.state.value} ({model}) · queue "
                f"{status.queue_depth}/{status.queue_max} · dropped {status.dropped}"
            )
        service = self.service
        if service is not None:
            settings = await service.settings(guild_id)
            if not settings.enabled:
                lines.append("**Auto-moderation:** off (/setup moderation enabled)")
            else:
                where = (
                    f"<#{settings.log_channel_id}>"
                    if settings.log_channel_id
                    else "not set, using the alert channel"
                )
                lines.append(
                    f"**Auto-moderation:** up to {settings.action.value} "
                    f"(vent threads: {settings.strict_action.value}); log channel {where}"
                )
        return lines


def _already(entry: LogEntry) -> str:
    who = f" by <@{entry.moderator_id}>" if entry.moderator_id else ""
    return f"Already handled{who}: {entry.status.replace('_', ' ')}."
