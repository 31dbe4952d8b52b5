"""The personal-data provider contract and the registry of providers.

A provider is one *kind* of data about a person (mood log, saved tips, vents …). It
knows how to count, export and delete that kind for one user id. Features that do not
ship export/delete methods get a small adapter in ``bot.privacy.adapters``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class MessageRef:
    """A Discord message the cog should delete (e.g. a vent's public post)."""

    channel_id: int
    message_id: int
    thread_id: int | None = None


@runtime_checkable
class DataProvider(Protocol):
    kind: str  # stable key in exports and counts, e.g. "mood_entries"
    label: str  # what a person reads, e.g. "mood log entries"

    async def count(self, user_id: int) -> int: ...

    async def export(self, user_id: int) -> Any:
        """JSON-able data about ``user_id`` (ids as strings are fine, never other people)."""
        ...

    async def delete(self, user_id: int, *, keep_vents_unlinked: bool) -> int:
        """Remove (or unlink) everything of this kind; return the rows affected."""
        ...


@runtime_checkable
class MessageSource(Protocol):
    """Optional: a provider whose data also lives as Discord messages the person wrote."""

    async def discord_messages(self, user_id: int) -> list[MessageRef]: ...


class ProviderRegistry:
    """Providers in registration order (order matters: a provider that needs another's
    links, e.g. escalations raised from vents, must run before that one deletes them)."""

    def __init__(self) -> None:
        self._providers: dict[str, DataProvider] = {}

    def register(self, provider: DataProvider) -> None:
        if provider.kind in self._providers:
            raise ValueError(f"a provider for {provider.kind!r} is already registered")
        self._providers[provider.kind] = provider

    def replace(self, provider: DataProvider) -> None:
        self._providers[provider.kind] = provider

    def get(self, kind: str) -> DataProvider | None:
        return self._providers.get(kind)

    @property
    def kinds(self) -> list[str]:
        return list(self._providers)

    def __iter__(self) -> Iterator[DataProvider]:
        return iter(list(self._providers.values()))

    def __len__(self) -> int:
        return len(self._providers)
