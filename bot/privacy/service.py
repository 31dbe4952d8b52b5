"""Count, export and delete one person's data across every registered provider.

Deletion overwrites freed database pages (``PRAGMA secure_delete``) and truncates the
write-ahead log afterwards, so deleted notes and ids do not linger in the file's free
space or in the -wal file. Each provider commits its own part; a delete that stops
half-way is finished by running it again (every provider is idempotent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.privacy._sql import iso_now
from bot.privacy.registry import DataProvider, MessageRef, MessageSource, ProviderRegistry

log = logging.getLogger(__name__)

EXPORT_FORMAT = "haven-export/1"


@dataclass(frozen=True)
class DeletionResult:
    removed: dict[str, int]  # kind -> rows deleted or unlinked
    labels: dict[str, str]  # kind -> readable label
    messages: tuple[MessageRef, ...] = ()  # Discord posts the cog should delete
    kept_vents_unlinked: bool = False

    @property
    def total(self) -> int:
        return sum(self.removed.values())

    def lines(self) -> list[str]:
        return [
            f"{self.labels.get(kind, kind)}: {count}"
            for kind, count in self.removed.items()
            if count
        ]


@dataclass
class PrivacyService:
    db: aiosqlite.Connection
    registry: ProviderRegistry = field(default_factory=ProviderRegistry)

    def register(self, provider: DataProvider) -> None:
        self.registry.register(provider)

    async def counts(self, user_id: int) -> dict[str, int]:
        return {p.kind: await p.count(user_id) for p in self.registry}

    def labels(self) -> dict[str, str]:
        return {p.kind: p.label for p in self.registry}

    async def export(self, user_id: int) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for provider in self.registry:
            data[provider.kind] = await provider.export(user_id)
        log.info("exported data for one member (%d kinds)", len(data))
        return {
            "format": EXPORT_FORMAT,
            "user_id": str(user_id),
            "generated_at": iso_now(),
            "kinds": self.labels(),
            "data": data,
        }

    async def discord_messages(self, user_id: int) -> list[MessageRef]:
        refs: list[MessageRef] = []
        for provider in self.registry:
            if isinstance(provider, MessageSource):
                refs.extend(await provider.discord_messages(user_id))
        return refs

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> DeletionResult:
        """Delete everything about ``user_id``. With ``keep_vents_unlinked`` the person's
        public vents stay (their link to the person is destroyed); otherwise the returned
        ``messages`` are the posts the cog must delete from Discord."""
        await self.db.execute("PRAGMA secure_delete = ON")
        messages = () if keep_vents_unlinked else tuple(await self.discord_messages(user_id))
        removed: dict[str, int] = {}
        for provider in self.registry:
            removed[provider.kind] = await provider.delete(
                user_id, keep_vents_unlinked=keep_vents_unlinked
            )
        await self.db.commit()
        await self.checkpoint()
        log.info(
            "deleted one member's data: %s",
            ", ".join(f"{k}={v}" for k, v in removed.items() if v) or "nothing stored",
        )
        return DeletionResult(removed, self.labels(), messages, keep_vents_unlinked)

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it; False if a reader blocked it."""
        async with self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            row = await cur.fetchone()
        busy = bool(row and row[0])
        if busy:
            log.warning("WAL checkpoint was blocked by a reader; it will complete later")
        return not busy
