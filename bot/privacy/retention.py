"""Retention: delete health data once it is no longer needed (counts logged, never content).

Defaults (days; 0 keeps forever) until the lead adds a ``[privacy]`` config section:
- mood notes 365: the note text goes, the mood number and tags stay for the person's
  own history and charts;
- resolved / false-alarm escalations 90 (open ones are never purged);
- auto-moderation log and strikes 90, harassment log 90;
- vents 365: a vent row holds no text once posted, only the sealed author, kept so the
  person can still delete their post and moderators can relay replies or block. After a
  year those needs are gone; deleting the row makes the public post unlinkable for good.
- concern reports 30: they only feed rate limits (a day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.moderation import ModerationRepository
from bot.privacy._sql import execute, table_exists

NOTE_DAYS = 365
RESOLVED_ESCALATION_DAYS = 90
MODERATION_LOG_DAYS = 90
HARASSMENT_LOG_DAYS = 90
VENT_DAYS = 365
CONCERN_REPORT_DAYS = 30
GUILD_GRACE_DAYS = 30


@dataclass(frozen=True)
class RetentionPolicy:
    note_days: int = NOTE_DAYS
    resolved_escalation_days: int = RESOLVED_ESCALATION_DAYS
    moderation_log_days: int = MODERATION_LOG_DAYS
    harassment_log_days: int = HARASSMENT_LOG_DAYS
    vent_days: int = VENT_DAYS
    concern_report_days: int = CONCERN_REPORT_DAYS
    guild_grace_days: int = GUILD_GRACE_DAYS

    @classmethod
    def from_settings(cls, settings: object) -> RetentionPolicy:
        """Read ``settings.privacy`` when the lead has added it; defaults otherwise."""
        section = getattr(settings, "privacy", None)
        if section is None:
            return cls()
        values = {
            name: getattr(section, name)
            for name in cls.__dataclass_fields__
            if getattr(section, name, None) is not None
        }
        return cls(**values)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def enforce(
    db: aiosqlite.Connection, policy: RetentionPolicy, now: datetime
) -> dict[str, int]:
    """Apply every retention period once; return rows affected per kind."""
    await db.execute("PRAGMA secure_delete = ON")
    counts: dict[str, int] = {}

    def cutoff(days: int) -> datetime:
        return now - timedelta(days=days)

    if policy.note_days and await table_exists(db, "mood_entries"):
        counts["mood_notes"] = await execute(
            db,
            "UPDATE mood_entries SET note = NULL WHERE note IS NOT NULL AND created_utc < ?",
            (int(cutoff(policy.note_days).timestamp()),),
        )
    if policy.resolved_escalation_days and await table_exists(db, "escalations"):
        counts["resolved_escalations"] = await execute(
            db,
            "DELETE FROM escalations WHERE state IN ('resolved', 'false_alarm') "
            "AND closed_at IS NOT NULL AND closed_at < ?",
            (int(cutoff(policy.resolved_escalation_days).timestamp()),),
        )
    if policy.harassment_log_days and await table_exists(db, "harassment_log"):
        counts["harassment_log"] = await execute(
            db,
            "DELETE FROM harassment_log WHERE at < ?",
            (int(cutoff(policy.harassment_log_days).timestamp()),),
        )
    if policy.concern_report_days and await table_exists(db, "concern_reports"):
        counts["concern_reports"] = await execute(
            db,
            "DELETE FROM concern_reports WHERE at < ?",
            (int(cutoff(policy.concern_report_days).timestamp()),),
        )
    if policy.vent_days and await table_exists(db, "vents"):
        stamp = _iso(cutoff(policy.vent_days))
        counts["vents"] = await execute(db, "DELETE FROM vents WHERE created_at < ?", (stamp,))
        counts["vent_audit"] = await execute(
            db, "DELETE FROM vent_audit WHERE created_at < ?", (stamp,)
        )
    await db.commit()
    if policy.moderation_log_days and await table_exists(db, "moderation_log"):
        counts["moderation_log"] = await ModerationRepository(db).purge_before(
            cutoff(policy.moderation_log_days)
        )
    return counts
