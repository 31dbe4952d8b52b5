"""The health report: offline CLI (`python -m bot status`) and live numbers."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

from bot.config import Settings
from bot.db import apply_migrations, open_database
from bot.safety.toxicity import ModelState, ToxicityStatus
from bot.status import collect, run_status


def _settings(path: Path) -> Settings:
    return Settings(database={"path": path})


def _make_db(path: Path, *, urgent_age: int | None = None, tick_age: int | None = None) -> None:
    async def build() -> None:
        db = await open_database(path)
        await apply_migrations(db)
        now = int(time.time())
        if urgent_age is not None:
            await db.execute(
                "INSERT INTO escalations (guild_id, user_id, source, category, severity, "
                "created_at, last_seen_at) VALUES (1, 2, 'message', 'self_risk', 2, ?, ?)",
                (now - urgent_age, now - urgent_age),
            )
        if tick_age is not None:
            await db.execute(
                "INSERT INTO job_runs (name, last_run_at) VALUES ('scheduler', ?)",
                (now - tick_age,),
            )
        await db.execute(
            "INSERT INTO checkin_prompts (user_id, local_date, status, claimed_utc) "
            "VALUES (5, '2026-01-01', 'failed', ?)",
            (now,),
        )
        await db.commit()
        await db.close()

    asyncio.run(build())


def test_offline_without_a_database_says_so(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_status(_settings(tmp_path / "none.db"), out) == 2
    assert "no database" in out.getvalue()
    assert not (tmp_path / "none.db").exists()  # reading never creates it


def test_offline_healthy(tmp_path: Path) -> None:
    path = tmp_path / "haven.db"
    _make_db(path, tick_age=30)
    out = io.StringIO()
    assert run_status(_settings(path), out) == 0
    text = out.getvalue()
    assert text.startswith("All healthy")
    assert "Toxicity model: not running" in text
    assert "Last scheduler tick: 30 s ago" in text
    assert "Open escalations: none" in text
    assert "DMs that failed today (UTC): 1" in text
    assert "Database size:" in text


def test_offline_problems_come_first_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "haven.db"
    _make_db(path, urgent_age=3600)
    out = io.StringIO()
    assert run_status(_settings(path), out) == 1
    text = out.getvalue()
    assert text.startswith("Needs attention")
    first = text.splitlines()[1]
    assert "no moderator response" in first and "open the alert channel" in first


def _toxicity(**changes: object) -> ToxicityStatus:
    values: dict[str, object] = {
        "state": ModelState.READY,
        "model": "unbiased-small",
        "quantized": True,
        "error": None,
        "queue_depth": 0,
        "queue_max": 1000,
        "scored": 10,
        "dropped": 0,
        "not_ready": 0,
        "failed_batches": 0,
        "batches": 2,
        "last_batch_ms": 12.0,
    }
    values.update(changes)
    return ToxicityStatus(**values)  # type: ignore[arg-type]


async def test_live_model_trouble_and_stale_scheduler_are_problems(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "haven.db")
    await apply_migrations(db)
    now = time.time()
    await db.execute(
        "INSERT INTO job_runs (name, last_run_at) VALUES ('scheduler', ?)", (int(now) - 900,)
    )
    await db.commit()
    status = _toxicity(state=ModelState.FAILED, error="checkpoint missing", dropped=7)
    report = await collect(db, toxicity=status, live=True, db_path=tmp_path / "haven.db", now=now)
    whats = " | ".join(p.what for p in report.problems)
    assert "failed to load: checkpoint missing" in whats
    assert "7 message(s) were dropped" in whats
    assert "scheduler last ticked 15 min ago" in whats
    healthy = await collect(db, toxicity=_toxicity(), live=True, db_path=None, now=now - 880)
    assert healthy.healthy
    assert "queue 0/1000, dropped 0" in healthy.render()
    await db.close()


async def test_live_full_queue_is_a_problem(tmp_path: Path) -> None:
    db = await open_database(":memory:")
    await apply_migrations(db)
    report = await collect(db, toxicity=_toxicity(queue_depth=900), live=True, db_path=None)
    assert any("nearly full" in p.what for p in report.problems)
    await db.close()
