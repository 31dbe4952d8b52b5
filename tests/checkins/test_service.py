"""The tick, exactly-once prompts, catch-up, reminders, answers, care, streaks, history."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.checkins.service import (
    CARE_MESSAGE,
    NOTE_MAX,
    CheckinService,
    Outgoing,
    streak_from,
)
from bot.config import CheckinSettings
from bot.db import apply_migrations, open_database
from bot.errors import UserFacingError
from tests.checkins.clock import Clock

ALICE, BOB, CAROL = 1001, 1002, 1003


async def prompt_status(db: aiosqlite.Connection, prompt_id: int) -> str:
    async with db.execute("SELECT status FROM checkin_prompts WHERE id = ?", (prompt_id,)) as cur:
        row = await cur.fetchone()
    assert row is not None
    return row[0]


async def count_prompts(db: aiosqlite.Connection) -> int:
    async with db.execute("SELECT COUNT(*) FROM checkin_prompts") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


# --- opt-in and the tick -----------------------------------------------------------------


async def test_start_schedules_the_next_local_run(service: CheckinService, clock: Clock) -> None:
    info = await service.start(ALICE, guild_id=5, at="09:00", tz="Europe/London")
    assert info.status == "active"
    assert info.next_run == datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert info.days == "every day"
    with pytest.raises(UserFacingError, match="time zone"):
        await service.start(ALICE, guild_id=5, at="09:00", tz="Mars/Olympus")


async def test_tick_sends_nothing_before_time_then_one_prompt(
    service: CheckinService, clock: Clock
) -> None:
    await service.start(ALICE, guild_id=5, at="09:00", tz="Europe/London")
    assert await service.tick() == []
    clock.set(2025, 6, 2, 8, 0, 30)
    [item] = await service.tick()
    assert (item.user_id, item.local_date, item.kind, item.guild_id) == (
        ALICE,
        date(2025, 6, 2),
        "prompt",
        5,
    )
    assert await service.tick() == []  # next_run moved to tomorrow
    assert (await service.info(ALICE)).next_run == datetime(2025, 6, 3, 8, 0, tzinfo=UTC)


async def test_overlapping_ticks_on_one_connection_send_one_prompt_each(
    service: CheckinService, db: aiosqlite.Connection, clock: Clock
) -> None:
    for user in (ALICE, BOB, CAROL):
        await service.start(user, guild_id=None, at="07:00", tz="UTC")
    clock.set(2025, 6, 2, 7, 0)
    other = CheckinService(db, CheckinSettings(), now=clock)
    batches = await asyncio.gather(service.tick(), other.tick(), service.tick())
    sent = [item.user_id for batch in batches for item in batch]
    assert sorted(sent) == [ALICE, BOB, CAROL]


async def test_two_processes_claim_each_prompt_once(tmp_path: Path, clock: Clock) -> None:
    # Two connections to one file = two bot processes (or a restart racing an old one).
    path = tmp_path / "shared.db"
    first = await open_database(path)
    await apply_migrations(first)
    second = await open_database(path)
    try:
        a = CheckinService(first, CheckinSettings(), now=clock)
        b = CheckinService(second, CheckinSettings(), now=clock)
        users = list(range(1, 41))
        for user in users:
            await a.start(user, guild_id=None, at="06:30", tz="Asia/Kolkata")
        clock.set(2025, 6, 3, 1, 0)  # 06:30 IST
        batches = await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())
        sent = sorted(item.user_id for batch in batches for item in batch)
        assert sent == users
    finally:
        await first.close()
        await second.close()


async def test_restart_after_claim_never_sends_the_same_day_again(
    db: aiosqlite.Connection, clock: Clock
) -> None:
    service = CheckinService(db, CheckinSettings(), now=clock)
    await service.start(ALICE, guild_id=None, at="09:00", tz="UTC")
    clock.set(2025, 6, 2, 9, 0)
    assert len(await service.tick()) == 1
    # Simulate a crash that lost the next_run update: the row is due again.
    await db.execute("UPDATE checkin_schedules SET next_run_utc = ?", (int(clock().timestamp()),))
    await db.commit()
    clock.advance(minutes=3)
    restarted = CheckinService(db, CheckinSettings(), now=clock)
    assert await restarted.tick() == []
    assert await count_prompts(db) == 1
    clock.set(2025, 6, 3, 9, 0)
    assert [i.local_date for i in await restarted.tick()] == [date(2025, 6, 3)]


async def test_downtime_sends_todays_missed_prompt_and_skips_older(
    service: CheckinService, clock: Clock
) -> None:
    await service.start(ALICE, guild_id=None, at="09:00", tz="America/New_York")
    await service.start(BOB, guild_id=None, at="11:00", tz="America/New_York")
    # Down from Monday morning until Wednesday 10:30 New York time.
    clock.set(2025, 6, 4, 14, 30)
    items = await service.tick()
    assert [(i.user_id, i.local_date) for i in items] == [(ALICE, date(2025, 6, 4))]
    # Bob's 11:00 today is still ahead: his old prompts were skipped, today's comes on time.
    assert (await service.info(BOB)).next_run == datetime(2025, 6, 4, 15, 0, tzinfo=UTC)
    clock.set(2025, 6, 4, 15, 0)
    assert [(i.user_id, i.local_date) for i in await service.tick()] == [(BOB, date(2025, 6, 4))]


async def test_days_of_week_pause_and_skip(service: CheckinService, clock: Clock) -> None:
    await service.start(ALICE, guild_id=None, at="09:00", tz="UTC", days="weekends")
    assert (await service.info(ALICE)).next_run == datetime(2025, 6, 7, 9, tzinfo=UTC)
    await service.start(BOB, guild_id=None, at="09:00", tz="UTC")
    info = await service.pause(BOB, "2025-06-05")
    assert info.next_run == datetime(2025, 6, 5, 9, tzinfo=UTC)
    with pytest.raises(UserFacingError, match="after today"):
        await service.pause(BOB, "2025-06-02")
    with pytest.raises(UserFacingError, match="YYYY-MM-DD"):
        await service.pause(BOB, "next week")
    info = await service.resume(BOB)
    assert info.next_run == datetime(2025, 6, 2, 9, tzinfo=UTC)
    skipped, info = await service.skip_today(BOB)
    assert skipped
    assert info.next_run == datetime(2025, 6, 3, 9, tzinfo=UTC)
    clock.set(2025, 6, 2, 9, 0)
    assert await service.tick() == []


async def test_stop_and_unreachable_stop_all_prompts(
    service: CheckinService, db: aiosqlite.Connection, clock: Clock
) -> None:
    await service.start(ALICE, guild_id=7, at="09:00", tz="UTC")
    await service.start(BOB, guild_id=7, at="09:00", tz="UTC")
    assert await service.stop(ALICE)
    assert not await service.stop(ALICE)
    clock.set(2025, 6, 2, 9, 0)
    [item] = await service.tick()
    await service.mark_unreachable(item)
    assert await prompt_status(db, item.prompt_id) == "failed"
    info = await service.info(BOB)
    assert (info.status, info.next_run) == ("unreachable", None)
    assert "couldn't DM you" in info.describe()
    for day in range(3, 6):
        clock.set(2025, 6, day, 9, 0)
        assert await service.tick() == []
    with pytest.raises(UserFacingError, match="couldn't DM you"):
        await service.skip_today(BOB)
    # Running /checkin start again is how they come back.
    info = await service.start(BOB, guild_id=7, at="09:00", tz="UTC")
    assert info.status == "active"
    assert info.next_run == datetime(2025, 6, 6, 9, tzinfo=UTC)


# --- reminders -----------------------------------------------------------------------------


async def test_one_reminder_when_unanswered_none_when_answered(
    service: CheckinService, clock: Clock
) -> None:
    for user in (ALICE, BOB):
        await service.start(user, guild_id=None, at="09:00", tz="UTC")
    clock.set(2025, 6, 2, 9, 0)
    items = await service.tick()
    for item in items:
        await service.mark_sent(item, channel_id=1, message_id=2)
    alice_prompt = next(i for i in items if i.user_id == ALICE)
    await service.answer_prompt(alice_prompt.prompt_id, ALICE, 4)
    clock.advance(hours=3, minutes=59)
    assert await service.tick() == []
    clock.advance(minutes=2)
    [reminder] = await service.tick()
    assert (reminder.user_id, reminder.kind) == (BOB, "reminder")
    clock.advance(hours=1)
    assert await service.tick() == []


async def test_no_reminder_about_yesterday_and_none_when_disabled(
    db: aiosqlite.Connection, clock: Clock
) -> None:
    service = CheckinService(db, CheckinSettings(reminder_hours=4), now=clock)
    await service.start(ALICE, guild_id=None, at="22:00", tz="UTC")
    clock.set(2025, 6, 2, 22, 0)
    [item] = await service.tick()
    await service.mark_sent(item, channel_id=1, message_id=2)
    clock.set(2025, 6, 3, 2, 30)
    assert await service.tick() == []

    quiet = CheckinService(db, CheckinSettings(reminder_hours=0), now=clock)
    await quiet.start(BOB, guild_id=None, at="03:00", tz="UTC")
    clock.set(2025, 6, 3, 3, 0)
    [item] = await quiet.tick()
    await quiet.mark_sent(item, channel_id=1, message_id=2)
    clock.set(2025, 6, 3, 20, 0)
    assert await quiet.tick() == []


# --- answers, tags, notes --------------------------------------------------------------------


async def _one_prompt(service: CheckinService, clock: Clock, user: int = ALICE) -> Outgoing:
    await service.start(user, guild_id=9, at="09:00", tz="UTC")
    clock.set(2025, 6, 2, 9, 0)
    [item] = await service.tick()
    await service.mark_sent(item, channel_id=1, message_id=2)
    return item


async def test_answer_stores_mood_once_per_prompt_and_only_for_its_owner(
    service: CheckinService, db: aiosqlite.Connection, clock: Clock
) -> None:
    item = await _one_prompt(service, clock)
    with pytest.raises(UserFacingError, match="isn't yours"):
        await service.answer_prompt(item.prompt_id, BOB, 5)
    first = await service.answer_prompt(item.prompt_id, ALICE, 2)
    again = await service.answer_prompt(item.prompt_id, ALICE, 3)
    assert first.entry_id == again.entry_id
    assert again.changed
    assert not first.changed
    entry = await service.entry(first.entry_id)
    assert entry is not None
    assert (entry.mood, entry.source, entry.local_date) == (
        3,
        "prompt",
        date(2025, 6, 2),
    )
    assert await prompt_status(db, item.prompt_id) == "answered"
    with pytest.raises(UserFacingError):
        await service.log_now(ALICE, 6)


async def test_tags_are_filtered_and_notes_bounded(service: CheckinService, clock: Clock) -> None:
    result = await service.log_now(ALICE, 3)
    tags = await service.set_tags(result.entry_id, ALICE, ["tired", "made-up", "tired", "calm"])
    assert tags == ("tired", "calm")
    with pytest.raises(UserFacingError):
        await service.set_tags(result.entry_id, BOB, ["calm"])
    assert await service.set_note(result.entry_id, ALICE, "x" * NOTE_MAX) == "x" * NOTE_MAX
    with pytest.raises(UserFacingError, match="1,000"):
        await service.set_note(result.entry_id, ALICE, "x" * (NOTE_MAX + 1))
    assert await service.set_note(result.entry_id, ALICE, "   ") is None
    with pytest.raises(UserFacingError):
        await service.set_note(result.entry_id, BOB, "not mine")


# --- low-mood care ---------------------------------------------------------------------------


async def test_care_after_three_lowest_in_five_days_once_per_window(
    service: CheckinService, clock: Clock
) -> None:
    results = []
    for _ in range(3):
        results.append(await service.log_now(ALICE, 1))
        clock.advance(days=1)
    assert [r.care is not None for r in results] == [False, False, True]
    care = results[2].care
    assert care is not None
    assert care.text == CARE_MESSAGE
    assert care.share_guild_id is None
    assert care.heads_up is None
    # A fourth low day inside the window: no second message.
    assert (await service.log_now(ALICE, 1)).care is None
    # Low moods that are not the lowest never count.
    assert (await service.log_now(BOB, 2)).care is None
    # Well after the window, three more lowest → care again.
    clock.advance(days=10)
    again = [(await service.log_now(ALICE, 1)).care for _ in range(3)]
    assert again[2] is not None
    assert again[:2] == [None, None]


async def test_lows_spread_wider_than_the_window_do_not_trigger(
    service: CheckinService, clock: Clock
) -> None:
    for _ in range(3):
        assert (await service.log_now(ALICE, 1)).care is None
        clock.advance(days=3)


async def test_mod_heads_up_only_with_consent_and_without_notes(
    service: CheckinService, clock: Clock
) -> None:
    with pytest.raises(UserFacingError, match="inside the server"):
        await service.share_with_mods(ALICE, None, True)
    await service.share_with_mods(ALICE, 42, True)
    assert (await service.info(ALICE)).shares_with_mods
    care = None
    for _ in range(3):
        result = await service.log_now(ALICE, 1)
        await service.set_note(result.entry_id, ALICE, "private words")
        care = result.care
    assert care is not None
    assert care.share_guild_id == 42
    assert care.heads_up is not None
    assert f"<@{ALICE}>" in care.heads_up
    assert "private words" not in care.heads_up
    await service.share_with_mods(ALICE, 42, False)
    assert not (await service.info(ALICE)).shares_with_mods


# --- streaks, history, week ------------------------------------------------------------------


def test_streak_counts_back_from_today_or_yesterday() -> None:
    today = date(2025, 6, 10)
    days = [today - timedelta(days=n) for n in (1, 2, 3, 5)]
    assert streak_from(days, today) == 3  # today isn't over: no guilt yet
    assert streak_from([today, *days], today) == 4
    assert streak_from([today - timedelta(days=2)], today) == 0
    assert streak_from([], today) == 0


async def test_history_summary_and_streak(service: CheckinService, clock: Clock) -> None:
    await service.start(ALICE, guild_id=None, at="20:00", tz="Asia/Kolkata")
    for mood_value in (2, 3, 4):
        result = await service.log_now(ALICE, mood_value)
        await service.set_tags(result.entry_id, ALICE, ["tired"])
        clock.advance(days=1)
    history = await service.history(ALICE, 30)
    assert [e.mood for e in history.entries] == [2, 3, 4]
    assert history.streak == 3
    text = history.summary()
    assert "3 check-ins" in text
    assert "average 3.0/5" in text
    assert "tired" in text
    assert "Streak:** 3 days" in text
    assert "No check-ins" in (await service.history(BOB, 7)).summary()
    with pytest.raises(UserFacingError):
        await service.history(ALICE, 0)


async def test_week_sentence_compares_with_last_week(service: CheckinService, clock: Clock) -> None:
    assert "No check-ins in the last 7 days" in await service.week(ALICE)
    for _ in range(3):
        await service.log_now(ALICE, 2)
        clock.advance(days=1)
    clock.advance(days=5)
    for _ in range(3):
        result = await service.log_now(ALICE, 4)
        await service.set_tags(result.entry_id, ALICE, ["hopeful"])
        clock.advance(hours=20)
    sentence = await service.week(ALICE)
    assert "average mood 4.0/5" in sentence
    assert "up from 2.0" in sentence
    assert "hopeful" in sentence


async def test_forget_deletes_everything(
    service: CheckinService, db: aiosqlite.Connection, clock: Clock
) -> None:
    await _one_prompt(service, clock)
    await service.log_now(ALICE, 3)
    await service.forget(ALICE)
    for table in ("checkin_schedules", "checkin_prompts", "mood_entries"):
        async with db.execute(f"SELECT COUNT(*) FROM {table}") as cur:
            row = await cur.fetchone()
        assert row is not None
        assert row[0] == 0


async def test_local_date_of_a_mood_is_the_persons_date(
    service: CheckinService, clock: Clock
) -> None:
    await service.start(ALICE, guild_id=None, at="09:00", tz="Pacific/Auckland")
    clock.set(2025, 6, 2, 20, 0)  # already 3 June in Auckland
    result = await service.log_now(ALICE, 3)
    entry = await service.entry(result.entry_id)
    assert entry is not None
    assert entry.local_date == date(2025, 6, 3)
    assert time(9) == (await service.info(ALICE)).local_time


async def test_a_broken_row_does_not_stall_the_tick(
    service: CheckinService, db: aiosqlite.Connection, clock: Clock
) -> None:
    await service.start(ALICE, guild_id=None, at="09:00", tz="UTC")
    await service.start(BOB, guild_id=None, at="09:00", tz="UTC")
    await db.execute("UPDATE checkin_schedules SET tz = 'Gone/Zone' WHERE user_id = ?", (ALICE,))
    await db.commit()
    clock.set(2025, 6, 2, 9, 0)
    assert [i.user_id for i in await service.tick()] == [BOB]
    assert (await service.info(ALICE)).next_run is None
