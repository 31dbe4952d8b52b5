"""Crisis escalation: reach the person privately and the moderators at once.

The cross-feature API (``bot.escalate_text`` / ``haven_crisis_text``) is documented in
``cogs/escalation/_cog.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.escalation._cog import EscalationCog
from cogs.escalation._commands import (
    AllowlistGroup,
    EscalationsGroup,
    SettingsGroup,
    make_helplines_command,
    make_report_menu,
    make_setup_escalation,
)
from cogs.escalation._views import EscalationButton, TalkButton

if TYPE_CHECKING:
    from bot.app import HavenBot


async def setup(bot: HavenBot) -> None:
    cog = EscalationCog(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(EscalationButton, TalkButton)
    bot.tree.add_command(EscalationsGroup(bot))
    bot.tree.add_command(SettingsGroup(bot))
    bot.tree.add_command(make_helplines_command(cog))
    bot.tree.add_command(make_report_menu(cog))
    bot.setup_group.add_command(AllowlistGroup(bot))
    bot.setup_group.add_command(make_setup_escalation(bot))

    async def status(guild_id: int) -> list[str]:
        service = bot.services.escalations
        if service is None:
            return []
        config = await service.guild_config(guild_id)
        open_now = len(await service.list_open(guild_id, limit=100))
        allow = len(await service.allowlist(guild_id))
        return [
            f"**Escalations:** {open_now} open · re-ping after {config.reping_minutes} min · "
            f"backup {'set' if config.backup_channel_id or config.backup_role_id else 'not set'} "
            f"· {allow} allow-listed phrases"
        ]

    bot.setup_group.status_providers.append(status)
