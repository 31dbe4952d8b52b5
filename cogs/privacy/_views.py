"""The /mydata delete confirmation: one press confirms and, if there are vents, chooses
whether they leave Discord too."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import discord

from cogs._ui import OwnerOnlyView

if TYPE_CHECKING:
    from cogs.privacy._cog import Privacy

CONFIRM_TIMEOUT = 300


class DeleteView(OwnerOnlyView):
    def __init__(self, cog: Privacy, owner_id: int, *, has_vents: bool) -> None:
        super().__init__(owner_id, timeout=CONFIRM_TIMEOUT)
        self.cog = cog
        self.done = False
        # Unique per view: two people's open confirmations must never share an id.
        token = secrets.token_hex(4)
        for item in (
            self.delete_all,
            self.delete_remove_vents,
            self.delete_keep_vents,
            self.cancel,
        ):
            item.custom_id = f"{item.custom_id}:{token}"
        if has_vents:
            self.remove_item(self.delete_all)
        else:
            self.remove_item(self.delete_remove_vents)
            self.remove_item(self.delete_keep_vents)

    async def _go(self, interaction: discord.Interaction[Any], *, keep: bool) -> None:
        if self.done:  # a double press must not run twice
            await interaction.response.send_message("Already done.", ephemeral=True)
            return
        self.done = True
        self.stop()
        await interaction.response.edit_message(content="Deleting your data…", view=None)
        summary = await self.cog.erase(interaction.user.id, keep_vents_unlinked=keep)
        await interaction.followup.send(summary, ephemeral=True)

    @discord.ui.button(
        label="Delete everything", style=discord.ButtonStyle.danger, custom_id="haven:privacy:all"
    )
    async def delete_all(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await self._go(interaction, keep=False)

    @discord.ui.button(
        label="Delete everything, remove my vents from Discord",
        style=discord.ButtonStyle.danger,
        custom_id="haven:privacy:remove_vents",
    )
    async def delete_remove_vents(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await self._go(interaction, keep=False)

    @discord.ui.button(
        label="Delete everything, keep my vents unlinked",
        style=discord.ButtonStyle.danger,
        custom_id="haven:privacy:keep_vents",
    )
    async def delete_keep_vents(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await self._go(interaction, keep=True)

    @discord.ui.button(
        label="Cancel", style=discord.ButtonStyle.secondary, custom_id="haven:privacy:cancel"
    )
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.done = True
        self.stop()
        await interaction.response.edit_message(content="Nothing was deleted.", view=None)
