"""Daily mood check-ins: /checkin, /mood, the scheduled DM and its persistent buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.checkins._cog import setup as _setup

if TYPE_CHECKING:
    from bot.app import HavenBot


async def setup(bot: HavenBot) -> None:
    await _setup(bot)
