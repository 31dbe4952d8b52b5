"""Retention periods, the daily job and guild purges after the grace period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.privacy._sql import rows, scalar
from bot.privacy.guilds import guild_tables
from bot.privacy.maintenance import DAILY, HEARTBEAT, Maintenance
from bot.privacy.retention import RetentionPolicy, enforce
from tests.privacy.conftest import GUILD, NOW, NOW_EPOCH, World

DAY = 86_400


async def test_nothing_young_is_purged(world: World) -> None:
    counts = await enforce(world.db, RetentionPolicy(), NOW + timedelta(days=1))
    assert sum(counts.values()) == 0
    assert await scalar(world.db, "SELECT COUNT(*) FROM mood_entries WHERE note IS NOT NULL") == 2


async def test_old_notes_lose_their_text_but_keep_the_mood(world: World) -> None:
    counts = await enforce(world.db, RetentionPolicy(), NOW + timedelta(days=366))
    assert counts["mood_notes"] == 2
    entries = await rows(world.db, "SELECT mood, note, tags FROM mood_entries ORDER BY id")
    assert [(e["mood"], e["note"]) for e in entries] == [(2, None), (2, None)]
    assert all(e["tags"] == '["work", "sleep"]' for e in entries)


async def test_resolved_escalations_and_logs_go_after_90_days_open_ones_stay(
    world: World,
) -> None:
    counts = await enforce(world.db, RetentionPolicy(), NOW + timedelta(days=91))
    assert counts["resolved_escalations"] == 2  # one false alarm each
    assert counts["moderation_log"] == 4  # an entry and a strike each
    assert counts["harassment_log"] == 2
    assert counts["concern_reports"] == 2
    states = await rows(world.db, "SELECT state FROM escalations")
    assert [s["state"] for s in states] == ["open", "open"]  # raised from vents, still open
    # Cascades: nothing points at a deleted escalation.
    assert (
        await scalar(
            world.db,
            "SELECT COUNT(*) FROM escalation_audit WHERE escalation_id NOT IN "
            "(SELECT id FROM escalations)",
        )
        == 0
    )
    assert counts.get("mood_notes", 0) == 0


async def test_zero_days_keeps_forever(world: World) -> None:
    policy = RetentionPolicy(note_days=0, moderation_log_days=0)
    counts = await enforce(world.db, policy, NOW + timedelta(days=5000))
    assert "mood_notes" not in counts
    assert "moderation_log" not in counts
    assert counts["vents"] == 4


class Clock:
    def __init__(self, start: int) -> None:
        self.now = start

    def __call__(self) -> float:
        return float(self.now)


async def test_daily_job_runs_once_a_day_and_records_counts_only(world: World) -> None:
    clock = Clock(NOW_EPOCH + 400 * DAY)
    maintenance = Maintenance(world.db, clock=clock)
    first = await maintenance.maybe_run_daily()
    assert first is not None
    assert first.retention["mood_notes"] == 2
    assert await maintenance.maybe_run_daily() is None
    clock.now += DAY
    assert await maintenance.maybe_run_daily() is not None
    last = await maintenance.jobs.last(DAILY)
    assert last is not None
    assert last[0] == clock.now
    assert all(isinstance(v, int) for v in last[1].values())


async def test_heartbeat_is_recorded(world: World) -> None:
    maintenance = Maintenance(world.db, clock=Clock(NOW_EPOCH))
    await maintenance.heartbeat()
    assert await maintenance.jobs.last(HEARTBEAT) == (NOW_EPOCH, {})


async def test_guild_purged_after_grace_unless_the_bot_returns(world: World) -> None:
    clock = Clock(NOW_EPOCH)
    maintenance = Maintenance(world.db, clock=clock)
    await maintenance.guild_left(GUILD)
    clock.now += 29 * DAY
    report = await maintenance.run_daily()
    assert report.purged_guilds == {}

    assert await maintenance.guild_present(GUILD) is True  # rejoined: cancelled
    clock.now += 5 * DAY
    assert (await maintenance.run_daily()).purged_guilds == {}
    assert await scalar(world.db, "SELECT COUNT(*) FROM vents") == 4

    await maintenance.guild_left(GUILD)
    clock.now += 30 * DAY
    report = await maintenance.run_daily()
    assert GUILD in report.purged_guilds
    for table in await guild_tables(world.db):
        assert (
            await scalar(world.db, f"SELECT COUNT(*) FROM {table} WHERE guild_id = ?", (GUILD,))
            == 0
        ), table
    # People's own check-ins stay, without the link to the server.
    schedules = await rows(world.db, "SELECT user_id, guild_id FROM checkin_schedules")
    assert {s["user_id"] for s in schedules} == {world.a.user_id, world.b.user_id}
    assert {s["guild_id"] for s in schedules} == {None}
    assert await scalar(world.db, "SELECT COUNT(*) FROM mood_entries") == 2
    assert await maintenance.departures.pending() == []


async def test_repeated_departure_keeps_the_first_date(world: World) -> None:
    clock = Clock(NOW_EPOCH)
    maintenance = Maintenance(world.db, clock=clock)
    await maintenance.guild_left(GUILD)
    clock.now += 10 * DAY
    await maintenance.guild_left(GUILD)
    assert await maintenance.departures.pending() == [(GUILD, NOW_EPOCH)]


async def test_a_guild_can_shorten_but_not_lengthen_its_periods(world: World) -> None:
    from bot.db.guild_settings import GuildSettingsRepository
    from bot.errors import UserFacingError
    from bot.privacy.retention import set_guild_periods

    repo, policy = GuildSettingsRepository(world.db), RetentionPolicy()
    periods = await set_guild_periods(repo, GUILD, policy, {"resolved_escalation_days": 7})
    assert periods == {
        "resolved_escalation_days": 7,
        "moderation_log_days": 90,
        "vent_days": 365,
    }
    with pytest.raises(UserFacingError, match="between 1 and 90 days"):
        await set_guild_periods(repo, GUILD, policy, {"moderation_log_days": 400})
    # The shorter period applies to this guild only, on the next run.
    counts = await enforce(world.db, policy, NOW + timedelta(days=8))
    assert counts["resolved_escalations"] == 2
    assert counts.get("moderation_log", 0) == 0
    reset = await set_guild_periods(repo, GUILD, policy, {}, reset=True)
    assert reset["resolved_escalation_days"] == 90
