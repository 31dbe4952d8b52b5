"""Saved tips, server tips and tip of the day, through the service on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import UserFacingError
from bot.tips.schedule import next_run, parse_time
from bot.tips.service import MAX_SAVED, TipsService, parse_steps, parse_tags

GUILD, OTHER_GUILD, USER, MOD = 111, 222, 333, 444


async def _add(service: TipsService, guild: int = GUILD, **changes) -> object:
    values = {
        "category": "stress",
        "title": "Our walk-and-talk Wednesday",
        "body": "Join the voice channel on Wednesdays for a walk and a chat with others.",
        "steps": "1. Put your shoes on\n2) Join #walk-and-talk\n- Walk for 20 minutes",
        "tags": "walk, Connection, walk",
        "duration_minutes": 20,
        "source_url": None,
    }
    values.update(changes)
    return await service.add_server_tip(guild, MOD, **values)


# -- saved tips ---------------------------------------------------------------------------


async def test_save_list_and_unsave(service: TipsService) -> None:
    assert await service.save(USER, "sleep-wind-down") is True
    assert await service.save(USER, "anger-pause") is True
    assert await service.save(USER, "sleep-wind-down") is False  # already saved
    assert [t.id for t in await service.saved_tips(USER)] == ["sleep-wind-down", "anger-pause"]
    assert await service.saved_tips(999) == []

    assert await service.unsave(USER, "sleep-wind-down") is True
    assert await service.unsave(USER, "sleep-wind-down") is False
    assert [t.id for t in await service.saved_tips(USER)] == ["anger-pause"]


async def test_saving_an_unknown_tip_is_refused(service: TipsService) -> None:
    with pytest.raises(UserFacingError, match="no longer exists"):
        await service.save(USER, "not-a-tip")


async def test_saved_list_has_a_limit(service: TipsService) -> None:
    for i in range(MAX_SAVED):
        await service.saved.save(USER, f"filler-{i}")
    with pytest.raises(UserFacingError, match="most I keep"):
        await service.save(USER, "anger-pause")
    assert "anger-pause" not in await service.saved.tip_ids(USER)


async def test_delete_user_erases_saved_tips(service: TipsService) -> None:
    await service.save(USER, "anger-pause")
    await service.save(999, "anger-pause")
    assert await service.saved.delete_user(USER) == 1
    assert await service.saved_tips(USER) == []
    assert len(await service.saved_tips(999)) == 1


# -- server tips --------------------------------------------------------------------------


async def test_add_server_tip_validates_and_marks_it(service: TipsService) -> None:
    tip = await _add(service)
    assert tip.id.startswith("server-")
    assert tip.from_server
    assert tip.guild_id == GUILD
    assert tip.steps == ("Put your shoes on", "Join #walk-and-talk", "Walk for 20 minutes")
    assert tip.tags == ("walk", "connection")
    assert tip.source is None

    in_category = await service.tips_in("stress", GUILD)
    assert in_category[-1].id == tip.id
    assert tip.id not in {t.id for t in await service.tips_in("stress", OTHER_GUILD)}
    assert (await service.search("walk and talk wednesday", GUILD))[0].id == tip.id
    assert tip.id not in {
        t.id for t in await service.search("walk and talk wednesday", OTHER_GUILD)
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"body": "too short"}, "Tip text"),
        ({"body": "x" * 601}, "Tip text"),
        ({"title": "x" * 101}, "Title"),
        ({"source_url": "http://example.org"}, "https"),
        ({"source_url": "not a url"}, "Source link"),
        ({"category": "nonsense"}, "no tips category"),
        ({"title": "Box breathing for a quick reset"}, "library already has"),
        ({"steps": "\n".join(f"step {i}" for i in range(11))}, "Steps"),
    ],
)
async def test_server_tips_pass_the_same_validation(service: TipsService, changes, message) -> None:
    with pytest.raises(UserFacingError, match=message):
        await _add(service, **changes)
    assert await service.server_tips(GUILD) == []


async def test_server_tip_titles_are_unique_per_guild(service: TipsService) -> None:
    await _add(service)
    with pytest.raises(UserFacingError, match="already has a tip with that title"):
        await _add(service, title="OUR WALK-AND-TALK WEDNESDAY")
    assert await _add(service, guild=OTHER_GUILD)  # another guild may reuse it


async def test_edit_and_remove_only_within_the_guild(service: TipsService) -> None:
    tip = await _add(service, source_url="https://www.mind.org.uk/")
    assert tip.source is not None
    assert tip.source.name == "mind.org.uk"
    await service.save(USER, tip.id)

    with pytest.raises(UserFacingError, match="no tip with id"):
        await service.edit_server_tip(
            OTHER_GUILD, tip.id, category="stress", title="Hijack", body="x" * 30
        )
    with pytest.raises(UserFacingError, match="curated library"):
        await service.remove_server_tip(GUILD, "anger-pause")

    edited = await service.edit_server_tip(
        GUILD,
        tip.id,
        category="loneliness",
        title="Walk and talk",
        body="A friendly group walk every Wednesday in the voice channel.",
        duration_minutes=30,
    )
    assert (edited.id, edited.category, edited.duration_minutes) == (tip.id, "loneliness", 30)
    assert edited.source is None
    assert edited.steps == ()

    removed = await service.remove_server_tip(GUILD, tip.id)
    assert removed.title == "Walk and talk"
    assert await service.server_tips(GUILD) == []
    assert await service.saved_tips(USER) == []  # dropped from saved lists too


def test_parse_steps_and_tags() -> None:
    assert parse_steps(" 1. One\n\n2) Two\n* Three \n") == ["One", "Two", "Three"]
    assert parse_steps(None) == []
    assert parse_tags("a, B; c\nd,,") == ["a", "b", "c", "d"]


# -- tip of the day -----------------------------------------------------------------------


def test_parse_time_forms() -> None:
    assert parse_time("09:00") == time(9, 0)
    assert parse_time("9") == time(9, 0)
    assert parse_time("21.30") == time(21, 30)
    assert parse_time("7pm") == time(19, 0)
    assert parse_time("12am") == time(0, 0)
    for bad in ("25:00", "9:75", "13pm", "noon"):
        with pytest.raises(UserFacingError):
            parse_time(bad)


def test_next_run_uses_the_local_clock_across_dst() -> None:
    london = ZoneInfo("Europe/London")
    # Winter: 09:00 London = 09:00 UTC; summer: 08:00 UTC.
    winter = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
    assert next_run(time(9), london, winter) == datetime(2025, 1, 11, 9, 0, tzinfo=UTC)
    before_change = datetime(2025, 3, 29, 10, 0, tzinfo=UTC)  # clocks go forward on the 30th
    assert next_run(time(9), london, before_change) == datetime(2025, 3, 30, 8, 0, tzinfo=UTC)


async def test_configure_daily_rejects_bad_input(service: TipsService) -> None:
    with pytest.raises(UserFacingError, match="time zone"):
        await service.configure_daily(GUILD, 5, "09:00", "Mars/Olympus")
    with pytest.raises(UserFacingError, match="time"):
        await service.configure_daily(GUILD, 5, "half past")
    assert await service.daily_settings(GUILD) is None


async def test_daily_posts_once_per_day_at_local_time(service: TipsService) -> None:
    start = datetime(2025, 6, 1, 6, 0, tzinfo=UTC)
    settings = await service.configure_daily(GUILD, 55, "09:00", "Europe/Berlin", now=start)
    assert (settings.local_time, settings.timezone) == ("09:00", "Europe/Berlin")
    assert settings.next_run_utc == "2025-06-01T07:00:00Z"  # 09:00 CEST

    assert await service.due_daily(start) == []
    due = datetime(2025, 6, 1, 7, 0, 30, tzinfo=UTC)
    posts = await service.due_daily(due)
    assert [(p.guild_id, p.channel_id) for p in posts] == [(GUILD, 55)]
    assert str(posts[0].day) == "2025-06-01"
    assert await service.due_daily(due + timedelta(minutes=1)) == []  # claimed: not twice
    assert (await service.daily_settings(GUILD)).next_run_utc == "2025-06-02T07:00:00Z"


async def test_daily_never_repeats_within_30_days_and_skips_private_topics(
    service: TipsService,
) -> None:
    now = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    await service.configure_daily(GUILD, 55, "09:00", None, now=now)
    chosen = []
    for day in range(30):
        tick = datetime(2025, 1, 1, 9, 0, tzinfo=UTC) + timedelta(days=day)
        posts = await service.due_daily(tick)
        assert len(posts) == 1, day
        chosen.append(posts[0].tip)
    assert len({t.id for t in chosen}) == 30
    assert not {t.category for t in chosen} & {"grief", "self-harm-urges"}


async def test_daily_skips_a_very_late_post_after_an_outage(service: TipsService) -> None:
    now = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
    await service.configure_daily(GUILD, 55, "09:00", "UTC", now=now)
    much_later = datetime(2025, 1, 1, 15, 0, tzinfo=UTC)
    assert await service.due_daily(much_later) == []
    assert (await service.daily_settings(GUILD)).next_run_utc == "2025-01-02T09:00:00Z"


async def test_daily_off(service: TipsService) -> None:
    await service.configure_daily(GUILD, 55, "09:00")
    assert await service.disable_daily(GUILD) is True
    assert await service.disable_daily(GUILD) is False
    assert await service.due_daily(datetime.now(UTC) + timedelta(days=2)) == []
