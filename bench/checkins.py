"""Benchmark the check-in scheduler: N opted-in people, one tick with ~70 due.

    python bench/checkins.py                 # 100,000 people
    python bench/checkins.py --quick --json  # 20,000 people, machine-readable

Measures seeding time (computing each person's next run in their own zone + bulk insert),
the time of one tick that claims the due prompts (indexed ``next_run_utc <= now``), an idle
tick, and RSS growth over the whole run. Targets: tick <= 50 ms, RSS growth <= 50 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.checkins.repository import to_epoch
from bot.checkins.schedule import EVERY_DAY, Schedule, days_to_mask, next_run
from bot.checkins.service import CheckinService
from bot.config import CheckinSettings
from bot.db import apply_migrations, open_database

TICK_TARGET_MS = 50.0
RSS_TARGET_MB = 50.0
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Pacific/Auckland",
    "UTC",
)
DAY_MASKS = (days_to_mask(EVERY_DAY),) * 6 + (0b0011111, 0b1100000, 0b0010101)


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run(users: int, due: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    now = datetime(2025, 6, 2, 9, 0, 30, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        db = await open_database(Path(folder) / "bench.db")
        await apply_migrations(db)
        service = CheckinService(db, CheckinSettings(), now=lambda: now)
        due_ids = set(rng.sample(range(1, users + 1), due))
        rss_before = rss_mb()

        started = clock.perf_counter()
        batch: list[tuple[object, ...]] = []
        for user_id in range(1, users + 1):
            tz = rng.choice(ZONES)
            if user_id in due_ids:
                # Their chosen time is this very minute where they live: due now.
                local = now.astimezone(Schedule(time(0), tz).zone)
                at, mask = time(local.hour, local.minute), days_to_mask(EVERY_DAY)
                run_at = local.replace(second=0).astimezone(UTC)
            else:
                at = time(rng.randrange(24), rng.randrange(60))
                mask = rng.choice(DAY_MASKS)
                schedule = Schedule(at, tz, frozenset(i for i in range(7) if mask >> i & 1))
                run_at = next_run(schedule, now) or now + timedelta(days=7)
            batch.append((user_id, None, f"{at:%H:%M}", tz, mask, to_epoch(run_at)))
            if len(batch) == 10_000:
                await service.repo.bulk_insert_schedules(batch)
                batch = []
        if batch:
            await service.repo.bulk_insert_schedules(batch)
        seed_s = clock.perf_counter() - started

        started = clock.perf_counter()
        sent = await service.tick()
        tick_ms = (clock.perf_counter() - started) * 1000

        started = clock.perf_counter()
        idle = await service.tick()
        idle_ms = (clock.perf_counter() - started) * 1000
        rss_growth = rss_mb() - rss_before
        claimed_once = sorted(i.user_id for i in sent) == sorted(due_ids) and not idle
        await db.close()

    return {
        "users": users,
        "due": due,
        "claimed": len(sent),
        "claimed_exactly_the_due": claimed_once,
        "seed_s": round(seed_s, 3),
        "tick_ms": round(tick_ms, 2),
        "idle_tick_ms": round(idle_ms, 2),
        "rss_growth_mb": round(rss_growth, 1),
        "tick_target_ms": TICK_TARGET_MS,
        "rss_target_mb": RSS_TARGET_MB,
        "ok": tick_ms <= TICK_TARGET_MS and rss_growth <= RSS_TARGET_MB and claimed_once,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="20,000 users (CI-sized)")
    parser.add_argument("--due", type=int, default=70, help="people due in the measured tick")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    users = 20_000 if args.quick else args.users
    result = asyncio.run(run(users, min(args.due, users), args.seed))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
