"""Detoxify toxicity scoring, batched in a worker thread so the event loop never waits on it.

The crisis path never waits on this module: the model loads in the background, and until it
is ready (or if it never is) ``submit`` resolves to ``None`` at once. Messages queue in a
bounded deque; a worker task takes up to ``batch_size`` of them (or whatever arrived within
``batch_window_ms`` of the oldest), runs one ``predict`` call in a dedicated thread, and
resolves each message's future with ``{label: score}``. When the queue is full the oldest
unscored message is dropped and counted: a stale score is worth less than a fresh one.

Message text is never logged here, nor kept after its batch is scored.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import math
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

MODEL_TYPES = ("original", "unbiased", "multilingual", "original-small", "unbiased-small")
DEFAULT_MODEL = "unbiased-small"
DROP_LOG_INTERVAL_S = 60.0

Scores = dict[str, float]


class Scorer(Protocol):
    """What the service needs from a model: Detoxify's ``predict`` on a list of texts."""

    def predict(self, text: list[str]) -> Mapping[str, Any]: ...


class ModelState(StrEnum):
    DISABLED = "disabled"
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ToxicityStatus:
    """A snapshot for ``/setup show`` and health checks (no message content)."""

    state: ModelState
    model: str
    quantized: bool
    error: str | None
    queue_depth: int
    queue_max: int
    scored: int
    dropped: int
    not_ready: int
    failed_batches: int
    batches: int
    last_batch_ms: float | None

    @property
    def ready(self) -> bool:
        return self.state is ModelState.READY


class ModelLoadError(RuntimeError):
    """The model could not be loaded; the message says how to fix it (safe to log and show)."""


@dataclass(slots=True)
class _Pending:
    text: str
    future: asyncio.Future[Scores | None]
    enqueued_at: float


