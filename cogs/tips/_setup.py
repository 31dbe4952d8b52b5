"""/setup tips: tip of the day for a guild (a subgroup of the admin cog's /setup)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.tips import TipsService
from bot.tips.schedule import zone_names

if TYPE_CHECKING:
    from bot.app import HavenBot


class TipsSetup(app_commands.Group):
    """SetupGroup.interaction_check (Manage Server) covers these subcommands too."""

    def __init__(self, bot: HavenBot) -> None:
        super().__init__(name="tips", description="Tip of the day for this server")
        self.bot = bot

    @property
    def service(self) -> TipsService:
        service = self.bot.services.tips
        assert service is not None
        return service

    @app_commands.command(name="daily", description="Post a tip of the day in a channel")
    @app_commands.describe(
        channel="Where to post it",
        time="Time of day, e.g. 09:00 or 7pm",
        timezone="IANA time zone for that time, e.g. Europe/London (default UTC)",
    )
    async def daily(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        time: str,
        timezone: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        settings = await self.service.configure_daily(
            interaction.guild_id, channel.id, time, timezone
        )
        warning = ""
        me = interaction.guild.me if interaction.guild is not None else None
        if me is not None:
            perms = channel.permissions_for(me)
            if not (perms.send_messages and perms.embed_links):
                warning = (
                    f"\nNote: I need Send Messages and Embed Links in {channel.mention}; "
                    "please allow them."
                )
        await interaction.response.send_message(
            f"A tip of the day will be posted in {channel.mention} at {settings.local_time} "
            f"({settings.timezone}), never repeating one within 30 days. Tips about self-harm "
            f"urges and grief are never posted publicly.{warning}",
            ephemeral=True,
        )

    @daily.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower().replace(" ", "_")
        return [
            app_commands.Choice(name=name, value=name)
            for name in zone_names()
            if needle in name.lower()
        ][:25]

    @app_commands.command(name="off", description="Stop posting a tip of the day")
    async def off(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        was_on = await self.service.disable_daily(interaction.guild_id)
        text = "Tip of the day is now off." if was_on else "Tip of the day was already off."
        await interaction.response.send_message(text, ephemeral=True)


async def daily_status(service: TipsService, guild_id: int) -> list[str]:
    settings = await service.daily_settings(guild_id)
    if settings is None:
        return ["**Tip of the day:** off (/setup tips daily)"]
    return [
        f"**Tip of the day:** <#{settings.channel_id}> at {settings.local_time} ({settings.timezone})"
    ]
