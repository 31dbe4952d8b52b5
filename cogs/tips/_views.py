"""Views and modals for tips: the pager (browse/search/random/saved) and the server-tip modal."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.tips import Category, Tip, TipsService
from bot.tips.exercises import Exercise
from bot.tips.models import MAX_BODY, MAX_TITLE
from cogs._ui import HavenModal, OwnerOnlyView
from cogs.tips._embeds import tip_embed

log = logging.getLogger(__name__)


class CategorySelect(discord.ui.Select["TipPager"]):
    def __init__(self, categories: Sequence[Category], selected: str | None = None) -> None:
        options = [
            discord.SelectOption(
                label=c.name[:100],
                value=c.id,
                description=c.description[:100],
                emoji=c.emoji or None,
                default=c.id == selected,
            )
            for c in categories[:25]
        ]
        super().__init__(
            custom_id="haven:tips:topic",
            placeholder="Choose a topic",
            options=options,
            min_values=1,
            max_values=1,
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        assert self.view is not None
        await self.view.open_category(interaction, self.values[0])


class TipPager(OwnerOnlyView):
    """One tip per page with Previous / Next / Save; only the opener can press."""

    def __init__(
        self,
        service: TipsService,
        owner_id: int,
        guild_id: int | None,
        tips: Sequence[Tip] = (),
        *,
        saved_ids: set[str] | None = None,
        with_categories: bool = False,
        heading: str | None = None,
        timeout: float | None = 900,
    ) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.service = service
        self.guild_id = guild_id
        self.tips: list[Tip] = list(tips)
        self.index = 0
        self.saved_ids = set(saved_ids or ())
        self.heading = heading
        self.select: CategorySelect | None = None
        if with_categories:
            self.select = CategorySelect(service.categories)
            self.add_item(self.select)
        self.refresh_buttons()

    @property
    def current(self) -> Tip | None:
        return self.tips[self.index] if self.tips else None

    def embed(self) -> discord.Embed | None:
        tip = self.current
        if tip is None:
            return None
        category = self.service.library.category_by_id.get(tip.category)
        return tip_embed(
            tip, category, position=self.index + 1, total=len(self.tips), heading=self.heading
        )

    def refresh_buttons(self) -> None:
        many = len(self.tips) > 1
        self.previous_button.disabled = not many
        self.next_button.disabled = not many
        tip = self.current
        saved = tip is not None and tip.id in self.saved_ids
        self.save_button.disabled = tip is None or saved
        self.save_button.label = "Saved ✓" if saved else "Save"

    async def _show(self, interaction: discord.Interaction[Any]) -> None:
        self.refresh_buttons()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    async def open_category(self, interaction: discord.Interaction[Any], category_id: str) -> None:
        self.tips = await self.service.tips_in(category_id, self.guild_id)
        self.index = 0
        if self.select is not None:
            for option in self.select.options:
                option.default = option.value == category_id
        await self._show(interaction)

    @discord.ui.button(
        label="Previous",
        emoji="◀️",
        style=discord.ButtonStyle.secondary,
        custom_id="haven:tips:prev",
    )
    async def previous_button(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        if self.tips:
            self.index = (self.index - 1) % len(self.tips)
        await self._show(interaction)

    @discord.ui.button(
        label="Next", emoji="▶️", style=discord.ButtonStyle.secondary, custom_id="haven:tips:next"
    )
    async def next_button(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        if self.tips:
            self.index = (self.index + 1) % len(self.tips)
        await self._show(interaction)

    @discord.ui.button(
        label="Save", emoji="🔖", style=discord.ButtonStyle.primary, custom_id="haven:tips:save"
    )
    async def save_button(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        tip = self.current
        if tip is None:
            await self._show(interaction)
            return
        await self.service.save(interaction.user.id, tip.id)
        self.saved_ids.add(tip.id)
        await self._show(interaction)


# -- server tips -------------------------------------------------------------------------

MODAL_ID = "haven:tips:server-tip"
SubmitHandler = Callable[[discord.Interaction[Any], dict[str, str]], Awaitable[None]]


class ServerTipModal(HavenModal):
    """Title, text, steps, tags and an optional source link for a server's own tip."""

    def __init__(self, heading: str, on_submit: SubmitHandler, tip: Tip | None = None) -> None:
        # Modals are looked up by custom_id alone, so each one needs its own.
        super().__init__(
            title=heading[:45], timeout=900, custom_id=f"{MODAL_ID}:{secrets.token_hex(8)}"
        )
        self._handler = on_submit
        self.tip_title: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Title",
            custom_id="title",
            max_length=MAX_TITLE,
            default=tip.title if tip else None,
        )
        self.body: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Tip text",
            custom_id="body",
            style=discord.TextStyle.paragraph,
            max_length=MAX_BODY,
            min_length=20,
            default=tip.body if tip else None,
        )
        self.steps: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Steps (optional, one per line)",
            custom_id="steps",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=2000,
            default="\n".join(tip.steps) if tip and tip.steps else None,
        )
        self.tags: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Tags (optional, comma separated)",
            custom_id="tags",
            required=False,
            max_length=300,
            default=", ".join(tip.tags) if tip and tip.tags else None,
        )
        self.source: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label="Source link (optional, https://…)",
            custom_id="source",
            required=False,
            max_length=300,
            default=str(tip.source.url) if tip and tip.source else None,
        )
        for item in (self.tip_title, self.body, self.steps, self.tags, self.source):
            self.add_item(item)

    def values(self) -> dict[str, str]:
        return {
            "title": self.tip_title.value,
            "body": self.body.value,
            "steps": self.steps.value,
            "tags": self.tags.value,
            "source_url": self.source.value,
        }

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self._handler(interaction, self.values())


