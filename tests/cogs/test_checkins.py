"""The check-ins cog with spec'd mocks: opt-in, delivery, closed DMs, answers, care, history."""

from __future__ import annotations

import logging
import sys
import types
from datetime import UTC, datetime
from typing import Any
from unittest.mock import MagicMock

import aiohttp
import discord
import pytest

from bot.app import HavenBot
from bot.checkins.service import CheckinService, Outgoing
from cogs.checkins._cog import NOTICE_DM_CLOSED, TICK_JOB_ID, CheckinGroup, Checkins, MoodGroup
from cogs.checkins._cog import setup as setup_checkins
from cogs.checkins._views import MoodButton, NoteButton, TagSelect
from tests.helpers import (
    make_guild,
    make_interaction,
    make_member,
    make_text_channel,
    make_user,
    next_id,
    sent_text,
    was_ephemeral,
)


class Clock:
    def __init__(self) -> None:
        self.value = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.value


def forbidden(code: int = 50007) -> discord.Forbidden:
    response = MagicMock(spec_set=aiohttp.ClientResponse)
    response.status = 403
    response.reason = "Forbidden"
    return discord.Forbidden(
        response, {"code": code, "message": "Cannot send messages to this user"}
    )


def server_error() -> discord.HTTPException:
    response = MagicMock(spec_set=aiohttp.ClientResponse)
    response.status = 500
    response.reason = "Internal Server Error"
    return discord.HTTPException(response, {"code": 0, "message": "oops"})


def make_message(channel_id: int | None = None) -> MagicMock:
    message = MagicMock(spec_set=discord.Message)
    message.id = next_id()
    channel = MagicMock(spec_set=discord.DMChannel)
    channel.id = channel_id or next_id()
    message.channel = channel
    return message


@pytest.fixture
async def cog(bot: HavenBot) -> Checkins:
    await setup_checkins(bot)
    found = bot.get_cog("Checkins")
    assert isinstance(found, Checkins)
    return found


@pytest.fixture
def clock(bot: HavenBot) -> Clock:
    clock = Clock()
    assert bot.services.checkins is not None
    bot.services.checkins.now = clock
    return clock


def service(bot: HavenBot) -> CheckinService:
    assert bot.services.checkins is not None
    return bot.services.checkins


def custom_ids(view: discord.ui.View) -> list[str]:
    return [getattr(item, "custom_id", "") for item in view.children]


def user_with_dm(bot: HavenBot, monkeypatch: pytest.MonkeyPatch) -> tuple[MagicMock, MagicMock]:
    """A user and the DM channel the bot opens with them."""
    user = make_user()
    dm = MagicMock(spec_set=discord.DMChannel)
    dm.id = next_id()
    dm.send.return_value = make_message(dm.id)

    async def create_dm(target: Any) -> MagicMock:
        assert target.id == user.id
        return dm

    monkeypatch.setattr(bot, "create_dm", create_dm)
    return user, dm


# --- setup -------------------------------------------------------------------------------------


async def test_setup_registers_commands_one_tick_job_and_the_notice_renderer(
    bot: HavenBot, cog: Checkins
) -> None:
    names = {command.name for command in bot.tree.get_commands()}
    assert {"checkin", "mood"} <= names
    job = bot.services.scheduler.get_job(TICK_JOB_ID)
    assert job is not None
    assert job.trigger.interval.total_seconds() == bot.settings.checkins.tick_seconds
    assert NOTICE_DM_CLOSED in bot.notice_renderers
    checkin = bot.tree.get_command("checkin")
    assert checkin is not None
    assert checkin.allowed_contexts is not None
    assert checkin.allowed_contexts.dm_channel  # /checkin now works in DMs with the bot


# --- /checkin start ----------------------------------------------------------------------------


async def test_start_stores_the_schedule_and_confirms_by_dm(
    bot: HavenBot, cog: Checkins, clock: Clock
) -> None:
    guild = make_guild()
    member = make_member(guild)
    interaction = make_interaction(member, guild=guild, client=bot)
    group = CheckinGroup(cog)

    await group.start.callback(group, interaction, "09:30", "Europe/London", "weekdays")

    info = await service(bot).info(member.id)
    assert (info.status, f"{info.local_time:%H:%M}", info.tz, info.days) == (
        "active",
        "09:30",
        "Europe/London",
        "weekdays",
    )
    member.send.assert_awaited_once()
    text = sent_text(interaction)
    assert "09:30" in text
    assert "sent you a DM" in text
    assert was_ephemeral(interaction)


