"""Persistent log-embed buttons: Delete / Timeout / Dismiss. The custom_id carries the log id.

They keep working after a restart (registered with ``bot.add_dynamic_items``); every press
is handed to the cog, which checks the presser is a moderator before anything changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.moderation import Action
from cogs._ui import HavenView, PersistentButton

if TYPE_CHECKING:
    from cogs.moderation._cog import Moderation

VERDICTS = {"delete": "deleted", "timeout": "timed_out", "dismiss": "dismissed"}


def _cog(interaction: discord.Interaction[Any]) -> Moderation:
    cog = interaction.client.get_cog("Moderation")
    if cog is None:  # pragma: no cover - the buttons are registered by the cog's setup
        raise RuntimeError("moderation cog not loaded")
    return cog  # type: ignore[return-value]


class DeleteButton(
    PersistentButton, prefix="haven:mod:delete", label="Delete", style=discord.ButtonStyle.danger
):
    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await _cog(interaction).press(interaction, self.item_id, VERDICTS["delete"])


class TimeoutButton(
    PersistentButton,
    prefix="haven:mod:timeout",
    label="Timeout",
    style=discord.ButtonStyle.secondary,
):
    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await _cog(interaction).press(interaction, self.item_id, VERDICTS["timeout"])


class DismissButton(
    PersistentButton,
    prefix="haven:mod:dismiss",
    label="Dismiss",
    style=discord.ButtonStyle.success,
):
    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await _cog(interaction).press(interaction, self.item_id, VERDICTS["dismiss"])


DYNAMIC_ITEMS = (DeleteButton, TimeoutButton, DismissButton)


def log_view(log_id: int, action: Action, *, message_deleted: bool) -> HavenView:
    """Buttons for one log embed: only the steps not already taken automatically."""
    view = HavenView(timeout=None)
    if not message_deleted:
        view.add_item(DeleteButton(log_id))
    if action is not Action.TIMEOUT:
        view.add_item(TimeoutButton(log_id))
    view.add_item(DismissButton(log_id))
    return view
