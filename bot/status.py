"""Health report for ``/setup status`` (live) and ``python -m bot status`` (offline).

Both read the same numbers from the database; only the live bot knows the toxicity
model's state and queue. Problems come first, each with what to do about it.
No message text, note or name is ever read here: counts, states and times only.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import aiosqlite

from bot.privacy._sql import rows, scalar, table_exists

TICK_STALE_SECONDS = 180  # the heartbeat job runs every minute
RETENTION_STALE_SECONDS = 2 * 86_400
UNANSWERED_ALERT_SECONDS = 15 * 60
QUEUE_HIGH_FRACTION = 0.8
SEVERITY_WORDS = {1: "concern", 2: "urgent", 3: "imminent risk"}


@dataclass(frozen=True)
class Problem:
    what: str
    fix: str


@dataclass
class HealthReport:
    problems: list[Problem] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def render(self, *, markdown: bool = True) -> str:
        bold = "**" if markdown else ""
        out: list[str] = []
        if self.problems:
            out.append(f"{bold}Needs attention{bold}")
            out.extend(f"⚠ {p.what} — {p.fix}" for p in self.problems)
            out.append("")
        else:
            out.append(f"{bold}All healthy{bold}")
        out.extend(self.lines)
        return "\n".join(out)


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7_200:
        return f"{seconds // 60} min ago"
    if seconds < 172_800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86_400} days ago"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # unreachable


def database_bytes(path: Path | str | None) -> int | None:
    if path is None or str(path) == ":memory:":
        return None
    total = 0
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            total += candidate.stat().st_size
    return total


async def collect(
    db: aiosqlite.Connection,
    *,
    toxicity: Any | None,
    live: bool,
    db_path: Path | str | None,
    guild_id: int | None = None,
    now: float | None = None,
) -> HealthReport:
    """Build the report. ``toxicity`` is a ``ToxicityStatus`` snapshot (live only);
    ``guild_id`` limits escalation counts to one server (``/setup status``)."""
    now = time.time() if now is None else now
    report = HealthReport()
    _model(report, toxicity, live)
    await _scheduler(report, db, live, now)
    await _escalations(report, db, guild_id, now)
    await _failed_dms(report, db, now)
    await _departures(report, db, guild_id)
    size = database_bytes(db_path)
    if size is not None:
        report.lines.append(f"Database size: {_size(size)} (with its -wal file)")
    return report


def _model(report: HealthReport, status: Any | None, live: bool) -> None:
    if not live or status is None:
        report.lines.append("Toxicity model: not running (the bot is not running here)")
        return
    state = str(getattr(status.state, "value", status.state))
    text = f"Toxicity model: {state} ({status.model}{', int8' if status.quantized else ''})"
    text += f", queue {status.queue_depth}/{status.queue_max}, dropped {status.dropped}"
    report.lines.append(text)
    if state == "failed":
        report.problems.append(
            Problem(
                f"The toxicity model failed to load: {status.error or 'unknown error'}",
                "fix [moderation] checkpoint/model_dir or the network, then restart; "
                "crisis detection keeps working without it",
            )
        )
    if status.queue_max and status.queue_depth >= QUEUE_HIGH_FRACTION * status.queue_max:
        report.problems.append(
            Problem(
                f"The toxicity queue is nearly full ({status.queue_depth}/{status.queue_max})",
                "set moderation.quantize = true, raise moderation.threads, or monitor fewer "
                "channels (/setup monitor)",
            )
        )
    if status.dropped:
        report.problems.append(
            Problem(
                f"{status.dropped} message(s) were dropped unscored since start",
                "the model cannot keep up: enable moderation.quantize or add CPU threads",
            )
        )


async def _scheduler(
    report: HealthReport, db: aiosqlite.Connection, live: bool, now: float
) -> None:
    if not await table_exists(db, "job_runs"):
        report.lines.append("Scheduler: no record yet (database not upgraded)")
        return
    found = {r["name"]: r for r in await rows(db, "SELECT name, last_run_at, detail FROM job_runs")}
    tick = found.get("scheduler")
    if tick is None:
        report.lines.append("Last scheduler tick: never")
        if live:
            report.problems.append(
                Problem("The scheduler has not ticked yet", "if this lasts, restart the bot")
            )
    else:
        age = now - tick["last_run_at"]
        report.lines.append(f"Last scheduler tick: {_ago(age)}")
        if live and age > TICK_STALE_SECONDS:
            report.problems.append(
                Problem(
                    f"The scheduler last ticked {_ago(age)}: check-ins, re-pings and "
                    "retention are not running",
                    "restart the bot and look for errors in its log",
                )
            )
    retention = found.get("retention")
    if retention is None:
        report.lines.append("Last retention run: never")
    else:
        age = now - retention["last_run_at"]
        detail = json.loads(retention["detail"] or "{}")
        counts = ", ".join(f"{k} {v}" for k, v in sorted(detail.items()) if v) or "nothing due"
        report.lines.append(f"Last retention run: {_ago(age)} ({counts})")
        if live and age > RETENTION_STALE_SECONDS:
            report.problems.append(
                Problem(
                    f"Retention last ran {_ago(age)}",
                    "restart the bot; old notes and logs are not being deleted meanwhile",
                )
            )


async def _escalations(
    report: HealthReport, db: aiosqlite.Connection, guild_id: int | None, now: float
) -> None:
    if not await table_exists(db, "escalations"):
        return
    where, params = "state IN ('open', 'acknowledged', 'claimed')", ()
    if guild_id is not None:
        where, params = f"{where} AND guild_id = ?", (guild_id,)
    found = await rows(
        db,
        f"SELECT severity, COUNT(*) AS n FROM escalations WHERE {where} GROUP BY severity",
        params,
    )
    by = {r["severity"]: r["n"] for r in found}
    if by:
        parts = ", ".join(f"{SEVERITY_WORDS.get(s, s)} {by[s]}" for s in sorted(by, reverse=True))
        report.lines.append(f"Open escalations: {sum(by.values())} ({parts})")
    else:
        report.lines.append("Open escalations: none")
    waiting = await scalar(
        db,
        f"SELECT COUNT(*) FROM escalations WHERE {where} AND state = 'open' AND severity >= 2 "
        "AND created_at < ?",
        (*params, int(now) - UNANSWERED_ALERT_SECONDS),
    )
    if waiting:
        report.problems.append(
            Problem(
                f"{waiting} urgent escalation(s) have had no moderator response for over "
                f"{UNANSWERED_ALERT_SECONDS // 60} minutes",
                "open the alert channel now; check /setup alerts names a role that is online",
            )
        )


async def _failed_dms(report: HealthReport, db: aiosqlite.Connection, now: float) -> None:
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = int(day.timestamp())
    parts: dict[str, int] = {}
    if await table_exists(db, "escalation_deliveries"):
        parts["crisis resources"] = await scalar(
            db,
            "SELECT COUNT(*) FROM escalation_deliveries WHERE step = 'dm' AND status = 'failed' "
            "AND at >= ?",
            (start,),
        )
    if await table_exists(db, "checkin_prompts"):
        parts["check-ins"] = await scalar(
            db,
            "SELECT COUNT(*) FROM checkin_prompts WHERE status = 'failed' AND claimed_utc >= ?",
            (start,),
        )
    parts["notices queued"] = await scalar(
        db,
        "SELECT COUNT(*) FROM pending_notices WHERE created_at >= ?",
        (day.strftime("%Y-%m-%dT%H:%M:%SZ"),),
    )
    total = parts.get("crisis resources", 0) + parts.get("check-ins", 0)
    detail = ", ".join(f"{k} {v}" for k, v in parts.items())
    report.lines.append(f"DMs that failed today (UTC): {total} ({detail})")


async def _departures(report: HealthReport, db: aiosqlite.Connection, guild_id: int | None) -> None:
    if guild_id is not None or not await table_exists(db, "guild_departures"):
        return
    n = await scalar(db, "SELECT COUNT(*) FROM guild_departures")
    if n:
        report.lines.append(f"Servers that removed Haven, awaiting purge: {n}")


# --- offline: python -m bot status ----------------------------------------------------


async def offline_report(db_path: Path) -> HealthReport:
    uri = f"file:{db_path}?mode=ro"
    db = await aiosqlite.connect(uri, uri=True)
    db.row_factory = aiosqlite.Row
    try:
        return await collect(db, toxicity=None, live=False, db_path=db_path)
    finally:
        await db.close()


def run_status(settings: Any, out: TextIO) -> int:
    """``python -m bot status``: read the database file (read-only) and print the report.

    Exit code 0 when healthy, 1 when something needs attention, 2 when there is no
    database to read.
    """
    path = Path(settings.database.path)
    if not path.exists():
        out.write(f"no database at {path} (database.path); has the bot ever run?\n")
        return 2
    report = asyncio.run(offline_report(path))
    out.write(report.render(markdown=False) + "\n")
    return 0 if report.healthy else 1
