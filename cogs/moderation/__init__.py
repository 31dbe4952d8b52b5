"""Toxicity auto-moderation: the message listener, log buttons and /setup moderation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.moderation._cog import Moderation
from cogs.moderation._setup import ModerationSetup
from cogs.moderation._views import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from bot.app import HavenBot


async def setup(bot: HavenBot) -> None:
    cog = Moderation(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.setup_group.add_command(ModerationSetup(bot), override=True)
    bot.setup_group.status_providers.append(cog.status_lines)
