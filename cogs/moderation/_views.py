"""Persistent log-embed buttons: Delete / Timeout / Dismiss. The custom_id carries the log id.

They keep working after a restart (registered with ``bot.add_dynamic_items``); every press
is handed to the cog, which checks the presser is a moderator before anything changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.app import report_interaction_error
from bot.moderation import Action
from cogs._ui import HavenView

if TYPE_CHECKING:
    from cogs.moderation._cog import Moderation

VERDICTS = {"delete": "deleted", "timeout": "timed_out", "dismiss": "dismissed"}


def _cog(interaction: discord.Interaction[Any]) -> Moderation:
    cog = interaction.client.get_cog("Moderation")
    if cog is None:  # pragma: no cover - the buttons are registered by the cog's setup
        raise RuntimeError("moderation cog not loaded")
    return cog  # type: ignore[return-value]


async def _press(interaction: discord.Interaction[Any], log_id: int, verb: str) -> None:
    # DynamicItems have no View.on_error of ours: give them the same error path.
    try:
        await _cog(interaction).press(interaction, log_id, VERDICTS[verb])
    except Exception as exc:
        await report_interaction_error(interaction, exc)


class DeleteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"haven:mod:delete:(?P<id>\d+)"
):
    def __init__(self, log_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Delete",
                style=discord.ButtonStyle.danger,
                custom_id=f"haven:mod:delete:{log_id}",
            )
        )
        self.log_id = log_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> DeleteButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _press(interaction, self.log_id, "delete")


class TimeoutButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"haven:mod:timeout:(?P<id>\d+)"
):
    def __init__(self, log_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Timeout",
                style=discord.ButtonStyle.secondary,
                custom_id=f"haven:mod:timeout:{log_id}",
            )
        )
        self.log_id = log_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> TimeoutButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _press(interaction, self.log_id, "timeout")


class DismissButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"haven:mod:dismiss:(?P<id>\d+)"
):
    def __init__(self, log_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Dismiss",
                style=discord.ButtonStyle.success,
                custom_id=f"haven:mod:dismiss:{log_id}",
            )
        )
        self.log_id = log_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> DismissButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _press(interaction, self.log_id, "dismiss")


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
