"""Per-poster cooldown, keyed on the poster key (never the user id) and kept in memory only.

Keeping it out of the database means a copy of the database holds no timeline of who
vented when; a restart forgets cooldowns, which costs nothing worse than one early vent.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Cooldowns:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[str, float] = {}

    def remaining(self, key: str) -> float:
        """Seconds until ``key`` may act again (0 when it may act now)."""
        last = self._last.get(key)
        if last is None:
            return 0.0
        return max(0.0, self.seconds - (self._clock() - last))

    def mark(self, key: str) -> None:
        now = self._clock()
        self._last[key] = now
        if len(self._last) > 10_000:  # forget the expired ones now and then
            self._last = {k: t for k, t in self._last.items() if now - t < self.seconds}

    def clear(self, key: str) -> None:
        self._last.pop(key, None)
