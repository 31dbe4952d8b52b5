"""Recording of every REST request, condition waits, and failure injection rules."""

# Waiting helpers take an explicit timeout: that is the API the e2e tests read best.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

POLL_INTERVAL = 0.02


@dataclass(slots=True)
class RecordedFile:
    field_name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class RecordedRequest:
    """One REST request the client made. ``path`` has no ``/api/v10`` prefix."""

    index: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[RecordedFile]
    time: float
    status: int | None = None
    response: Any = None
    handled: bool = True  # False: no route matched (the catch-all answered 404)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")

    @property
    def file_names(self) -> list[str]:
        return [f.filename for f in self.files]

    def matches(self, method: str | None, path_regex: str) -> bool:
        if method not in (None, "*") and self.method != method.upper():
            return False
        return re.fullmatch(path_regex, self.path) is not None

    def summary(self) -> str:
        return f"#{self.index} {self.method} {self.path} -> {self.status}"


@dataclass(slots=True)
class FaultRule:
    """Answer matching requests with an error (``status``) or delay them (``delay``)."""

    method: str | None
    path_regex: str
    status: int | None = None
    body: Any = None
    times: int | None = 1  # None: forever
    delay: float = 0.0
    retry_after: float = 0.05
    hits: int = field(default=0)

    def applies(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method not in (None, "*") and self.method.upper() != method:
            return False
        return re.fullmatch(self.path_regex, path) is not None


class ChangeNotifier:
    """Wakes every waiter whenever the fake's state changes (request handled, event sent)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(
        self, predicate: Callable[[], T | None], timeout: float, describe: Callable[[], str]
    ) -> T:
        """Re-check ``predicate`` on every change, and every 20 ms for state outside the fake
        (e.g. the bot's own attributes), until it is truthy or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(describe())
            event = self._event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, POLL_INTERVAL))


class RequestLog:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []

    def append(self, request: RecordedRequest) -> None:
        self.requests.append(request)

    def matching(
        self,
        method: str | None,
        path_regex: str,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        since: int = 0,
    ) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests[since:]
            if r.status is not None
            and r.matches(method, path_regex)
            and (predicate is None or predicate(r))
        ]

    def describe_recent(self, n: int = 15) -> str:
        lines = [r.summary() for r in self.requests[-n:]]
        return "recent requests:\n  " + "\n  ".join(lines) if lines else "no requests recorded"
