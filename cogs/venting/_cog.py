"""/vent: anonymous posts, the vetting queue, moderator actions and the anonymous relay.

Thin glue over ``bot.venting.VentingService``. The author's id is only ever read from
the interaction or decrypted in memory to send a DM; it is never logged, stored in the
clear, put in a custom_id, or shown in anything public.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.venting import VentingService, VentRecord, VentSubmission, sanitise
from bot.venting.events import EVENT_NAME, VentCrisisEvent
from cogs._ui import is_moderator, send_ephemeral
from cogs.venting import _copy as copy
from cogs.venting._views import (
    PERSISTENT_ITEMS,
    ApproveButton,
    AuthorReplyButton,
    AuthorReplyModal,
    DeleteMyVentButton,
    GuildChoiceView,
    ReachOutButton,
    RejectButton,
    RelayModal,
    VentModal,
    VentPanel,
    view_of,
)

if TYPE_CHECKING:
    from bot.app import HavenBot

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES = 1_440


def message_url(guild_id: int, channel_id: int | None, message_id: int | None) -> str | None:
    if channel_id is None or message_id is None:
        return None
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class Venting(commands.Cog):
    vent = app_commands.Group(
        name="vent",
        description="Post anonymously in a server's vent channel",
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=False
        ),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )

    def __init__(self, bot: HavenBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(
            name="Vent options",
            callback=self.vent_options,
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=False, private_channel=False
            ),
        )

    @property
    def venting(self) -> VentingService:
        service = self.bot.services.venting
        assert service is not None
        return service

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # slash commands -------------------------------------------------------------------

    @vent.command(name="post", description="Write a vent that is posted without your name")
    async def post(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.guild_id is not None:
            await self.open_vent_modal(interaction, interaction.guild_id)
            return
        await self.choose_guild(interaction, "Which server is this vent for?", self.open_vent_modal)

    @vent.command(name="new-name", description="Get a fresh anonymous name for future vents")
    async def new_name(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.guild_id is not None:
            await self._new_name_in(interaction, interaction.guild_id)
            return
        await self.choose_guild(interaction, "New name for which server?", self._new_name_in)

    @vent.command(name="name", description="See the anonymous name your next vent will carry")
    async def name(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.guild_id is None:
            raise UserFacingError(
                "Use this inside the server, or use /vent post here to choose one."
            )
        current = await self.venting.current_name(interaction.guild_id, interaction.user.id)
        await send_ephemeral(
            interaction,
            f"Your next vent here will be signed **{copy.signature(current)}**. "
            "Only you can see this. `/vent new-name` gives you a fresh one.",
        )

    async def _new_name_in(self, interaction: discord.Interaction[Any], guild_id: int) -> None:
        fresh = await self.venting.new_name(guild_id, interaction.user.id)
        await send_ephemeral(
            interaction,
            f"Done: your next vents will be signed **{copy.signature(fresh)}**. Earlier vents keep "
            "their old name, and nobody can link the two.",
        )

    async def choose_guild(
        self, interaction: discord.Interaction[Any], prompt: str, then: Any
    ) -> None:
        guilds = await self.mutual_vent_guilds(interaction.user.id)
        if not guilds:
            raise UserFacingError(
                "I couldn't find a server we're both in that has a vent channel set up."
            )
        if len(guilds) == 1:
            await then(interaction, guilds[0][0])
            return
        view = GuildChoiceView(interaction.user.id, guilds, then)
        await send_ephemeral(interaction, prompt, view=view)

    async def mutual_vent_guilds(self, user_id: int) -> list[tuple[int, str]]:
        """Servers the person is in that have a vent channel (asked of Discord, not cached)."""
        found: list[tuple[int, str]] = []
        for guild in self.bot.guilds:
            settings = await self.bot.services.guild_settings.get(guild.id)
            if settings.vent_channel_id is None:
                continue
            if guild.get_member(user_id) is None:
                try:
                    await guild.fetch_member(user_id)
                except discord.HTTPException:
                    continue
            found.append((guild.id, guild.name))
            if len(found) == 25:
                break
        return found

    async def open_vent_modal(self, interaction: discord.Interaction[Any], guild_id: int) -> None:
        # Refuse before they write, not after: blocked, cooling down, or not set up.
        await self.venting.check_can_post(guild_id, interaction.user.id)
        await interaction.response.send_modal(VentModal(self, guild_id, self.venting.max_length))

    # posting --------------------------------------------------------------------------

    async def submit_vent(
        self, interaction: discord.Interaction[Any], guild_id: int, text: str, topic: str
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        sub = await self.venting.submit(guild_id, interaction.user.id, text, topic or None)
        guild_name = self.guild_name(guild_id)
        lines: list[str] = []
        dm_ok = True
        if sub.crisis is not None:
            # Support first, before anything is posted anywhere.
            dm_ok = await self.send_crisis_dm(interaction.user.id, guild_id, sub, guild_name)
            lines.append(
                "I've also sent you a private message with some support options."
                if dm_ok
                else copy.author_text(
                    "crisis_inline", **await self.helplines(interaction.user.id, guild_id)
                )
            )
        url: str | None = None
        if sub.held:
            queued = await self.send_to_queue(sub)
            head = (
                f"Your vent is waiting for a moderator to approve it; it will be signed "
                f"**{copy.signature(sub.pseudonym)}**. I'll message you when it's decided."
                if queued
                else "I couldn't reach the moderators' queue, so nothing was posted. "
                "Please try again later."
            )
        else:
            message = await self.publish(
                sub.guild_id, sub.vent_id, sub.pseudonym, sub.text, sub.topic, sub.content_warning
            )
            url = message.jump_url if message is not None else None
            head = (
                f"Your vent is posted as **{copy.signature(sub.pseudonym)}**: {url}\n"
                "Nothing about you is shown. People can reply in its thread."
                if message is not None
                else "I couldn't post in the vent channel (a server admin may need to check my "
                "permissions there). Nothing was posted; please try again later."
            )
            if message is None:
                await self.venting.mark_failed(sub.vent_id)
        if sub.crisis is not None:
            await self.raise_crisis(sub, url, dm_ok)
        show_delete = sub.held or url is not None
        await interaction.followup.send(
            "\n\n".join([head, *lines]),
            ephemeral=True,
            view=view_of(DeleteMyVentButton(sub.vent_id)) if show_delete else discord.utils.MISSING,
        )

    async def publish(
        self,
        guild_id: int,
        vent_id: int,
        pseudonym: str,
        text: str,
        topic: str | None,
        content_warning: bool,
    ) -> discord.Message | None:
        """Post the vent and open its reply thread; ``None`` if the channel refused."""
        settings = await self.bot.services.guild_settings.get(guild_id)
        if settings.vent_channel_id is None:
            return None
        try:
            channel = await self.channel(settings.vent_channel_id)
            message = await channel.send(
                embed=copy.vent_embed(pseudonym, text, topic, content_warning),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as exc:
            log.warning(
                "vent %s: could not post in the vent channel (HTTP %s)", vent_id, exc.status
            )
            return None
        thread_id: int | None = None
        try:
            thread = await message.create_thread(
                name=f"Replies · {pseudonym}"[:100], auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
            thread_id = thread.id
        except discord.HTTPException as exc:
            log.warning("vent %s: could not open a reply thread (HTTP %s)", vent_id, exc.status)
        await self.venting.mark_posted(vent_id, message.channel.id, message.id, thread_id)
        return message

    async def send_to_queue(self, sub: VentSubmission) -> bool:
        settings = await self.bot.services.guild_settings.get(sub.guild_id)
        if settings.alert_channel_id is None:
            await self.venting.mark_failed(sub.vent_id)
            return False
        severity = sub.crisis.severity if sub.crisis else 0
        try:
            channel = await self.channel(settings.alert_channel_id)
            message = await channel.send(
                embed=copy.queue_embed(sub.vent_id, sub.pseudonym, sub.text, sub.topic, severity),
                view=view_of(
                    ApproveButton(sub.vent_id),
                    RejectButton(sub.vent_id),
                    ReachOutButton(sub.vent_id, "Message the author"),
                ),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as exc:
            log.warning(
                "vent %s: could not post to the vetting queue (HTTP %s)", sub.vent_id, exc.status
            )
            await self.venting.mark_failed(sub.vent_id)
            return False
        await self.venting.set_queue_message(sub.vent_id, message.id)
        return True

    # crisis -----------------------------------------------------------------------------

    async def helplines(self, user_id: int, guild_id: int) -> dict[str, str]:
        service = getattr(self.bot.services, "helplines", None)
        if service is not None:
            country = await service.country_for(user_id, guild_id)
        else:
            country = (await self.bot.services.guild_settings.get(guild_id)).country
        return copy.helpline_values(country)

    async def send_crisis_dm(
        self, user_id: int, guild_id: int, sub: VentSubmission, guild_name: str
    ) -> bool:
        text = copy.author_text(
            "crisis_dm", guild=guild_name, **await self.helplines(user_id, guild_id)
        )
        return await self.dm(
            user_id,
            content=text,
            view=view_of(AuthorReplyButton(sub.vent_id, "Message the moderators")),
        )

    async def raise_crisis(self, sub: VentSubmission, url: str | None, dm_ok: bool) -> None:
        """Pseudonymous moderator alert with the relay button, then the cross-feature hook."""
        assert sub.crisis is not None
        settings = await self.bot.services.guild_settings.get(sub.guild_id)
        alert_id: int | None = None
        if settings.alert_channel_id is not None:
            where = url or ("Held in the vetting queue above." if sub.held else "Not posted.")
            role = settings.moderator_role_id
            ping = role is not None and sub.crisis.severity >= 2
            try:
                channel = await self.channel(settings.alert_channel_id)
                alert = await channel.send(
                    content=f"<@&{role}>" if ping else None,
                    embed=copy.crisis_alert_embed(
                        sub.vent_id,
                        sub.pseudonym,
                        sub.crisis.severity,
                        sub.crisis.reasons,
                        where,
                        dm_ok,
                    ),
                    view=view_of(ReachOutButton(sub.vent_id)),
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False,
                        users=False,
                        roles=[discord.Object(role)] if ping and role else False,
                    ),
                )
                alert_id = alert.id
                await self.venting.set_alert_message(sub.vent_id, alert.id)
            except discord.HTTPException as exc:
                log.error("vent %s: could not alert moderators (HTTP %s)", sub.vent_id, exc.status)
        else:
            log.warning(
                "vent %s: self-risk vent but guild %s has no alert channel",
                sub.vent_id,
                sub.guild_id,
            )
        self.bot.dispatch(
            EVENT_NAME,
            VentCrisisEvent(
                guild_id=sub.guild_id,
                vent_id=sub.vent_id,
                pseudonym=sub.pseudonym,
                crisis=sub.crisis,
                assessment=sub.assessment,
                held=sub.held,
                vent_url=url,
                alert_channel_id=settings.alert_channel_id,
                alert_message_id=alert_id,
                author_dm_delivered=dm_ok,
            ),
        )

    # author actions -----------------------------------------------------------------------

    async def author_delete(self, interaction: discord.Interaction[Any], vent_id: int) -> None:
        before = await self.venting.delete_by_author(vent_id, interaction.user.id)
        await interaction.response.defer(ephemeral=True)
        await self.remove_vent_messages(before, "Withdrawn by the author; the text was removed.")
        await interaction.followup.send("Your vent is deleted.", ephemeral=True)

    # moderator actions ------------------------------------------------------------------

    async def vent_options(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        """Message context menu: the author may delete; moderators get the full panel."""
        vent = await self.venting.by_message(message.id)
        if vent is None or vent.guild_id != interaction.guild_id:
            raise UserFacingError("That message isn't an anonymous vent.")
        author = self.venting.is_author(vent, interaction.user.id)
        moderator = await is_moderator(self.bot, interaction.user)
        if not (author or moderator):
            raise UserFacingError(
                "Only the moderators, or the person who wrote it, can act on a vent."
            )
        blocked = moderator and await self.venting.is_poster_blocked(vent)
        options = await self.venting.options(vent.guild_id)
        panel = VentPanel(
            self,
            interaction.user.id,
            vent.id,
            author=author,
            moderator=moderator,
            blocked=blocked,
            unmasking=options.unmasking,
        )
        state = "" if vent.state == "posted" else f" ({vent.state})"
        await send_ephemeral(
            interaction,
            f"Vent #{vent.id} by **{copy.signature(vent.pseudonym)}**{state}",
            view=panel,
        )

    async def moderated_vent(
        self, interaction: discord.Interaction[Any], vent_id: int
    ) -> VentRecord:
        vent = await self.venting.get(vent_id)
        if vent is None or vent.guild_id != interaction.guild_id:
            raise UserFacingError("I can't find that vent in this server.")
        if not await is_moderator(self.bot, interaction.user):
            raise UserFacingError(
                "Only this server's moderators (the moderator role, or Manage Server) can do that."
            )
        return vent

    async def approve(self, interaction: discord.Interaction[Any], vent_id: int) -> None:
        await self.moderated_vent(interaction, vent_id)
        vent, text, topic = await self.venting.approve(vent_id, interaction.user.id)
        await interaction.response.defer()
        message = await self.publish(
            vent.guild_id, vent.id, vent.pseudonym, text, topic, vent.content_warning
        )
        if message is None:
            await self.venting.return_to_queue(vent_id)
            raise UserFacingError(
                "I couldn't post in the vent channel (check my permissions there). "
                "The vent is back in the queue."
            )
        await interaction.edit_original_response(
            content=f"Approved by {interaction.user.mention} · posted: {message.jump_url}",
            view=None,
        )
        await self.tell_author(
            vent,
            copy.author_text(
                "approved", guild=self.guild_name(vent.guild_id), link=message.jump_url
            ),
        )

    async def reject(self, interaction: discord.Interaction[Any], vent_id: int) -> None:
        await self.moderated_vent(interaction, vent_id)
        vent = await self.venting.reject(vent_id, interaction.user.id)
        await interaction.response.defer()
        await interaction.edit_original_response(
            content=f"Rejected by {interaction.user.mention}; the text was removed.",
            embed=discord.Embed(
                title=f"Rejected vent · {copy.signature(vent.pseudonym)}",
                colour=copy.QUEUE_COLOUR,
            ).set_footer(text=f"vent #{vent.id}"),
            view=None,
        )
        await self.tell_author(
            vent, copy.author_text("rejected", guild=self.guild_name(vent.guild_id))
        )

    async def moderator_delete(self, interaction: discord.Interaction[Any], vent_id: int) -> None:
        await self.moderated_vent(interaction, vent_id)
        before = await self.venting.delete_by_moderator(vent_id, interaction.user.id)
        await interaction.response.defer(ephemeral=True)
        await self.remove_vent_messages(before, f"Deleted by {interaction.user.mention}.")
        await interaction.followup.send(
            f"Deleted vent #{vent_id}. To stop this poster from venting again, use **Block this "
            "poster** (nobody learns who they are).",
            ephemeral=True,
        )

    async def block(self, interaction: discord.Interaction[Any], vent_id: int) -> None:
        await self.moderated_vent(interaction, vent_id)
        added = await self.venting.block(vent_id, interaction.user.id)
        await send_ephemeral(
            interaction,
            "Blocked: this poster can't vent here again, under any name. Nobody, you included, "
            "learned who they are."
            if added
            else "This poster was already blocked.",
        )

    async def unblock(self, interaction: discord.Interaction[Any], vent_id: int) -> None:
        await self.moderated_vent(interaction, vent_id)
        removed = await self.venting.unblock(vent_id, interaction.user.id)
        await send_ephemeral(
            interaction, "Unblocked: they can vent again." if removed else "They weren't blocked."
        )

    async def unmask(self, interaction: discord.Interaction[Any], vent_id: int) -> None:
        vent = await self.moderated_vent(interaction, vent_id)
        step = await self.venting.request_unmask(vent_id, interaction.user.id)
        signature = copy.signature(vent.pseudonym)
        if step.status == "needs_second":
            await send_ephemeral(
                interaction,
                "You've already asked. A *different* moderator has to confirm from the same menu.",
            )
            return
        if step.status == "requested":
            await send_ephemeral(
                interaction,
                "Unmask requested. A different moderator must confirm it (Vent options → Unmask). "
                "The author will be told, and it goes in the audit log.",
            )
            await self.post_to_alerts(
                vent.guild_id,
                f"{interaction.user.mention} asked to unmask vent #{vent.id} ({signature}). "
                "A second moderator must confirm from the vent's **Vent options** menu.",
            )
            return
        assert step.author_id is not None
        await send_ephemeral(
            interaction,
            f"Vent #{vent.id} ({signature}) was written by <@{step.author_id}>. "
            "This is recorded in the audit log and the author is being told.",
        )
        await self.post_to_alerts(
            vent.guild_id,
            f"Vent #{vent.id} ({signature}) was unmasked: asked by <@{step.first_moderator_id}>, "
            f"confirmed by {interaction.user.mention}. The author has been told.",
        )
        await self.dm(
            step.author_id,
            content=copy.author_text(
                "unmasked", guild=self.guild_name(vent.guild_id), pseudonym=vent.pseudonym
            ),
        )

    # the anonymous relay ------------------------------------------------------------------

    async def open_relay(
        self, interaction: discord.Interaction[Any], vent_id: int, *, warning: bool = False
    ) -> None:
        await self.moderated_vent(interaction, vent_id)
        await interaction.response.send_modal(RelayModal(self, vent_id, warning=warning))

    async def relay_to_author(
        self, interaction: discord.Interaction[Any], vent_id: int, text: str, warning: bool
    ) -> None:
        vent = await self.moderated_vent(interaction, vent_id)
        await interaction.response.defer(ephemeral=True)
        intro = copy.author_text(
            "warning_from_moderators" if warning else "relay_from_moderators",
            guild=self.guild_name(vent.guild_id),
            pseudonym=vent.pseudonym,
        )
        delivered = await self.dm(
            self.venting.author_id(vent),
            content=intro,
            embed=copy.moderator_message_embed(text),
            view=view_of(AuthorReplyButton(vent.id)),
        )
        signature = copy.signature(vent.pseudonym)
        if not delivered:
            await interaction.followup.send(
                f"I couldn't deliver that: {signature} doesn't accept DMs from me.", ephemeral=True
            )
            return
        await self.venting.record_relay(vent, "out", interaction.user.id)
        await self.post_to_alerts(
            vent.guild_id,
            f"{interaction.user.mention} → {signature} (vent #{vent.id}), delivered:",
            embed=discord.Embed(description=text[:4_096], colour=copy.RELAY_COLOUR),
        )
        await interaction.followup.send(
            f"Delivered to {signature}. Their answers will appear in the alert channel.",
            ephemeral=True,
        )

    async def open_author_reply(self, interaction: discord.Interaction[Any], vent_id: int) -> None:
        vent = await self.venting.get(vent_id)
        if vent is None or not self.venting.is_author(vent, interaction.user.id):
            raise UserFacingError("This button belongs to the person who wrote the vent.")
        await interaction.response.send_modal(AuthorReplyModal(self, vent_id))

    async def relay_to_moderators(
        self, interaction: discord.Interaction[Any], vent_id: int, text: str
    ) -> None:
        vent = await self.venting.get(vent_id)
        if vent is None or not self.venting.is_author(vent, interaction.user.id):
            raise UserFacingError("This button belongs to the person who wrote the vent.")
        settings = await self.bot.services.guild_settings.get(vent.guild_id)
        if settings.alert_channel_id is None:
            raise UserFacingError(
                "This server hasn't set up a moderators' channel, so I can't pass that on."
            )
        await interaction.response.defer(ephemeral=True)
        sent = await self.post_to_alerts(
            vent.guild_id,
            None,
            embed=copy.author_reply_embed(vent.id, vent.pseudonym, sanitise(text)),
            view=view_of(ReachOutButton(vent.id, "Reply")),
        )
        if not sent:
            await interaction.followup.send(
                "I couldn't reach the moderators just now; please try again in a little while.",
                ephemeral=True,
            )
            return
        await self.venting.record_relay(vent, "in", None)
        await interaction.followup.send(
            f"Sent to the moderators as **{copy.signature(vent.pseudonym)}**. They don't know "
            "who you are. If they answer, it will arrive here.",
            ephemeral=True,
        )

    # setup ------------------------------------------------------------------------------

    async def set_options(
        self,
        interaction: discord.Interaction[Any],
        vetting: bool | None,
        hold_crisis: bool | None,
        unmasking: bool | None,
    ) -> None:
        assert interaction.guild_id is not None
        options = await self.venting.set_options(
            interaction.guild_id, vetting=vetting, hold_crisis=hold_crisis, unmasking=unmasking
        )
        await send_ephemeral(interaction, "\n".join(describe_options(options)))

    async def status_lines(self, guild_id: int) -> list[str]:
        return describe_options(await self.venting.options(guild_id))

    # Discord helpers ----------------------------------------------------------------------

    def guild_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild is not None else "the server"

    async def channel(self, channel_id: int) -> Any:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            channel = await self.bot.fetch_channel(channel_id)
        return channel

    async def dm(self, user_id: int, **kwargs: Any) -> bool:
        """DM by id (the id stays in memory). False when their DMs are closed."""
        try:
            channel = await self.bot.create_dm(discord.Object(user_id))
            await channel.send(allowed_mentions=discord.AllowedMentions.none(), **kwargs)
        except discord.HTTPException as exc:
            log.info("a venting DM could not be delivered (HTTP %s)", exc.status)
            return False
        return True

    async def tell_author(self, vent: VentRecord, text: str) -> None:
        await self.dm(self.venting.author_id(vent), content=text)

    async def post_to_alerts(self, guild_id: int, content: str | None, **kwargs: Any) -> bool:
        settings = await self.bot.services.guild_settings.get(guild_id)
        if settings.alert_channel_id is None:
            return False
        try:
            channel = await self.channel(settings.alert_channel_id)
            await channel.send(
                content=content, allowed_mentions=discord.AllowedMentions.none(), **kwargs
            )
        except discord.HTTPException as exc:
            log.warning(
                "could not post to the alert channel of guild %s (HTTP %s)", guild_id, exc.status
            )
            return False
        return True

    async def remove_vent_messages(self, vent: VentRecord, queue_note: str) -> None:
        """Delete the public post and its thread; strip the text from a queue message."""
        if vent.message_id is not None and vent.channel_id is not None:
            try:
                await (
                    self.bot.get_partial_messageable(vent.channel_id)
                    .get_partial_message(vent.message_id)
                    .delete()
                )
            except discord.HTTPException as exc:
                log.warning("vent %s: could not delete the post (HTTP %s)", vent.id, exc.status)
        if vent.thread_id is not None:
            try:
                await (await self.channel(vent.thread_id)).delete()
            except discord.HTTPException as exc:
                log.warning("vent %s: could not delete the thread (HTTP %s)", vent.id, exc.status)
        if vent.queue_message_id is not None and vent.state == "held":
            settings = await self.bot.services.guild_settings.get(vent.guild_id)
            if settings.alert_channel_id is not None:
                try:
                    await (
                        self.bot.get_partial_messageable(settings.alert_channel_id)
                        .get_partial_message(vent.queue_message_id)
                        .edit(content=queue_note, embed=None, view=None)
                    )
                except discord.HTTPException as exc:
                    log.warning(
                        "vent %s: could not update the queue (HTTP %s)", vent.id, exc.status
                    )


def describe_options(options: Any) -> list[str]:
    def on(value: bool) -> str:
        return "on" if value else "off"

    return [
        f"**Venting · vetting queue:** {on(options.vetting)}",
        f"**Venting · hold self-risk vents for a moderator:** {on(options.hold_crisis)}",
        f"**Venting · unmasking (two moderators, audited, author told):** {on(options.unmasking)}",
    ]


@app_commands.command(name="venting-options", description="Vetting queue and other venting options")
@app_commands.describe(
    vetting="Every vent waits in the alert channel for a moderator's Approve",
    hold_crisis="Vents that read as self-risk wait for a moderator instead of posting",
    unmasking="Allow two different moderators to reveal an author (audited; the author is told)",
)
async def venting_options(
    interaction: discord.Interaction[Any],
    vetting: bool | None = None,
    hold_crisis: bool | None = None,
    unmasking: bool | None = None,
) -> None:
    cog = interaction.client.get_cog("Venting")
    assert isinstance(cog, Venting)
    await cog.set_options(interaction, vetting, hold_crisis, unmasking)


async def setup_venting(bot: HavenBot) -> None:
    cog = Venting(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(*PERSISTENT_ITEMS)
    setup_group = getattr(bot, "setup_group", None)
    if setup_group is not None:
        setup_group.add_command(venting_options)
        setup_group.status_providers.append(cog.status_lines)
