"""Benchmark the crisis rule layer against a naive keyword baseline.

    python bench/crisis.py [--json] [--data PATH]

Times ``assess`` and a substring-keyword baseline on the same messages (the dev set plus
generated variants: upper case, leetspeak, zero-width characters, emoji, filler text),
reports microseconds per message for both and their ratio, the accuracy of both on the
dev set, and the cost of 10 KB and 100 KB messages (capped, so it must stay flat).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.safety.crisis import CrisisDetector  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "crisis_dev.jsonl"
FALLBACK_DATA = ROOT / "tests" / "safety" / "data" / "crisis_heldout.jsonl"

# What a first attempt usually looks like: flag any message containing a scary word.
BASELINE_KEYWORDS = (
    "kill myself",
    "killing myself",
    "suicide",
    "suicidal",
    "kms",
    "kys",
    "want to die",
    "wanna die",
    "end it",
    "end my life",
    "self harm",
    "cut myself",
    "cutting",
    "overdose",
    "pills",
    "hang myself",
    "unalive",
    "die",
    "dead",
    "goodbye",
    "no point",
    "burden",
    "hurt myself",
    "ctb",
    "sewerslide",
    "razor",
    "blade",
    "noose",
    "jump off",
)
_LEET = str.maketrans({"i": "1", "e": "3", "a": "4", "o": "0", "s": "5"})
ROUNDS = 20


def baseline(text: str) -> bool:
    lowered = text.lower()
    return any(k in lowered for k in BASELINE_KEYWORDS)


def variants(text: str) -> list[str]:
    return [
        text,
        text.upper(),
        text.translate(_LEET),
        "\u200b".join(text[:40]) + text[40:],
        text + " 😭🙏",
        "so anyway, long day at school and practice ran late. " + text,
    ]


def per_message_us(func, texts: list[str], rounds: int = ROUNDS) -> float:
    for t in texts[:50]:
        func(t)
    samples = []
    for t in texts:
        start = time.perf_counter()
        for _ in range(rounds):
            func(t)
        samples.append((time.perf_counter() - start) / rounds * 1e6)
    return statistics.median(samples)


def load(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def accuracy(predict, items: list[dict]) -> dict[str, float]:
    crisis = [i for i in items if i["label"] == "crisis"]
    benign = [i for i in items if i["label"] == "none"]
    return {
        "crisis_recall": round(sum(predict(i["text"]) for i in crisis) / max(1, len(crisis)), 4),
        "false_positive_rate": round(
            sum(predict(i["text"]) for i in benign) / max(1, len(benign)), 4
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data", type=Path, default=None, help="JSONL dev set")
    args = parser.parse_args(argv)
    path = args.data or (DEFAULT_DATA if DEFAULT_DATA.exists() else FALLBACK_DATA)
    items = load(path)

    started = time.perf_counter()
    detector = CrisisDetector()
    build_ms = (time.perf_counter() - started) * 1e3
    texts = [v for item in items for v in variants(item["text"])]

    rules_us = per_message_us(detector.assess, texts)
    baseline_us = per_message_us(baseline, texts)
    chunk = " ".join(i["text"] for i in items)
    long_10k = (chunk * (10_000 // len(chunk) + 1))[:10_000]
    long_100k = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    us_10k = per_message_us(detector.assess, [long_10k], rounds=5)
    us_100k = per_message_us(detector.assess, [long_100k], rounds=5)

    result = {
        "data": str(path),
        "n_messages": len(texts),
        "rules_us_per_message": round(rules_us, 2),
        "baseline_us_per_message": round(baseline_us, 2),
        "rules_to_baseline_ratio": round(rules_us / baseline_us, 1),
        "rules_messages_per_second": round(1e6 / rules_us),
        "rules_dev": accuracy(lambda t: detector.assess(t).is_crisis, items),
        "baseline_dev": accuracy(baseline, items),
        "us_10kb_message": round(us_10k, 1),
        "us_100kb_message": round(us_100k, 1),
        "ratio_100kb_to_10kb": round(us_100k / us_10k, 2),
        "detector_build_ms": round(build_ms, 1),
    }
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        for key, value in result.items():
            sys.stdout.write(f"{key:<26} {value}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
