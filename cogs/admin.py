"""/setup: server admins configure Haven for their guild (all answers are ephemeral)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import require_manage_guild
from bot.countries import countries, normalise_country
from bot.db.guild_settings import GuildSettings
from bot.errors import UserFacingError

if TYPE_CHECKING:
    from bot.app import HavenBot

log = logging.getLogger(__name__)

# guild_id → lines for /setup show (model state, dropped messages …), registered by cogs.
StatusProvider = Callable[[int], Awaitable[list[str]]]

MANAGE_GUILD = discord.Permissions(manage_guild=True)


def describe(settings: GuildSettings) -> str:
    def channel(cid: int | None) -> str:
        return f"<#{cid}>" if cid else "not set"

    monitored = (
        ", ".join(f"<#{cid}>" for cid in settings.monitored_channel_ids)
        if settings.monitored_channel_ids
        else "every text channel I can read"
    )
    country = (
        f"{settings.country} ({countries().get(settings.country, '?')})"
        if settings.country
        else "not set"
    )
    role = f"<@&{settings.moderator_role_id}>" if settings.moderator_role_id else "not set"
    return (
        f"**Alert channel:** {channel(settings.alert_channel_id)}\n"
        f"**Moderator role:** {role}\n"
        f"**Vent channel:** {channel(settings.vent_channel_id)}\n"
        f"**Monitored channels:** {monitored}\n"
        f"**Default country for helplines:** {country}"
    )


def still_missing(settings: GuildSettings) -> str:
    gaps = settings.missing()
    if not gaps:
        return "Everything essential is set."
    return "Still to set: " + "; ".join(gaps) + "."


class SetupGroup(app_commands.Group):
    """The /setup command group; feature cogs add their own subgroups to it."""

    def __init__(self, bot: HavenBot) -> None:
        super().__init__(
            name="setup",
            description="Configure Haven for this server (Manage Server)",
            guild_only=True,
            default_permissions=MANAGE_GUILD,
        )
        self.bot = bot
        self.status_providers: list[StatusProvider] = []

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        # default_permissions only hides the command; server owners can override that,
        # so check for real on every use (also covers subgroups added by other cogs).
        return require_manage_guild(interaction)

    async def _update(self, interaction: discord.Interaction[Any], **values: Any) -> GuildSettings:
        assert interaction.guild_id is not None
        return await self.bot.services.guild_settings.update(interaction.guild_id, **values)

    @app_commands.command(name="show", description="Show Haven's settings for this server")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.services.guild_settings.get(interaction.guild_id)
        status: list[str] = []
        for provider in self.status_providers:
            status.extend(await provider(interaction.guild_id))
        text = describe(settings) + "\n\n" + still_missing(settings)
        if status:
            text += "\n\n" + "\n".join(status)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name="alerts", description="Where crisis alerts go and which role is pinged"
    )
    @app_commands.describe(
        channel="A private channel only moderators can see", role="The moderator role to ping"
    )
    async def alerts(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        role: discord.Role,
    ) -> None:
        assert interaction.guild is not None
        if channel.permissions_for(interaction.guild.default_role).view_channel:
            raise UserFacingError(
                f"{channel.mention} is visible to everyone. Crisis alerts name people and quote "
                "what they wrote, so they must go to a private channel: hide it from @everyone "
                "and allow your moderator role, then run this again."
            )
        me = interaction.guild.me
        warning = ""
        if me is not None and not channel.permissions_for(me).send_messages:
            warning = f"\nNote: I can't send messages in {channel.mention} yet; please allow me."
        settings = await self._update(
            interaction, alert_channel_id=channel.id, moderator_role_id=role.id
        )
        await interaction.response.send_message(
            f"Crisis alerts will go to {channel.mention} and urgent ones will ping {role.mention}."
            f"{warning}\n{still_missing(settings)}",
            ephemeral=True,
        )

    @app_commands.command(
        name="venting", description="The channel where anonymous vents are posted"
    )
    async def venting(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel
    ) -> None:
        settings = await self._update(interaction, vent_channel_id=channel.id)
        await interaction.response.send_message(
            f"Anonymous vents will be posted in {channel.mention}.\n{still_missing(settings)}",
            ephemeral=True,
        )

    @app_commands.command(
        name="monitor", description="Channels the safety features read (none given: show them)"
    )
    @app_commands.describe(
        everything="Read every text channel I can see (replaces the list)",
        channel1="A channel to read",
        channel2="Another channel",
        channel3="Another channel",
        channel4="Another channel",
        channel5="Another channel",
    )
    async def monitor(
        self,
        interaction: discord.Interaction[Any],
        everything: bool = False,
        channel1: discord.TextChannel | None = None,
        channel2: discord.TextChannel | None = None,
        channel3: discord.TextChannel | None = None,
        channel4: discord.TextChannel | None = None,
        channel5: discord.TextChannel | None = None,
    ) -> None:
        chosen = [c for c in (channel1, channel2, channel3, channel4, channel5) if c is not None]
        if everything and chosen:
            raise UserFacingError("Choose either `everything` or a list of channels, not both.")
        if everything:
            settings = await self._update(interaction, monitored_channel_ids=[])
            text = "I will read every text channel I can see."
        elif chosen:
            settings = await self._update(
                interaction, monitored_channel_ids=sorted({c.id for c in chosen})
            )
            text = "I will read only: " + ", ".join(c.mention for c in chosen) + "."
        else:
            assert interaction.guild_id is not None
            settings = await self.bot.services.guild_settings.get(interaction.guild_id)
            text = "Nothing changed."
        await interaction.response.send_message(
            f"{text}\n\n{describe(settings)}\n{still_missing(settings)}", ephemeral=True
        )

    @app_commands.command(name="country", description="Default country for helplines (ISO code)")
    @app_commands.describe(code="Two-letter country code, e.g. GB, US, IN, AU")
    async def country(self, interaction: discord.Interaction[Any], code: str) -> None:
        normalised = normalise_country(code)
        if normalised is None:
            raise UserFacingError(
                f"'{code[:20]}' is not a country code I know. Use a two-letter ISO 3166 code "
                "such as GB, US, CA, AU, IN or DE (the autocomplete lists them)."
            )
        settings = await self._update(interaction, country=normalised)
        await interaction.response.send_message(
            f"Default country set to {normalised} ({countries()[normalised]}). Members can "
            f"choose their own with /settings country.\n{still_missing(settings)}",
            ephemeral=True,
        )

    @country.autocomplete("code")
    async def country_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        matches = [
            app_commands.Choice(name=f"{code} — {name}"[:100], value=code)
            for code, name in countries().items()
            if needle in code.lower() or needle in name.lower()
        ]
        return matches[:25]


class Admin(commands.Cog):
    def __init__(self, bot: HavenBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Tell the owner, privately, what to set before Haven can keep anyone safe."""
        settings = await self.bot.services.guild_settings.get(guild.id)
        gaps = settings.missing()
        if not gaps:
            return
        text = (
            f"Thanks for adding Haven to **{guild.name}**. Before it can reach people in a crisis "
            "and alert your moderators, a server admin needs to set:\n- "
            + "\n- ".join(gaps)
            + "\nRun `/setup show` in the server to see everything."
        )
        try:
            owner = guild.owner or await self.bot.fetch_user(guild.owner_id)  # type: ignore[arg-type]
            await owner.send(text)
        except (discord.HTTPException, TypeError):
            log.warning("could not DM the owner of guild %s about setup", guild.id)


async def setup(bot: HavenBot) -> None:
    group = SetupGroup(bot)
    bot.setup_group = group
    bot.tree.add_command(group)
    await bot.add_cog(Admin(bot))