# -- guided exercises --------------------------------------------------------------------


class ExerciseView(OwnerOnlyView):
    """A Stop button; pressing it (or the view timing out) ends the exercise cleanly."""

    def __init__(self, owner_id: int, *, timeout: float | None) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.stopped = asyncio.Event()

    @discord.ui.button(
        label="Stop",
        emoji="⏹️",
        style=discord.ButtonStyle.secondary,
        custom_id="haven:tips:exercise:stop",
    )
    async def stop_button(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.stopped.set()
        self.stop()
        await interaction.response.edit_message(
            content="Stopped. Come back to it whenever you like.", embed=None, view=None
        )

    async def on_timeout(self) -> None:
        self.stopped.set()


def render_step(exercise: Exercise, index: int) -> str:
    step = exercise.steps[index]
    return f"**{exercise.name}**\n*{exercise.intro}*\n\n{step.text}"


async def run_exercise(
    interaction: discord.Interaction[Any],
    exercise: Exercise,
    *,
    step_scale: float = 1.0,
) -> bool:
    """Show ``exercise`` in one ephemeral message, editing it step by step.

    ``step_scale`` multiplies every step's duration (tests pass 0). Returns True if it
    ran to the end, False if stopped by the person or by a failed edit (message dismissed).
    """
    view = ExerciseView(interaction.user.id, timeout=exercise.total_seconds * step_scale + 120)
    await interaction.response.send_message(render_step(exercise, 0), view=view, ephemeral=True)
    for index, step in enumerate(exercise.steps):
        if index > 0:
            if view.stopped.is_set():
                return False
            try:
                await interaction.edit_original_response(
                    content=render_step(exercise, index), view=view
                )
            except discord.HTTPException:
                # Dismissed or expired: nothing left to edit, so stop without a fuss.
                view.stop()
                return False
        try:
            await asyncio.wait_for(view.stopped.wait(), timeout=step.seconds * step_scale)
        except TimeoutError:
            continue
        return False
    if view.stopped.is_set():
        return False
    view.stop()
    try:
        await interaction.edit_original_response(
            content=f"**{exercise.name}**\n\n{exercise.outro}", view=None
        )
    except discord.HTTPException:
        log.debug("could not show the end of an exercise")
    return True
