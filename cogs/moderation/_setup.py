"""/setup moderation: the auto-moderation ladder, thresholds, strikes and exemptions.

A subgroup of the admin cog's /setup, so SetupGroup.interaction_check (Manage Server) covers
every command here. Every answer is ephemeral and says what changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.moderation import Action, ModerationService, ModerationSettings, Profile
from bot.moderation.policy import LABELS, MAX_TIMEOUT_MINUTES
from cogs.moderation._embeds import duration

if TYPE_CHECKING:
    from bot.app import HavenBot

Level = Literal["log", "hide", "timeout"]
Change = Literal["add", "remove"]
ExemptChannel = discord.TextChannel | discord.CategoryChannel | discord.ForumChannel

LEVEL_WORDS = {
    Action.LOG: "log only (post flagged messages to the log channel)",
    Action.HIDE: "hide (delete and tell the author privately how to appeal)",
    Action.TIMEOUT: "timeout (hide, and time out repeat offenders)",
}


def _toggled(ids: frozenset[int], change: Change, item_id: int) -> frozenset[int]:
    return ids | {item_id} if change == "add" else ids - {item_id}


def describe_settings(settings: ModerationSettings) -> str:
    def thresholds(profile: Profile) -> str:
        values = settings.thresholds(profile)
        return " · ".join(
            f"{label.replace('_', ' ')} {values[label]:.2f}" if label in values else f"{label} off"
            for label in LABELS
        )

    log_channel = (
        f"<#{settings.log_channel_id}>"
        if settings.log_channel_id
        else "not set (the alert channel is used)"
    )
    roles = ", ".join(f"<@&{rid}>" for rid in sorted(settings.exempt_role_ids)) or "none"
    channels = ", ".join(f"<#{cid}>" for cid in sorted(settings.exempt_channel_ids)) or "none"
    return (
        f"**Auto-moderation:** {'on' if settings.enabled else 'off'}\n"
        f"**Log channel:** {log_channel}\n"
        f"**Strongest action:** {LEVEL_WORDS[settings.action]}\n"
        f"**In vent threads and replies to vents:** {LEVEL_WORDS[settings.strict_action]}\n"
        f"**Thresholds:** {thresholds(Profile.NORMAL)}\n"
        f"**Vent thresholds (stricter):** {thresholds(Profile.STRICT)}\n"
        f"**Strikes:** timeout after {settings.strike_limit} flagged messages within "
        f"{duration(settings.strike_window_minutes)}, for {duration(settings.timeout_minutes)}\n"
        f"**Exempt roles:** {roles} (moderators are always exempt)\n"
        f"**Exempt channels:** {channels}"
    )


def _permission_warning(guild: discord.Guild | None, action: Action) -> str:
    me = guild.me if guild is not None else None
    if me is None:
        return ""
    perms = me.guild_permissions
    missing = []
    if action.rank >= Action.HIDE.rank and not perms.manage_messages:
        missing.append("Manage Messages")
    if action is Action.TIMEOUT and not perms.moderate_members:
        missing.append("Timeout Members")
    if not missing:
        return ""
    return f"\nNote: I need the {' and '.join(missing)} permission for that; please grant it."


class ModerationSetup(app_commands.Group):
    def __init__(self, bot: HavenBot) -> None:
        super().__init__(name="moderation", description="Automatic moderation of abusive messages")
        self.bot = bot

    @property
    def service(self) -> ModerationService:
        service = self.bot.services.moderation
        if service is None:
            raise UserFacingError("Auto-moderation is not available on this bot.")
        return service

    async def _update(
        self, interaction: discord.Interaction[Any], **changes: Any
    ) -> ModerationSettings:
        assert interaction.guild_id is not None
        try:
            return await self.service.update_settings(interaction.guild_id, **changes)
        except ValueError as exc:
            raise UserFacingError(str(exc)) from exc

    async def _current(self, interaction: discord.Interaction[Any]) -> ModerationSettings:
        assert interaction.guild_id is not None
        return await self.service.settings(interaction.guild_id)

    @app_commands.command(name="show", description="Show this server's auto-moderation settings")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        settings = await self._current(interaction)
        await interaction.response.send_message(describe_settings(settings), ephemeral=True)

    @app_commands.command(name="enabled", description="Switch auto-moderation on or off")
    @app_commands.describe(on="True to score messages and act on abuse, False to stop")
    async def enabled(self, interaction: discord.Interaction[Any], on: bool) -> None:
        await self._update(interaction, enabled=on)
        text = (
            "Auto-moderation is **on**."
            if on
            else "Auto-moderation is **off**: no message is scored or actioned. The crisis "
            "detector keeps working."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name="log-channel", description="Where flagged messages are posted for moderators"
    )
    @app_commands.describe(channel="A private channel only moderators can see")
    async def log_channel(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        if channel.permissions_for(guild.default_role).view_channel:
            raise UserFacingError(
                f"{channel.mention} is visible to everyone. The moderation log quotes flagged "
                "messages and names their authors, so it must be private: hide it from "
                "@everyone and allow your moderator role, then run this again."
            )
        warning = ""
        me = guild.me
        if me is not None:
            perms = channel.permissions_for(me)
            if not (perms.send_messages and perms.embed_links):
                warning = (
                    f"\nNote: I need Send Messages and Embed Links in {channel.mention}; "
                    "please allow them."
                )
        await self._update(interaction, log_channel_id=channel.id)
        await interaction.response.send_message(
            f"Flagged messages will be logged in {channel.mention}.{warning}", ephemeral=True
        )

    @app_commands.command(name="action", description="The strongest action auto-moderation takes")
    @app_commands.describe(
        level="log: post to the log · hide: also delete · timeout: also time out repeat offenders",
        strict_level="The same for vent threads and replies to vents (default: at least level)",
    )
    async def action(
        self,
        interaction: discord.Interaction[Any],
        level: Level,
        strict_level: Level | None = None,
    ) -> None:
        current = await self._current(interaction)
        normal = Action(level)
        if strict_level is not None:
            strict = Action(strict_level)
        else:
            # Vent threads never get less protection than everywhere else.
            strict = max(normal, current.strict_action, key=lambda action: action.rank)
        updated = await self._update(interaction, action=normal, strict_action=strict)
        warning = _permission_warning(
            interaction.guild, max(normal, strict, key=lambda action: action.rank)
        )
        await interaction.response.send_message(
            f"Strongest action: **{LEVEL_WORDS[updated.action]}**.\n"
            f"In vent threads and replies to vents: **{LEVEL_WORDS[updated.strict_action]}**."
            f"{warning}",
            ephemeral=True,
        )

    @app_commands.command(name="threshold", description="Score at which a label flags a message")
    @app_commands.describe(
        label="Which score",
        value="0.01 to 1 (higher = fewer flags); 0 switches the label off; leave out to reset",
        profile="normal channels, or the stricter vent profile",
    )
    async def threshold(
        self,
        interaction: discord.Interaction[Any],
        label: Literal[
            "toxicity",
            "severe_toxicity",
            "obscene",
            "threat",
            "insult",
            "identity_attack",
            "sexual_explicit",
        ],
        value: app_commands.Range[float, 0.0, 1.0] | None = None,
        profile: Literal["normal", "strict"] = "normal",
    ) -> None:
        current = await self._current(interaction)
        strict = profile == "strict"
        field = "strict_overrides" if strict else "threshold_overrides"
        overrides = dict(current.strict_overrides if strict else current.threshold_overrides)
        if value is None:
            overrides.pop(label, None)
        elif value == 0:
            overrides[label] = None
        else:
            overrides[label] = float(value)
        updated = await self._update(interaction, **{field: overrides})
        now = updated.thresholds(Profile.STRICT if strict else Profile.NORMAL).get(label)
        where = "in vent threads" if strict else "in normal channels"
        if now is None:
            text = f"**{label}** no longer flags messages {where}."
        else:
            suffix = " (the default)" if value is None else ""
            text = f"**{label}** now flags messages {where} at a score of {now:.2f}{suffix}."
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="strikes", description="When repeat offenders are timed out")
    @app_commands.describe(
        limit="Flagged messages that lead to a timeout",
        window_minutes="Within how many minutes they count",
        timeout_minutes="How long the timeout lasts",
    )
    async def strikes(
        self,
        interaction: discord.Interaction[Any],
        limit: app_commands.Range[int, 1, 50],
        window_minutes: app_commands.Range[int, 1, 30 * 24 * 60],
        timeout_minutes: app_commands.Range[int, 1, MAX_TIMEOUT_MINUTES],
    ) -> None:
        updated = await self._update(
            interaction,
            strike_limit=limit,
            strike_window_minutes=window_minutes,
            timeout_minutes=timeout_minutes,
        )
        note = ""
        if Action.TIMEOUT not in (updated.action, updated.strict_action):
            note = "\nTimeouts are not switched on yet: `/setup moderation action level:timeout`."
        await interaction.response.send_message(
            f"Members will be timed out for {duration(updated.timeout_minutes)} after "
            f"{updated.strike_limit} flagged messages within "
            f"{duration(updated.strike_window_minutes)}.{note}",
            ephemeral=True,
        )

    @app_commands.command(name="exempt-role", description="A role auto-moderation never acts on")
    @app_commands.describe(change="add or remove the exemption", role="The role")
    async def exempt_role(
        self, interaction: discord.Interaction[Any], change: Change, role: discord.Role
    ) -> None:
        current = await self._current(interaction)
        roles = _toggled(current.exempt_role_ids, change, role.id)
        updated = await self._update(interaction, exempt_role_ids=roles)
        verb = "is now exempt from" if change == "add" else "is no longer exempt from"
        listed = ", ".join(f"<@&{rid}>" for rid in sorted(updated.exempt_role_ids)) or "none"
        await interaction.response.send_message(
            f"{role.mention} {verb} auto-moderation. Exempt roles: {listed}.", ephemeral=True
        )

    @app_commands.command(
        name="exempt-channel", description="A channel (or category) auto-moderation never acts in"
    )
    @app_commands.describe(change="add or remove the exemption", channel="The channel or category")
    async def exempt_channel(
        self, interaction: discord.Interaction[Any], change: Change, channel: ExemptChannel
    ) -> None:
        current = await self._current(interaction)
        channels = _toggled(current.exempt_channel_ids, change, channel.id)
        updated = await self._update(interaction, exempt_channel_ids=channels)
        verb = "is now exempt from" if change == "add" else "is no longer exempt from"
        listed = ", ".join(f"<#{cid}>" for cid in sorted(updated.exempt_channel_ids)) or "none"
        await interaction.response.send_message(
            f"{channel.mention} {verb} auto-moderation (threads in it too). "
            f"Exempt channels: {listed}.",
            ephemeral=True,
        )
