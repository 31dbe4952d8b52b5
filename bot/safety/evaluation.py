"""``python -m bot eval FILE [--json]`` and ``python -m bot scan TEXT``.

The evaluation file is JSON lines: ``{"text", "label": "crisis"|"none", "severity": 0-3,
"note"}``. Metric definitions:

- ``crisis_recall``: gold ``crisis`` items predicted self-risk with severity >= 1.
- ``crisis_precision``: of the items predicted self-risk severity >= 1, the share that are
  gold ``crisis``.
- ``false_positive_rate``: gold ``none`` items predicted self-risk severity >= 1. Items
  predicted harassment or concern-for-other are *not* false alarms: they take other paths
  (moderation, helper resources) and never open a crisis escalation.
- ``imminent_recall``: gold severity 3 predicted self-risk with severity >= 2.
- ``severity_exact`` / ``severity_within_one``: on gold crisis items predicted crisis.
- ``harassment_recall``: notes starting ``ABUSE`` predicted harassment.
- ``other_concern_recall``: notes starting ``THIRD-PERSON`` predicted concern-for-other.
  In the data these carry label ``none`` (the writer is not at risk), so they count in
  the false-positive rate if predicted self-risk, and never in crisis recall.
- ``us_per_message``: median microseconds per message of ``assess`` (after warm-up).

The command measures the detector as the bot runs it: with ``[crisis] semantic_layer`` on
(the default) the metrics are computed on the *combined* decision (rules, then
:mod:`bot.safety.combine` with the semantic layer's scores); ``--rules-only`` measures the
rule layer alone, ``--semantic`` insists on the layer (exit 2 if it cannot load). With the
layer, ``detector`` (``"rules"`` or ``"rules+semantic"``) says which was measured, and
three keys are added: ``rules_only`` (the rule layer's headline metrics, for comparison),
``semantic_added`` (how many decisions the semantic layer changed) and
``semantic_ms_per_message`` (wall time of the batched embedding + head, per message).
``us_per_message`` stays the rule layer's median.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from bot.safety.crisis import Assessment, Category, CrisisDetector, default_detector

if TYPE_CHECKING:
    from bot.safety.semantic import SemanticLayer

_TIMING_ROUNDS = 5


class EvalFileError(ValueError):
    """The evaluation file cannot be read; the message names the line."""


@dataclass(frozen=True)
class Item:
    line: int
    text: str
    label: str
    severity: int
    note: str


def load_items(path: Path) -> list[Item]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from None
    items: list[Item] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{where}: invalid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise EvalFileError(f"{where}: expected a JSON object")
        text, label = obj.get("text"), obj.get("label")
        severity, note = obj.get("severity", 0), obj.get("note", "")
        if not isinstance(text, str):
            raise EvalFileError(f'{where}: "text" must be a string')
        if label not in ("crisis", "none"):
            raise EvalFileError(f'{where}: "label" must be "crisis" or "none"')
        if not isinstance(severity, int) or isinstance(severity, bool) or not 0 <= severity <= 3:
            raise EvalFileError(f'{where}: "severity" must be an integer 0-3')
        if not isinstance(note, str):
            raise EvalFileError(f'{where}: "note" must be a string')
        items.append(Item(number, text, label, severity, note))
    if not items:
        raise EvalFileError(f"{path}: no items")
    return items


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _median_us(detector: CrisisDetector, texts: list[str]) -> float:
    for text in texts:  # warm-up: compile caches, lazy tables
        detector.assess(text)
    per_message: list[float] = []
    for text in texts:
        start = time.perf_counter()
        for _ in range(_TIMING_ROUNDS):
            detector.assess(text)
        per_message.append((time.perf_counter() - start) / _TIMING_ROUNDS * 1e6)
    return round(statistics.median(per_message), 2)


_HEADLINE = ("crisis_recall", "crisis_precision", "false_positive_rate", "imminent_recall")


def evaluate(
    items: list[Item],
    detector: CrisisDetector | None = None,
    semantic: SemanticLayer | None = None,
) -> dict[str, object]:
    """Score ``items``; returns the metrics plus the lists of misses and false alarms.

    With ``semantic``, the metrics are those of the combined decision (see module doc).
    """
    detector = detector or default_detector()
    preds = [detector.assess(item.text) for item in items]
    us_per_message = _median_us(detector, [i.text for i in items])
    if semantic is None:
        return {"detector": "rules", **score(items, preds, us_per_message)}
    from bot.safety.combine import upgrade

    rules_only = score(items, preds, us_per_message)
    semantic.load()
    semantic.predict([item.text for item in items[:8]])  # warm-up: first torch call is slow
    start = time.perf_counter()
    results = semantic.predict([item.text for item in items])
    semantic_ms = (time.perf_counter() - start) / len(items) * 1000
    policy = semantic.policy()
    upgraded = [
        upgrade(p, r, text=i.text, policy=policy, detector=detector)
        for i, p, r in zip(items, preds, results, strict=True)
    ]
    combined = [u or p for u, p in zip(upgraded, preds, strict=True)]
    out = {
        "detector": "rules+semantic",
        **score(items, combined, us_per_message),
    }
    out["rules_only"] = {key: rules_only[key] for key in _HEADLINE}
    out["semantic_added"] = sum(u is not None for u in upgraded)
    out["semantic_ms_per_message"] = round(semantic_ms, 2)
    return out


def score(
    items: Sequence[Item], preds: Sequence[Assessment], us_per_message: float | None = None
) -> dict[str, object]:
    """The metrics of ``preds`` against ``items`` (see the module doc) and the lists of
    misses and false alarms; ``us_per_message`` is passed through (timing is the caller's)."""
    crisis = [(i, p) for i, p in zip(items, preds, strict=True) if i.label == "crisis"]
    benign = [(i, p) for i, p in zip(items, preds, strict=True) if i.label == "none"]
    imminent = [(i, p) for i, p in crisis if i.severity == 3]
    abuse = [(i, p) for i, p in zip(items, preds, strict=True) if i.note.startswith("ABUSE")]
    third = [(i, p) for i, p in zip(items, preds, strict=True) if i.note.startswith("THIRD-PERSON")]
    hits = [(i, p) for i, p in crisis if p.is_crisis]
    predicted = sum(p.is_crisis for p in preds)

    def row(item: Item, pred: Assessment) -> dict[str, object]:
        return {
            "line": item.line,
            "text": item.text,
            "gold": f"{item.label}/{item.severity}",
            "predicted": f"{pred.category}/{pred.severity}",
            "note": item.note,
            "reasons": list(pred.reasons),
        }

    return {
        "n": len(items),
        "n_crisis": len(crisis),
        "n_none": len(benign),
        "crisis_recall": _ratio(len(hits), len(crisis)),
        "crisis_precision": _ratio(len(hits), predicted),
        "false_positive_rate": _ratio(sum(p.is_crisis for _, p in benign), len(benign)),
        "imminent_recall": _ratio(
            sum(p.category is Category.SELF_RISK and p.severity >= 2 for _, p in imminent),
            len(imminent),
        ),
        "severity_exact": _ratio(sum(p.severity == i.severity for i, p in hits), len(hits)),
        "severity_within_one": _ratio(
            sum(abs(p.severity - i.severity) <= 1 for i, p in hits), len(hits)
        ),
        "harassment_recall": _ratio(
            sum(p.category is Category.HARASSMENT for _, p in abuse), len(abuse)
        ),
        "other_concern_recall": _ratio(
            sum(p.category is Category.CONCERN_FOR_OTHER for _, p in third), len(third)
        ),
        "us_per_message": us_per_message,
        "misses": [row(i, p) for i, p in crisis if not p.is_crisis],
        "false_alarms": [row(i, p) for i, p in benign if p.is_crisis],
        "severity_off_by_more_than_one": [
            row(i, p) for i, p in hits if abs(p.severity - i.severity) > 1
        ],
        "harassment_misses": [row(i, p) for i, p in abuse if p.category is not Category.HARASSMENT],
        "other_concern_misses": [
            row(i, p) for i, p in third if p.category is not Category.CONCERN_FOR_OTHER
        ],
    }


_METRICS = (
    "n",
    "crisis_recall",
    "crisis_precision",
    "false_positive_rate",
    "imminent_recall",
    "severity_exact",
    "severity_within_one",
    "harassment_recall",
    "other_concern_recall",
    "us_per_message",
)
_LISTS = (
    ("misses", "Missed crises"),
    ("false_alarms", "False alarms"),
    ("severity_off_by_more_than_one", "Severity off by more than one"),
    ("harassment_misses", "Harassment not flagged"),
    ("other_concern_misses", "Concern for others not flagged"),
)


def _write_report(result: dict[str, object], out: TextIO) -> None:
    semantic = "semantic_ms_per_message" in result
    out.write(
        "Crisis detector evaluation" + (" (rules + semantic layer)" if semantic else "") + "\n"
    )
    keys = (*_METRICS, "semantic_added", "semantic_ms_per_message") if semantic else _METRICS
    width = 24 if semantic else 22
    for key in keys:
        value = result[key]
        out.write(f"  {key:<{width}} {'n/a' if value is None else value}\n")
    if semantic:
        rules_only = result["rules_only"]
        assert isinstance(rules_only, dict)
        out.write("  rules only: " + ", ".join(f"{k} {v}" for k, v in rules_only.items()) + "\n")
    for key, title in _LISTS:
        rows = result[key]
        assert isinstance(rows, list)
        out.write(f"\n{title}: {len(rows)}\n")
        for r in rows:
            reasons = "; ".join(r["reasons"]) or "no rule matched"
            out.write(f"  line {r['line']}: {r['text']!r}\n")
            out.write(f"    gold {r['gold']}  predicted {r['predicted']}  ({r['note']})\n")
            out.write(f"    reasons: {reasons}\n")


SemanticMode = Literal["off", "auto", "required"]


def _open_layer(mode: SemanticMode, err: TextIO) -> tuple[SemanticLayer | None, bool]:
    """The loaded semantic layer for ``mode`` (None for "off" or when "auto" cannot load
    it), and whether that is a failure (a "required" layer that cannot load)."""
    if mode == "off":
        return None, False
    from bot.safety.semantic import SemanticLayer, SemanticUnavailableError

    layer = SemanticLayer()
    try:
        layer.load()
    except SemanticUnavailableError as exc:
        layer.close()
        if mode == "required":
            err.write(f"error: {exc}\n")
            return None, True
        # The bot itself runs on the rules alone when the layer cannot load; so does eval.
        err.write(f"note: semantic layer unavailable ({exc}); measuring the rules alone\n")
        return None, False
    return layer, False


def run_eval(
    path: Path,
    as_json: bool,
    out: TextIO = sys.stdout,
    err: TextIO | None = None,
    *,
    semantic: SemanticMode = "off",
) -> int:
    """Evaluate the detector on a JSONL file. Exit code 0, or 2 for a bad file (or a
    ``semantic="required"`` layer that cannot load: missing model package or head).

    ``semantic``: "off" measures the rule layer; "auto" the detector as the bot runs it
    (rules + semantic layer, or the rules alone when the layer cannot load, as in the bot).
    Errors go to ``err`` (standard error by default) as one line, never a traceback.
    """
    err = err or sys.stderr
    try:
        items = load_items(Path(path))
    except EvalFileError as exc:
        err.write(f"error: {exc}\n")
        return 2
    layer, failed = _open_layer(semantic, err)
    if failed:
        return 2
    try:
        result = evaluate(items, semantic=layer)
    finally:
        if layer is not None:
            layer.close()
    if as_json:
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        _write_report(result, out)
    return 0


def run_scan(
    text: str,
    out: TextIO = sys.stdout,
    err: TextIO | None = None,
    *,
    semantic: SemanticMode = "off",
) -> int:
    """Print one assessment with its reasons (rules, then the semantic layer if on).
    Exit code 0, or 2 when a required semantic layer cannot load."""
    result = default_detector().assess(text)
    layer, failed = _open_layer(semantic, err or sys.stderr)
    if failed:
        return 2
    if layer is not None:
        try:
            result = layer.assess(text, result) or result
        finally:
            layer.close()
    out.write(f"category: {result.category}\n")
    out.write(f"severity: {result.severity}\n")
    if result.category is Category.CONCERN_FOR_OTHER:
        out.write(f"urgency: {result.urgency}\n")
    out.write(f"crisis: {'yes' if result.is_crisis else 'no'}\n")
    if result.reasons:
        out.write("reasons:\n")
        for reason in result.reasons:
            out.write(f"  - {reason}\n")
    else:
        out.write("reasons: none\n")
    return 0
