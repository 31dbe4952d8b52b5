"""/setup status (the bot's health, problems first) and /setup retention (this server's
own, shorter, retention periods)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.privacy.retention import (
    describe_periods,
    effective_periods,
    guild_overrides,
    set_guild_periods,
)
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


def make_retention_command(bot: HavenBot) -> app_commands.Command[Any, ..., None]:
    @app_commands.command(
        name="retention", description="Keep this server's records for less time (none: show)"
    )
    @app_commands.describe(
        escalations_days="Days to keep resolved crisis escalations",
        moderation_days="Days to keep the auto-moderation log",
        vents_days="Days to keep vent records (the posts themselves stay in the channel)",
        reset="Go back to the bot-wide periods",
    )
    async def retention(
        interaction: discord.Interaction[Any],
        escalations_days: app_commands.Range[int, 1, 3650] | None = None,
        moderation_days: app_commands.Range[int, 1, 3650] | None = None,
        vents_days: app_commands.Range[int, 1, 3650] | None = None,
        reset: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        maintenance = bot.services.maintenance
        assert maintenance is not None
        policy = maintenance.policy
        changes = {
            "resolved_escalation_days": escalations_days,
            "moderation_log_days": moderation_days,
            "vent_days": vents_days,
        }
        if reset or any(v is not None for v in changes.values()):
            periods = await set_guild_periods(
                bot.services.guild_settings, interaction.guild_id, policy, changes, reset=reset
            )
            head = "Saved. This server's records are now kept for:"
        else:
            settings = await bot.services.guild_settings.get(interaction.guild_id)
            periods = effective_periods(guild_overrides(settings.extra, policy), policy)
            head = "This server's records are kept for:"
        await interaction.response.send_message(
            f"{head}\n{describe_periods(periods)}\nThe daily clean-up applies changes within a "
            "day. Members' own mood notes follow the bot-wide period.",
            ephemeral=True,
        )

    return retention
