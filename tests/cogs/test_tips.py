"""The /tips, /exercise and /setup tips commands with spec'd Discord mocks and real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import MagicMock, patch

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.app import HavenBot
from bot.errors import UserFacingError
from cogs.tips._cog import DAILY_JOB_ID, REACH_OUT, Exercises, Tips
from cogs.tips._setup import TipsSetup, daily_status
from cogs.tips._views import ExerciseView, ServerTipModal, TipPager
from tests.helpers import (
    make_guild,
    make_interaction,
    make_member,
    make_text_channel,
    sent_text,
    was_ephemeral,
)


@pytest.fixture
def world():
    guild = make_guild()
    member = make_member(guild, name="member")
    other = make_member(guild, name="other")
    moderator = make_member(guild, name="mod", manage_guild=True)
    return guild, member, other, moderator


def _sent_view(interaction: MagicMock) -> Any:
    return interaction.response.send_message.call_args.kwargs["view"]


def _edited_embed(interaction: MagicMock) -> discord.Embed:
    return interaction.response.edit_message.call_args.kwargs["embed"]


def _http_error(status: int = 404) -> discord.HTTPException:
    response = MagicMock(spec_set=aiohttp.ClientResponse)
    response.status = status
    response.reason = "Not Found"
    return discord.NotFound(response, "Unknown Message")


# -- browse → next → save → saved ----------------------------------------------------------


async def test_browse_next_save_then_saved_lists_it(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    opened = make_interaction(member, guild=guild, client=bot)
    await cog.browse.callback(cog, opened)
    assert was_ephemeral(opened)
    view = _sent_view(opened)
    assert isinstance(view, TipPager)
    assert view.save_button.disabled  # nothing to save until a topic is chosen

    pick = make_interaction(member, guild=guild, client=bot)
    view.select._values = ["sleep"]  # what discord.py fills in from the component payload
    await view.select.callback(pick)
    sleep_tips = bot.services.tips.library.in_category("sleep")
    assert _edited_embed(pick).title == sleep_tips[0].title

    nxt = make_interaction(member, guild=guild, client=bot)
    await view.next_button.callback(nxt)
    assert _edited_embed(nxt).title == sleep_tips[1].title
    assert "tip 2 of" in _edited_embed(nxt).footer.text

    save = make_interaction(member, guild=guild, client=bot)
    await view.save_button.callback(save)
    assert await bot.services.tips.saved.tip_ids(member.id) == [sleep_tips[1].id]
    assert view.save_button.label == "Saved ✓"
    assert view.save_button.disabled

    listing = make_interaction(member, guild=guild, client=bot)
    await cog.saved.callback(cog, listing)
    assert sleep_tips[1].title in sent_text(listing)
    assert was_ephemeral(listing)


async def test_previous_wraps_round_to_the_last_tip(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    opened = make_interaction(member, guild=guild, client=bot)
    await cog.browse.callback(cog, opened)
    view = _sent_view(opened)
    await view.open_category(make_interaction(member, guild=guild, client=bot), "anger")
    prev = make_interaction(member, guild=guild, client=bot)
    await view.previous_button.callback(prev)
    assert _edited_embed(prev).title == bot.services.tips.library.in_category("anger")[-1].title


async def test_only_the_opener_can_press_the_buttons(bot: HavenBot, world) -> None:
    guild, member, other, _ = world
    cog = Tips(bot)
    opened = make_interaction(member, guild=guild, client=bot)
    await cog.browse.callback(cog, opened)
    view = _sent_view(opened)

    stranger = make_interaction(other, guild=guild, client=bot)
    assert await view.interaction_check(stranger) is False
    assert "belong to the person who opened" in sent_text(stranger)
    assert was_ephemeral(stranger)
    assert await view.interaction_check(make_interaction(member, guild=guild, client=bot))


async def test_saved_when_empty_says_how(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    interaction = make_interaction(member, guild=guild, client=bot)
    await cog.saved.callback(cog, interaction)
    assert "haven't saved any tips" in sent_text(interaction)


# -- search, random, unsave ----------------------------------------------------------------


async def test_search_shows_the_best_tip_first(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    interaction = make_interaction(member, guild=guild, client=bot)
    await cog.search.callback(cog, interaction, "cant slepe")
    embed = interaction.response.send_message.call_args.kwargs["embed"]
    assert "🌙 Sleep" in embed.footer.text
    assert REACH_OUT not in sent_text(interaction)
    assert was_ephemeral(interaction)


async def test_search_for_self_harm_urges_adds_a_reach_out_line(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    interaction = make_interaction(member, guild=guild, client=bot)
    await cog.search.callback(cog, interaction, "urge to cut")
    text = sent_text(interaction)
    assert REACH_OUT in text
    assert "116 123" in text
    assert was_ephemeral(interaction)


async def test_search_without_results_is_a_clear_error(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    with pytest.raises(UserFacingError, match="couldn't find"):
        await cog.search.callback(cog, make_interaction(member, guild=guild, client=bot), "zzqxv")


async def test_search_autocomplete_suggests_titles(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    interaction = make_interaction(member, guild=guild, client=bot)
    choices = await cog.search_autocomplete(interaction, "anxeity")
    assert choices
    assert len(choices) <= 25
    assert all(len(c.name) <= 100 for c in choices)
    topics = await cog.search_autocomplete(interaction, "")
    assert len(topics) == len(bot.services.tips.categories)


async def test_random_in_a_category_and_unknown_category(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    interaction = make_interaction(member, guild=guild, client=bot)
    await cog.random.callback(cog, interaction, "grief")
    embed = interaction.response.send_message.call_args.kwargs["embed"]
    assert embed.title in {t.title for t in bot.services.tips.library.in_category("grief")}
    assert was_ephemeral(interaction)
    with pytest.raises(UserFacingError, match="no tips category"):
        await cog.random.callback(cog, make_interaction(member, guild=guild, client=bot), "nope")


async def test_unsave_removes_and_autocomplete_lists_only_saved(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    await bot.services.tips.save(member.id, "anger-pause")
    choices = await cog.saved_autocomplete(make_interaction(member, guild=guild, client=bot), "")
    assert [c.value for c in choices] == ["anger-pause"]

    interaction = make_interaction(member, guild=guild, client=bot)
    await cog.unsave.callback(cog, interaction, "anger-pause")
    assert "Removed “Pause before you react”" in sent_text(interaction)
    assert await bot.services.tips.saved.tip_ids(member.id) == []
    with pytest.raises(UserFacingError, match="isn't in your saved list"):
        await cog.unsave.callback(
            cog, make_interaction(member, guild=guild, client=bot), "anger-pause"
        )


# -- moderators: server tips ---------------------------------------------------------------


def _fill(modal: ServerTipModal, interaction: MagicMock, **values: str) -> None:
    """Fill the modal as Discord's submit payload would."""
    inputs = {
        "title": modal.tip_title,
        "body": modal.body,
        "steps": modal.steps,
        "tags": modal.tags,
        "source": modal.source,
    }
    for name, value in values.items():
        inputs[name]._refresh_state(interaction, {"value": value})


