"""The check-ins repository: schema, claims, ownership, and what the chart module loads."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time

import aiosqlite
import pytest

from bot.checkins.chart import render_mood_chart
from bot.checkins.repository import CheckinRepository

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


async def test_next_run_is_indexed(db: aiosqlite.Connection) -> None:
    async with db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM checkin_schedules WHERE next_run_utc <= 1 "
        "AND status = 'active' ORDER BY next_run_utc LIMIT 10"
    ) as cur:
        plan = " ".join(str(row[3]) for row in await cur.fetchall())
    assert "checkin_schedules_next_run" in plan
    assert "SCAN checkin_schedules" not in plan.replace("USING INDEX", "")


async def test_save_schedule_round_trips_and_rejects_unknown_columns(
    db: aiosqlite.Connection,
) -> None:
    repo = CheckinRepository(db)
    row = await repo.save_schedule(
        1,
        guild_id=2,
        local_time=time(7, 45),
        tz="Asia/Kathmandu",
        days_mask=0b11111,
        status="active",
        next_run_utc=NOW,
        resume_on=date(2025, 7, 1),
    )
    assert (row.local_time, row.tz, row.days_mask, row.next_run_utc, row.resume_on) == (
        time(7, 45),
        "Asia/Kathmandu",
        0b11111,
        NOW,
        date(2025, 7, 1),
    )
    schedule = row.schedule()
    assert schedule is not None
    assert schedule.days == frozenset(range(5))
    with pytest.raises(ValueError, match="unknown"):
        await repo.save_schedule(1, note="nope")


async def test_claims_are_unique_per_user_and_local_date(db: aiosqlite.Connection) -> None:
    repo = CheckinRepository(db)
    claims = [(u, date(2025, 6, 2)) for u in range(1, 1201)]  # more than one INSERT chunk
    async with repo.transaction():
        won = await repo.claim_prompts(claims, NOW)
    assert len(won) == 1200
    async with repo.transaction():
        again = await repo.claim_prompts([*claims[:5], (1, date(2025, 6, 3))], NOW)
    assert list(again) == [(1, date(2025, 6, 3))]


async def test_failed_transaction_rolls_back_claims(db: aiosqlite.Connection) -> None:
    repo = CheckinRepository(db)

    async def crash_mid_tick() -> None:
        async with repo.transaction():
            await repo.claim_prompts([(1, date(2025, 6, 2))], NOW)
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        await crash_mid_tick()
    assert await repo.prompt_for(1, date(2025, 6, 2)) is None


async def test_entries_only_change_for_their_owner(db: aiosqlite.Connection) -> None:
    repo = CheckinRepository(db)
    entry_id = await repo.record_entry(
        user_id=1, mood=3, day=date(2025, 6, 2), now=NOW, prompt_id=None, source="now"
    )
    assert not await repo.set_entry_note(entry_id, 2, "someone else's")
    assert await repo.set_entry_note(entry_id, 1, "mine")
    entry = await repo.get_entry(entry_id)
    assert entry is not None
    assert entry.note == "mine"


def test_chart_is_a_png_with_and_without_data() -> None:
    from bot.checkins.repository import MoodEntry

    entries = [
        MoodEntry(
            i,
            1,
            m,
            ("tired",) if m < 3 else (),
            None,
            date(2025, 6, i + 1),
            datetime(2025, 6, i + 1, 9, tzinfo=UTC),
            None,
            "now",
        )
        for i, m in enumerate([1, 2, 3, 5, 4])
    ]
    for data in (entries, []):
        png = render_mood_chart(data, tz="Europe/London", days=7)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(png) > 1000


def test_importing_checkins_does_not_load_matplotlib() -> None:
    code = "import sys, bot.checkins, bot.checkins.chart; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
