"""Anonymous venting (issue 8): /vent, the vetting queue, moderator actions, the relay."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import HavenBot


async def setup(bot: HavenBot) -> None:
    from cogs.venting._cog import setup_venting

    await setup_venting(bot)
