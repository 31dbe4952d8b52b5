"""Slash commands: /escalations (moderators), /helplines (anyone), /settings country (a
member's own), /setup allowlist … and /setup escalation (Manage Server)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.app import require_manage_guild
from bot.countries import countries, normalise_country
from bot.errors import UserFacingError
from bot.escalation.service import describe_duration
from cogs._ui import moderator_only
from cogs.escalation._embeds import alert_embed, jump_url, severity_label, subject

if TYPE_CHECKING:
    from bot.app import HavenBot
    from bot.escalation import EscalationService
    from bot.safety.helplines import HelplineService
    from cogs.escalation._cog import EscalationCog

MANAGE_GUILD = discord.Permissions(manage_guild=True)
CLEAR_WORDS = {"none", "clear", "reset", "-"}


def _age(seconds: int) -> str:
    return describe_duration(max(0, seconds))


async def country_choices(current: str) -> list[app_commands.Choice[str]]:
    needle = current.strip().lower()
    return [
        app_commands.Choice(name=f"{code} — {name}"[:100], value=code)
        for code, name in countries().items()
        if needle in code.lower() or needle in name.lower()
    ][:25]


class EscalationsGroup(app_commands.Group):
    """/escalations: the moderators' queue (all answers ephemeral)."""

    def __init__(self, bot: HavenBot) -> None:
        super().__init__(
            name="escalations", description="Crisis escalations (moderators)", guild_only=True
        )
        self.bot = bot

    @property
    def service(self) -> EscalationService:
        assert self.bot.services.escalations is not None
        return self.bot.services.escalations

    @app_commands.command(name="open", description="Open escalations, most urgent first")
    @moderator_only()
    async def open(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        items = await self.service.list_open(interaction.guild_id)
        if not items:
            await interaction.response.send_message("No open escalations. 🌿", ephemeral=True)
            return
        now = int(time.time())
        lines = []
        for e in items:
            link = jump_url(e)
            where = f" · [message]({link})" if link else ""
            lines.append(
                f"**#{e.id}** {severity_label(e)} · {e.state} · {_age(now - e.created_at)} ago · "
                f"{subject(e)}{where}"
            )
        await interaction.response.send_message("\n".join(lines)[:2000], ephemeral=True)

    @app_commands.command(name="show", description="One escalation with its full history")
    @app_commands.describe(escalation_id="The number shown on the alert, e.g. 12")
    @moderator_only()
    async def show(self, interaction: discord.Interaction[Any], escalation_id: int) -> None:
        assert interaction.guild_id is not None
        e = await self.service.get(escalation_id, interaction.guild_id)
        if e is None:
            raise UserFacingError(f"There is no escalation #{escalation_id} in this server.")
        deliveries = await self.service.deliveries(e.id)
        audit = await self.service.audit(e.id)
        embed = alert_embed(e, deliveries, audit)
        trail = [
            f"<t:{a.at}:f> {('<@' + str(a.actor_id) + '>') if a.actor_id else 'Haven'} "
            f"{a.action}: {a.from_state or '—'} → {a.to_state}"
            for a in audit
        ]
        embed.add_field(name="Audit trail", value="\n".join(trail)[-1024:] or "—", inline=False)
        steps = [
            f"<t:{d.at}:t> {d.step} {d.status}" + (f" ({d.detail})" if d.detail else "")
            for d in deliveries
        ]
        embed.add_field(name="Deliveries", value="\n".join(steps)[-1024:] or "—", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="stats", description="Counts and response times, 7 and 30 days")
    @moderator_only()
    async def stats(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        blocks = []
        for days in (7, 30):
            s = await self.service.stats(interaction.guild_id, days)
            sev = s.by_severity
            blocks.append(
                f"**Last {days} days:** {s.total} escalations "
                f"(🟡 {sev.get(1, 0)} · 🟠 {sev.get(2, 0)} · 🔴 {sev.get(3, 0)}), "
                f"{s.false_alarms} false alarms\n"
                f"Median time to acknowledge: {describe_duration(s.median_ack_seconds)} "
                f"({s.acknowledged} acknowledged) · to resolve: "
                f"{describe_duration(s.median_close_seconds)} ({s.closed} closed)"
            )
            open_now = s.open_now
        reasons = await self.service.false_alarm_reasons(interaction.guild_id, 30)
        text = "\n\n".join(blocks) + f"\n\nOpen right now: {open_now}"
        if reasons:
            top = ", ".join(f"`{r}` ×{n}" for r, n in reasons[:8])
            text += (
                f"\nFalse-alarm reasons (30 days): {top}\nAdmins can allow-list harmless "
                "phrases with `/setup allowlist add`."
            )
        await interaction.response.send_message(text[:2000], ephemeral=True)


class SettingsGroup(app_commands.Group):
    """/settings: a member's own preferences."""

    def __init__(self, bot: HavenBot) -> None:
        super().__init__(name="settings", description="Your own Haven settings")
        self.bot = bot

    @app_commands.command(name="country", description="Your country, for the right helplines")
    @app_commands.describe(code="Two-letter country code (e.g. GB, US, IN), or 'none' to clear")
    async def country(self, interaction: discord.Interaction[Any], code: str) -> None:
        helplines: HelplineService | None = self.bot.services.helplines
        assert helplines is not None
        if code.strip().lower() in CLEAR_WORDS:
            await helplines.set_member_country(interaction.user.id, None)
            await interaction.response.send_message(
                "Cleared. I'll use this server's default country for helplines.", ephemeral=True
            )
            return
        normalised = normalise_country(code)
        if normalised is None:
            raise UserFacingError(
                f"'{code[:20]}' is not a country code I know. Use a two-letter code such as "
                "GB, US, CA, AU, IN or DE (the autocomplete lists them)."
            )
        await helplines.set_member_country(interaction.user.id, normalised)
        choice = helplines.directory.choose(normalised)
        extra = (
            ""
            if not choice.is_fallback
            else " I don't have a verified list for it yet, so I'll show international "
            "directories that point to local services."
        )
        await interaction.response.send_message(
            f"Saved: {normalised} ({countries()[normalised]}).{extra} "
            "See them any time with `/helplines`.",
            ephemeral=True,
        )

    @country.autocomplete("code")
    async def _country_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await country_choices(current)


class AllowlistGroup(app_commands.Group):
    """/setup allowlist: phrases the crisis detector must not flag in this server."""

    def __init__(self, bot: HavenBot) -> None:
        super().__init__(
            name="allowlist",
            description="Phrases the crisis detector ignores here (e.g. a game's name)",
            guild_only=True,
            default_permissions=MANAGE_GUILD,
        )
        self.bot = bot

    @property
    def service(self) -> EscalationService:
        assert self.bot.services.escalations is not None
        return self.bot.services.escalations

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        # The tree checks every /setup command too; kept so the group is safe on its own.
        return require_manage_guild(interaction)

    @app_commands.command(name="add", description="Stop flagging a harmless phrase")
    @app_commands.describe(phrase="Exact words, e.g. 'dead by daylight' (3–100 characters)")
    async def add(self, interaction: discord.Interaction[Any], phrase: str) -> None:
        assert interaction.guild_id is not None
        try:
            clean = await self.service.allow_add(interaction.guild_id, phrase, interaction.user.id)
        except ValueError as exc:
            raise UserFacingError(f"{str(exc).capitalize()}.") from None
        await interaction.response.send_message(
            f"Added `{discord.utils.escape_markdown(clean)}`. Messages containing it won't "
            "raise crisis alerts here. Use this only for phrases that are never about a person "
            "in danger.",
            ephemeral=True,
        )

    @app_commands.command(name="remove", description="Flag a phrase again")
    async def remove(self, interaction: discord.Interaction[Any], phrase: str) -> None:
        assert interaction.guild_id is not None
        if not await self.service.allow_remove(interaction.guild_id, phrase):
            raise UserFacingError(
                "That phrase isn't on the allow-list (see `/setup allowlist list`)."
            )
        await interaction.response.send_message("Removed from the allow-list.", ephemeral=True)

    @app_commands.command(name="list", description="Show the allow-list")
    async def list(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        phrases = await self.service.allowlist(interaction.guild_id)
        text = (
            "Allow-listed phrases:\n" + "\n".join(f"- `{p}`" for p in phrases)
            if phrases
            else "The allow-list is empty."
        )
        await interaction.response.send_message(text[:2000], ephemeral=True)


def make_setup_escalation(bot: HavenBot) -> app_commands.Command[Any, Any, Any]:
    @app_commands.command(
        name="escalation", description="Re-ping interval and a backup channel/role for crises"
    )
    @app_commands.describe(
        reping_minutes="Minutes before an unacknowledged urgent alert is re-posted (1–240)",
        backup_channel="Private channel for imminent-risk alerts nobody acknowledged",
        backup_role="Role pinged there (e.g. admins on call)",
        clear_backup="Remove the backup channel and role",
    )
    async def escalation(
        interaction: discord.Interaction[Any],
        reping_minutes: app_commands.Range[int, 1, 240] | None = None,
        backup_channel: discord.TextChannel | None = None,
        backup_role: discord.Role | None = None,
        clear_backup: bool = False,
    ) -> None:
        assert interaction.guild is not None
        require_manage_guild(interaction)
        if (
            backup_channel is not None
            and backup_channel.permissions_for(interaction.guild.default_role).view_channel
        ):
            raise UserFacingError(
                f"{backup_channel.mention} is visible to everyone. Backup alerts quote what "
                "people wrote, so choose a private channel."
            )
        service = bot.services.escalations
        assert service is not None
        values: dict[str, int | None] = {}
        if reping_minutes is not None:
            values["reping_minutes"] = int(reping_minutes)
        if clear_backup:
            values["backup_channel_id"] = None
            values["backup_role_id"] = None
        if backup_channel is not None:
            values["backup_channel_id"] = backup_channel.id
        if backup_role is not None:
            values["backup_role_id"] = backup_role.id
        config = (
            await service.set_guild_config(interaction.guild.id, **values)
            if values
            else await service.guild_config(interaction.guild.id)
        )
        backup = (
            ", ".join(
                part
                for part in (
                    f"<#{config.backup_channel_id}>" if config.backup_channel_id else "",
                    f"<@&{config.backup_role_id}>" if config.backup_role_id else "",
                )
                if part
            )
            or "not set"
        )
        await interaction.response.send_message(
            f"Unacknowledged urgent alerts are re-posted every **{config.reping_minutes} min**. "
            f"Imminent-risk backup: {backup}.",
            ephemeral=True,
        )

    return escalation


def make_helplines_command(cog: EscalationCog) -> app_commands.Command[Any, Any, Any]:
    @app_commands.command(name="helplines", description="Free, confidential support lines")
    @app_commands.describe(country="Two-letter country code (default: yours, or the server's)")
    async def helplines(interaction: discord.Interaction[Any], country: str | None = None) -> None:
        service = cog.helplines
        if country:
            code = normalise_country(country)
            if code is None:
                raise UserFacingError(
                    f"'{country[:20]}' is not a country code I know. Try GB, US, CA, AU, IN…"
                )
            choice = service.directory.choose(code)
        else:
            choice = await service.for_person(interaction.user.id, interaction.guild_id)
            code = choice.country
        await interaction.response.send_message(cog.copy.directory(choice, code), ephemeral=True)

    @helplines.autocomplete("country")
    async def _autocomplete(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await country_choices(current)

    return helplines


def make_report_menu(cog: EscalationCog) -> app_commands.ContextMenu:
    async def report(interaction: discord.Interaction[Any], message: discord.Message) -> None:
        await cog.report_concern(interaction, message)

    menu = app_commands.ContextMenu(name="Report concern", callback=report)
    menu.guild_only = True
    return menu
