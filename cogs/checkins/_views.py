"""Check-in components. All persistent: stable custom ids carrying the prompt or entry id,
registered with ``bot.add_dynamic_items`` so they keep working after a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.app import report_interaction_error
from bot.checkins.service import FEELING_TAGS, MOODS, NOTE_MAX
from cogs._ui import HavenModal, PersistentButton

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from cogs.checkins._cog import Checkins

# prompt 0 = a mood logged with /checkin now (no scheduled prompt behind it).
MOOD_ID = "haven:checkin:mood:{prompt}:{mood}"
TAGS_ID = "haven:checkin:tags:{entry}"
NOTE_PREFIX = "haven:checkin:note"


async def _run(
    interaction: discord.Interaction[Any], action: Callable[[Checkins], Awaitable[None]]
) -> None:
    """Hand a click to the cog, with the same error path as slash commands."""
    try:
        cog = interaction.client.get_cog("Checkins")  # type: ignore[attr-defined]
        if cog is None:
            raise RuntimeError("check-ins cog not loaded")
        await action(cog)
    except Exception as exc:
        await report_interaction_error(interaction, exc)


class MoodButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"haven:checkin:mood:(?P<prompt>\d+):(?P<mood>[1-5])",
):
    def __init__(self, prompt_id: int, mood: int) -> None:
        level = MOODS[mood - 1]
        super().__init__(
            discord.ui.Button(
                label=level.label,
                emoji=level.emoji,
                style=discord.ButtonStyle.secondary,
                custom_id=MOOD_ID.format(prompt=prompt_id, mood=mood),
            )
        )
        self.prompt_id = prompt_id
        self.mood = mood

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> MoodButton:
        return cls(int(match["prompt"]), int(match["mood"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _run(interaction, lambda cog: cog.handle_mood(interaction, self.prompt_id, self.mood))


class TagSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"haven:checkin:tags:(?P<entry>\d+)"
):
    def __init__(self, entry_id: int) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=TAGS_ID.format(entry=entry_id),
                placeholder="Any feelings to add? (optional)",
                min_values=1,
                max_values=len(FEELING_TAGS),
                options=[
                    discord.SelectOption(label=label, value=key)
                    for key, label in FEELING_TAGS.items()
                ],
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> TagSelect:
        return cls(int(match["entry"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values = list(self.item.values)
        await _run(interaction, lambda cog: cog.handle_tags(interaction, self.entry_id, values))


class NoteButton(
    PersistentButton,
    prefix=NOTE_PREFIX,
    label="Add a private note",
    style=discord.ButtonStyle.secondary,
    emoji="📝",
):
    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(NoteModal(self.item_id))


class NoteModal(HavenModal, title="A private note"):
    note: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Anything you'd like to add? Only you see it.",
        style=discord.TextStyle.paragraph,
        max_length=NOTE_MAX,
        required=False,
    )

    def __init__(self, entry_id: int) -> None:
        super().__init__(custom_id=f"haven:checkin:notemodal:{entry_id}")
        self.entry_id = entry_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        text = self.note.value or ""
        cog = interaction.client.get_cog("Checkins")  # type: ignore[attr-defined]
        if cog is None:
            raise RuntimeError("check-ins cog not loaded")
        await cog.handle_note(interaction, self.entry_id, text)


def mood_view(prompt_id: int) -> discord.ui.View:
    """The five mood buttons (persistent: no timeout, ids carry the prompt)."""
    view = discord.ui.View(timeout=None)
    for level in MOODS:
        view.add_item(MoodButton(prompt_id, level.value))
    return view


def after_answer_view(entry_id: int) -> discord.ui.View:
    """Optional extras once a mood is in: feeling tags and a private note."""
    view = discord.ui.View(timeout=None)
    view.add_item(TagSelect(entry_id))
    view.add_item(NoteButton(entry_id))
    return view


DYNAMIC_ITEMS = (MoodButton, TagSelect, NoteButton)
