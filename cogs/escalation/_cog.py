"""Crisis escalation glue: message in → assess → persist → DM the person and alert moderators.

Cross-feature API (for text that is not a channel message: check-in notes, vents):

- ``await bot.escalate_text(guild_id=..., user_id=..., text=..., source=..., pseudonym=None,
  channel_id=None, message_id=None, source_ref=None, assessment=None, reach_person=True)``
  → ``bot.escalation.TextOutcome`` (route, assessment, result). Persists first, then DMs the
  person (unless ``reach_person`` is False) and alerts moderators. With ``pseudonym`` the
  alert shows the pseudonym and the author id is never stored.
- ``bot.dispatch("haven_crisis_text", **same keyword arguments)`` does the same, fire and
  forget (``assessment`` may be None: it is then assessed here).
- ``bot.dispatch("haven_vent_crisis", VentCrisisEvent)`` (bot/venting/events.py): the vent's
  own alert and DM already went out; it is recorded as an escalation and its alert gains
  the moderator buttons, re-pings and stats.
- Emits ``haven_escalation_opened(escalation)`` and ``haven_harassment(message, assessment)``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.escalation import (
    Action,
    Category,
    DeliveryStatus,
    Escalation,
    EscalationService,
    OpenResult,
    Route,
    Step,
    TextOutcome,
    route,
)
from bot.escalation.copy import CrisisCopy
from bot.safety.helplines import HelplineService
from cogs._ui import send_ephemeral
from cogs.escalation._embeds import alert_embed, severity_label, subject
from cogs.escalation._views import COG_NAME, alert_view, talk_view

if TYPE_CHECKING:
    from bot.app import HavenBot
    from bot.db.guild_settings import GuildSettings

log = logging.getLogger(__name__)

NOTICE_CRISIS = "crisis_resources"
NOTICE_CONCERN = "concern_resources"
TICK_JOB_ID = "escalation_tick"
DM_MAX_ATTEMPTS = 3
ALERT_MAX_ATTEMPTS = 5
HISTORY_SCAN = 50  # recent alert-channel messages checked before a recovery re-post
_JUMP = re.compile(r"/channels/(\d+)/(\d+)/(\d+)")

# source → async (source_ref) -> user id, so recovery can DM the author of a pseudonymous
# text without Haven ever storing who it was (the venting feature registers its own).
ContactResolver = Callable[[str | None], Awaitable[int | None]]


def _role_ping(role_id: int | None) -> discord.AllowedMentions:
    if role_id is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(id=role_id)], replied_user=False
    )


class EscalationCog(commands.Cog, name=COG_NAME):
    def __init__(self, bot: HavenBot) -> None:
        self.bot = bot
        self.copy = CrisisCopy.bundled()
        self.contact_resolvers: dict[str, ContactResolver] = {}
        self._attempts: dict[tuple[int, Step], int] = {}
        self._recovering = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def service(self) -> EscalationService:
        service = self.bot.services.escalations
        assert service is not None, "Services.escalations is not wired"
        return service

    @property
    def helplines(self) -> HelplineService:
        service = self.bot.services.helplines
        assert service is not None, "Services.helplines is not wired"
        return service

    # ---- lifecycle ---------------------------------------------------------------------------

    async def cog_load(self) -> None:
        self.bot.escalate_text = self.escalate_text  # type: ignore[attr-defined]
        self.bot.escalation_contact_resolvers = self.contact_resolvers  # type: ignore[attr-defined]
        self.bot.notice_renderers[NOTICE_CRISIS] = self.render_crisis_notice
        self.bot.notice_renderers[NOTICE_CONCERN] = self.render_concern_notice
        self.bot.services.scheduler.add_job(
            self.tick, "interval", minutes=1, id=TICK_JOB_ID, replace_existing=True
        )
        if self.bot.is_ready():
            self._spawn(self.recover())

    async def cog_unload(self) -> None:
        scheduler = self.bot.services.scheduler
        if scheduler.get_job(TICK_JOB_ID) is not None:
            scheduler.remove_job(TICK_JOB_ID)
        self.bot.notice_renderers.pop(NOTICE_CRISIS, None)
        self.bot.notice_renderers.pop(NOTICE_CONCERN, None)
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Start-up recovery: whatever was committed but never sent goes out once.
        self._spawn(self.recover())

    # ---- the listener ------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or not message.content:
            return
        crisis = self.bot.settings.crisis
        if not crisis.enabled:
            return
        if message.guild is None:
            if crisis.scan_direct_messages:
                await self.handle_direct_message(message)
            return
        gs = await self.bot.services.guild_settings.get(message.guild.id)
        channel = message.channel
        parent_id = getattr(channel, "parent_id", None)
        if not gs.monitors(channel.id, parent_id):
            return
        if gs.alert_channel_id is not None and gs.alert_channel_id in (channel.id, parent_id):
            return  # moderators discussing an alert are not in crisis
        assessment = await self.service.assess(message.guild.id, message.content)
        kind = route(assessment)
        layer = self.bot.services.semantic
        if kind in (Route.NONE, Route.SELF_RISK) and layer is not None and layer.loaded:
            # The rules have decided (and below, acted); the semantic layer may add to that
            # later from its worker thread, but never delays or lowers it.
            self._spawn(self.semantic_second_look(message, assessment, gs))
        if kind is not Route.NONE:
            await self.act_on(message, assessment, gs)

    async def semantic_second_look(
        self, message: discord.Message, rule: Any, gs: GuildSettings
    ) -> None:
        """Act on what the embedding layer finds that the rules missed: open (or raise) an
        escalation for self-risk or concern for someone else, or report harassment."""
        layer = self.bot.services.semantic
        if layer is None or message.guild is None:
            return
        allow = await self.service.allowlist(message.guild.id)
        try:
            upgraded = await layer.assess_async(message.content, rule, allow=allow)
        except Exception:
            log.exception("semantic layer failed on a message; the rule decision stands")
            return
        if upgraded is not None:
            await self.act_on(message, upgraded, gs)

    async def act_on(self, message: discord.Message, assessment: Any, gs: GuildSettings) -> None:
        """One message's finding, from the rules or the semantic layer. Harassment (a death
        wish aimed at someone) is recorded and handed to the moderation ladder
        (bot/moderation), never treated as the target's crisis; self-risk and concern for
        someone else open (or merge into) an escalation and are delivered."""
        assert message.guild is not None
        if route(assessment) is Route.HARASSMENT:
            await self.service.record_harassment(
                assessment,
                guild_id=message.guild.id,
                author_id=message.author.id,
                channel_id=message.channel.id,
                message_id=message.id,
            )
            self.bot.dispatch("haven_harassment", message, assessment)
            return
        result = await self.service.open_from_assessment(
            assessment,
            guild_id=message.guild.id,
            user_id=message.author.id,
            text=message.content,
            source="message",
            channel_id=message.channel.id,
            message_id=message.id,
        )
        if result is not None:
            await self.deliver(result, person=message.author, gs=gs)

    async def handle_direct_message(self, message: discord.Message) -> None:
        """A DM to the bot: reach the person with resources. No guild is known, so no
        moderator alert (mutual servers cannot be told apart without the members intent)."""
        assessment = await self.service.assess(None, message.content)
        kind = route(assessment)
        if kind not in (Route.SELF_RISK, Route.CONCERN):
            return
        choice = await self.helplines.for_person(message.author.id, None)
        if kind is Route.CONCERN:
            text = self.copy.concern(choice)
        else:
            text = self.copy.direct(name=message.author.display_name, choice=choice)
        try:
            await message.channel.send(text)
        except discord.HTTPException:
            log.warning("could not answer a crisis DM")

    # ---- delivery ----------------------------------------------------------------------------

    async def deliver(
        self,
        result: OpenResult,
        *,
        person: discord.abc.User | None,
        gs: GuildSettings | None = None,
        place: str | None = None,
    ) -> None:
        """Alert and DM concurrently; neither's failure stops the other."""
        e = result.escalation
        jobs: list[Awaitable[Any]] = []
        if result.post_alert:
            jobs.append(
                self._deliver_step(
                    e, Step.ALERT, claimed=Step.ALERT in result.claimed, gs=gs, fresh=True
                )
            )
        else:
            jobs.append(self._after_merge(result, gs))
        if result.send_dm:
            jobs.append(
                self._deliver_step(
                    e,
                    Step.DM,
                    claimed=Step.DM in result.claimed,
                    person=person,
                    place=place,
                    force=not result.created,
                )
            )
        else:
            for step in result.claimed - {Step.ALERT}:
                self.service.release_step(e.id, step)
        outcomes = await asyncio.gather(*jobs, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                log.error("escalation %s delivery failed", e.id, exc_info=outcome)
        if result.send_dm:
            await self.refresh_alerts(e.id)  # show whether the DM reached them
        if result.created:
            self.bot.dispatch("haven_escalation_opened", e)

    async def _deliver_step(
        self,
        e: Escalation,
        step: Step,
        *,
        claimed: bool,
        gs: GuildSettings | None = None,
        fresh: bool = False,
        person: discord.abc.User | None = None,
        place: str | None = None,
        force: bool = False,
    ) -> None:
        """Send one step at most once: claim, check for a record, send, record, release."""
        if not claimed:
            if not self.service.claim_step(e.id, step):
                return
            if not force and await self.service.has_delivery(e.id, step):
                self.service.release_step(e.id, step)
                return
        try:
            if step is Step.ALERT:
                await self._post_alert(e, gs=gs, fresh=fresh)
            else:
                await self._send_dm(e, person=person, place=place)
        finally:
            self.service.release_step(e.id, step)

    def _retry_or_give_up(self, e: Escalation, step: Step, limit: int) -> bool:
        """Count a transient failure; True once we should record it as failed for good."""
        key = (e.id, step)
        self._attempts[key] = self._attempts.get(key, 0) + 1
        if self._attempts[key] >= limit:
            self._attempts.pop(key, None)
            return True
        return False

    async def _post_alert(
        self, e: Escalation, *, gs: GuildSettings | None = None, fresh: bool = False
    ) -> None:
        gs = gs or await self.bot.services.guild_settings.get(e.guild_id)
        if gs.alert_channel_id is None:
            log.warning("escalation %s: guild %s has no alert channel set", e.id, e.guild_id)
            await self.service.record_delivery(
                e.id, Step.ALERT, DeliveryStatus.FAILED, detail="no_alert_channel"
            )
            return
        channel = self.bot.get_partial_messageable(gs.alert_channel_id, guild_id=e.guild_id)
        if not fresh:
            existing = await self._find_existing_alert(channel, e.id)
            if existing is not None:
                await self.service.record_delivery(
                    e.id,
                    Step.ALERT,
                    DeliveryStatus.SENT,
                    channel_id=channel.id,
                    message_id=existing,
                )
                return
        deliveries = [] if fresh else await self.service.deliveries(e.id)
        audit = [] if fresh else await self.service.audit(e.id)
        ping = e.pings and gs.moderator_role_id is not None
        head = f"{severity_label(e)} · escalation #{e.id} · {subject(e)}"
        content = f"<@&{gs.moderator_role_id}> {head}" if ping else head
        try:
            sent = await channel.send(
                content=content,
                embed=alert_embed(e, deliveries, audit),
                view=self._alert_view(e),
                allowed_mentions=_role_ping(gs.moderator_role_id if ping else None),
            )
        except (discord.Forbidden, discord.NotFound):
            log.error("escalation %s: cannot post in the alert channel (permissions?)", e.id)
            await self.service.record_delivery(
                e.id, Step.ALERT, DeliveryStatus.FAILED, detail="alert_channel_forbidden"
            )
            return
        except discord.HTTPException as exc:
            log.warning("escalation %s: alert post failed (HTTP %s); will retry", e.id, exc.status)
            if self._retry_or_give_up(e, Step.ALERT, ALERT_MAX_ATTEMPTS):
                await self.service.record_delivery(
                    e.id, Step.ALERT, DeliveryStatus.FAILED, detail="alert_error"
                )
            return
        await self.service.record_delivery(
            e.id, Step.ALERT, DeliveryStatus.SENT, channel_id=channel.id, message_id=sent.id
        )

    async def _find_existing_alert(self, channel: Any, escalation_id: int) -> int | None:
        """After a crash between sending and recording: find our own alert, don't re-post."""
        wanted = f"haven:esc:ack:{escalation_id}"
        me = self.bot.user
        try:
            async for message in channel.history(limit=HISTORY_SCAN):
                if me is not None and message.author.id != me.id:
                    continue
                for row in message.components:
                    for child in getattr(row, "children", []):
                        if getattr(child, "custom_id", None) == wanted:
                            return message.id
        except discord.HTTPException:
            return None
        return None

    def _alert_view(self, e: Escalation) -> discord.ui.View:
        view = alert_view(e)
        if e.source == "vent" and e.source_ref and e.source_ref.isdigit():
            from bot.venting.events import relay_custom_id  # the venting cog handles it

            view.add_item(
                discord.ui.Button(
                    label="Reach out (anonymous relay)",
                    style=discord.ButtonStyle.primary,
                    emoji="✉️",
                    custom_id=relay_custom_id(int(e.source_ref)),
                )
            )
        return view

    async def _resolve_person(self, e: Escalation) -> discord.abc.User | None:
        user_id = e.user_id
        if user_id is None:
            resolver = self.contact_resolvers.get(e.source)
            user_id = await resolver(e.source_ref) if resolver else None
        if user_id is None:
            return None
        user = self.bot.get_user(user_id)
        if user is None:
            try:
                user = await self.bot.fetch_user(user_id)
            except discord.HTTPException:
                return None
        return user

    def _place(self, e: Escalation) -> str:
        guild = self.bot.get_guild(e.guild_id)
        server = f" in {discord.utils.escape_markdown(guild.name)}" if guild else ""
        if e.source == "vent":
            return f"your vent{server}"
        if e.source.startswith("checkin"):
            return "your check-in note"
        channel = self.bot.get_channel(e.channel_id) if e.channel_id else None
        name = getattr(channel, "name", None)
        return f"#{name}{server}" if name else f"a message{server}"

    async def _send_dm(
        self, e: Escalation, *, person: discord.abc.User | None, place: str | None
    ) -> None:
        user = person or await self._resolve_person(e)
        if user is None:
            await self.service.record_delivery(
                e.id, Step.DM, DeliveryStatus.FAILED, detail="no_contact"
            )
            return
        choice = await self.helplines.for_person(user.id, e.guild_id)
        if e.category is Category.CONCERN_FOR_OTHER:
            text = self.copy.concern(choice)
        else:
            text = self.copy.dm(
                e.severity,
                name=user.display_name,
                place=place or self._place(e),
                choice=choice,
                pseudonymous=e.pseudonymous,
            )
        try:
            sent = await user.send(text, view=talk_view(e.id))
        except discord.Forbidden:
            # 50007: DMs closed or the bot is blocked. Offer the resources privately the
            # next time they use any Haven command, and tell the moderators.
            log.info("escalation %s: could not DM the person (closed DMs)", e.id)
            await self.service.record_delivery(
                e.id, Step.DM, DeliveryStatus.FAILED, detail="dm_closed"
            )
            kind = NOTICE_CONCERN if e.category is Category.CONCERN_FOR_OTHER else NOTICE_CRISIS
            await self.bot.services.notices.add(user.id, kind, e.guild_id)
            return
        except discord.HTTPException as exc:
            log.warning("escalation %s: DM failed (HTTP %s); will retry", e.id, exc.status)
            if self._retry_or_give_up(e, Step.DM, DM_MAX_ATTEMPTS):
                await self.service.record_delivery(
                    e.id, Step.DM, DeliveryStatus.FAILED, detail="dm_error"
                )
            return
        await self.service.record_delivery(
            e.id, Step.DM, DeliveryStatus.SENT, channel_id=sent.channel.id, message_id=sent.id
        )

    async def _after_merge(self, result: OpenResult, gs: GuildSettings | None) -> None:
        """A repeat message: update the alert in place; ping if it just became urgent."""
        e = result.escalation
        await self.refresh_alerts(e.id)
        if result.ping_now and await self.service.alert_messages(e.id):
            gs = gs or await self.bot.services.guild_settings.get(e.guild_id)
            await self._post_followup(
                e,
                Step.PING,
                gs.alert_channel_id,
                gs.moderator_role_id,
                f"⬆️ Now {severity_label(e)} · escalation #{e.id} · {subject(e)}",
            )

    async def _post_followup(
        self,
        e: Escalation,
        step: Step,
        channel_id: int | None,
        role_id: int | None,
        headline: str,
    ) -> bool:
        """Re-post the alert (embed + buttons) with a role ping; record the step."""
        if channel_id is None:
            return False
        channel = self.bot.get_partial_messageable(channel_id, guild_id=e.guild_id)
        content = f"<@&{role_id}> {headline}" if role_id else headline
        try:
            sent = await channel.send(
                content=content,
                embed=alert_embed(
                    e, await self.service.deliveries(e.id), await self.service.audit(e.id)
                ),
                view=self._alert_view(e),
                allowed_mentions=_role_ping(role_id),
            )
        except discord.HTTPException as exc:
            log.warning("escalation %s: %s post failed (HTTP %s)", e.id, step, exc.status)
            await self.service.record_delivery(e.id, step, DeliveryStatus.FAILED, detail="http")
            return False
        await self.service.record_delivery(
            e.id, step, DeliveryStatus.SENT, channel_id=channel_id, message_id=sent.id
        )
        await self.service.mark_pinged(e.id)
        return True

    async def refresh_alerts(
        self, escalation_id: int, *, skip_message_id: int | None = None
    ) -> None:
        """Edit every posted alert / re-ping of this escalation to the current state."""
        e = await self.service.get(escalation_id)
        if e is None:
            return
        targets = await self.service.alert_messages(escalation_id)
        if not targets:
            return
        embed = alert_embed(e, await self.service.deliveries(e.id), await self.service.audit(e.id))
        view = self._alert_view(e)
        for channel_id, message_id in targets:
            if message_id == skip_message_id:
                continue
            partial = self.bot.get_partial_messageable(channel_id, guild_id=e.guild_id)
            try:
                await partial.get_partial_message(message_id).edit(embed=embed, view=view)
            except discord.HTTPException:
                log.debug("could not refresh alert message of escalation %s", e.id)

    # ---- recovery and re-pings -----------------------------------------------------------------

    async def recover(self) -> int:
        """Send every step that was committed but never delivered (once). Returns how many."""
        async with self._recovering:
            pending = await self.service.pending_deliveries()
            for item in pending:
                try:
                    await self._deliver_step(item.escalation, item.step, claimed=False)
                except Exception:
                    log.exception("recovery of escalation %s failed", item.escalation.id)
                if item.step is Step.DM:
                    await self.refresh_alerts(item.escalation.id)
            if pending:
                log.info("recovery looked at %d undelivered escalation steps", len(pending))
            return len(pending)

    async def tick(self) -> None:
        """Every minute: retry undelivered steps, then re-ping unacknowledged urgent alerts."""
        try:
            await self.recover()
            await self.send_repings()
        except Exception:
            log.exception("escalation tick failed")

    async def send_repings(self) -> int:
        sent = 0
        for due in await self.service.due_repings():
            if not await self.service.claim_reping(due):
                continue
            e = due.escalation
            gs = await self.bot.services.guild_settings.get(e.guild_id)
            minutes = max(1, (self.service.now() - e.created_at) // 60)
            headline = (
                f"⏰ Still unacknowledged after {minutes} min: {severity_label(e)} · "
                f"escalation #{e.id} · {subject(e)}"
            )
            if await self._post_followup(
                e, Step.REPING, gs.alert_channel_id, gs.moderator_role_id, headline
            ):
                sent += 1
            if due.send_backup:
                await self._post_followup(
                    e,
                    Step.BACKUP,
                    due.config.backup_channel_id or gs.alert_channel_id,
                    due.config.backup_role_id or gs.moderator_role_id,
                    f"🚨 Backup needed: nobody has acknowledged this after {minutes} min. "
                    f"{severity_label(e)} · escalation #{e.id}",
                )
            await self.refresh_alerts(e.id)
        return sent

    # ---- buttons -------------------------------------------------------------------------------

    async def apply_action(
        self,
        interaction: discord.Interaction[Any],
        action: Action,
        escalation_id: int,
        *,
        note: str | None = None,
    ) -> None:
        """A moderator pressed a button (the permission check already passed)."""
        if interaction.guild_id is None:
            raise UserFacingError("Escalation buttons only work inside the server.")
        transition = await self.service.act(
            escalation_id, action, interaction.user.id, guild_id=interaction.guild_id, note=note
        )
        e = transition.escalation
        embed = alert_embed(e, await self.service.deliveries(e.id), await self.service.audit(e.id))
        view = self._alert_view(e)
        if interaction.message is not None:
            await interaction.response.edit_message(embed=embed, view=view)
            await self.refresh_alerts(e.id, skip_message_id=interaction.message.id)
        else:
            await send_ephemeral(interaction, f"Escalation #{e.id} is now {e.state}.")
            await self.refresh_alerts(e.id)

    async def page_moderators(
        self, interaction: discord.Interaction[Any], escalation_id: int
    ) -> None:
        """The person pressed "Talk to a moderator" in their DM."""
        e = await self.service.get(escalation_id)
        if e is None or (e.user_id is not None and e.user_id != interaction.user.id):
            raise UserFacingError("This button isn't for you.")
        choice = await self.helplines.for_person(interaction.user.id, e.guild_id)
        if not self.service.claim_step(e.id, Step.PAGE):
            await send_ephemeral(interaction, self.copy.talk_confirm(choice, already=True))
            return
        try:
            if await self.service.has_delivery(e.id, Step.PAGE):
                await send_ephemeral(interaction, self.copy.talk_confirm(choice, already=True))
                return
            await interaction.response.defer(ephemeral=True, thinking=True)
            gs = await self.bot.services.guild_settings.get(e.guild_id)
            who = f"<@{interaction.user.id}>"
            if e.pseudonym:
                who += f" (vent pseudonym **{discord.utils.escape_markdown(e.pseudonym)}**)"
            headline = f"💬 {who} asked to talk to a moderator · escalation #{e.id}"
            ok = await self._post_page(e, gs, headline)
            await interaction.followup.send(self.copy.talk_confirm(choice), ephemeral=True)
            if ok:
                await self.refresh_alerts(e.id)
        finally:
            self.service.release_step(e.id, Step.PAGE)

    async def _post_page(self, e: Escalation, gs: GuildSettings, headline: str) -> bool:
        if gs.alert_channel_id is None:
            await self.service.record_delivery(
                e.id, Step.PAGE, DeliveryStatus.FAILED, detail="no_alert_channel"
            )
            return False
        channel = self.bot.get_partial_messageable(gs.alert_channel_id, guild_id=e.guild_id)
        role = gs.moderator_role_id
        reference = None
        alerts = await self.service.alert_messages(e.id)
        if alerts:
            reference = discord.MessageReference(
                message_id=alerts[0][1], channel_id=alerts[0][0], fail_if_not_exists=False
            )
        try:
            sent = await channel.send(
                content=f"<@&{role}> {headline}" if role else headline,
                allowed_mentions=_role_ping(role),
                reference=reference,  # type: ignore[arg-type]
            )
        except discord.HTTPException:
            await self.service.record_delivery(
                e.id, Step.PAGE, DeliveryStatus.FAILED, detail="http"
            )
            return False
        await self.service.record_delivery(
            e.id, Step.PAGE, DeliveryStatus.SENT, channel_id=channel.id, message_id=sent.id
        )
        return True

    # ---- cross-feature entry points -----------------------------------------------------------

    async def escalate_text(
        self,
        *,
        guild_id: int | None,
        user_id: int | None,
        text: str,
        source: str,
        pseudonym: str | None = None,
        channel_id: int | None = None,
        message_id: int | None = None,
        source_ref: str | None = None,
        assessment: Any = None,
        reach_person: bool = True,
    ) -> TextOutcome | None:
        """Escalate a text that is not a channel message (see the module docstring)."""
        if guild_id is None:
            # No server to alert: still reach the person.
            if user_id is not None and reach_person:
                outcome_assessment = assessment or await self.service.assess(None, text)
                if route(outcome_assessment) in (Route.SELF_RISK, Route.CONCERN):
                    await self._dm_without_escalation(user_id, outcome_assessment, source)
            return None
        outcome = await self.service.open_from_text(
            guild_id,
            user_id,
            text,
            source,
            pseudonym,
            channel_id=channel_id,
            message_id=message_id,
            source_ref=source_ref,
            assessment=assessment,
        )
        if outcome.route is Route.HARASSMENT and user_id is not None:
            await self.service.record_harassment(
                outcome.assessment,
                guild_id=guild_id,
                author_id=user_id,
                channel_id=channel_id,
                message_id=message_id,
            )
        result = outcome.result
        if result is None:
            return outcome
        person = None
        if reach_person and user_id is not None:
            person = self.bot.get_user(user_id)
            if person is None:
                try:
                    person = await self.bot.fetch_user(user_id)
                except discord.HTTPException:
                    person = None
        if not reach_person and result.send_dm:
            # The calling feature reached the person itself: record that, send nothing.
            await self.service.record_delivery(
                result.escalation.id, Step.DM, DeliveryStatus.SENT, detail=f"by_{source}"
            )
            for step in result.claimed - {Step.ALERT}:
                self.service.release_step(result.escalation.id, step)
            result = OpenResult(
                result.escalation,
                result.created,
                result.previous_severity,
                send_dm=False,
                post_alert=result.post_alert,
                ping_now=result.ping_now,
                claimed=result.claimed & {Step.ALERT},
            )
        await self.deliver(result, person=person)
        return outcome

    async def _dm_without_escalation(self, user_id: int, assessment: Any, source: str) -> None:
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            choice = await self.helplines.for_person(user_id, None)
            if route(assessment) is Route.CONCERN:
                text = self.copy.concern(choice)
            else:
                text = self.copy.direct(name=user.display_name, choice=choice)
            await user.send(text)
        except discord.Forbidden:
            await self.bot.services.notices.add(user_id, NOTICE_CRISIS, None)
        except discord.HTTPException:
            log.warning("could not DM resources for a guild-less %s", source)

    @commands.Cog.listener()
    async def on_haven_crisis_text(self, **kwargs: Any) -> None:
        try:
            await self.escalate_text(**kwargs)
        except Exception:
            log.exception("haven_crisis_text from %s failed", kwargs.get("source"))

    @commands.Cog.listener()
    async def on_haven_vent_crisis(self, event: Any) -> None:
        """The venting cog already DMed the author and posted a pseudonymous alert: record
        it, give that alert the moderator buttons, and let re-pings and stats cover it."""
        try:
            await self._record_vent_crisis(event)
        except Exception:
            log.exception("recording a vent crisis failed")

    async def _record_vent_crisis(self, event: Any) -> None:
        crisis = event.crisis
        channel_id = message_id = None
        if event.vent_url and (match := _JUMP.search(event.vent_url)):
            channel_id, message_id = int(match.group(2)), int(match.group(3))
        result = await self.service.open_or_merge(
            guild_id=event.guild_id,
            user_id=None,
            category=Category.SELF_RISK,
            severity=crisis.severity,
            reasons=list(crisis.reasons),
            excerpt=None,
            source="vent",
            channel_id=channel_id,
            message_id=message_id,
            pseudonym=event.pseudonym,
            source_ref=str(event.vent_id),
        )
        e = result.escalation
        try:
            if result.created or result.send_dm:
                status = DeliveryStatus.SENT if event.author_dm_delivered else DeliveryStatus.FAILED
                await self.service.record_delivery(
                    e.id, Step.DM, status, detail=None if event.author_dm_delivered else "dm_closed"
                )
            if event.alert_message_id is not None and event.alert_channel_id is not None:
                await self.service.record_delivery(
                    e.id,
                    Step.ALERT,
                    DeliveryStatus.SENT,
                    channel_id=event.alert_channel_id,
                    message_id=event.alert_message_id,
                )
        finally:
            for step in result.claimed:
                self.service.release_step(e.id, step)
        if event.alert_message_id is None and result.created:
            await self._deliver_step(e, Step.ALERT, claimed=False)
        await self.refresh_alerts(e.id)
        if result.created:
            self.bot.dispatch("haven_escalation_opened", e)

    # ---- notices (closed DMs) -------------------------------------------------------------------

    async def render_crisis_notice(self, user_id: int, guild_id: int | None) -> str:
        return self.copy.dm_closed_notice(await self.helplines.for_person(user_id, guild_id))

    async def render_concern_notice(self, user_id: int, guild_id: int | None) -> str:
        return self.copy.concern(await self.helplines.for_person(user_id, guild_id))

    # ---- Report concern (message context menu) ---------------------------------------------------

    async def report_concern(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if message.author.bot:
            raise UserFacingError(
                "That message was written by a bot, so there's no one to check on."
            )
        decision, result = await self.service.file_report(
            guild_id=interaction.guild_id,
            reporter_id=interaction.user.id,
            target_id=message.author.id,
            text=message.content or "",
            channel_id=message.channel.id,
            message_id=message.id,
        )
        choice = await self.helplines.for_person(interaction.user.id, interaction.guild_id)
        reply = REPORT_REPLIES.get(decision.value)
        if reply is not None:
            await send_ephemeral(
                interaction,
                reply.format(emergency=choice.emergency or "your local emergency number"),
            )
            return
        await send_ephemeral(interaction, self.copy.concern(choice, reporter=True))
        if result is not None:
            await self.deliver(result, person=None)


REPORT_REPLIES = {
    "reporter_cooldown": (
        "You've already let the moderators know about this person recently. Thank you; "
        "they'll take it from here. If someone is in immediate danger, call {emergency}."
    ),
    "reporter_daily": (
        "You've sent several reports today, so I can't send another right now. If someone "
        "is in immediate danger, call {emergency}, or contact a moderator directly."
    ),
    "target_limit": (
        "The moderators have already been told about this person several times today, so "
        "I haven't sent another alert. Thank you for caring. If someone is in immediate "
        "danger, call {emergency}."
    ),
    "not_allowed": "I can't file that report.",
}
