"""The toxicity service's batching, bounds and failure handling, with a fake scorer.

These tests are about the queue and the worker, not the model: the scorer is a small
class with Detoxify's ``predict(list[str]) -> {label: [score, ...]}`` interface.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.safety.toxicity import ModelState, ToxicityService

GUARD_S = 20  # a guard against hanging, never an assertion about speed


class FakeScorer:
    """Scores each text by its length; records every batch it is given."""

    def __init__(self, *, gate: threading.Event | None = None, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.started = threading.Event()
        self.gate = gate
        self.fail = fail
        self.gate_opened: bool | None = None

    def predict(self, text: list[str]) -> dict[str, Any]:
        self.calls.append(list(text))
        self.started.set()
        if self.gate is not None:
            self.gate_opened = self.gate.wait(GUARD_S)
        if self.fail:
            raise RuntimeError("boom")
        toxicity = [min(1.0, len(t) / 100) for t in text]
        insult = [0.5 for _ in text]
        if len(text) == 1:  # Detoxify squeezes a batch of one into bare floats
            return {"toxicity": toxicity[0], "insult": insult[0]}
        return {"toxicity": toxicity, "insult": insult}


def make_service(scorer: FakeScorer | None = None, **kwargs: Any) -> ToxicityService:
    chosen = scorer or FakeScorer()
    return ToxicityService(loader=lambda: chosen, **kwargs)


@pytest.fixture
async def started() -> AsyncIterator[Callable[..., Any]]:
    services: list[ToxicityService] = []

    async def start(scorer: FakeScorer | None = None, **kwargs: Any) -> ToxicityService:
        service = make_service(scorer, **kwargs)
        services.append(service)
        service.start()
        async with asyncio.timeout(GUARD_S):
            await service.wait_ready()
        return service

    yield start
    for service in services:
        await service.stop()


async def test_single_message_gets_one_score_per_label(started: Callable[..., Any]) -> None:
    service = await started()
    scores = await service.submit("x" * 40)
    assert scores == {"toxicity": pytest.approx(0.4), "insult": pytest.approx(0.5)}
    status = service.status()
    assert status.state is ModelState.READY
    assert status.scored == 1
    assert status.batches == 1


@pytest.mark.parametrize("count", [1, 31, 32, 33, 70, 100])
async def test_concurrent_messages_are_batched_by_32(
    started: Callable[..., Any], count: int
) -> None:
    scorer = FakeScorer()
    service = await started(scorer, batch_size=32, batch_window_ms=50)
    texts = [f"message number {i}" + "!" * i for i in range(count)]
    results = await asyncio.gather(*(service.submit(t) for t in texts))

    assert len(scorer.calls) == math.ceil(count / 32)
    assert all(len(call) <= 32 for call in scorer.calls)
    # every message scored exactly once, and each result belongs to its own text
    assert sorted(t for call in scorer.calls for t in call) == sorted(texts)
    for text, scores in zip(texts, results, strict=True):
        assert scores is not None
        assert scores["toxicity"] == pytest.approx(min(1.0, len(text) / 100))


async def test_messages_arriving_during_a_batch_form_the_next_batch(
    started: Callable[..., Any],
) -> None:
    gate = threading.Event()
    scorer = FakeScorer(gate=gate)
    service = await started(scorer, batch_size=32, batch_window_ms=0)
    first = service.enqueue("first")
    await asyncio.to_thread(scorer.started.wait, GUARD_S)
    later = [service.enqueue(f"later {i}") for i in range(5)]
    gate.set()
    await asyncio.gather(first, *later)
    assert [len(call) for call in scorer.calls] == [1, 5]


async def test_event_loop_keeps_running_while_the_model_scores(
    started: Callable[..., Any],
) -> None:
    """The scorer only finishes once the loop has ticked: impossible if predict ran on it."""
    ticked = threading.Event()
    scorer = FakeScorer(gate=ticked)
    service = await started(scorer)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        await asyncio.to_thread(scorer.started.wait, GUARD_S)
        for _ in range(20):
            await asyncio.sleep(0)
            ticks += 1
        ticked.set()

    scores, _ = await asyncio.gather(service.submit("are you still there"), ticker())
    assert scorer.gate_opened is True
    assert ticks == 20
    assert scores is not None


async def test_full_queue_drops_the_oldest_and_counts(
    started: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    gate = threading.Event()
    scorer = FakeScorer(gate=gate)
    service = await started(scorer, batch_size=32, batch_window_ms=0, queue_max=3)
    in_flight = service.enqueue("in flight")
    await asyncio.to_thread(scorer.started.wait, GUARD_S)  # the worker holds it now

    with caplog.at_level(logging.WARNING, logger="bot.safety.toxicity"):
        queued = [service.enqueue(f"queued secret {i}") for i in range(6)]
    # the three oldest were pushed out at once, without waiting for the model
    assert [f.done() for f in queued] == [True, True, True, False, False, False]
    assert [f.result() for f in queued[:3]] == [None, None, None]
    status = service.status()
    assert status.dropped == 3
    assert status.queue_depth == 3

    gate.set()
    results = await asyncio.gather(in_flight, *queued[3:])
    assert all(r is not None for r in results)
    assert scorer.calls[1] == ["queued secret 3", "queued secret 4", "queued secret 5"]
    drop_lines = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(drop_lines) == 1  # rate-limited: one warning for the burst
    assert "secret" not in caplog.text


async def test_failed_batch_resolves_to_none_without_logging_text(
    started: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    service = await started(FakeScorer(fail=True))
    with caplog.at_level(logging.DEBUG, logger="bot.safety.toxicity"):
        result = await service.submit("you private words")
    assert result is None
    assert service.status().failed_batches == 1
    assert "private words" not in caplog.text


async def test_loading_failure_leaves_submit_prompt_and_status_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> FakeScorer:
        raise OSError("no route to host")

    service = ToxicityService(loader=broken)
    with caplog.at_level(logging.INFO, logger="bot.safety.toxicity"):
        service.start()
        async with asyncio.timeout(GUARD_S):
            status = await service.wait_ready()
        future = service.enqueue("hello")
        again = service.enqueue("hello again")
    try:
        assert status.state is ModelState.FAILED
        assert status.error is not None
        assert "no internet?" in status.error
        assert "moderation.checkpoint" in status.error
        assert future.done()
        assert future.result() is None
        assert again.result() is None
        assert service.status().not_ready == 2
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        assert "moderation.model_dir" in errors[0].getMessage()
    finally:
        await service.stop()


async def test_submit_before_ready_returns_none_at_once() -> None:
    release = threading.Event()
    scorer = FakeScorer()

    def slow_loader() -> FakeScorer:
        release.wait(GUARD_S)
        return scorer

    service = ToxicityService(loader=slow_loader)
    service.start()
    try:
        assert service.status().state is ModelState.LOADING
        future = service.enqueue("early")
        assert future.done()
        assert future.result() is None
        release.set()
        async with asyncio.timeout(GUARD_S):
            assert (await service.wait_ready()).state is ModelState.READY
        assert await service.submit("later") is not None
        assert [len(c) for c in scorer.calls] == [1]
    finally:
        release.set()
        await service.stop()


async def test_disabled_service_never_loads() -> None:
    loaded: list[bool] = []

    def loader() -> FakeScorer:
        loaded.append(True)
        return FakeScorer()

    service = ToxicityService(enabled=False, loader=loader)
    service.start()
    status = await service.wait_ready()
    assert status.state is ModelState.DISABLED
    assert await service.submit("anything") is None
    await service.stop()
    assert loaded == []


async def test_stop_resolves_queued_messages_and_refuses_new_ones(
    started: Callable[..., Any],
) -> None:
    gate = threading.Event()
    scorer = FakeScorer(gate=gate)
    service = await started(scorer, batch_window_ms=0)
    in_flight = service.enqueue("in flight")
    await asyncio.to_thread(scorer.started.wait, GUARD_S)
    queued = [service.enqueue(f"queued {i}") for i in range(3)]
    await service.stop()
    gate.set()
    assert in_flight.result() is None
    assert [f.result() for f in queued] == [None, None, None]
    assert service.status().state is ModelState.STOPPED
    assert service.enqueue("after stop").result() is None


async def test_cancelled_caller_is_skipped_not_scored(started: Callable[..., Any]) -> None:
    gate = threading.Event()
    scorer = FakeScorer(gate=gate)
    service = await started(scorer, batch_window_ms=0)
    blocker = service.enqueue("blocker")
    await asyncio.to_thread(scorer.started.wait, GUARD_S)
    gone = service.enqueue("caller gave up")
    kept = service.enqueue("caller waits")
    gone.cancel()
    gate.set()
    await asyncio.gather(blocker, kept)
    assert scorer.calls == [["blocker"], ["caller waits"]]


def test_rejects_unknown_model_name() -> None:
    with pytest.raises(ValueError, match="unknown Detoxify model"):
        ToxicityService(model="huge")
