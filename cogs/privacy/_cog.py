"""/mydata show|export|delete and /privacy (all ephemeral); retention and guild-leave hooks."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.privacy import DeletionResult, MessageRef, PrivacyService
from bot.privacy.maintenance import Maintenance
from cogs.privacy._views import DeleteView

if TYPE_CHECKING:
    from bot.app import HavenBot

log = logging.getLogger(__name__)

HEARTBEAT_JOB_ID = "privacy:heartbeat"
DAILY_JOB_ID = "privacy:daily"
HEARTBEAT_SECONDS = 60
DAILY_CHECK_SECONDS = 3_600


def privacy_statement(maintenance: Maintenance) -> str:
    template = (resources.files("resources") / "copy" / "privacy.md").read_text("utf-8")
    p = maintenance.policy
    return template.format(
        note_days=p.note_days,
        vent_days=p.vent_days,
        resolved_escalation_days=p.resolved_escalation_days,
        moderation_log_days=p.moderation_log_days,
        guild_grace_days=p.guild_grace_days,
    )


def describe_counts(counts: dict[str, int], labels: dict[str, str]) -> str:
    lines = [f"- {labels.get(kind, kind)}: {n}" for kind, n in counts.items() if n]
    if not lines:
        return "Haven stores nothing about you."
    return "What Haven stores about you:\n" + "\n".join(lines)


def describe_deletion(result: DeletionResult, removed_posts: int, failed_posts: int) -> str:
    lines = [f"- {line}" for line in result.lines()]
    text = "Done. Removed:\n" + "\n".join(lines) if lines else "Done. Nothing was stored."
    if result.kept_vents_unlinked:
        text += "\nYour public vents stay in the vent channel with no link to you."
    elif removed_posts or failed_posts:
        text += f"\n{removed_posts} vent post(s) were deleted from Discord."
    if failed_posts:
        text += (
            f"\n{failed_posts} vent post(s) could not be deleted from Discord (I may lack "
            "permission there). They are no longer linked to you; a moderator can remove them."
        )
    return text


class Privacy(commands.Cog):
    """People own their data: see it, take it, erase it. Admins see the bot's health."""

    mydata = app_commands.Group(name="mydata", description="See, export or delete your data")

    def __init__(self, bot: HavenBot) -> None:
        self.bot = bot

    @property
    def service(self) -> PrivacyService:
        service = self.bot.services.privacy
        assert service is not None, "PrivacyService is built in bot.services.build_services"
        return service

    @property
    def maintenance(self) -> Maintenance:
        maintenance = self.bot.services.maintenance
        assert maintenance is not None, "Maintenance is built in bot.services.build_services"
        return maintenance

    async def cog_load(self) -> None:
        scheduler = self.bot.services.scheduler
        scheduler.add_job(
            self.maintenance.heartbeat,
            "interval",
            seconds=HEARTBEAT_SECONDS,
            id=HEARTBEAT_JOB_ID,
            replace_existing=True,
        )
        scheduler.add_job(
            self.run_daily,
            "interval",
            seconds=DAILY_CHECK_SECONDS,
            id=DAILY_JOB_ID,
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )

    async def cog_unload(self) -> None:
        for job_id in (HEARTBEAT_JOB_ID, DAILY_JOB_ID):
            if self.bot.services.scheduler.get_job(job_id) is not None:
                self.bot.services.scheduler.remove_job(job_id)

    async def run_daily(self) -> None:
        try:
            await self.maintenance.maybe_run_daily()
        except Exception:
            log.exception("the daily retention run failed; it will be retried within the hour")

    # -- guild departure ------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.maintenance.guild_left(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.maintenance.guild_present(guild.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Added back while the bot was offline: cancel those purges too.
        for guild in self.bot.guilds:
            await self.maintenance.guild_present(guild.id)

    # -- members ---------------------------------------------------------------------

    @mydata.command(name="show", description="What Haven stores about you, counted by kind")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        counts = await self.service.counts(interaction.user.id)
        text = describe_counts(counts, self.service.labels())
        if any(counts.values()):
            text += "\n\n`/mydata export` gives you all of it; `/mydata delete` erases it."
        await interaction.response.send_message(text, ephemeral=True)

    @mydata.command(name="export", description="Everything Haven stores about you, as a file")
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.service.export(interaction.user.id)
        payload = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
        name = f"haven-data-{datetime.now(UTC):%Y-%m-%d}.json"
        await interaction.followup.send(
            "Here is everything Haven stores about you. Only you can see this message; "
            "keep the file somewhere private.",
            file=discord.File(io.BytesIO(payload), filename=name),
            ephemeral=True,
        )

    @mydata.command(name="delete", description="Erase everything Haven stores about you")
    async def delete(self, interaction: discord.Interaction[Any]) -> None:
        counts = await self.service.counts(interaction.user.id)
        if not any(counts.values()):
            await interaction.response.send_message(
                "Haven stores nothing about you, so there is nothing to delete.", ephemeral=True
            )
            return
        has_vents = counts.get("vents", 0) > 0
        text = (
            describe_counts(counts, self.service.labels())
            + "\n\nDelete all of this? It cannot be undone."
        )
        if has_vents:
            text += (
                "\nYour anonymous vents: remove them from Discord too, or keep them in the "
                "vent channel with no link to you?"
            )
        view = DeleteView(self, interaction.user.id, has_vents=has_vents)
        await interaction.response.send_message(text, view=view, ephemeral=True)

    async def erase(self, user_id: int, *, keep_vents_unlinked: bool) -> str:
        """Delete the data, then the vent posts from Discord; return what to tell them."""
        result = await self.service.delete(user_id, keep_vents_unlinked=keep_vents_unlinked)
        removed = failed = 0
        for ref in result.messages:
            if await self.delete_post(ref):
                removed += 1
            else:
                failed += 1
        return describe_deletion(result, removed, failed)

    async def delete_post(self, ref: MessageRef) -> bool:
        message = self.bot.get_partial_messageable(ref.channel_id).get_partial_message(
            ref.message_id
        )
        try:
            await message.delete()
        except discord.NotFound:
            return True  # already gone
        except discord.HTTPException as exc:
            log.warning("could not delete a vent post on request (HTTP %s)", exc.status)
            return False
        return True

    @app_commands.command(
        name="privacy", description="What Haven stores, for how long, and who can see it"
    )
    async def privacy(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(
            privacy_statement(self.maintenance)[:2000], ephemeral=True
        )
