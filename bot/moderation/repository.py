"""Sole writer of ``moderation_settings``, ``moderation_log`` and ``moderation_strikes``.

The log keeps ids, labels and scores, never message text: the excerpt a moderator sees
lives only in the Discord embed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.moderation.policy import Action, Decision, MessageFacts, ModerationSettings, Profile

STATUSES = ("open", "deleted", "timed_out", "dismissed")
_SETTING_COLUMNS = {
    "enabled",
    "log_channel_id",
    "action",
    "strict_action",
    "threshold_overrides",
    "strict_overrides",
    "strike_limit",
    "strike_window_minutes",
    "timeout_minutes",
    "exempt_role_ids",
    "exempt_channel_ids",
}
_COLUMN_NAME = {"threshold_overrides": "thresholds", "strict_overrides": "strict_thresholds"}


def to_iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    guild_id: int
    channel_id: int
    message_id: int
    user_id: int
    profile: Profile
    action: Action
    labels: tuple[str, ...]
    scores: dict[str, float]
    strikes: int
    status: str
    log_message_id: int | None
    moderator_id: int | None
    resolved_at: datetime | None
    created_at: datetime


def _entry(row: aiosqlite.Row) -> LogEntry:
    return LogEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        user_id=row["user_id"],
        profile=Profile(row["profile"]),
        action=Action(row["action"]),
        labels=tuple(json.loads(row["labels"])),
        scores=json.loads(row["scores"]),
        strikes=row["strikes"],
        status=row["status"],
        log_message_id=row["log_message_id"],
        moderator_id=row["moderator_id"],
        resolved_at=from_iso(row["resolved_at"]) if row["resolved_at"] else None,
        created_at=from_iso(row["created_at"]),
    )


class ModerationRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    # -- settings ----------------------------------------------------------------------------

    async def get_settings(self, guild_id: int) -> ModerationSettings:
        async with self._db.execute(
            "SELECT * FROM moderation_settings WHERE guild_id = ?", (guild_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return ModerationSettings(guild_id=guild_id)
        return ModerationSettings(
            guild_id=guild_id,
            enabled=bool(row["enabled"]),
            log_channel_id=row["log_channel_id"],
            action=Action(row["action"]),
            strict_action=Action(row["strict_action"]),
            threshold_overrides=json.loads(row["thresholds"]),
            strict_overrides=json.loads(row["strict_thresholds"]),
            strike_limit=row["strike_limit"],
            strike_window_minutes=row["strike_window_minutes"],
            timeout_minutes=row["timeout_minutes"],
            exempt_role_ids=frozenset(json.loads(row["exempt_role_ids"])),
            exempt_channel_ids=frozenset(json.loads(row["exempt_channel_ids"])),
        )

    async def update_settings(self, guild_id: int, **changes: Any) -> ModerationSettings:
        """Change some fields of ``ModerationSettings``; validated before anything is written.

        Raises ``ValueError`` (worded for an admin) for an unknown field or a bad value.
        """
        unknown = set(changes) - _SETTING_COLUMNS
        if unknown:
            raise ValueError(f"unknown moderation setting(s): {', '.join(sorted(unknown))}")
        current = await self.get_settings(guild_id)
        updated = replace(current, **changes)  # __post_init__ validates
        await self._db.execute(
            "INSERT INTO moderation_settings (guild_id, enabled, log_channel_id, action, "
            "strict_action, thresholds, strict_thresholds, strike_limit, strike_window_minutes, "
            "timeout_minutes, exempt_role_ids, exempt_channel_ids) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET enabled = excluded.enabled, "
            "log_channel_id = excluded.log_channel_id, action = excluded.action, "
            "strict_action = excluded.strict_action, thresholds = excluded.thresholds, "
            "strict_thresholds = excluded.strict_thresholds, "
            "strike_limit = excluded.strike_limit, "
            "strike_window_minutes = excluded.strike_window_minutes, "
            "timeout_minutes = excluded.timeout_minutes, "
            "exempt_role_ids = excluded.exempt_role_ids, "
            "exempt_channel_ids = excluded.exempt_channel_ids, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            (
                guild_id,
                int(updated.enabled),
                updated.log_channel_id,
                updated.action.value,
                updated.strict_action.value,
                json.dumps(dict(updated.threshold_overrides), sort_keys=True),
                json.dumps(dict(updated.strict_overrides), sort_keys=True),
                updated.strike_limit,
                updated.strike_window_minutes,
                updated.timeout_minutes,
                json.dumps(sorted(updated.exempt_role_ids)),
                json.dumps(sorted(updated.exempt_channel_ids)),
            ),
        )
        await self._db.commit()
        return updated

    # -- log and strikes -----------------------------------------------------------------------

    async def record(self, facts: MessageFacts, decision: Decision, now: datetime) -> LogEntry:
        """Write the log entry and its strike in one transaction; idempotent per message.

        Called before anything visible happens, so a crash between this and the Discord
        calls leaves a row that recovery can find (``undelivered``).
        """
        if decision.action is Action.NONE:
            raise ValueError("only an actioned decision is recorded")
        created = to_iso(now)
        try:
            cur = await self._db.execute(
                "INSERT INTO moderation_log (guild_id, channel_id, message_id, user_id, "
                "profile, action, labels, scores, strikes, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id, message_id) DO NOTHING",
                (
                    facts.guild_id,
                    facts.channel_id,
                    facts.message_id,
                    facts.author_id,
                    decision.profile.value,
                    decision.action.value,
                    json.dumps(list(decision.labels)),
                    json.dumps({k: round(v, 4) for k, v in decision.scores.items()}),
                    decision.strikes_in_window,
                    created,
                ),
            )
            if cur.rowcount == 1 and decision.strike:
                await self._db.execute(
                    "INSERT INTO moderation_strikes (guild_id, user_id, log_id, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (facts.guild_id, facts.author_id, cur.lastrowid, created),
                )
            await self._db.commit()
        except BaseException:
            await self._db.rollback()
            raise
        entry = await self.entry_for_message(facts.guild_id, facts.message_id)
        assert entry is not None
        return entry

    async def entry(self, log_id: int) -> LogEntry | None:
        async with self._db.execute("SELECT * FROM moderation_log WHERE id = ?", (log_id,)) as cur:
            row = await cur.fetchone()
        return _entry(row) if row else None

    async def entry_for_message(self, guild_id: int, message_id: int) -> LogEntry | None:
        async with self._db.execute(
            "SELECT * FROM moderation_log WHERE guild_id = ? AND message_id = ?",
            (guild_id, message_id),
        ) as cur:
            row = await cur.fetchone()
        return _entry(row) if row else None

    async def set_log_message(self, log_id: int, log_message_id: int) -> None:
        """Remember the log-channel embed of an entry (its buttons carry ``log_id``)."""
        await self._db.execute(
            "UPDATE moderation_log SET log_message_id = ? WHERE id = ?", (log_message_id, log_id)
        )
        await self._db.commit()

    async def resolve(
        self, log_id: int, status: str, moderator_id: int, now: datetime
    ) -> LogEntry | None:
        """A moderator's verdict from the log buttons. ``dismissed`` voids the entry's strike.

        Only an ``open`` entry changes; returns the entry as it now stands (``None`` if it
        does not exist), so two moderators pressing buttons at once see who won.
        """
        if status not in STATUSES or status == "open":
            raise ValueError(f"status must be one of {STATUSES[1:]}")
        when = to_iso(now)
        cur = await self._db.execute(
            "UPDATE moderation_log SET status = ?, moderator_id = ?, resolved_at = ? "
            "WHERE id = ? AND status = 'open'",
            (status, moderator_id, when, log_id),
        )
        if cur.rowcount == 1 and status == "dismissed":
            await self._db.execute(
                "UPDATE moderation_strikes SET voided_at = ? WHERE log_id = ? AND voided_at IS NULL",
                (when, log_id),
            )
        await self._db.commit()
        return await self.entry(log_id)

    async def strike_times(self, guild_id: int, user_id: int, since: datetime) -> list[datetime]:
        """When the member's non-voided strikes after ``since`` happened, oldest first."""
        async with self._db.execute(
            "SELECT created_at FROM moderation_strikes WHERE guild_id = ? AND user_id = ? "
            "AND voided_at IS NULL AND created_at > ? ORDER BY created_at",
            (guild_id, user_id, to_iso(since)),
        ) as cur:
            return [from_iso(row[0]) for row in await cur.fetchall()]

    async def recent(self, guild_id: int, limit: int = 20) -> list[LogEntry]:
        async with self._db.execute(
            "SELECT * FROM moderation_log WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
            (guild_id, limit),
        ) as cur:
            return [_entry(row) for row in await cur.fetchall()]

    async def undelivered(self, since: datetime) -> list[LogEntry]:
        """Entries whose log embed was never posted (crash between commit and post)."""
        async with self._db.execute(
            "SELECT * FROM moderation_log WHERE log_message_id IS NULL AND status = 'open' "
            "AND created_at >= ? ORDER BY id",
            (to_iso(since),),
        ) as cur:
            return [_entry(row) for row in await cur.fetchall()]

    # -- data rights and retention -----------------------------------------------------------

    async def export_user(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        async with self._db.execute(
            "SELECT guild_id, channel_id, message_id, action, labels, scores, status, created_at "
            "FROM moderation_log WHERE user_id = ? ORDER BY id",
            (user_id,),
        ) as cur:
            log_rows = [dict(row) for row in await cur.fetchall()]
        async with self._db.execute(
            "SELECT guild_id, created_at, voided_at FROM moderation_strikes WHERE user_id = ? "
            "ORDER BY id",
            (user_id,),
        ) as cur:
            strikes = [dict(row) for row in await cur.fetchall()]
        return {"moderation_log": log_rows, "moderation_strikes": strikes}

    async def delete_user(self, user_id: int) -> int:
        """Delete every log entry and strike about ``user_id``; returns rows deleted."""
        strikes = await self._db.execute(
            "DELETE FROM moderation_strikes WHERE user_id = ?", (user_id,)
        )
        entries = await self._db.execute("DELETE FROM moderation_log WHERE user_id = ?", (user_id,))
        await self._db.commit()
        return strikes.rowcount + entries.rowcount

    async def delete_guild(self, guild_id: int) -> int:
        total = 0
        for table in ("moderation_strikes", "moderation_log", "moderation_settings"):
            cur = await self._db.execute(f"DELETE FROM {table} WHERE guild_id = ?", (guild_id,))
            total += cur.rowcount
        await self._db.commit()
        return total

    async def purge_before(self, cutoff: datetime) -> int:
        """Retention: delete log entries (and their strikes) created before ``cutoff``."""
        stamp = to_iso(cutoff)
        strikes = await self._db.execute(
            "DELETE FROM moderation_strikes WHERE created_at < ?", (stamp,)
        )
        entries = await self._db.execute(
            "DELETE FROM moderation_log WHERE created_at < ?", (stamp,)
        )
        await self._db.commit()
        return strikes.rowcount + entries.rowcount
