"""/setup status: the bot's health for server admins (problems first, with what to do)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.status import collect

if TYPE_CHECKING:
    from bot.app import HavenBot


async def live_report(bot: HavenBot, guild_id: int | None) -> str:
    toxicity = bot.services.toxicity
    report = await collect(
        bot.db,
        toxicity=toxicity.status() if toxicity is not None else None,
        live=True,
        db_path=bot.settings.database.path,
        guild_id=guild_id,
    )
    return report.render()


def make_status_command(bot: HavenBot) -> app_commands.Command[Any, ..., None]:
    @app_commands.command(name="status", description="Is Haven healthy? Problems first")
    async def status(interaction: discord.Interaction[Any]) -> None:
        text = await live_report(bot, interaction.guild_id)
        await interaction.response.send_message(text[:2000], ephemeral=True)

    return status
