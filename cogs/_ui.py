"""Shared Discord glue for cogs: base View/Modal with one error path, and permission checks."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord
from discord import app_commands

from bot.app import report_interaction_error

if TYPE_CHECKING:
    from bot.app import HavenBot

log = logging.getLogger(__name__)


class HavenView(discord.ui.View):
    """A View whose failures answer the presser ephemerally and log the traceback."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_interaction_error(interaction, error)


class HavenModal(discord.ui.Modal):
    """A Modal whose failures answer the submitter ephemerally and log the traceback."""

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        await report_interaction_error(interaction, error)


class PersistentButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"haven:persistent:(?P<id>\d+)"
):
    """A button that keeps working after a restart: its custom id is ``<prefix>:<id>`` and
    :meth:`from_custom_id` rebuilds it from that (register subclasses with
    ``bot.add_dynamic_items``). Subclasses give ``prefix``, ``label``, ``style`` (and an
    optional ``emoji``) as class keywords and implement :meth:`pressed`; a failure answers
    the presser the way a :class:`HavenView` does. The base itself is never registered.
    """

    prefix: ClassVar[str]
    default_label: ClassVar[str]
    button_style: ClassVar[discord.ButtonStyle]
    emoji: ClassVar[str | None]

    def __init_subclass__(
        cls,
        *,
        prefix: str,
        label: str,
        style: discord.ButtonStyle,
        emoji: str | None = None,
    ) -> None:
        super().__init_subclass__(template=rf"{re.escape(prefix)}:(?P<id>\d+)")
        cls.prefix, cls.default_label, cls.button_style, cls.emoji = prefix, label, style, emoji

    def __init__(self, item_id: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or self.default_label,
                emoji=self.emoji,
                style=self.button_style,
                custom_id=f"{self.prefix}:{item_id}",
            )
        )
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> Self:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # DynamicItems have no View.on_error of ours: give them the same error path.
        try:
            await self.pressed(interaction)
        except Exception as exc:
            await report_interaction_error(interaction, exc)

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


class OwnerOnlyView(HavenView):
    """Only the person who opened it may press its buttons; others get a private note."""

    def __init__(self, owner_id: int, *, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "These buttons belong to the person who opened this. "
            "Use the command yourself to get your own.",
            ephemeral=True,
        )
        return False


async def send_ephemeral(
    interaction: discord.Interaction[Any], content: str | None = None, **kwargs: Any
) -> None:
    """Reply privately whether or not the interaction was already answered."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


async def is_moderator(bot: HavenBot, member: discord.abc.User | discord.Member) -> bool:
    """Moderator = has the guild's configured moderator role, or Manage Server."""
    if not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild:
        return True
    settings = await bot.services.guild_settings.get(member.guild.id)
    return settings.moderator_role_id is not None and any(
        role.id == settings.moderator_role_id for role in member.roles
    )


def moderator_only() -> Any:
    """app_commands check: only moderators (role or Manage Server) may run the command."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if await is_moderator(interaction.client, interaction.user):
            return True
        raise app_commands.CheckFailure(
            "Only this server's moderators (the moderator role, or Manage Server) can do that."
        )

    return app_commands.check(predicate)
