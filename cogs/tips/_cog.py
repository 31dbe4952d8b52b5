"""/tips and /exercise: thin glue over bot.tips.TipsService."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.tips import Tip, TipsService, exercises
from cogs._ui import moderator_only, send_ephemeral
from cogs.tips._embeds import tip_embed
from cogs.tips._views import ServerTipModal, TipPager, run_exercise

if TYPE_CHECKING:
    from bot.app import HavenBot

log = logging.getLogger(__name__)

DAILY_JOB_ID = "tips:daily"
DAILY_TICK_SECONDS = 60
SEARCH_RESULTS = 5
CRISIS_CATEGORIES = frozenset({"self-harm-urges"})
REACH_OUT = (
    "You don't have to get through this alone. If you might act on these feelings, please "
    "reach out now: someone you trust, a moderator here, or a crisis line (Samaritans 116 123 "
    "in the UK and Ireland, 988 in the US, or your local emergency number)."
)


def _choice_name(tip: Tip) -> str:
    mark = " (this server)" if tip.from_server else ""
    return f"{tip.title}{mark}"[:100]


class Tips(commands.Cog):
    """Browse, search and save coping tips; moderators add their server's own."""

    tips_group = app_commands.Group(name="tips", description="Coping tips you can use right now")

    def __init__(self, bot: HavenBot) -> None:
        self.bot = bot

    @property
    def service(self) -> TipsService:
        service = self.bot.services.tips
        assert service is not None, "TipsService is built in bot.services.build_services"
        return service

    async def cog_load(self) -> None:
        self.bot.services.scheduler.add_job(
            self.post_daily_tips,
            "interval",
            seconds=DAILY_TICK_SECONDS,
            id=DAILY_JOB_ID,
            replace_existing=True,
        )

    async def cog_unload(self) -> None:
        if self.bot.services.scheduler.get_job(DAILY_JOB_ID) is not None:
            self.bot.services.scheduler.remove_job(DAILY_JOB_ID)

    async def _pager(
        self, interaction: discord.Interaction[Any], tips: list[Tip], **kw: Any
    ) -> TipPager:
        saved = await self.service.saved_ids(interaction.user.id)
        return TipPager(
            self.service, interaction.user.id, interaction.guild_id, tips, saved_ids=saved, **kw
        )

    # -- members ---------------------------------------------------------------------

    @tips_group.command(name="browse", description="Pick a topic and read tips one at a time")
    async def browse(self, interaction: discord.Interaction[Any]) -> None:
        view = await self._pager(interaction, [], with_categories=True)
        await interaction.response.send_message(
            "What would help right now? Pick a topic.", view=view, ephemeral=True
        )

    @tips_group.command(name="search", description="Find tips by what you're going through")
    @app_commands.describe(query="A few words, e.g. can't sleep, panic attack, lonely")
    async def search(self, interaction: discord.Interaction[Any], query: str) -> None:
        results = await self.service.search(query, interaction.guild_id, limit=SEARCH_RESULTS)
        if not results:
            raise UserFacingError(
                "I couldn't find a tip for that. Try other words, or /tips browse to see topics."
            )
        view = await self._pager(interaction, results, heading=f"Results for “{query[:80]}”")
        content = REACH_OUT if results[0].category in CRISIS_CATEGORIES else None
        await interaction.response.send_message(
            content, embed=view.embed(), view=view, ephemeral=True
        )

    @search.autocomplete("query")
    async def search_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if not current.strip():
            return [
                app_commands.Choice(name=f"{c.emoji} {c.name}".strip()[:100], value=c.name[:100])
                for c in self.service.categories
            ]
        tips = await self.service.autocomplete(current, interaction.guild_id, limit=25)
        return [app_commands.Choice(name=_choice_name(t), value=t.title[:100]) for t in tips]

    @tips_group.command(name="random", description="A random tip, from any topic or one you pick")
    @app_commands.describe(category="Optional topic")
    async def random(
        self, interaction: discord.Interaction[Any], category: str | None = None
    ) -> None:
        tip = await self.service.random_tip(category, interaction.guild_id)
        view = await self._pager(interaction, [tip])
        await interaction.response.send_message(embed=view.embed(), view=view, ephemeral=True)

    @random.autocomplete("category")
    async def category_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        return [
            app_commands.Choice(name=f"{c.emoji} {c.name}".strip()[:100], value=c.id)
            for c in self.service.categories
            if needle in c.name.lower() or needle in c.id
        ][:25]

    @tips_group.command(name="saved", description="The tips you saved")
    async def saved(self, interaction: discord.Interaction[Any]) -> None:
        tips = await self.service.saved_tips(interaction.user.id)
        if not tips:
            await interaction.response.send_message(
                "You haven't saved any tips yet. Press **Save** on a tip in /tips browse "
                "or /tips search to keep it here.",
                ephemeral=True,
            )
            return
        listing = "\n".join(f"{i}. {t.title}" for i, t in enumerate(tips, 1))
        view = await self._pager(interaction, tips, heading="Your saved tips")
        await interaction.response.send_message(
            f"**Your saved tips ({len(tips)})**\n{listing}"[:2000],
            embed=view.embed(),
            view=view,
            ephemeral=True,
        )

    @tips_group.command(name="unsave", description="Remove a tip from your saved list")
    @app_commands.describe(tip="The tip to remove")
    async def unsave(self, interaction: discord.Interaction[Any], tip: str) -> None:
        found = await self.service.get(tip)
        if not await self.service.unsave(interaction.user.id, tip):
            raise UserFacingError(
                "That tip isn't in your saved list. Pick one from the suggestions."
            )
        name = found.title if found else tip
        await interaction.response.send_message(
            f"Removed “{name}” from your saved tips.", ephemeral=True
        )

    @unsave.autocomplete("tip")
    async def saved_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        tips = await self.service.saved_tips(interaction.user.id)
        return [
            app_commands.Choice(name=_choice_name(t), value=t.id)
            for t in tips
            if needle in t.title.lower() or needle in t.id
        ][:25]

    # -- moderators: the server's own tips --------------------------------------------

    @tips_group.command(name="add", description="Add a tip of this server's own (moderators)")
    @app_commands.describe(category="Topic it belongs to", minutes="About how long it takes")
    @moderator_only()
    async def add(
        self,
        interaction: discord.Interaction[Any],
        category: str,
        minutes: app_commands.Range[int, 1, 120] = 5,
    ) -> None:
        self.service.category(category)  # fail before the modal, not after typing
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id

        async def submit(
            modal_interaction: discord.Interaction[Any], values: dict[str, str]
        ) -> None:
            tip = await self.service.add_server_tip(
                guild_id,
                modal_interaction.user.id,
                category=category,
                duration_minutes=minutes,
                **values,
            )
            await self._confirm(modal_interaction, tip, f"Added `{tip.id}` to this server's tips.")

        await interaction.response.send_modal(ServerTipModal("New tip for this server", submit))

    @tips_group.command(name="edit", description="Edit one of this server's own tips (moderators)")
    @app_commands.describe(
        tip="The server tip", category="Move it to another topic", minutes="New duration"
    )
    @moderator_only()
    async def edit(
        self,
        interaction: discord.Interaction[Any],
        tip: str,
        category: str | None = None,
        minutes: app_commands.Range[int, 1, 120] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        existing = await self.service.require_server_tip(guild_id, tip)
        if category:
            self.service.category(category)
        new_category = category or existing.category
        new_minutes = minutes or existing.duration_minutes

        async def submit(
            modal_interaction: discord.Interaction[Any], values: dict[str, str]
        ) -> None:
            updated = await self.service.edit_server_tip(
                guild_id,
                existing.id,
                category=new_category,
                duration_minutes=new_minutes,
                **values,
            )
            await self._confirm(modal_interaction, updated, f"Updated `{updated.id}`.")

        await interaction.response.send_modal(ServerTipModal("Edit server tip", submit, existing))

    @tips_group.command(
        name="remove", description="Remove one of this server's own tips (moderators)"
    )
    @app_commands.describe(tip="The server tip")
    @moderator_only()
    async def remove(self, interaction: discord.Interaction[Any], tip: str) -> None:
        assert interaction.guild_id is not None
        removed = await self.service.remove_server_tip(interaction.guild_id, tip)
        await interaction.response.send_message(
            f"Removed “{removed.title}” (`{removed.id}`) from this server's tips.", ephemeral=True
        )

    @add.autocomplete("category")
    @edit.autocomplete("category")
    async def any_category_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.category_autocomplete(interaction, current)

    @edit.autocomplete("tip")
    @remove.autocomplete("tip")
    async def server_tip_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        needle = current.strip().lower()
        return [
            app_commands.Choice(name=f"{t.id}: {t.title}"[:100], value=t.id)
            for t in await self.service.server_tips(interaction.guild_id)
            if needle in t.title.lower() or needle in t.id
        ][:25]

    async def _confirm(self, interaction: discord.Interaction[Any], tip: Tip, text: str) -> None:
        category = self.service.library.category_by_id.get(tip.category)
        await send_ephemeral(interaction, text, embed=tip_embed(tip, category))

    # -- tip of the day ---------------------------------------------------------------

    async def post_daily_tips(self) -> int:
        """Scheduler tick: post every due tip of the day; returns how many were sent."""
        try:
            posts = await self.service.due_daily()
        except Exception:
            log.exception("tip of the day: could not read due guilds")
            return 0
        sent = 0
        for post in posts:
            category = self.service.library.category_by_id.get(post.tip.category)
            embed = tip_embed(post.tip, category, heading="🌱 Tip of the day")
            try:
                channel = self.bot.get_channel(post.channel_id) or await self.bot.fetch_channel(
                    post.channel_id
                )
                if not isinstance(channel, discord.abc.Messageable):
                    raise TypeError("not a messageable channel")
                await channel.send(embed=embed)
                sent += 1
            except (discord.HTTPException, TypeError) as exc:
                log.warning(
                    "tip of the day for guild %s not posted: %s", post.guild_id, type(exc).__name__
                )
        return sent


class Exercises(commands.Cog):
    """Guided breathing and grounding in one ephemeral message."""

    exercise_group = app_commands.Group(name="exercise", description="A short guided exercise")

    def __init__(self, bot: HavenBot, *, step_scale: float = 1.0) -> None:
        self.bot = bot
        # Multiplies every step's seconds; tests use 0 so nothing sleeps for real.
        self.step_scale = step_scale

    @exercise_group.command(name="breathing", description="Guided slow breathing (about a minute)")
    @app_commands.describe(pattern="Box (4-4-4-4) or 4-7-8")
    async def breathing(
        self, interaction: discord.Interaction[Any], pattern: Literal["box", "4-7-8"] = "box"
    ) -> None:
        await run_exercise(interaction, exercises.breathing(pattern), step_scale=self.step_scale)

    @exercise_group.command(
        name="grounding", description="5-4-3-2-1: come back through your senses"
    )
    async def grounding(self, interaction: discord.Interaction[Any]) -> None:
        await run_exercise(interaction, exercises.grounding_54321(), step_scale=self.step_scale)
