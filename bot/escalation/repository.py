"""SQL for escalations and their audit, deliveries, false alarms, reports, allow-list and
harassment log. Sole writer of those tables. Every write commits before returning."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from bot.escalation.models import (
    Action,
    AuditEntry,
    Category,
    Delivery,
    DeliveryStatus,
    Escalation,
    State,
    Step,
)
from bot.privacy import sealing

_LIVE = ("open", "acknowledged", "claimed")
_LIVE_SQL = "('open', 'acknowledged', 'claimed')"


def _row_to_escalation(db: aiosqlite.Connection, row: aiosqlite.Row) -> Escalation:
    context = sealing.guild_context(row["guild_id"])
    return Escalation(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        user_id=row["user_id"],
        pseudonym=row["pseudonym"],
        source=row["source"],
        source_ref=row["source_ref"],
        category=Category(row["category"]),
        severity=row["severity"],
        reasons=_unseal_reasons(db, row["reasons"], context),
        excerpt=sealing.unseal(db, sealing.EXCERPT, row["excerpt"], context),
        reporter_id=row["reporter_id"],
        state=State(row["state"]),
        message_count=row["message_count"],
        dm_wanted=bool(row["dm_wanted"]),
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        acknowledged_at=row["acknowledged_at"],
        acknowledged_by=row["acknowledged_by"],
        claimed_at=row["claimed_at"],
        claimed_by=row["claimed_by"],
        closed_at=row["closed_at"],
        closed_by=row["closed_by"],
        close_note=row["close_note"],
        last_pinged_at=row["last_pinged_at"],
    )


def _seal_reasons(db: aiosqlite.Connection, reasons: Sequence[str], guild_id: int) -> str:
    """The detector's reasons quote matched words of the message: sealed like the excerpt."""
    text = json.dumps(list(reasons))
    return sealing.seal(db, sealing.EXCERPT, text, sealing.guild_context(guild_id)) or "[]"


def _unseal_reasons(db: aiosqlite.Connection, value: str | None, context: str) -> tuple[str, ...]:
    text = sealing.unseal(db, sealing.EXCERPT, value, context)
    try:
        return tuple(json.loads(text or "[]"))
    except ValueError:
        return ()


async def commit(db: aiosqlite.Connection, attempts: int = 100) -> None:
    """Commit, waiting out another repository's cursor that is still mid-statement on this
    shared connection ("cannot commit transaction - SQL statements in progress"): an
    escalation must never be lost to a neighbour's open SELECT."""
    for attempt in range(attempts):
        try:
            await db.commit()
            return
        except sqlite3.OperationalError as exc:
            if "statements in progress" not in str(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.002)


def rule_id(reason: str) -> str:
    """The detector's reasons look like "passive.burden: 'a burden'": keep the rule id so
    false-alarm counts group by rule, and quoted text never leaves the escalation row."""
    return reason.split(":", 1)[0].strip()


def merge_reasons(old: Iterable[str], new: Iterable[str]) -> list[str]:
    """Union keeping first-seen order."""
    seen: dict[str, None] = dict.fromkeys(old)
    seen.update(dict.fromkeys(new))
    return list(seen)


class EscalationRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    # ---- escalations -------------------------------------------------------------------

    async def insert(
        self,
        *,
        guild_id: int,
        user_id: int | None,
        pseudonym: str | None,
        source: str,
        source_ref: str | None,
        category: Category,
        severity: int,
        reasons: Sequence[str],
        excerpt: str | None,
        channel_id: int | None,
        message_id: int | None,
        reporter_id: int | None,
        dm_wanted: bool,
        now: int,
    ) -> int:
        """Insert the escalation and its 'open' audit entry in one commit; return its id.

        Returns straight after the commit (no further await) so the caller can claim the
        delivery steps before any other task can read the new row."""
        # No RETURNING / open cursor: a statement left in progress would make another
        # task's commit on this shared connection fail.
        cur = await self._db.execute(
            "INSERT INTO escalations (guild_id, channel_id, message_id, user_id, pseudonym, "
            "source, source_ref, category, severity, reasons, excerpt, reporter_id, dm_wanted, "
            "created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                channel_id,
                message_id,
                user_id,
                pseudonym,
                source,
                source_ref,
                str(category),
                severity,
                _seal_reasons(self._db, reasons, guild_id),
                sealing.seal(self._db, sealing.EXCERPT, excerpt, sealing.guild_context(guild_id)),
                reporter_id,
                int(dm_wanted),
                now,
                now,
            ),
        )
        escalation_id = cur.lastrowid
        await cur.close()
        assert escalation_id is not None
        await self._insert_audit(escalation_id, None, "open", None, State.OPEN, source, now)
        await commit(self._db)
        return escalation_id

    async def get(self, escalation_id: int) -> Escalation | None:
        rows = await self._db.execute_fetchall(
            "SELECT * FROM escalations WHERE id = ?", (escalation_id,)
        )
        row = rows[0] if rows else None
        return _row_to_escalation(self._db, row) if row else None

    async def find_live(
        self,
        guild_id: int,
        *,
        user_id: int | None,
        pseudonym: str | None,
        category: Category,
        since: int,
    ) -> Escalation | None:
        """The person's newest not-yet-closed escalation seen at or after ``since``."""
        if pseudonym is not None:
            subject, value = "pseudonym", pseudonym
        elif user_id is not None:
            subject, value = "user_id", user_id
        else:
            return None
        rows = await self._db.execute_fetchall(
            f"SELECT * FROM escalations WHERE guild_id = ? AND {subject} = ? AND category = ? "
            f"AND state IN {_LIVE_SQL} AND last_seen_at >= ? ORDER BY id DESC LIMIT 1",
            (guild_id, value, str(category), since),
        )
        row = rows[0] if rows else None
        return _row_to_escalation(self._db, row) if row else None

    async def merge(
        self,
        escalation: Escalation,
        *,
        severity: int,
        reasons: Sequence[str],
        excerpt: str | None,
        want_dm: bool,
        channel_id: int | None,
        message_id: int | None,
        now: int,
    ) -> Escalation:
        """Count one more message, keep the highest severity; excerpt/link follow the worst."""
        raised = severity > escalation.severity
        merged_reasons = merge_reasons(escalation.reasons, reasons)
        await self._db.execute(
            "UPDATE escalations SET message_count = message_count + 1, "
            "severity = MAX(severity, ?), reasons = ?, last_seen_at = ?, "
            "dm_wanted = MAX(dm_wanted, ?), "
            "excerpt = CASE WHEN ? THEN ? ELSE excerpt END, "
            "channel_id = CASE WHEN ? OR channel_id IS NULL THEN ? ELSE channel_id END, "
            "message_id = CASE WHEN ? OR message_id IS NULL THEN ? ELSE message_id END "
            "WHERE id = ?",
            (
                severity,
                _seal_reasons(self._db, merged_reasons, escalation.guild_id),
                now,
                int(want_dm),
                int(raised or escalation.excerpt is None),
                sealing.seal(
                    self._db, sealing.EXCERPT, excerpt, sealing.guild_context(escalation.guild_id)
                ),
                int(raised),
                channel_id,
                int(raised),
                message_id,
                escalation.id,
            ),
        )
        await self._insert_audit(
            escalation.id,
            None,
            "merge",
            escalation.state,
            escalation.state,
            f"severity {escalation.severity}→{max(severity, escalation.severity)}",
            now,
        )
        await commit(self._db)
        found = await self.get(escalation.id)
        assert found is not None
        return found

    async def transition(
        self,
        escalation: Escalation,
        action: Action,
        target: State,
        actor_id: int,
        note: str | None,
        now: int,
    ) -> bool:
        """Compare-and-set the state, stamp who/when, write the audit (one commit).

        Returns False when someone else changed the state first."""
        sets = ["state = ?"]
        args: list[Any] = [str(target)]
        # Any moderator response counts as acknowledgement for time-to-acknowledge.
        sets.append("acknowledged_at = COALESCE(acknowledged_at, ?)")
        sets.append("acknowledged_by = COALESCE(acknowledged_by, ?)")
        args += [now, actor_id]
        if action is Action.CLAIM:
            sets += ["claimed_at = ?", "claimed_by = ?"]
            args += [now, actor_id]
        if target.terminal:
            sets += ["closed_at = ?", "closed_by = ?", "close_note = ?"]
            args += [now, actor_id, note]
        cur = await self._db.execute(
            f"UPDATE escalations SET {', '.join(sets)} WHERE id = ? AND state = ?",
            (*args, escalation.id, str(escalation.state)),
        )
        changed = cur.rowcount == 1
        await cur.close()
        if not changed:
            # Nothing was written; never roll back the shared connection (other writers).
            return False
        await self._insert_audit(
            escalation.id, actor_id, str(action), escalation.state, target, note, now
        )
        if target is State.FALSE_ALARM:
            await self._db.execute(
                "INSERT INTO escalation_false_alarms (escalation_id, guild_id, reasons, note, "
                "marked_by, at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    escalation.id,
                    escalation.guild_id,
                    json.dumps(sorted({rule_id(r) for r in escalation.reasons})),
                    note,
                    actor_id,
                    now,
                ),
            )
        await commit(self._db)
        return True

    async def list_live(self, guild_id: int, limit: int = 25) -> list[Escalation]:
        rows = await self._db.execute_fetchall(
            f"SELECT * FROM escalations WHERE guild_id = ? AND state IN {_LIVE_SQL} "
            "ORDER BY severity DESC, created_at ASC LIMIT ?",
            (guild_id, limit),
        )
        return [_row_to_escalation(self._db, r) for r in rows]

    async def created_since(self, guild_id: int, since: int) -> list[Escalation]:
        rows = await self._db.execute_fetchall(
            "SELECT * FROM escalations WHERE guild_id = ? AND created_at >= ?",
            (guild_id, since),
        )
        return [_row_to_escalation(self._db, r) for r in rows]

    async def count_live(self, guild_id: int) -> int:
        rows = await self._db.execute_fetchall(
            f"SELECT COUNT(*) FROM escalations WHERE guild_id = ? AND state IN {_LIVE_SQL}",
            (guild_id,),
        )
        row = rows[0] if rows else None
        return int(row[0]) if row else 0

    # ---- audit ---------------------------------------------------------------------------

    async def _insert_audit(
        self,
        escalation_id: int,
        actor_id: int | None,
        action: str,
        from_state: str | None,
        to_state: str,
        note: str | None,
        now: int,
    ) -> None:
        await self._db.execute(
            "INSERT INTO escalation_audit (escalation_id, actor_id, action, from_state, to_state, "
            "note, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (escalation_id, actor_id, action, from_state, to_state, note, now),
        )

    async def audit(self, escalation_id: int) -> list[AuditEntry]:
        rows = await self._db.execute_fetchall(
            "SELECT * FROM escalation_audit WHERE escalation_id = ? ORDER BY id",
            (escalation_id,),
        )
        rows = rows
        return [
            AuditEntry(
                r["escalation_id"],
                r["actor_id"],
                r["action"],
                r["from_state"],
                r["to_state"],
                r["note"],
                r["at"],
            )
            for r in rows
        ]

    # ---- deliveries ----------------------------------------------------------------------

    async def record_delivery(
        self,
        escalation_id: int,
        step: Step,
        status: DeliveryStatus,
        *,
        channel_id: int | None,
        message_id: int | None,
        detail: str | None,
        now: int,
    ) -> None:
        await self._db.execute(
            "INSERT INTO escalation_deliveries (escalation_id, step, status, channel_id, "
            "message_id, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (escalation_id, str(step), str(status), channel_id, message_id, detail, now),
        )
        await commit(self._db)

    async def deliveries(self, escalation_id: int) -> list[Delivery]:
        rows = await self._db.execute_fetchall(
            "SELECT * FROM escalation_deliveries WHERE escalation_id = ? ORDER BY id",
            (escalation_id,),
        )
        rows = rows
        return [
            Delivery(
                r["escalation_id"],
                Step(r["step"]),
                DeliveryStatus(r["status"]),
                r["channel_id"],
                r["message_id"],
                r["detail"],
                r["at"],
            )
            for r in rows
        ]

    async def missing_alerts(self, since: int) -> list[Escalation]:
        """Live escalations with no alert outcome recorded."""
        rows = await self._db.execute_fetchall(
            f"SELECT * FROM escalations e WHERE e.state IN {_LIVE_SQL} AND e.created_at >= ? "
            "AND NOT EXISTS (SELECT 1 FROM escalation_deliveries d "
            "WHERE d.escalation_id = e.id AND d.step = 'alert') ORDER BY e.id",
            (since,),
        )
        return [_row_to_escalation(self._db, r) for r in rows]

    async def missing_dms(self, since: int) -> list[Escalation]:
        """Escalations that want a DM and have no DM outcome recorded."""
        rows = await self._db.execute_fetchall(
            "SELECT * FROM escalations e WHERE e.dm_wanted = 1 AND e.created_at >= ? "
            "AND NOT EXISTS (SELECT 1 FROM escalation_deliveries d "
            "WHERE d.escalation_id = e.id AND d.step = 'dm') ORDER BY e.id",
            (since,),
        )
        return [_row_to_escalation(self._db, r) for r in rows]

    async def unacknowledged_pinging(self) -> list[Escalation]:
        """Open (never acknowledged) self-risk severity 2-3 escalations with a posted alert."""
        rows = await self._db.execute_fetchall(
            "SELECT * FROM escalations e WHERE e.state = 'open' AND e.category = 'self_risk' "
            "AND e.severity >= 2 AND EXISTS (SELECT 1 FROM escalation_deliveries d "
            "WHERE d.escalation_id = e.id AND d.step = 'alert' AND d.status = 'sent') "
            "ORDER BY e.id"
        )
        return [_row_to_escalation(self._db, r) for r in rows]

    async def claim_ping(self, escalation_id: int, previous: int, now: int) -> bool:
        """Set last_pinged_at if nobody else did since ``previous`` (compare-and-set)."""
        cur = await self._db.execute(
            "UPDATE escalations SET last_pinged_at = ? WHERE id = ? "
            "AND COALESCE(last_pinged_at, created_at) = ? AND state = 'open'",
            (now, escalation_id, previous),
        )
        changed = cur.rowcount == 1
        await cur.close()
        await commit(self._db)
        return changed

    async def set_pinged(self, escalation_id: int, now: int) -> None:
        await self._db.execute(
            "UPDATE escalations SET last_pinged_at = ? WHERE id = ?", (now, escalation_id)
        )
        await commit(self._db)

    # ---- false alarms --------------------------------------------------------------------

    async def false_alarm_reasons(self, guild_id: int, since: int) -> list[tuple[str, int]]:
        rows = await self._db.execute_fetchall(
            "SELECT reasons FROM escalation_false_alarms WHERE guild_id = ? AND at >= ?",
            (guild_id, since),
        )
        rows = rows
        counts: dict[str, int] = {}
        for row in rows:
            for reason in {rule_id(r) for r in json.loads(row[0] or "[]")}:
                counts[reason] = counts.get(reason, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    # ---- concern reports -----------------------------------------------------------------

    async def count_reports(
        self,
        guild_id: int,
        since: int,
        *,
        reporter_id: int | None = None,
        target_id: int | None = None,
    ) -> int:
        where = ["guild_id = ?", "at >= ?"]
        args: list[Any] = [guild_id, since]
        if reporter_id is not None:
            where.append("reporter_id = ?")
            args.append(reporter_id)
        if target_id is not None:
            where.append("target_id = ?")
            args.append(target_id)
        rows = await self._db.execute_fetchall(
            f"SELECT COUNT(*) FROM concern_reports WHERE {' AND '.join(where)}", args
        )
        row = rows[0] if rows else None
        return int(row[0]) if row else 0

    async def add_report(
        self, guild_id: int, reporter_id: int, target_id: int, escalation_id: int | None, now: int
    ) -> None:
        await self._db.execute(
            "INSERT INTO concern_reports (guild_id, reporter_id, target_id, escalation_id, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (guild_id, reporter_id, target_id, escalation_id, now),
        )
        await commit(self._db)

    # ---- allow-list ----------------------------------------------------------------------

    async def allowlist(self, guild_id: int) -> list[str]:
        rows = await self._db.execute_fetchall(
            "SELECT phrase FROM crisis_allowlist WHERE guild_id = ? ORDER BY phrase", (guild_id,)
        )
        return [r[0] for r in rows]

    async def allow_add(self, guild_id: int, phrase: str, added_by: int | None, now: int) -> bool:
        cur = await self._db.execute(
            "INSERT INTO crisis_allowlist (guild_id, phrase, added_by, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (guild_id, phrase) DO NOTHING",
            (guild_id, phrase, added_by, now),
        )
        added = cur.rowcount == 1
        await cur.close()
        await commit(self._db)
        return added

    async def allow_remove(self, guild_id: int, phrase: str) -> bool:
        cur = await self._db.execute(
            "DELETE FROM crisis_allowlist WHERE guild_id = ? AND phrase = ?", (guild_id, phrase)
        )
        removed = cur.rowcount == 1
        await cur.close()
        await commit(self._db)
        return removed

    # ---- harassment ----------------------------------------------------------------------

    async def log_harassment(
        self,
        *,
        guild_id: int,
        channel_id: int | None,
        message_id: int | None,
        author_id: int,
        severity: int,
        reasons: Sequence[str],
        now: int,
    ) -> int:
        cur = await self._db.execute(
            "INSERT INTO harassment_log (guild_id, channel_id, message_id, author_id, severity, "
            "reasons, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                channel_id,
                message_id,
                author_id,
                severity,
                json.dumps(sorted({rule_id(r) for r in reasons})),  # never the quoted words
                now,
            ),
        )
        entry_id = cur.lastrowid
        await cur.close()
        await commit(self._db)
        assert entry_id is not None
        return entry_id

    async def harassment_entries(self, guild_id: int) -> list[dict[str, Any]]:
        rows = await self._db.execute_fetchall(
            "SELECT * FROM harassment_log WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [dict(r) for r in rows]
