"""Crisis alert latency: MESSAGE_CREATE arriving at the bot → moderator alert POST leaving it.

Drives the real HavenBot (discord.py, real crisis detector, real SQLite file in a temporary
folder) against the local fake Discord, while a CPU-bound worker thread keeps the machine
busy the way Detoxify does (torch matmuls that release the GIL, plus a slice of pure-Python
work that holds it, like tokenisation). Each crisis message comes from a different member
(so none is merged into an earlier escalation); the next one is sent once the previous
alert has gone out.

    python bench/escalation.py --quick --json

Both timestamps are taken inside the bot process: when discord.py hands the decoded
MESSAGE_CREATE to its parser, and when the alert's POST enters discord.py's HTTP client.
The fake Discord shares the bot's event loop, so its own work is counted against the bot:
the numbers are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bot.app  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.fakediscord.fixtures import run_client  # noqa: E402

CRISIS_TEXTS = [
    "i'm going to kill myself tonight",
    "i took 20 pills an hour ago",
    "i don't want to be alive anymore",
    "i have a plan and i'm saying goodbye to everyone",
]
_JUMP = re.compile(r"/channels/\d+/\d+/(\d+)")


class BusyWorker(threading.Thread):
    """Simulated toxicity model: batched matmuls (GIL released) + Python work (GIL held)."""

    def __init__(self, threads: int) -> None:
        super().__init__(name="fake-toxicity-worker", daemon=True)
        self.threads = threads
        self.stop_event = threading.Event()
        self.batches = 0

    def run(self) -> None:
        import torch

        torch.set_num_threads(self.threads)
        a = torch.randn(256, 768)
        w = torch.randn(768, 768)
        while not self.stop_event.is_set():
            h = a
            for _ in range(6):  # a few "layers"
                h = torch.tanh(h @ w)
            # ~tokenisation-like pure Python slice that holds the GIL
            words = 0
            for i in range(20_000):
                words += i & 7
            self.batches += 1


class HavenBench(bot.app.HavenBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def run(n: int, warmup: int, busy: bool, torch_threads: int) -> dict[str, Any]:
    arrived: dict[int, float] = {}
    alert_left: dict[int, float] = {}
    waiting: dict[int, asyncio.Event] = {}
    async with FakeDiscord() as fake:
        users = [fake.add_user(f"bench{i}") for i in range(n + warmup)]
        for user in users:
            fake.add_member(user)
        alerts_channel = fake.channels["mod-alerts"]
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                discord={
                    "token": fake.token,
                    "api_base_url": fake.api_base,
                    "gateway_url": fake.ws_url,
                    "sync_commands": False,
                },
                database={"path": Path(tmp) / "haven.db"},
                security={"key_file": Path(tmp) / "haven.key"},
                moderation={"enabled": False},
                logging={"level": "WARNING"},
                guilds={
                    fake.guild.id: {
                        "alert_channel_id": alerts_channel.id,
                        "moderator_role_id": fake.roles["Moderators"].id,
                        "country": "GB",
                    }
                },
            )
            # Only the cogs on the crisis path (a half-finished neighbour must not break this).
            bot.app.cog_modules = lambda: ["cogs.admin", "cogs.escalation"]  # type: ignore[assignment]
            haven = HavenBench(settings)
            # MESSAGE_CREATE arriving: wrap discord.py's parser for it.
            parsers = haven._connection.parsers
            original_parse = parsers["MESSAGE_CREATE"]

            def timed_parse(data: Any) -> None:
                arrived[int(data["id"])] = time.perf_counter()
                original_parse(data)

            parsers["MESSAGE_CREATE"] = timed_parse
            # Alert POST leaving: wrap the HTTP client's request.
            original_request = haven.http.request
            alert_path = f"/channels/{alerts_channel.id}/messages"

            async def timed_request(route: Any, **kwargs: Any) -> Any:
                if (
                    route.method == "POST"
                    and route.path.replace("{channel_id}", str(route.channel_id)) == alert_path
                ):
                    stamp = time.perf_counter()
                    payload = kwargs.get("json") or {}
                    for embed in payload.get("embeds") or []:
                        match = _JUMP.search(embed.get("description") or "")
                        if match:
                            message_id = int(match.group(1))
                            alert_left.setdefault(message_id, stamp)
                            if message_id in waiting:
                                waiting[message_id].set()
                return await original_request(route, **kwargs)

            haven.http.request = timed_request  # type: ignore[method-assign]

            worker = BusyWorker(torch_threads) if busy else None
            async with run_client(haven, fake, patch_urls=False):
                if worker is not None:
                    worker.start()
                    await asyncio.sleep(0.5)  # let it spin up
                latencies: list[float] = []
                started = time.perf_counter()
                for i, user in enumerate(users):
                    text = CRISIS_TEXTS[i % len(CRISIS_TEXTS)]
                    message = await fake.send_message(fake.channels["general"], user, text)
                    if message.id not in alert_left:
                        waiting[message.id] = asyncio.Event()
                        try:
                            await asyncio.wait_for(waiting[message.id].wait(), 10)
                        except TimeoutError:
                            raise RuntimeError(f"no alert for message {i}") from None
                    if message.id not in arrived:
                        raise RuntimeError(f"MESSAGE_CREATE {i} was not seen")
                    if i >= warmup:
                        latencies.append((alert_left[message.id] - arrived[message.id]) * 1000)
                elapsed = time.perf_counter() - started
                await asyncio.sleep(0.3)  # let DM edits finish before closing
                batches = worker.batches if worker else 0
                if worker is not None:
                    worker.stop_event.set()
                    worker.join(timeout=5)
    return {
        "n": len(latencies),
        "alert_latency_p50_ms": round(statistics.median(latencies), 3),
        "alert_latency_p99_ms": round(percentile(latencies, 0.99), 3),
        "alert_latency_max_ms": round(max(latencies), 3),
        "alert_latency_mean_ms": round(statistics.fmean(latencies), 3),
        "toxicity_load": "simulated busy worker thread" if busy else "none",
        "busy_worker_batches": batches,
        "gil_switch_interval_ms": round(sys.getswitchinterval() * 1000, 3),
        "elapsed_s": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 messages (≤ 60 s)")
    parser.add_argument("-n", type=int, default=None, help="messages to time")
    parser.add_argument("--idle", action="store_true", help="no simulated toxicity load")
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval seconds (default: leave Python's, as the bot does)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    n = args.n or (300 if args.quick else 1000)
    logging.basicConfig(level=logging.ERROR)
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    result = asyncio.run(run(n, warmup=10, busy=not args.idle, torch_threads=args.torch_threads))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
