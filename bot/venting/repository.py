"""SQL for the venting tables (sole writer of vents, vent_identities, vent_bans,
vent_unmask_requests and vent_audit). Plain values in, plain values out."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


@dataclass(frozen=True)
class VentRecord:
    id: int
    guild_id: int
    pseudonym: str
    author_enc: str
    state: str
    crisis_severity: int
    content_warning: bool
    body_enc: str | None
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    queue_message_id: int | None
    alert_message_id: int | None
    created_at: str
    decided_by: int | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> VentRecord:
        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            pseudonym=row["pseudonym"],
            author_enc=row["author_enc"],
            state=row["state"],
            crisis_severity=row["crisis_severity"],
            content_warning=bool(row["content_warning"]),
            body_enc=row["body_enc"],
            channel_id=row["channel_id"],
            message_id=row["message_id"],
            thread_id=row["thread_id"],
            queue_message_id=row["queue_message_id"],
            alert_message_id=row["alert_message_id"],
            created_at=row["created_at"],
            decided_by=row["decided_by"],
        )


class VentRepository:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    # vents ---------------------------------------------------------------------------

    async def insert(
        self,
        *,
        guild_id: int,
        pseudonym: str,
        author_enc: str,
        state: str,
        crisis_severity: int,
        content_warning: bool,
        body_enc: str | None,
    ) -> int:
        cur = await self._db.execute(
            "INSERT INTO vents (guild_id, pseudonym, author_enc, state, crisis_severity, "
            "content_warning, body_enc) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                pseudonym,
                author_enc,
                state,
                crisis_severity,
                int(content_warning),
                body_enc,
            ),
        )
        await self._db.commit()
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def get(self, vent_id: int) -> VentRecord | None:
        async with self._db.execute("SELECT * FROM vents WHERE id = ?", (vent_id,)) as cur:
            row = await cur.fetchone()
        return VentRecord.from_row(row) if row else None

    async def by_message(self, message_id: int) -> VentRecord | None:
        async with self._db.execute(
            "SELECT * FROM vents WHERE message_id = ? OR queue_message_id = ? "
            "OR alert_message_id = ? ORDER BY id DESC LIMIT 1",
            (message_id, message_id, message_id),
        ) as cur:
            row = await cur.fetchone()
        return VentRecord.from_row(row) if row else None

    async def by_thread(self, thread_id: int) -> VentRecord | None:
        async with self._db.execute("SELECT * FROM vents WHERE thread_id = ?", (thread_id,)) as cur:
            row = await cur.fetchone()
        return VentRecord.from_row(row) if row else None

    async def mark_posted(
        self, vent_id: int, channel_id: int, message_id: int, thread_id: int | None
    ) -> None:
        await self._db.execute(
            "UPDATE vents SET state = 'posted', body_enc = NULL, channel_id = ?, message_id = ?, "
            "thread_id = ? WHERE id = ?",
            (channel_id, message_id, thread_id, vent_id),
        )
        await self._db.commit()

    async def set_message_ids(
        self,
        vent_id: int,
        *,
        queue_message_id: int | None = None,
        alert_message_id: int | None = None,
    ) -> None:
        await self._db.execute(
            "UPDATE vents SET queue_message_id = COALESCE(?, queue_message_id), "
            "alert_message_id = COALESCE(?, alert_message_id) WHERE id = ?",
            (queue_message_id, alert_message_id, vent_id),
        )
        await self._db.commit()

    async def transition(
        self,
        vent_id: int,
        from_states: tuple[str, ...],
        to_state: str,
        *,
        decided_by: int | None = None,
        wipe_body: bool = False,
    ) -> VentRecord | None:
        """Move a vent between states atomically; ``None`` if it was not in ``from_states``
        (someone else decided first). Returns the record as it was *before* the move."""
        before = await self.get(vent_id)
        if before is None or before.state not in from_states:
            return None
        marks = ", ".join("?" for _ in from_states)
        body = ", body_enc = NULL" if wipe_body else ""
        cur = await self._db.execute(
            f"UPDATE vents SET state = ?, decided_by = COALESCE(?, decided_by), "
            f"decided_at = {NOW}{body} WHERE id = ? AND state IN ({marks})",
            (to_state, decided_by, vent_id, *from_states),
        )
        await self._db.commit()
        return before if cur.rowcount == 1 else None

    async def recent_for_guild(self, guild_id: int, limit: int = 500) -> list[VentRecord]:
        async with self._db.execute(
            "SELECT * FROM vents WHERE guild_id = ? ORDER BY id DESC LIMIT ?", (guild_id, limit)
        ) as cur:
            return [VentRecord.from_row(row) for row in await cur.fetchall()]

    # identities and bans ----------------------------------------------------------------

    async def epoch(self, guild_id: int, poster_key: str) -> int:
        async with self._db.execute(
            "SELECT epoch FROM vent_identities WHERE guild_id = ? AND poster_key = ?",
            (guild_id, poster_key),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def bump_epoch(self, guild_id: int, poster_key: str) -> int:
        await self._db.execute(
            "INSERT INTO vent_identities (guild_id, poster_key, epoch) VALUES (?, ?, 1) "
            "ON CONFLICT (guild_id, poster_key) DO UPDATE SET epoch = epoch + 1",
            (guild_id, poster_key),
        )
        await self._db.commit()
        return await self.epoch(guild_id, poster_key)

    async def is_banned(self, guild_id: int, poster_key: str) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM vent_bans WHERE guild_id = ? AND poster_key = ?", (guild_id, poster_key)
        ) as cur:
            return await cur.fetchone() is not None

    async def ban(
        self, guild_id: int, poster_key: str, vent_id: int | None, banned_by: int
    ) -> bool:
        cur = await self._db.execute(
            "INSERT INTO vent_bans (guild_id, poster_key, vent_id, banned_by) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (guild_id, poster_key) DO NOTHING",
            (guild_id, poster_key, vent_id, banned_by),
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def unban(self, guild_id: int, poster_key: str) -> bool:
        cur = await self._db.execute(
            "DELETE FROM vent_bans WHERE guild_id = ? AND poster_key = ?", (guild_id, poster_key)
        )
        await self._db.commit()
        return cur.rowcount == 1

    # unmasking and audit -------------------------------------------------------------------

    async def unmask_request(self, vent_id: int) -> int | None:
        """The moderator who asked to unmask ``vent_id``, if anyone has."""
        async with self._db.execute(
            "SELECT requested_by FROM vent_unmask_requests WHERE vent_id = ?", (vent_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def add_unmask_request(self, vent_id: int, guild_id: int, moderator_id: int) -> bool:
        cur = await self._db.execute(
            "INSERT INTO vent_unmask_requests (vent_id, guild_id, requested_by) VALUES (?, ?, ?) "
            "ON CONFLICT (vent_id) DO NOTHING",
            (vent_id, guild_id, moderator_id),
        )
        await self._db.commit()
        return cur.rowcount == 1

    async def clear_unmask_request(self, vent_id: int) -> None:
        await self._db.execute("DELETE FROM vent_unmask_requests WHERE vent_id = ?", (vent_id,))
        await self._db.commit()

    async def audit(
        self,
        guild_id: int,
        vent_id: int | None,
        action: str,
        moderator_id: int | None = None,
        second_moderator_id: int | None = None,
    ) -> None:
        await self._db.execute(
            "INSERT INTO vent_audit (guild_id, vent_id, action, moderator_id, second_moderator_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (guild_id, vent_id, action, moderator_id, second_moderator_id),
        )
        await self._db.commit()

    async def audit_log(self, guild_id: int, limit: int = 50) -> list[dict[str, object]]:
        async with self._db.execute(
            "SELECT vent_id, action, moderator_id, second_moderator_id, created_at FROM vent_audit "
            "WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
            (guild_id, limit),
        ) as cur:
            return [dict(row) for row in await cur.fetchall()]