async def test_start_with_closed_dms_says_so_and_never_claims_a_dm(
    bot: HavenBot, cog: Checkins, clock: Clock
) -> None:
    guild = make_guild()
    member = make_member(guild)
    member.send.side_effect = forbidden()
    interaction = make_interaction(member, guild=guild, client=bot)
    group = CheckinGroup(cog)

    await group.start.callback(group, interaction, "09:30", "Asia/Kolkata", "every day")

    text = sent_text(interaction)
    assert "can't DM you" in text
    assert "Privacy Settings" in text
    assert "sent you" not in text
    assert (await service(bot).info(member.id)).status == "unreachable"


async def test_bad_input_is_a_user_facing_error(bot: HavenBot, cog: Checkins, clock: Clock) -> None:
    from bot.errors import UserFacingError

    member = make_member(make_guild())
    group = CheckinGroup(cog)
    with pytest.raises(UserFacingError, match="time zone"):
        await group.start.callback(
            group, make_interaction(member, client=bot), "09:00", "Nowhere/City"
        )
    with pytest.raises(UserFacingError, match="HH:MM"):
        await group.start.callback(group, make_interaction(member, client=bot), "25:00", "UTC")
    assert (await service(bot).info(member.id)).status == "off"


async def test_timezone_autocomplete(bot: HavenBot, cog: Checkins) -> None:
    group = CheckinGroup(cog)
    choices = await group.timezone_autocomplete(make_interaction(make_user(), client=bot), "kathm")
    assert [c.value for c in choices] == ["Asia/Kathmandu"]


async def test_settings_stop_pause_skip_reply_privately(
    bot: HavenBot, cog: Checkins, clock: Clock
) -> None:
    user = make_user()
    await service(bot).start(user.id, guild_id=None, at="20:00", tz="UTC")
    group = CheckinGroup(cog)

    shown = make_interaction(user, client=bot)
    await group.settings.callback(group, shown)
    assert "20:00" in sent_text(shown)
    assert was_ephemeral(shown)

    paused = make_interaction(user, client=bot)
    await group.pause.callback(group, paused, "2025-06-10")
    assert "10 June 2025" in sent_text(paused)

    skipped = make_interaction(user, client=bot)
    await group.skip.callback(group, skipped)
    assert was_ephemeral(skipped)

    stopped = make_interaction(user, client=bot)
    await group.stop.callback(group, stopped)
    assert "off" in sent_text(stopped)
    assert (await service(bot).info(user.id)).status == "off"


# --- delivery ----------------------------------------------------------------------------------