async def test_members_cannot_manage_server_tips(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Tips(bot)
    for command in (cog.add, cog.edit, cog.remove):
        with pytest.raises(app_commands.CheckFailure, match="moderators"):
            await command.checks[0](make_interaction(member, guild=guild, client=bot))


async def test_moderator_adds_edits_and_removes_a_server_tip(bot: HavenBot, world) -> None:
    guild, member, _, moderator = world
    cog = Tips(bot)
    assert await cog.add.checks[0](make_interaction(moderator, guild=guild, client=bot))

    start = make_interaction(moderator, guild=guild, client=bot)
    await cog.add.callback(cog, start, "loneliness", 15)
    modal = start.response.send_modal.call_args.args[0]
    assert isinstance(modal, ServerTipModal)
    submit = make_interaction(moderator, guild=guild, client=bot)
    _fill(
        modal,
        submit,
        title="Friday movie night",
        body="Every Friday we watch a film together in the voice channel. Everyone is welcome.",
        steps="Join the voice channel\nSay hi in the chat",
        tags="movies, friends",
    )
    await modal.on_submit(submit)
    [tip] = await bot.services.tips.server_tips(guild.id)
    assert "Added `server-" in sent_text(submit)
    assert "From this server" in sent_text(submit)
    assert was_ephemeral(submit)

    # A member browsing loneliness sees it, marked.
    viewer = make_interaction(member, guild=guild, client=bot)
    await cog.random.callback(cog, viewer, "loneliness")
    tips_here = await bot.services.tips.tips_in("loneliness", guild.id)
    assert tips_here[-1].id == tip.id

    edit_start = make_interaction(moderator, guild=guild, client=bot)
    await cog.edit.callback(cog, edit_start, tip.id, None, None)
    edit_modal = edit_start.response.send_modal.call_args.args[0]
    assert edit_modal.tip_title.default == "Friday movie night"
    edit_submit = make_interaction(moderator, guild=guild, client=bot)
    _fill(edit_modal, edit_submit, title="Friday film night")
    await edit_modal.on_submit(edit_submit)
    assert (await bot.services.tips.server_tips(guild.id))[0].title == "Friday film night"

    gone = make_interaction(moderator, guild=guild, client=bot)
    await cog.remove.callback(cog, gone, tip.id)
    assert "Removed “Friday film night”" in sent_text(gone)
    assert await bot.services.tips.server_tips(guild.id) == []


async def test_invalid_server_tip_is_refused_with_the_reason(bot: HavenBot, world) -> None:
    guild, _, _, moderator = world
    cog = Tips(bot)
    start = make_interaction(moderator, guild=guild, client=bot)
    await cog.add.callback(cog, start, "stress", 5)
    modal = start.response.send_modal.call_args.args[0]
    submit = make_interaction(moderator, guild=guild, client=bot)
    _fill(
        modal,
        submit,
        title="Our tip",
        body="Long enough body for the tip text here.",
        source="http://x.org",
    )
    with pytest.raises(UserFacingError, match="https"):
        await modal.on_submit(submit)
    assert await bot.services.tips.server_tips(guild.id) == []

    with pytest.raises(UserFacingError, match="no tips category"):
        await cog.add.callback(
            cog, make_interaction(moderator, guild=guild, client=bot), "bogus", 5
        )


# -- exercises -----------------------------------------------------------------------------


async def test_breathing_runs_every_step_then_finishes(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Exercises(bot, step_scale=0)
    interaction = make_interaction(member, guild=guild, client=bot)
    await cog.breathing.callback(cog, interaction, "4-7-8")
    assert was_ephemeral(interaction)
    assert "4-7-8 breathing" in sent_text(interaction)
    edits = [c.kwargs["content"] for c in interaction.edit_original_response.call_args_list]
    # 1 settle step + 4 rounds x 3 phases; the first is the original message, then the end.
    assert len(edits) == 12 + 1
    assert "Hold** for 7" in "".join(edits)
    assert "Well done" in edits[-1]
    assert interaction.edit_original_response.call_args.kwargs["view"] is None


async def test_stop_button_ends_the_exercise_cleanly(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Exercises(bot, step_scale=0)
    interaction = make_interaction(member, guild=guild, client=bot)
    pressed: list[MagicMock] = []

    async def edit(**kwargs: Any) -> None:
        if len(interaction.edit_original_response.call_args_list) == 2 and not pressed:
            view = _sent_view(interaction)
            stop = make_interaction(member, guild=guild, client=bot)
            pressed.append(stop)
            await view.stop_button.callback(stop)

    interaction.edit_original_response.side_effect = edit
    await cog.grounding.callback(cog, interaction)
    assert interaction.edit_original_response.await_count == 2
    assert "Stopped" in pressed[0].response.edit_message.call_args.kwargs["content"]
    view = _sent_view(interaction)
    assert isinstance(view, ExerciseView)
    assert view.is_finished()


async def test_dismissed_message_stops_quietly(bot: HavenBot, world) -> None:
    guild, member, _, _ = world
    cog = Exercises(bot, step_scale=0)
    interaction = make_interaction(member, guild=guild, client=bot)
    interaction.edit_original_response.side_effect = _http_error()
    await cog.breathing.callback(cog, interaction, "box")  # no exception escapes
    assert interaction.edit_original_response.await_count == 1
    assert interaction.followup.send.call_count == 0


# -- tip of the day ------------------------------------------------------------------------


async def test_setup_tips_daily_stores_and_reports_status(bot: HavenBot, world) -> None:
    guild, _, _, moderator = world
    group = TipsSetup(bot)
    channel = make_text_channel(guild, name="daily-tips")
    interaction = make_interaction(moderator, guild=guild, client=bot)
    await group.daily.callback(group, interaction, channel, "7pm", "Europe/London")
    text = sent_text(interaction)
    assert channel.mention in text
    assert "19:00 (Europe/London)" in text
    assert was_ephemeral(interaction)
    assert await daily_status(bot.services.tips, guild.id) == [
        f"**Tip of the day:** <#{channel.id}> at 19:00 (Europe/London)"
    ]

    off = make_interaction(moderator, guild=guild, client=bot)
    await group.off.callback(group, off)
    assert "now off" in sent_text(off)
    assert "off" in (await daily_status(bot.services.tips, guild.id))[0]

    with pytest.raises(UserFacingError, match="time zone"):
        await group.daily.callback(
            group,
            make_interaction(moderator, guild=guild, client=bot),
            channel,
            "09:00",
            "Nowhere/Land",
        )


async def test_daily_job_is_scheduled_and_posts_the_tip(bot: HavenBot, world) -> None:
    guild, _, _, _ = world
    cog = Tips(bot)
    await cog.cog_load()
    assert bot.services.scheduler.get_job(DAILY_JOB_ID) is not None

    channel = make_text_channel(guild, name="daily-tips")
    now = datetime.now(UTC)
    await bot.services.tips.configure_daily(
        guild.id,
        channel.id,
        (now - timedelta(minutes=5)).strftime("%H:%M"),
        "UTC",
        now=now - timedelta(minutes=30),
    )
    with patch.object(bot, "get_channel", return_value=channel):
        assert await cog.post_daily_tips() == 1
        assert await cog.post_daily_tips() == 0  # not twice
    embed = channel.send.call_args.kwargs["embed"]
    assert embed.author.name == "🌱 Tip of the day"
    await cog.cog_unload()
    assert bot.services.scheduler.get_job(DAILY_JOB_ID) is None


async def test_daily_job_survives_a_missing_channel(bot: HavenBot, world) -> None:
    guild, _, _, _ = world
    cog = Tips(bot)
    now = datetime.now(UTC)
    await bot.services.tips.configure_daily(
        guild.id,
        1234,
        (now - timedelta(minutes=5)).strftime("%H:%M"),
        "UTC",
        now=now - timedelta(minutes=30),
    )
    with (
        patch.object(bot, "get_channel", return_value=None),
        patch.object(bot, "fetch_channel", side_effect=_http_error()),
    ):
        assert await cog.post_daily_tips() == 0


async def test_extension_registers_commands_setup_subgroup_and_status(bot: HavenBot) -> None:
    await bot.load_extension("cogs.admin")
    await bot.load_extension("cogs.tips")
    names = {c.name for c in bot.tree.get_commands()}
    assert {"tips", "exercise", "setup"} <= names
    tips_group = bot.tree.get_command("tips")
    assert {c.name for c in tips_group.commands} == {
        "browse",
        "search",
        "random",
        "saved",
        "unsave",
        "add",
        "edit",
        "remove",
    }
    setup_tips = bot.setup_group.get_command("tips")
    assert {c.name for c in setup_tips.commands} == {"daily", "off"}
    lines = []
    for provider in bot.setup_group.status_providers:
        lines.extend(await provider(42))
    assert "**Tip of the day:** off (/setup tips daily)" in lines
