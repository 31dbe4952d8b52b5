"""Modals, persistent buttons and panels for venting. Every callback hands off to the cog.

Persistent buttons are ``DynamicItem``s whose custom_id carries only the vent id, never
a user id: the author is recognised by decrypting the vent's sealed author in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.venting.events import RELAY_PREFIX
from cogs._ui import HavenModal, OwnerOnlyView, PersistentButton

if TYPE_CHECKING:
    from cogs.venting._cog import Venting

log = logging.getLogger(__name__)

RELAY_MAX = 1_800


def _cog(interaction: discord.Interaction[Any]) -> Venting:
    cog = interaction.client.get_cog("Venting")
    if cog is None:  # pragma: no cover - the cog is always loaded with its buttons
        raise RuntimeError("venting cog not loaded")
    return cog  # type: ignore[return-value]


# modals ------------------------------------------------------------------------------


class VentModal(HavenModal, title="Vent anonymously"):
    def __init__(self, cog: Venting, guild_id: int, max_length: int) -> None:
        super().__init__(timeout=1_800, custom_id="haven:vent:compose")
        self.cog = cog
        self.guild_id = guild_id
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="What's on your mind?",
            custom_id="haven:vent:compose:text",
            style=discord.TextStyle.paragraph,
            min_length=1,
            max_length=max_length,
            placeholder="Only the bot knows who wrote this. Nothing about you is shown.",
        )
        self.topic: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Content warning (optional)",
            custom_id="haven:vent:compose:topic",
            required=False,
            max_length=100,
            placeholder="e.g. family, grief, self-harm",
        )
        self.add_item(self.text)
        self.add_item(self.topic)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.submit_vent(interaction, self.guild_id, self.text.value, self.topic.value)


class RelayModal(HavenModal, title="Message the author"):
    """A moderator writes to an anonymous author; Haven delivers it by DM."""

    def __init__(self, cog: Venting, vent_id: int, *, warning: bool = False) -> None:
        super().__init__(timeout=1_800, custom_id="haven:vent:relay-modal")
        self.cog = cog
        self.vent_id = vent_id
        self.warning = warning
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Your message (you stay anonymous too)"
            if not warning
            else "Your note about their vent",
            custom_id="haven:vent:relay-modal:text",
            style=discord.TextStyle.paragraph,
            max_length=RELAY_MAX,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.relay_to_author(interaction, self.vent_id, self.text.value, self.warning)


class AuthorReplyModal(HavenModal, title="Message the moderators"):
    """The author answers; Haven posts it to the moderators under the pseudonym."""

    def __init__(self, cog: Venting, vent_id: int) -> None:
        super().__init__(timeout=1_800, custom_id="haven:vent:reply-modal")
        self.cog = cog
        self.vent_id = vent_id
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Your message (you stay anonymous)",
            custom_id="haven:vent:reply-modal:text",
            style=discord.TextStyle.paragraph,
            max_length=RELAY_MAX,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.relay_to_moderators(interaction, self.vent_id, self.text.value)


# persistent buttons --------------------------------------------------------------------


class DeleteMyVentButton(
    PersistentButton,
    prefix="haven:vent:del",
    label="Delete my vent",
    style=discord.ButtonStyle.danger,
):
    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await _cog(interaction).author_delete(interaction, self.item_id)


class ApproveButton(
    PersistentButton,
    prefix="haven:vent:approve",
    label="Approve",
    style=discord.ButtonStyle.success,
):
    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await _cog(interaction).approve(interaction, self.item_id)


class RejectButton(
    PersistentButton,
    prefix="haven:vent:reject",
    label="Reject",
    style=discord.ButtonStyle.secondary,
):
    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await _cog(interaction).reject(interaction, self.item_id)


class ReachOutButton(
    PersistentButton,
    prefix=RELAY_PREFIX,
    label="Reach out",
    style=discord.ButtonStyle.primary,
):
    """On moderator messages: write to the anonymous author (the relay's outbound leg)."""

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await _cog(interaction).open_relay(interaction, self.item_id)


class AuthorReplyButton(
    PersistentButton,
    prefix="haven:vent:reply",
    label="Reply to the moderators",
    style=discord.ButtonStyle.primary,
):
    """In the author's DM: answer the moderators anonymously (the relay's inbound leg)."""

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await _cog(interaction).open_author_reply(interaction, self.item_id)


PERSISTENT_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    DeleteMyVentButton,
    ApproveButton,
    RejectButton,
    ReachOutButton,
    AuthorReplyButton,
)


def view_of(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


# one-off panels ----------------------------------------------------------------------


class GuildChoiceView(OwnerOnlyView):
    """In a DM: which server is this for? (Mutual servers that have a vent channel.)"""

    def __init__(
        self,
        owner_id: int,
        guilds: list[tuple[int, str]],
        on_choose: Callable[[discord.Interaction[Any], int], Awaitable[None]],
    ) -> None:
        super().__init__(owner_id, timeout=600)
        self.on_choose = on_choose
        select: discord.ui.Select[Any] = discord.ui.Select(
            placeholder="Choose the server",
            options=[
                discord.SelectOption(label=name[:100] or str(gid), value=str(gid))
                for gid, name in guilds[:25]
            ],
        )
        select.callback = self._chosen  # type: ignore[method-assign]
        self.select = select
        self.add_item(select)

    async def _chosen(self, interaction: discord.Interaction[Any]) -> None:
        await self.on_choose(interaction, int(self.select.values[0]))


class VentPanel(OwnerOnlyView):
    """Ephemeral actions on one vent for its author and/or a moderator."""

    def __init__(
        self,
        cog: Venting,
        owner_id: int,
        vent_id: int,
        *,
        author: bool,
        moderator: bool,
        blocked: bool,
        unmasking: bool,
    ) -> None:
        super().__init__(owner_id, timeout=600)
        self.cog = cog
        self.vent_id = vent_id
        if author and not moderator:
            self._button("Delete my vent", discord.ButtonStyle.danger, self._author_delete)
        if moderator:
            self._button("Delete vent", discord.ButtonStyle.danger, self._mod_delete)
            if blocked:
                self._button("Unblock poster", discord.ButtonStyle.secondary, self._unblock)
            else:
                self._button("Block this poster", discord.ButtonStyle.secondary, self._block)
            self._button("Warn through relay", discord.ButtonStyle.primary, self._warn)
            self._button("Reach out", discord.ButtonStyle.primary, self._reach_out)
            if unmasking:
                self._button("Unmask (needs 2 mods)", discord.ButtonStyle.secondary, self._unmask)

    def _button(
        self,
        label: str,
        style: discord.ButtonStyle,
        action: Callable[[discord.Interaction[Any]], Awaitable[None]],
    ) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(label=label, style=style)
        button.callback = action  # type: ignore[method-assign]
        self.add_item(button)

    async def _author_delete(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.author_delete(interaction, self.vent_id)

    async def _mod_delete(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.moderator_delete(interaction, self.vent_id)

    async def _block(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.block(interaction, self.vent_id)

    async def _unblock(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.unblock(interaction, self.vent_id)

    async def _warn(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.open_relay(interaction, self.vent_id, warning=True)

    async def _reach_out(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.open_relay(interaction, self.vent_id)

    async def _unmask(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.unmask(interaction, self.vent_id)
