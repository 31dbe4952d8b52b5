"""Toxicity scoring throughput and latency: one predict per message vs batching vs int8.

Builds a BERT-base-sized random-weight Detoxify checkpoint on the fly (hidden 768, 12 layers,
12 heads, intermediate 3072, vocab 30,522 like bert-base-uncased: chat words + filler
tokens), loads it through the real offline Detoxify path, and scores a burst of chat-length
messages (5-40 words) three ways through ``ToxicityService``:

  (a) naive    batch_size=1: one ``predict`` call per message
  (b) batched  batch_size=32, batch_window_ms=50 (the defaults)
  (c) int8     (b) on the dynamically quantized model (Linear layers int8)

Throughput = messages / time for the whole burst; latency = submit → scores for each
message of the burst (so it includes queueing). ``int8_max_abs_diff`` compares (c) with (b)
score by score. The crisis probe measures how late a tiny coroutine on the event loop runs
(scheduled every 5 ms) while idle and while (b) is saturated: the crisis path runs inline on
the loop, so this is the delay scoring adds to a crisis alert.

Random weights give near-0.5 scores, so the int8 deviation here is indicative only; measure
it again on a real checkpoint (see README). Usage:

    python bench/toxicity.py [--quick] [--json] [--layers N] [--threads N]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.safety.toxicity import (  # noqa: E402
    ModelState,
    ToxicityService,
    load_detoxify,
    quantize_int8,
)
from tests.toxicity_model import BASE_WORDS, build_checkpoint  # noqa: E402

PROBE_INTERVAL_S = 0.005


def make_messages(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = [w for w in BASE_WORDS if w.isalpha()]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(5, 40))) for _ in range(count)]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Probe:
    """A tiny coroutine that wants to run every 5 ms; records how late it actually ran."""

    def __init__(self) -> None:
        self.lateness_ms: list[float] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            due = loop.time() + PROBE_INTERVAL_S
            await asyncio.sleep(PROBE_INTERVAL_S)
            _crisis_stand_in("i can't do this anymore, i took all my pills tonight")
            self.lateness_ms.append((loop.time() - due) * 1000)

    def stop(self) -> None:
        self._stop.set()


def _crisis_stand_in(text: str) -> bool:
    """What the inline crisis check costs at most: a few regex-like scans of a short text."""
    lowered = text.lower()
    return any(token in lowered for token in ("pills", "tonight", "goodbye", "kms", "unalive"))


async def run_service(
    scorer: Any, messages: list[str], *, batch_size: int, window_ms: float, probe: bool
) -> dict[str, Any]:
    service = ToxicityService(
        loader=lambda: scorer, batch_size=batch_size, batch_window_ms=window_ms, queue_max=100_000
    )
    service.start()
    status = await service.wait_ready()
    assert status.state is ModelState.READY, status.error
    # warm-up: first calls allocate
    await asyncio.gather(*(service.submit(m) for m in messages[: min(batch_size, 4)]))
    # idle latency: one message at a time
    idle = []
    for text in messages[:3]:
        start = time.perf_counter()
        await service.submit(text)
        idle.append((time.perf_counter() - start) * 1000)

    probe_task = None
    prober = Probe()
    if probe:
        probe_task = asyncio.create_task(prober.run())
    latencies: list[float] = []

    async def one(text: str) -> dict[str, float] | None:
        start = time.perf_counter()
        result = await service.submit(text)
        latencies.append((time.perf_counter() - start) * 1000)
        return result

    began = time.perf_counter()
    results = await asyncio.gather(*(one(m) for m in messages))
    elapsed = time.perf_counter() - began
    if probe_task is not None:
        prober.stop()
        await probe_task
    batches = service.status().batches
    await service.stop()
    assert all(r is not None for r in results), "some messages were not scored"
    return {
        "msgs_per_s": len(messages) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "idle_latency_ms": statistics.median(idle),
        "elapsed_s": elapsed,
        "results": results,
        "probe_ms": prober.lateness_ms,
        "batches": batches,
    }


async def idle_probe(seconds: float) -> list[float]:
    prober = Probe()
    task = asyncio.create_task(prober.run())
    await asyncio.sleep(seconds)
    prober.stop()
    await task
    return prober.lateness_ms


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    total_start = time.perf_counter()
    naive_n, batched_n = (24, 96) if args.quick else (64, 320)
    if args.messages:
        naive_n, batched_n = args.messages // 4, args.messages
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="haven-bench-") as tmp:
        started = time.perf_counter()
        built = build_checkpoint(
            Path(tmp),
            hidden_size=768,
            num_layers=args.layers,
            num_heads=12,
            intermediate_size=3072,
            vocab_size=args.vocab,
            max_positions=512,
        )
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        detox = await asyncio.to_thread(
            load_detoxify,
            checkpoint=built.checkpoint,
            model_dir=built.model_dir,
            threads=args.threads,
        )
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        int8 = copy.copy(detox)
        int8.model = await asyncio.to_thread(quantize_int8, copy.deepcopy(detox.model))
        quantize_s = time.perf_counter() - started

    messages = make_messages(batched_n)
    idle_ms = await idle_probe(1.0)
    naive = await run_service(detox, messages[:naive_n], batch_size=1, window_ms=0, probe=False)
    batched = await run_service(detox, messages, batch_size=32, window_ms=50, probe=True)
    quant = await run_service(int8, messages, batch_size=32, window_ms=50, probe=False)

    diff = max(
        abs(a[label] - b[label])
        for a, b in zip(batched["results"], quant["results"], strict=True)
        for label in a
    )
    mean_diff = statistics.fmean(
        abs(a[label] - b[label])
        for a, b in zip(batched["results"], quant["results"], strict=True)
        for label in a
    )
    words = [len(m.split()) for m in messages]
    report: dict[str, Any] = {
        "naive_msgs_per_s": round(naive["msgs_per_s"], 2),
        "batched_msgs_per_s": round(batched["msgs_per_s"], 2),
        "int8_msgs_per_s": round(quant["msgs_per_s"], 2),
        "batched_vs_naive": round(batched["msgs_per_s"] / naive["msgs_per_s"], 2),
        "int8_vs_naive": round(quant["msgs_per_s"] / naive["msgs_per_s"], 2),
        "int8_vs_batched": round(quant["msgs_per_s"] / batched["msgs_per_s"], 2),
        "naive_p50_ms": round(naive["p50_ms"], 1),
        "naive_p99_ms": round(naive["p99_ms"], 1),
        "batched_p50_ms": round(batched["p50_ms"], 1),
        "batched_p99_ms": round(batched["p99_ms"], 1),
        "int8_p50_ms": round(quant["p50_ms"], 1),
        "int8_p99_ms": round(quant["p99_ms"], 1),
        "naive_idle_latency_ms": round(naive["idle_latency_ms"], 1),
        "batched_idle_latency_ms": round(batched["idle_latency_ms"], 1),
        "int8_idle_latency_ms": round(quant["idle_latency_ms"], 1),
        "int8_max_abs_diff": round(diff, 5),
        "int8_mean_abs_diff": round(mean_diff, 5),
        "crisis_probe_idle_p50_ms": round(percentile(idle_ms, 50), 2),
        "crisis_probe_idle_p99_ms": round(percentile(idle_ms, 99), 2),
        "crisis_probe_saturated_p50_ms": round(percentile(batched["probe_ms"], 50), 2),
        "crisis_probe_saturated_p99_ms": round(percentile(batched["probe_ms"], 99), 2),
        "crisis_probe_samples": len(batched["probe_ms"]),
        "naive_messages": naive_n,
        "batched_messages": batched_n,
        "batched_predict_calls": batched["batches"],
        "words_per_message_min_max_mean": [
            min(words),
            max(words),
            round(statistics.fmean(words), 1),
        ],
        "model": {
            "arch": "BertForSequenceClassification (random weights)",
            "hidden": 768,
            "layers": args.layers,
            "heads": 12,
            "intermediate": 3072,
            "vocab": args.vocab,
        },
        "torch_threads": args.threads,
        "cpus": os.cpu_count(),
        "build_s": round(build_s, 1),
        "load_s": round(load_s, 1),
        "quantize_s": round(quantize_s, 1),
        "total_s": round(time.perf_counter() - total_start, 1),
        "quick": args.quick,
    }
    return report


def print_table(report: dict[str, Any]) -> None:
    rows = [
        ("(a) one predict per message", "naive"),
        ("(b) batching service", "batched"),
        ("(c) batching + int8", "int8"),
    ]
    naive = report["naive_msgs_per_s"]
    print(f"model: {report['model']}, torch threads {report['torch_threads']}")
    print(f"{'mode':32} {'msg/s':>8} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} {'idle ms':>8}")
    for title, key in rows:
        rate = report[f"{key}_msgs_per_s"]
        print(
            f"{title:32} {rate:8.1f} {rate / naive:5.1f}x {report[f'{key}_p50_ms']:8.0f} "
            f"{report[f'{key}_p99_ms']:8.0f} {report[f'{key}_idle_latency_ms']:8.0f}"
        )
    print(
        f"int8 vs fp32 scores: max abs diff {report['int8_max_abs_diff']}, "
        f"mean {report['int8_mean_abs_diff']}"
    )
    print(
        "crisis probe lateness (ms) idle p50/p99 "
        f"{report['crisis_probe_idle_p50_ms']}/{report['crisis_probe_idle_p99_ms']}, "
        f"while (b) saturated {report['crisis_probe_saturated_p50_ms']}/"
        f"{report['crisis_probe_saturated_p99_ms']}"
    )
    print(f"total {report['total_s']} s (build {report['build_s']}, load {report['load_s']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages (≤ 60 s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--layers", type=int, default=12, help="encoder layers (BERT-base: 12)")
    parser.add_argument("--vocab", type=int, default=30_522, help="vocabulary size")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--messages", type=int, default=0, help="override burst size for (b)/(c)")
    args = parser.parse_args()
    report = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
