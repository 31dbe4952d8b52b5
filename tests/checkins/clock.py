"""A clock tests move by hand (the services take ``now`` as a callable)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """An injectable ``now``: no test sleeps for real."""

    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value

    def set(self, *args: int) -> None:
        self.value = datetime(*args, tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        self.value += timedelta(**delta)
