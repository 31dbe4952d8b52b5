"""Coping tips: /tips, /exercise and /setup tips (see bot/tips for the rules)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.tips._cog import Exercises, Tips
from cogs.tips._setup import TipsSetup, daily_status

if TYPE_CHECKING:
    from bot.app import HavenBot


async def setup(bot: HavenBot) -> None:
    service = bot.services.tips
    if service is None:
        raise RuntimeError("bot.services.tips is not built; see bot.services.build_services")
    await bot.add_cog(Tips(bot))
    await bot.add_cog(Exercises(bot))
    bot.setup_group.add_command(TipsSetup(bot), override=True)

    async def status(guild_id: int) -> list[str]:
        return await daily_status(service, guild_id)

    bot.setup_group.status_providers.append(status)
