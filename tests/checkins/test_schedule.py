"""Schedule maths: DST gaps and overlaps, odd offsets, days of week, pause, skip, catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.checkins.schedule import (
    Schedule,
    days_to_mask,
    describe_days,
    due_date,
    mask_to_days,
    next_run,
    parse_days,
    parse_time,
    resolve_local,
    search_zones,
)
from bot.errors import UserFacingError


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(run: datetime, tz: str) -> datetime:
    return run.astimezone(ZoneInfo(tz))


# --- America/New_York: gap 2025-03-09 02:00→03:00, overlap 2025-11-02 02:00→01:00 ---------


def test_new_york_same_local_time_either_side_of_spring_forward() -> None:
    s = Schedule(time(9, 0), "America/New_York")
    before = next_run(s, utc(2025, 3, 8, 12))
    after = next_run(s, utc(2025, 3, 9, 12))
    assert before == utc(2025, 3, 8, 14)  # 09:00 EST
    assert after == utc(2025, 3, 9, 13)  # 09:00 EDT, not 10:00
    assert local(after, "America/New_York").time() == time(9, 0)


def test_new_york_nonexistent_time_runs_at_next_valid_minute() -> None:
    s = Schedule(time(2, 30), "America/New_York")
    run = next_run(s, utc(2025, 3, 9, 0))
    assert run == utc(2025, 3, 9, 7)  # 03:00 EDT, the moment clocks jump
    assert local(run, "America/New_York").time() == time(3, 0)
    # The day after, 02:30 exists again.
    assert local(next_run(s, run), "America/New_York").replace(tzinfo=None) == datetime(
        2025, 3, 10, 2, 30
    )


def test_new_york_ambiguous_time_runs_once_at_first_occurrence() -> None:
    s = Schedule(time(1, 30), "America/New_York")
    first = next_run(s, utc(2025, 11, 2, 0))
    assert first == utc(2025, 11, 2, 5, 30)  # 01:30 EDT
    # Asking again from that instant must not return the second 01:30 (EST, 06:30 UTC).
    second = next_run(s, first)
    assert second == utc(2025, 11, 3, 6, 30)
    assert local(second, "America/New_York").date() == date(2025, 11, 3)


def test_new_york_fall_back_keeps_local_time_next_day() -> None:
    s = Schedule(time(9, 0), "America/New_York")
    assert next_run(s, utc(2025, 11, 2, 12)) == utc(2025, 11, 2, 14)  # 09:00 EST
    assert next_run(s, utc(2025, 11, 1, 12)) == utc(2025, 11, 1, 13)  # 09:00 EDT


# --- Europe/London: gap 2025-03-30 01:00→02:00, overlap 2025-10-26 02:00→01:00 -------------


def test_london_gap_and_overlap() -> None:
    gap = Schedule(time(1, 30), "Europe/London")
    run = next_run(gap, utc(2025, 3, 29, 12))
    assert run == utc(2025, 3, 30, 1)  # 02:00 BST
    overlap = Schedule(time(1, 30), "Europe/London")
    first = next_run(overlap, utc(2025, 10, 25, 12))
    assert first == utc(2025, 10, 26, 0, 30)  # 01:30 BST, the first of two
    assert next_run(overlap, first) == utc(2025, 10, 27, 1, 30)


def test_london_eight_am_tracks_bst() -> None:
    s = Schedule(time(8, 0), "Europe/London")
    assert next_run(s, utc(2025, 3, 29, 9)) == utc(2025, 3, 30, 7)
    assert next_run(s, utc(2025, 10, 25, 9)) == utc(2025, 10, 26, 8)


# --- Australia/Sydney: gap 2025-10-05 02:00→03:00, overlap 2025-04-06 03:00→02:00 ----------


def test_sydney_gap_and_overlap() -> None:
    gap = Schedule(time(2, 15), "Australia/Sydney")
    run = next_run(gap, utc(2025, 10, 4, 0))
    assert local(run, "Australia/Sydney").replace(tzinfo=None) == datetime(2025, 10, 5, 3, 0)
    assert run == utc(2025, 10, 4, 16)
    overlap = Schedule(time(2, 30), "Australia/Sydney")
    first = next_run(overlap, utc(2025, 4, 5, 0))
    assert first == utc(2025, 4, 5, 15, 30)  # 02:30 AEDT (+11), the first occurrence
    assert local(next_run(overlap, first), "Australia/Sydney").date() == date(2025, 4, 7)


def test_sydney_days_are_local_days() -> None:
    # Monday 08:00 in Sydney is still Sunday in UTC: the prompt must be for Monday.
    s = Schedule(time(8, 0), "Australia/Sydney", days=frozenset({0}))
    run = next_run(s, utc(2025, 6, 1, 0))  # Sunday 10:00 Sydney
    assert run == utc(2025, 6, 1, 22)
    assert local(run, "Australia/Sydney").weekday() == 0


# --- no DST, odd offsets -----------------------------------------------------------------


@pytest.mark.parametrize(
    "day", [date(2025, 1, 15), date(2025, 3, 9), date(2025, 7, 1), date(2025, 11, 2)]
)
def test_kolkata_is_plus_five_thirty_all_year(day: date) -> None:
    s = Schedule(time(9, 0), "Asia/Kolkata")
    run = next_run(s, datetime.combine(day, time(0, 0), UTC) - timedelta(hours=6))
    assert run == datetime.combine(day, time(3, 30), UTC)


def test_adelaide_half_hour_zone_gap() -> None:
    # Adelaide: +09:30 → +10:30 at 02:00 local on 2025-10-05.
    s = Schedule(time(2, 30), "Australia/Adelaide")
    run = next_run(s, utc(2025, 10, 4, 0))
    assert local(run, "Australia/Adelaide").replace(tzinfo=None) == datetime(2025, 10, 5, 3, 0)
    assert run == utc(2025, 10, 4, 16, 30)
    normal = Schedule(time(7, 0), "Australia/Adelaide")
    assert next_run(normal, utc(2025, 7, 1, 0)) == utc(2025, 7, 1, 21, 30)


def test_kathmandu_forty_five_minute_offset() -> None:
    s = Schedule(time(9, 0), "Asia/Kathmandu")
    assert next_run(s, utc(2025, 5, 1, 0)) == utc(2025, 5, 1, 3, 15)


def test_a_whole_skipped_day_runs_at_the_next_valid_minute() -> None:
    # Samoa skipped 30 December 2011 entirely; the gap search must still terminate sanely.
    run = resolve_local(date(2011, 12, 30), time(9, 0), ZoneInfo("Pacific/Apia"))
    assert local(run, "Pacific/Apia").replace(tzinfo=None) == datetime(2011, 12, 31, 0, 0)


# --- days, pause, skip -------------------------------------------------------------------


def test_weekdays_from_friday_evening_is_monday() -> None:
    s = Schedule(time(9, 0), "Europe/London", days=parse_days("weekdays"))
    run = next_run(s, utc(2025, 6, 6, 18))  # Friday
    assert local(run, "Europe/London").date() == date(2025, 6, 9)


def test_pause_resumes_on_the_given_date_and_skip_skips_one_day() -> None:
    s = Schedule(time(9, 0), "Europe/London", resume_on=date(2025, 6, 12))
    assert local(next_run(s, utc(2025, 6, 6, 18)), "Europe/London").date() == date(2025, 6, 12)
    skip = Schedule(time(9, 0), "Europe/London", skip_date=date(2025, 6, 7))
    assert local(next_run(skip, utc(2025, 6, 7, 6)), "Europe/London").date() == date(2025, 6, 8)


def test_no_days_means_no_run() -> None:
    assert next_run(Schedule(time(9, 0), "UTC", days=frozenset()), utc(2025, 1, 1)) is None


def test_naive_after_is_refused() -> None:
    with pytest.raises(ValueError):
        next_run(Schedule(time(9, 0), "UTC"), datetime(2025, 1, 1))


# --- catch-up ----------------------------------------------------------------------------


def test_due_on_time_and_across_midnight_within_grace() -> None:
    s = Schedule(time(23, 59), "Europe/London")
    scheduled = utc(2025, 1, 10, 23, 59)
    assert due_date(s, scheduled, scheduled) == date(2025, 1, 10)
    assert due_date(s, scheduled, scheduled + timedelta(minutes=5)) == date(2025, 1, 10)


def test_after_downtime_only_todays_prompt_is_sent() -> None:
    s = Schedule(time(9, 0), "Europe/London")
    missed = utc(2025, 1, 10, 9)
    # Back two days later at 10:00: today's 09:00 has passed and is still today → today.
    assert due_date(s, missed, utc(2025, 1, 12, 10)) == date(2025, 1, 12)
    # Back two days later at 08:00: today's time is still ahead; the old ones are skipped.
    assert due_date(s, missed, utc(2025, 1, 12, 8)) is None
    # Today is not a check-in day → nothing.
    weekdays = Schedule(time(9, 0), "Europe/London", days=parse_days("weekdays"))
    assert due_date(weekdays, missed, utc(2025, 1, 12, 10)) is None  # a Sunday


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", time(9)),
        ("9:30", time(9, 30)),
        ("21:05", time(21, 5)),
        ("9am", time(9)),
        ("12am", time(0)),
        ("9:30pm", time(21, 30)),
    ],
)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9", "13pm", "noon", "09:60", ""])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(UserFacingError):
        parse_time(text)


def test_parse_days_and_mask_round_trip() -> None:
    assert parse_days(None) == frozenset(range(7))
    assert parse_days("mon, wed, fri") == frozenset({0, 2, 4})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days("Weekends") == frozenset({5, 6})
    assert mask_to_days(days_to_mask({1, 3})) == frozenset({1, 3})
    assert describe_days(parse_days("mon-fri")) == "weekdays"
    with pytest.raises(UserFacingError):
        parse_days("someday")


def test_zone_search_matches_cities_and_rejects_nothing_silently() -> None:
    assert search_zones("new york")[0] == "America/New_York"
    assert "Asia/Kolkata" in search_zones("kolk")
    assert len(search_zones("")) > 0
    assert search_zones("zzzz-not-a-zone") == []


# --- property: always in the future, at the chosen local time or the documented shift ------

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Pacific/Chatham",
    "UTC",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tz=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    mask=st.integers(1, 127),
    after=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
        lambda d: d.replace(tzinfo=UTC)
    ),
)
def test_next_run_is_future_at_chosen_local_time_or_documented_shift(
    tz: str, hour: int, minute: int, mask: int, after: datetime
) -> None:
    zone = ZoneInfo(tz)
    chosen = time(hour, minute)
    s = Schedule(chosen, tz, days=mask_to_days(mask))
    run = next_run(s, after)
    assert run is not None
    assert run > after
    assert run - after <= timedelta(days=8)
    shown = run.astimezone(zone)
    day = shown.date()
    if shown.time() != chosen:
        # Documented shift: the chosen time does not exist that day, so it runs at the first
        # valid minute after the jump; one minute earlier is local time before the chosen one.
        naive = datetime.combine(day, chosen)
        assert shown.replace(tzinfo=None) > naive
        assert (run - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None) < naive
    else:
        assert shown.fold == 0  # an ambiguous time runs at its first occurrence
    assert day.weekday() in s.days
    # No earlier chosen day between `after` and the run was passed over.
    cursor = after.astimezone(zone).date()
    while cursor < day:
        if cursor.weekday() in s.days:
            assert resolve_local(cursor, chosen, zone) <= after
        cursor += timedelta(days=1)