class ToxicityService:
    """Scores chat messages with Detoxify, micro-batched and off the event loop.

    Lifecycle: ``start()`` (inside the running loop) → ``await submit(text)`` any number of
    times → ``await stop()``. ``status()`` is cheap and safe to call at any time.

    ``loader`` replaces model loading (tests, benchmarks); it is called in the loading thread
    and must return an object with Detoxify's ``predict(list[str])``.
    """

    def __init__(
        self,
        *,
        enabled: bool = True,
        model: str = DEFAULT_MODEL,
        checkpoint: Path | str | None = None,
        model_dir: Path | str | None = None,
        device: str = "cpu",
        threads: int | None = None,
        quantize: bool = False,
        batch_size: int = 32,
        batch_window_ms: float = 50,
        queue_max: int = 1_000,
        loader: Callable[[], Scorer] | None = None,
    ) -> None:
        if model not in MODEL_TYPES and checkpoint is None and loader is None:
            raise ValueError(f"unknown Detoxify model {model!r}; choose one of {MODEL_TYPES}")
        if batch_size < 1 or queue_max < 1 or batch_window_ms < 0:
            raise ValueError("batch_size and queue_max must be ≥ 1, batch_window_ms ≥ 0")
        self._enabled = enabled
        self._model = model
        self._checkpoint = Path(checkpoint) if checkpoint is not None else None
        self._model_dir = Path(model_dir) if model_dir is not None else None
        self._device = device
        self._threads = threads
        self._quantize = quantize
        self._batch_size = batch_size
        self._window_s = batch_window_ms / 1000
        self._queue_max = queue_max
        self._loader = loader

        self._state = ModelState.DISABLED if not enabled else ModelState.LOADING
        self._error: str | None = None
        self._scorer: Scorer | None = None
        self._pending: deque[_Pending] = deque()
        self._wakeup: asyncio.Event | None = None
        self._settled: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._started = False
        self._stopping = False
        self._scored = 0
        self._dropped = 0
        self._dropped_since_log = 0
        self._last_drop_log = -math.inf
        self._not_ready = 0
        self._failed_batches = 0
        self._batches = 0
        self._last_batch_ms: float | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Begin loading the model in a background thread and start the batch worker.

        Returns at once; must be called from inside the running event loop.
        """
        if self._started:
            return
        self._started = True
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._settled = asyncio.Event()
        if not self._enabled:
            self._settled.set()
            log.info("toxicity scoring is disabled (moderation.enabled = false)")
            return
        # One thread runs every predict call: torch parallelises inside the call, and a
        # single model is not made faster by calling it from two threads at once.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="toxicity")
        self._worker = asyncio.create_task(self._run(), name="toxicity-batcher")
        # A daemon thread, not the executor: a download stuck on a dead network must not
        # keep the process alive at shutdown.
        threading.Thread(target=self._load_in_thread, name="toxicity-load", daemon=True).start()

    async def wait_ready(self) -> ToxicityStatus:
        """Wait until loading has finished (ready, failed or disabled); wrap in asyncio.timeout."""
        if self._settled is None:
            raise RuntimeError("call start() first")
        await self._settled.wait()
        return self.status()

    async def stop(self) -> None:
        """Stop accepting messages, resolve every queued future with ``None``, stop the worker.

        A batch already inside ``predict`` resolves to ``None`` too; its thread finishes the
        call in the background (a torch call cannot be interrupted) and is not waited for.
        """
        if self._stopping:
            return
        self._stopping = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        while self._pending:
            item = self._pending.popleft()
            if not item.future.done():
                item.future.set_result(None)
        if self._executor is not None:
            # wait=False: the in-flight call finishes on its own; nothing else is queued.
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._state in (ModelState.LOADING, ModelState.READY):
            self._state = ModelState.STOPPED
        self._scorer = None

    # -- scoring ---------------------------------------------------------------------------

    def enqueue(self, text: str) -> asyncio.Future[Scores | None]:
        """Queue ``text`` for scoring without waiting; the future resolves to scores or ``None``.

        ``None`` means "not scored": the model is not ready (loading, failed, disabled), the
        service is stopping, the message was dropped from a full queue, or its batch failed.
        Never blocks and never raises for those cases.
        """
        loop = self._loop or asyncio.get_running_loop()
        future: asyncio.Future[Scores | None] = loop.create_future()
        if self._state is not ModelState.READY or self._stopping or self._wakeup is None:
            self._not_ready += 1
            future.set_result(None)
            return future
        if len(self._pending) >= self._queue_max:
            self._drop_oldest()
        self._pending.append(_Pending(text, future, loop.time()))
        self._wakeup.set()
        return future

    async def submit(self, text: str) -> Scores | None:
        """Score one message: ``{label: probability}`` or ``None`` if it was not scored."""
        return await self.enqueue(text)

    def status(self) -> ToxicityStatus:
        return ToxicityStatus(
            state=self._state,
            model=self.model_description,
            quantized=self._quantize,
            error=self._error,
            queue_depth=len(self._pending),
            queue_max=self._queue_max,
            scored=self._scored,
            dropped=self._dropped,
            not_ready=self._not_ready,
            failed_batches=self._failed_batches,
            batches=self._batches,
            last_batch_ms=self._last_batch_ms,
        )

    @property
    def model_description(self) -> str:
        if self._loader is not None:
            return "custom"
        if self._checkpoint is not None:
            return f"checkpoint {self._checkpoint.name}"
        return self._model

    # -- internals -------------------------------------------------------------------------

    def _drop_oldest(self) -> None:
        item = self._pending.popleft()
        if not item.future.done():
            item.future.set_result(None)
        self._dropped += 1
        self._dropped_since_log += 1
        now = time.monotonic()
        if now - self._last_drop_log >= DROP_LOG_INTERVAL_S:
            log.warning(
                "toxicity queue full (%d): dropped %d unscored message(s) since the last "
                "warning, %d in total; the model cannot keep up (try moderation.quantize = "
                "true, a smaller model, or more threads)",
                self._queue_max,
                self._dropped_since_log,
                self._dropped,
            )
            self._last_drop_log = now
            self._dropped_since_log = 0

    def _load_in_thread(self) -> None:
        started = time.perf_counter()
        try:
            scorer = self._loader() if self._loader is not None else self._load_detoxify()
        except ModelLoadError as exc:
            self._finish_load(None, str(exc))
        except Exception as exc:
            log.debug("toxicity model load traceback", exc_info=True)
            self._finish_load(None, describe_load_error(exc, self._model, self._checkpoint))
        else:
            log.info(
                "toxicity model %s ready in %.1f s (device %s%s)",
                self.model_description,
                time.perf_counter() - started,
                self._device,
                ", int8" if self._quantize else "",
            )
            self._finish_load(scorer, None)

    def _finish_load(self, scorer: Scorer | None, error: str | None) -> None:
        if error is not None:
            # The one log line for a failed load: it carries the fix.
            log.error("toxicity model not loaded, auto-moderation is off: %s", error)
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between check and call
            loop.call_soon_threadsafe(self._set_loaded, scorer, error)

    def _set_loaded(self, scorer: Scorer | None, error: str | None) -> None:
        if self._stopping:
            self._state = ModelState.STOPPED
        elif scorer is not None:
            self._scorer = scorer
            self._state = ModelState.READY
        else:
            self._state = ModelState.FAILED
            self._error = error
        if self._settled is not None:
            self._settled.set()

    def _load_detoxify(self) -> Scorer:
        return load_detoxify(
            model=self._model,
            checkpoint=self._checkpoint,
            model_dir=self._model_dir,
            device=self._device,
            threads=self._threads,
            quantize=self._quantize,
        )

    async def _run(self) -> None:
        assert self._wakeup is not None
        assert self._loop is not None
        loop = self._loop
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            # Fill the batch until it is full or the oldest message has waited the window.
            while self._pending and len(self._pending) < self._batch_size:
                remaining = self._pending[0].enqueued_at + self._window_s - loop.time()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._wakeup.wait(), remaining)
                except TimeoutError:
                    break
                self._wakeup.clear()
            batch: list[_Pending] = []
            while self._pending and len(batch) < self._batch_size:
                item = self._pending.popleft()
                if not item.future.done():  # the caller may have given up (cancelled)
                    batch.append(item)
            if self._pending:
                self._wakeup.set()  # more left: go round again without waiting for a new one
            if batch:
                await self._score_batch(batch)

    async def _score_batch(self, batch: list[_Pending]) -> None:
        assert self._loop is not None
        assert self._scorer is not None
        texts = [item.text for item in batch]
        started = time.perf_counter()
        try:
            raw = await self._loop.run_in_executor(self._executor, _predict, self._scorer, texts)
        except asyncio.CancelledError:
            for item in batch:
                if not item.future.done():
                    item.future.set_result(None)
            raise
        except Exception as exc:
            self._failed_batches += 1
            # The exception type only: torch errors can quote input shapes, never text, but
            # keep the line short and content-free anyway.
            log.warning(
                "toxicity batch of %d failed (%s); those messages are not scored",
                len(batch),
                type(exc).__name__,
            )
            log.debug("toxicity batch traceback", exc_info=True)
            for item in batch:
                if not item.future.done():
                    item.future.set_result(None)
            return
        self._batches += 1
        self._last_batch_ms = (time.perf_counter() - started) * 1000
        for item, scores in zip(batch, raw, strict=True):
            if not item.future.done():
                item.future.set_result(scores)
        self._scored += len(batch)


def _predict(scorer: Scorer, texts: list[str]) -> list[Scores]:
    """Run one batch and turn Detoxify's ``{label: [scores]}`` into one dict per text."""
    out = scorer.predict(texts)
    per_text: list[Scores] = [{} for _ in texts]
    for label, values in out.items():
        # Detoxify squeezes a batch of one into a bare float.
        column = [values] if isinstance(values, int | float) else list(values)
        if len(column) != len(texts):
            raise ValueError(f"model returned {len(column)} scores for {len(texts)} texts")
        for scores, value in zip(per_text, column, strict=True):
            scores[label] = float(value)
    return per_text


