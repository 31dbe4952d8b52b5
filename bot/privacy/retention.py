"""Retention: delete health data once it is no longer needed (counts logged, never content).

Defaults (days; 0 keeps forever), set in the ``[privacy]`` config section:
- mood notes 365: the note text goes, the mood number and tags stay for the person's
  own history and charts;
- resolved / false-alarm escalations 90 (open ones are never purged);
- auto-moderation log and strikes 90, harassment log 90;
- vents 365: a vent row holds no text once posted, only the sealed author, kept so the
  person can still delete their post and moderators can relay replies or block. After a
  year those needs are gone; deleting the row makes the public post unlinkable for good.
- concern reports 30: they only feed rate limits (a day).

A server may shorten (never lengthen) its own escalation, moderation-log and vent periods
with /setup retention (stored in guild_settings.extra["privacy"]).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.config import Settings
from bot.db.guild_settings import GuildSettingsRepository
from bot.errors import UserFacingError
from bot.moderation import ModerationRepository
from bot.privacy._sql import execute, rows, table_exists

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
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        """The bot-wide periods from the ``[privacy]`` config section."""
        return cls(**settings.privacy.model_dump())


# Periods a server may shorten for its own data (guild_settings.extra["privacy"]); never
# lengthen: the bot-wide period is what the privacy notice promises.
GUILD_KEYS = ("resolved_escalation_days", "moderation_log_days", "vent_days")
EXTRA_KEY = "privacy"


def guild_overrides(extra: dict[str, object], policy: RetentionPolicy) -> dict[str, int]:
    """A guild's own shorter periods (ignoring anything not shorter than the bot's)."""
    raw = extra.get(EXTRA_KEY)
    if not isinstance(raw, dict):
        return {}
    out = {}
    for key in GUILD_KEYS:
        value = raw.get(key)
        limit = getattr(policy, key)
        if isinstance(value, int) and value > 0 and (limit == 0 or value < limit):
            out[key] = value
    return out


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
    for key, n in (await _enforce_guild_overrides(db, policy, now)).items():
        counts[key] = counts.get(key, 0) + n
    return counts


async def _enforce_guild_overrides(
    db: aiosqlite.Connection, policy: RetentionPolicy, now: datetime
) -> dict[str, int]:
    """Shorter periods some guilds chose. ModerationRepository.purge_before is bot-wide,
    so the per-guild moderation SQL is here."""
    counts: dict[str, int] = {}
    found = await rows(
        db, "SELECT guild_id, extra FROM guild_settings WHERE extra LIKE ?", (f'%"{EXTRA_KEY}"%',)
    )
    for row in found:
        overrides = guild_overrides(json.loads(row["extra"] or "{}"), policy)
        guild_id = row["guild_id"]
        days = overrides.get("resolved_escalation_days")
        if days and await table_exists(db, "escalations"):
            counts["resolved_escalations"] = counts.get("resolved_escalations", 0) + await execute(
                db,
                "DELETE FROM escalations WHERE guild_id = ? AND state IN ('resolved', "
                "'false_alarm') AND closed_at IS NOT NULL AND closed_at < ?",
                (guild_id, int((now - timedelta(days=days)).timestamp())),
            )
        days = overrides.get("moderation_log_days")
        if days and await table_exists(db, "moderation_log"):
            stamp = _iso(now - timedelta(days=days))
            n = await execute(
                db,
                "DELETE FROM moderation_strikes WHERE guild_id = ? AND created_at < ?",
                (guild_id, stamp),
            )
            n += await execute(
                db,
                "DELETE FROM moderation_log WHERE guild_id = ? AND created_at < ?",
                (guild_id, stamp),
            )
            counts["moderation_log"] = counts.get("moderation_log", 0) + n
        days = overrides.get("vent_days")
        if days and await table_exists(db, "vents"):
            counts["vents"] = counts.get("vents", 0) + await execute(
                db,
                "DELETE FROM vents WHERE guild_id = ? AND created_at < ?",
                (guild_id, _iso(now - timedelta(days=days))),
            )
    await db.commit()
    return counts


GUILD_LABELS = {
    "resolved_escalation_days": "resolved escalations",
    "moderation_log_days": "auto-moderation log",
    "vent_days": "vent records",
}


async def set_guild_periods(
    guild_settings: GuildSettingsRepository,
    guild_id: int,
    policy: RetentionPolicy,
    changes: dict[str, int | None],
    *,
    reset: bool = False,
) -> dict[str, int]:
    """Store a guild's shorter periods; return the effective ones. Raises
    ``UserFacingError`` for a period longer than the bot-wide one."""
    current = {} if reset else guild_overrides((await guild_settings.get(guild_id)).extra, policy)
    for key, days in changes.items():
        if days is None:
            continue
        limit = getattr(policy, key)
        if days < 1 or (limit and days > limit):
            raise UserFacingError(
                f"{GUILD_LABELS[key].capitalize()} can be kept between 1 and {limit} days here "
                f"(the bot-wide limit); you asked for {days}."
            )
        if limit and days == limit:
            current.pop(key, None)
        else:
            current[key] = days
    await guild_settings.set_extra(guild_id, EXTRA_KEY, current or None)
    return effective_periods(current, policy)


def effective_periods(overrides: dict[str, int], policy: RetentionPolicy) -> dict[str, int]:
    return {key: overrides.get(key, getattr(policy, key)) for key in GUILD_KEYS}


def describe_periods(periods: dict[str, int]) -> str:
    def days(n: int) -> str:
        return "kept until deleted" if n == 0 else f"{n} days"

    return "\n".join(f"- {GUILD_LABELS[k]}: {days(v)}" for k, v in periods.items())