async def test_tick_delivers_a_dm_with_five_persistent_mood_buttons(
    bot: HavenBot, cog: Checkins, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, dm = user_with_dm(bot, monkeypatch)
    await service(bot).start(user.id, guild_id=None, at="09:00", tz="UTC")
    clock.value = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    items = await service(bot).tick()

    assert await cog.deliver(items) == [True]

    dm.send.assert_awaited_once()
    call = dm.send.await_args
    assert "How are you feeling today?" in call.args[0]
    view = call.kwargs["view"]
    assert view.timeout is None
    assert custom_ids(view) == [f"haven:checkin:mood:{items[0].prompt_id}:{n}" for n in range(1, 6)]
    prompt = await service(bot).repo.get_prompt(items[0].prompt_id)
    assert prompt is not None
    assert prompt.status == "sent"
    assert prompt.message_id == dm.send.return_value.id
    assert prompt.channel_id == dm.id


async def test_closed_dms_mark_the_schedule_and_queue_a_notice(
    bot: HavenBot, cog: Checkins, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, dm = user_with_dm(bot, monkeypatch)
    dm.send.side_effect = forbidden()
    guild_id = next_id()
    await service(bot).start(user.id, guild_id=guild_id, at="09:00", tz="UTC")
    clock.value = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)

    assert await cog.deliver(await service(bot).tick()) == [False]

    info = await service(bot).info(user.id)
    assert (info.status, info.next_run) == ("unreachable", None)
    assert await bot.services.notices.peek(user.id) == [NOTICE_DM_CLOSED]
    prompt = await service(bot).repo.prompt_for(user.id, clock.value.date())
    assert prompt is not None
    assert prompt.status == "failed"

    # The next Haven command shows how to re-enable DMs.
    interaction = make_interaction(user, client=bot)
    await bot.deliver_pending_notices(interaction)
    text = sent_text(interaction)
    assert "Privacy Settings" in text
    assert "/checkin start" in text
    assert was_ephemeral(interaction)
    # No retry tomorrow.
    clock.value = datetime(2025, 6, 3, 9, 0, tzinfo=UTC)
    assert await service(bot).tick() == []


async def test_other_http_errors_mark_the_prompt_failed_but_keep_the_schedule(
    bot: HavenBot, cog: Checkins, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, dm = user_with_dm(bot, monkeypatch)
    dm.send.side_effect = server_error()
    await service(bot).start(user.id, guild_id=None, at="09:00", tz="UTC")
    clock.value = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    assert await cog.deliver(await service(bot).tick()) == [False]
    assert (await service(bot).info(user.id)).status == "active"
    assert await bot.services.notices.peek(user.id) == []


async def test_tick_waits_for_the_gateway(bot: HavenBot, cog: Checkins, clock: Clock) -> None:
    await service(bot).start(next_id(), guild_id=None, at="09:00", tz="UTC")
    clock.value = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    await cog.run_tick()  # not connected: nothing is claimed
    assert len(await service(bot).tick()) == 1


async def test_dm_concurrency_is_bounded(
    bot: HavenBot, cog: Checkins, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    limit = bot.settings.checkins.dm_concurrency
    state = {"now": 0, "peak": 0}

    async def slow_send(*args: Any, **kwargs: Any) -> MagicMock:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        state["now"] -= 1
        return make_message()

    user, dm = user_with_dm(bot, monkeypatch)
    dm.send.side_effect = slow_send
    items = [Outgoing(i, user.id, clock.value.date(), "reminder", "hi", None) for i in range(1, 21)]
    assert all(await cog.deliver(items))
    assert state["peak"] == limit


# --- answers -----------------------------------------------------------------------------------


async def _prompt_for(bot: HavenBot, clock: Clock, user: Any) -> Outgoing:
    await service(bot).start(user.id, guild_id=None, at="09:00", tz="UTC")
    clock.value = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    [item] = await service(bot).tick()
    return item


async def test_clicking_a_mood_stores_it_and_edits_the_message(
    bot: HavenBot, cog: Checkins, clock: Clock
) -> None:
    user = make_user()
    item = await _prompt_for(bot, clock, user)
    button = MoodButton(item.prompt_id, 4)
    interaction = make_interaction(user, client=bot)

    await button.callback(interaction)

    entry = await service(bot).repo.entry_for_prompt(item.prompt_id)
    assert entry is not None
    assert entry.mood == 4
    interaction.response.edit_message.assert_awaited_once()
    kwargs = interaction.response.edit_message.await_args.kwargs
    assert "Good" in kwargs["content"]
    assert "logged" in kwargs["content"]
    assert custom_ids(kwargs["view"]) == [
        f"haven:checkin:tags:{entry.id}",
        f"haven:checkin:note:{entry.id}",
    ]


async def test_someone_elses_button_is_refused_and_nothing_is_stored(
    bot: HavenBot, cog: Checkins, clock: Clock
) -> None:
    owner, stranger = make_user(), make_user()
    item = await _prompt_for(bot, clock, owner)
    interaction = make_interaction(stranger, client=bot)
    await MoodButton(item.prompt_id, 1).callback(interaction)
    assert "isn't yours" in sent_text(interaction)
    assert was_ephemeral(interaction)
    assert await service(bot).repo.entry_for_prompt(item.prompt_id) is None


async def test_button_ids_round_trip_after_a_restart(bot: HavenBot, cog: Checkins) -> None:
    import re

    for cls, custom_id in (
        (MoodButton, "haven:checkin:mood:77:2"),
        (TagSelect, "haven:checkin:tags:5"),
        (NoteButton, "haven:checkin:note:5"),
    ):
        match = re.fullmatch(cls.__discord_ui_compiled_template__, custom_id)
        assert match is not None
        item = await cls.from_custom_id(
            make_interaction(make_user(), client=bot),
            MagicMock(spec_set=discord.ui.Button),
            match,
        )
        assert item.custom_id == custom_id


async def test_tip_from_the_tips_service_when_present(
    bot: HavenBot, cog: Checkins, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Tips:
        def suggest_for_mood(self, mood: int, tags: list[str]) -> str:
            return f"breathe slowly (for mood {mood})"

    monkeypatch.setattr(bot.services, "tips", Tips(), raising=False)
    user = make_user()
    interaction = make_interaction(user, client=bot)
    await MoodButton(0, 2).callback(interaction)
    content = interaction.response.edit_message.await_args.kwargs["content"]
    assert "breathe slowly (for mood 2)" in content


async def test_low_mood_gets_a_tip_from_the_real_tips_library(
    bot: HavenBot, cog: Checkins, clock: Clock
) -> None:
    if getattr(bot.services, "tips", None) is None:
        pytest.skip("bot.tips is not wired into Services")
    interaction = make_interaction(make_user(), client=bot)
    await MoodButton(0, 2).callback(interaction)
    content = interaction.response.edit_message.await_args.kwargs["content"]
    assert "A small thing to try" in content


async def test_checkin_now_offers_buttons_privately(bot: HavenBot, cog: Checkins) -> None:
    interaction = make_interaction(make_user(), client=bot)
    group = CheckinGroup(cog)
    await group.now.callback(group, interaction)
    call = interaction.response.send_message.await_args
    assert custom_ids(call.kwargs["view"]) == [f"haven:checkin:mood:0:{n}" for n in range(1, 6)]
    assert was_ephemeral(interaction)


async def test_tags_are_saved(bot: HavenBot, cog: Checkins, clock: Clock) -> None:
    user = make_user()
    result = await service(bot).log_now(user.id, 3)
    interaction = make_interaction(user, client=bot)
    await cog.handle_tags(interaction, result.entry_id, ["tired", "calm"])
    entry = await service(bot).entry(result.entry_id)
    assert entry is not None
    assert entry.tags == ("tired", "calm")
    assert was_ephemeral(interaction)


# --- notes and the crisis hook -------------------------------------------------------------------


class _Assessment:
    def __init__(self, category: str) -> None:
        self.category = category
        self.severity = 3 if category == "self_risk" else 0
        self.reasons = ()

    @property
    def is_crisis(self) -> bool:
        return self.category == "self_risk"


def fake_detector(monkeypatch: pytest.MonkeyPatch, category: str) -> None:
    module = types.ModuleType("bot.safety.crisis")
    module.assess = lambda text: _Assessment(category)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.safety.crisis", module)


async def test_flagged_note_dispatches_the_crisis_hook_and_offers_help(
    bot: HavenBot,
    cog: Checkins,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="cogs")
    fake_detector(monkeypatch, "self_risk")
    events: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(bot, "dispatch", lambda name, *a, **kw: events.append((name, kw)))
    user = make_user()
    guild_id = next_id()
    await service(bot).start(user.id, guild_id=guild_id, at="09:00", tz="UTC")
    result = await service(bot).log_now(user.id, 1)
    secret = "i can't see a way forward anymore"
    interaction = make_interaction(user, client=bot)

    await cog.handle_note(interaction, result.entry_id, secret)

    assert len(events) == 1
    name, kwargs = events[0]
    assert name == "haven_crisis_text"
    assert kwargs["user_id"] == user.id
    assert kwargs["guild_id"] == guild_id
    assert kwargs["text"] == secret
    assert kwargs["source"] == "checkin_note"
    assert kwargs["source_ref"] == f"mood_entry:{result.entry_id}"
    assert kwargs["assessment"].is_crisis
    text = sent_text(interaction)
    assert "you don't have to hold it alone" in text
    assert "emergency" in text
    assert was_ephemeral(interaction)
    ours = [r for r in caplog.records if r.name.startswith(("bot", "cogs"))]
    assert all(secret not in r.getMessage() for r in ours)


async def test_ordinary_note_is_saved_without_escalation(
    bot: HavenBot, cog: Checkins, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_detector(monkeypatch, "none")
    events: list[str] = []
    monkeypatch.setattr(bot, "dispatch", lambda name, *a, **kw: events.append(name))
    user = make_user()
    result = await service(bot).log_now(user.id, 4)
    interaction = make_interaction(user, client=bot)
    await cog.handle_note(interaction, result.entry_id, "nice walk today")
    assert events == []
    assert "Saved your note" in sent_text(interaction)
    entry = await service(bot).entry(result.entry_id)
    assert entry is not None
    assert entry.note == "nice walk today"


# --- low-mood care ------------------------------------------------------------------------------


async def test_care_message_and_quiet_heads_up_only_with_consent(
    bot: HavenBot, cog: Checkins, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    guild = make_guild()
    alerts = make_text_channel(guild, name="mod-alerts", public=False)
    await bot.services.guild_settings.update(guild.id, alert_channel_id=alerts.id)
    monkeypatch.setattr(bot, "get_channel", lambda cid: alerts if cid == alerts.id else None)
    member = make_member(guild)
    await service(bot).share_with_mods(member.id, guild.id, True)

    interactions = []
    for _ in range(3):
        interaction = make_interaction(member, guild=guild, client=bot)
        await MoodButton(0, 1).callback(interaction)
        interactions.append(interaction)
        clock.value = clock.value.replace(day=clock.value.day + 1)

    assert [i.followup.send.await_count for i in interactions] == [0, 0, 1]
    care = sent_text(interactions[2])
    assert "don't have to go through this alone" in care
    assert "/helplines" in care or "—" in care  # a helpline list or the command
    assert was_ephemeral(interactions[2])
    alerts.send.assert_awaited_once()
    call = alerts.send.await_args
    assert f"<@{member.id}>" in call.args[0]
    mentions = call.kwargs["allowed_mentions"]
    assert not mentions.users
    assert not mentions.roles
    assert not mentions.everyone


async def test_no_heads_up_without_consent(
    bot: HavenBot, cog: Checkins, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    guild = make_guild()
    alerts = make_text_channel(guild, public=False)
    await bot.services.guild_settings.update(guild.id, alert_channel_id=alerts.id)
    monkeypatch.setattr(bot, "get_channel", lambda cid: alerts)
    member = make_member(guild)
    for _ in range(3):
        await MoodButton(0, 1).callback(make_interaction(member, guild=guild, client=bot))
    alerts.send.assert_not_awaited()


# --- /mood -------------------------------------------------------------------------------------


async def test_mood_history_sends_summary_and_png_privately(
    bot: HavenBot, cog: Checkins, clock: Clock
) -> None:
    user = make_user()
    for value in (2, 4):
        await service(bot).log_now(user.id, value)
    interaction = make_interaction(user, client=bot)
    group = MoodGroup(cog)

    await group.history.callback(group, interaction, 14)

    interaction.response.defer.assert_awaited_once()
    call = interaction.followup.send.await_args
    assert "2 check-ins" in call.args[0]
    file = call.kwargs["file"]
    assert isinstance(file, discord.File)
    assert file.filename == "mood.png"
    assert file.fp.read(8) == b"\x89PNG\r\n\x1a\n"
    assert call.kwargs["ephemeral"] is True


async def test_mood_week_is_one_private_sentence(
    bot: HavenBot, cog: Checkins, clock: Clock
) -> None:
    user = make_user()
    await service(bot).log_now(user.id, 3)
    interaction = make_interaction(user, client=bot)
    group = MoodGroup(cog)
    await group.week.callback(group, interaction)
    assert "average mood 3.0/5" in sent_text(interaction)
    assert was_ephemeral(interaction)


@pytest.mark.parametrize(
    ("category", "handed_on", "help_in_place"),
    [("concern_for_other", True, False), ("harassment", False, False)],
)
async def test_concern_is_handed_on_but_a_private_rant_is_not(
    bot: HavenBot,
    cog: Checkins,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    category: str,
    handed_on: bool,
    help_in_place: bool,
) -> None:
    fake_detector(monkeypatch, category)
    events: list[str] = []
    monkeypatch.setattr(bot, "dispatch", lambda name, *a, **kw: events.append(name))
    user = make_user()
    result = await service(bot).log_now(user.id, 2)
    interaction = make_interaction(user, client=bot)
    await cog.handle_note(interaction, result.entry_id, "some words")
    assert (events == ["haven_crisis_text"]) is handed_on
    assert ("emergency" in sent_text(interaction)) is help_in_place


async def test_without_a_detector_every_note_is_handed_on_unassessed(
    bot: HavenBot, cog: Checkins, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "bot.safety.crisis", None)  # import raises ImportError
    events: list[dict[str, Any]] = []
    monkeypatch.setattr(bot, "dispatch", lambda name, *a, **kw: events.append(kw))
    user = make_user()
    result = await service(bot).log_now(user.id, 3)
    await cog.handle_note(make_interaction(user, client=bot), result.entry_id, "a note")
    assert len(events) == 1
    assert events[0]["assessment"] is None


@pytest.mark.parametrize(
    ("note", "handed_on"),
    [("i took 20 pills and i want to die", True), ("this exam is killing me lol", False)],
)
async def test_real_detector_on_notes(
    bot: HavenBot,
    cog: Checkins,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    note: str,
    handed_on: bool,
) -> None:
    pytest.importorskip("bot.safety.crisis")
    events: list[str] = []
    monkeypatch.setattr(bot, "dispatch", lambda name, *a, **kw: events.append(name))
    user = make_user()
    result = await service(bot).log_now(user.id, 1)
    await cog.handle_note(make_interaction(user, client=bot), result.entry_id, note)
    assert (events == ["haven_crisis_text"]) is handed_on