# -- loading Detoxify -------------------------------------------------------------------------

_OFFLINE_FIX = (
    "set moderation.checkpoint and moderation.model_dir to a local Detoxify checkpoint "
    "(see README, 'Offline / air-gapped moderation')"
)


def describe_load_error(exc: BaseException, model: str, checkpoint: Path | None) -> str:
    """Turn a loading exception into one line that says what went wrong and how to fix it."""
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    if checkpoint is not None:
        return (
            f"could not load moderation.checkpoint {checkpoint} ({detail}); check the file is a "
            "Detoxify checkpoint and that moderation.model_dir holds its Hugging Face config "
            "(config.json with num_labels) and tokenizer files"
        )
    return (
        f"could not download the Detoxify weights for model {model!r} (no internet?) "
        f"({detail}); {_OFFLINE_FIX}"
    )


def load_detoxify(
    *,
    model: str = DEFAULT_MODEL,
    checkpoint: Path | None = None,
    model_dir: Path | None = None,
    device: str = "cpu",
    threads: int | None = None,
    quantize: bool = False,
) -> Scorer:
    """Build a Detoxify model (blocking: call it in a thread). Raises ``ModelLoadError``.

    For a local checkpoint Detoxify 0.5.4 reads the Hugging Face config from the
    checkpoint's ``config.arch.args.model_type`` even when a config folder is given (it
    calls ``from_pretrained(model_type)`` first), so that value must be a local folder. If
    it is not (an official checkpoint says e.g. ``albert-base-v2``) and ``model_dir`` is
    set, we point it at ``model_dir`` in memory, which makes offline loading work.
    """
    import torch
    import transformers
    from detoxify import Detoxify  # type: ignore[import-untyped]

    if threads is not None and device == "cpu":
        torch.set_num_threads(threads)
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    if checkpoint is None:
        detox = Detoxify(model_type=model, device=device)
    else:
        source, config_dir = _local_checkpoint(checkpoint, model_dir, device)
        detox = Detoxify(checkpoint=source, device=device, huggingface_config_path=config_dir)
    if quantize:
        if device != "cpu":
            log.warning("moderation.quantize needs device 'cpu'; running %s unquantized", device)
        else:
            detox.model = quantize_int8(detox.model)
    detox.model.eval()
    scorer: Scorer = detox
    return scorer


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantization of every ``nn.Linear`` (weights int8, activations float)."""
    import torch

    with warnings.catch_warnings():
        # torch.ao.quantization warns it is deprecated in favour of torchao; it still works
        # in torch 2.13 and needs no extra dependency.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
            model, {torch.nn.Linear}, dtype=torch.qint8
        )


def _local_checkpoint(
    checkpoint: Path, model_dir: Path | None, device: str
) -> tuple[str | io.BytesIO, str | None]:
    import torch

    if not checkpoint.is_file():
        raise ModelLoadError(
            f"moderation.checkpoint {checkpoint} does not exist or is not a file; fix the path "
            "or unset it to download the model"
        )
    if model_dir is not None and not (model_dir / "config.json").is_file():
        raise ModelLoadError(
            f"moderation.model_dir {model_dir} has no config.json; it must hold the Hugging Face "
            "config and tokenizer files of the checkpoint's base model"
        )
    try:
        try:
            # mmap: peek at the config without reading the weights twice.
            loaded = torch.load(checkpoint, map_location="cpu", weights_only=False, mmap=True)
        except RuntimeError:  # legacy (non-zip) format cannot be memory-mapped
            loaded = torch.load(checkpoint, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise ModelLoadError(
            f"moderation.checkpoint {checkpoint} is not a readable torch checkpoint "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})"
        ) from exc
    try:
        args = loaded["config"]["arch"]["args"]
        model_type = str(args["model_type"])
        loaded["config"]["dataset"]["args"]["classes"]
        loaded["state_dict"]
    except (KeyError, TypeError) as exc:
        raise ModelLoadError(
            f"moderation.checkpoint {checkpoint} is not a Detoxify checkpoint (needs "
            f"config.arch.args, config.dataset.args.classes and state_dict; missing {exc})"
        ) from exc
    if Path(model_type).is_dir():
        return str(checkpoint), str(model_dir) if model_dir is not None else model_type
    if model_dir is None:
        # Detoxify will fetch the config for model_type from the hub (or its cache).
        return str(checkpoint), None
    log.info(
        "checkpoint names base model %r; reading its config from moderation.model_dir", model_type
    )
    args["model_type"] = str(model_dir)
    buffer = io.BytesIO()
    torch.save(loaded, buffer)
    del loaded
    buffer.seek(0)
    return buffer, str(model_dir)
