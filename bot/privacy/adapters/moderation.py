"""Moderation log and strikes about a member (``ModerationRepository.export_user`` /
``delete_user``)."""

from __future__ import annotations

from typing import Any

from bot.moderation import ModerationRepository


class ModerationProvider:
    kind = "moderation_log"
    label = "auto-moderation log entries and strikes"

    def __init__(self, repo: ModerationRepository) -> None:
        self._repo = repo

    async def count(self, user_id: int) -> int:
        data = await self._repo.export_user(user_id)
        return sum(len(v) for v in data.values())

    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        data = await self._repo.export_user(user_id)
        return {
            name: [
                {k: (str(v) if k.endswith("_id") and v is not None else v) for k, v in r.items()}
                for r in entries
            ]
            for name, entries in data.items()
        }

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        return await self._repo.delete_user(user_id)
