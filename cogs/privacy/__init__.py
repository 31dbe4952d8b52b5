"""Data rights and health (issue 9): /mydata, /privacy, /setup status, retention jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.privacy._cog import Privacy
from cogs.privacy._status import make_retention_command, make_status_command

if TYPE_CHECKING:
    from bot.app import HavenBot


async def setup(bot: HavenBot) -> None:
    await bot.add_cog(Privacy(bot))
    bot.setup_group.add_command(make_status_command(bot), override=True)
    bot.setup_group.add_command(make_retention_command(bot), override=True)
