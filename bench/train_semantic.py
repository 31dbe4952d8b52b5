"""Train the semantic layer's head and tune how it combines with the rules.

    python bench/train_semantic.py [--data FILE ...] [--out PATH] [--seed 7] [--json]

1. Reads the training files (JSON lines like the evaluation format) and maps each line to
   one of the head's classes: ``none``, ``self_1..3`` (label crisis, by severity), ``other``
   (note starts ``THIRD-PERSON``) or ``harassment`` (note starts ``ABUSE``).
2. Embeds every message with the packaged all-MiniLM-L6-v2 (:mod:`bot.safety.semantic`).
3. Picks the L2 strength by stratified k-fold cross-validation of a class-weighted
   multinomial logistic regression (scikit-learn, pulled in by the model package), keeping
   the out-of-fold probabilities.
4. Tunes the combination thresholds (:class:`bot.safety.combine.CombinePolicy`) on those
   out-of-fold probabilities together with the rule layer's own decisions: the most recall
   (then imminent recall) whose false-positive rate stays within ``--fpr-slack`` of the
   rules' own.
5. Fits the head on all the data and writes weights, bias, label order, model id, policy,
   the cross-validated numbers and the SHA-256 of every training file to
   ``resources/crisis/semantic_head.json``.

Deterministic for a given seed and data. Never point it at an evaluation set you want to
measure on afterwards (tests/safety/data/crisis_redteam_a.jsonl is held out).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.safety.combine import CombinePolicy, benign_context, combine  # noqa: E402
from bot.safety.crisis import Assessment, Category, default_detector  # noqa: E402
from bot.safety.evaluation import Item, load_items  # noqa: E402
from bot.safety.semantic import (  # noqa: E402
    LABELS,
    MODEL_ID,
    Encoder,
    Head,
    SemanticResult,
    file_sha256,
    prepare_text,
)

DEFAULT_DATA = (
    ROOT.parent / "shared" / "data" / "crisis_dev.jsonl",
    ROOT / "resources" / "crisis" / "training" / "corpus_1.jsonl",
    ROOT / "resources" / "crisis" / "training" / "corpus_2.jsonl",
)
DEFAULT_OUT = ROOT / "resources" / "crisis" / "semantic_head.json"
HELD_OUT_NAMES = ("crisis_redteam_a.jsonl",)
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
FOLDS = 5


def label_of(item: Item) -> str:
    if item.label == "crisis":
        return f"self_{max(1, item.severity)}"
    if item.note.startswith("THIRD-PERSON"):
        return "other"
    if item.note.startswith("ABUSE"):
        return "harassment"
    return "none"


def fit_head(x: np.ndarray, y: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class-weighted multinomial logistic regression; returns (weights, bias) in LABELS order."""
    from sklearn.linear_model import LogisticRegression

    present = np.unique(y)
    model = LogisticRegression(
        C=c, class_weight="balanced", max_iter=5000, random_state=seed, tol=1e-6
    )
    model.fit(x, y)
    weights = np.zeros((len(LABELS), x.shape[1]), dtype=np.float64)
    bias = np.full(len(LABELS), -30.0)  # a class absent from the data is never predicted
    for row, cls in enumerate(model.classes_):
        weights[cls] = model.coef_[row]
        bias[cls] = model.intercept_[row]
    assert set(present) == set(model.classes_)
    return weights, bias


def head_of(weights: np.ndarray, bias: np.ndarray) -> Head:
    return Head(LABELS, weights.astype(np.float32), bias.astype(np.float32), MODEL_ID, {})


def out_of_fold(x: np.ndarray, y: np.ndarray, c: float, seed: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    probs = np.zeros((len(y), len(LABELS)))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(x, y):
        w, b = fit_head(x[train], y[train], c, seed)
        probs[test] = head_of(w, b).probs(x[test].astype(np.float32))
    return probs


def log_loss(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None))))


def results_of(probs: np.ndarray) -> list[SemanticResult]:
    out = []
    for row in probs:
        none, s1, s2, s3, other, harass = (float(v) for v in row)
        out.append(SemanticResult((none + other + harass, s1, s2, s3), other, harass))
    return out


def metrics(items: Sequence[Item], preds: Sequence[Assessment]) -> dict[str, float | None]:
    crisis = [(i, p) for i, p in zip(items, preds, strict=True) if i.label == "crisis"]
    benign = [p for i, p in zip(items, preds, strict=True) if i.label == "none"]
    imminent = [p for i, p in crisis if i.severity == 3]
    hits = [(i, p) for i, p in crisis if p.is_crisis]

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "crisis_recall": ratio(len(hits), len(crisis)),
        "false_positive_rate": ratio(sum(p.is_crisis for p in benign), len(benign)),
        "imminent_recall": ratio(
            sum(p.category is Category.SELF_RISK and p.severity >= 2 for p in imminent),
            len(imminent),
        ),
        "severity_within_one": ratio(sum(abs(p.severity - i.severity) <= 1 for i, p in hits), len(hits)),
    }


def tune_policy(
    items: Sequence[Item],
    rules: Sequence[Assessment],
    benign: Sequence[tuple[str, ...]],
    results: Sequence[SemanticResult],
    fpr_slack: float,
) -> tuple[CombinePolicy, dict[str, float | None]]:
    """The policy with the best (recall, imminent recall, -FPR) within the FPR budget.

    Ties go to the stricter (higher) thresholds, so the semantic layer adds as little as
    it can for the same gain.
    """
    base = metrics(items, rules)
    budget = (base["false_positive_rate"] or 0.0) + fpr_slack
    best: tuple[tuple[float, ...], CombinePolicy, dict[str, float | None]] | None = None
    grid = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01)
    for add, cue, r2, r3 in itertools.product(grid, grid, (0.4, 0.5, 0.6, 0.7, 0.8), (0.4, 0.5, 0.6, 0.7, 0.8)):
        if cue < add:
            continue
        policy = CombinePolicy(add=add, add_with_cue=cue, raise_to_2=r2, raise_to_3=r3)
        preds = [
            combine(r, s, benign=b, policy=policy)
            for r, s, b in zip(rules, results, benign, strict=True)
        ]
        m = metrics(items, preds)
        fpr = m["false_positive_rate"] or 0.0
        if fpr > budget + 1e-9:
            continue
        key = (
            m["crisis_recall"] or 0.0,
            m["imminent_recall"] or 0.0,
            -fpr,
            m["severity_within_one"] or 0.0,
            add,
            cue,
            r3,
            r2,
        )
        if best is None or key > best[0]:
            best = (key, policy, m)
    assert best is not None  # add=cue=1.01 never adds, so the rules' own FPR always fits
    return best[1], best[2]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=list(DEFAULT_DATA))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fpr-slack", type=float, default=0.01)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for path in args.data:
        if path.name in HELD_OUT_NAMES:
            parser.error(f"{path.name} is a held-out evaluation set; do not train on it")

    items: list[Item] = []
    sources: dict[str, dict[str, object]] = {}
    for path in args.data:
        loaded = load_items(path)
        items.extend(loaded)
        sources[path.name] = {"sha256": file_sha256(path), "lines": len(loaded)}
    y = np.array([LABELS.index(label_of(i)) for i in items])

    start = time.perf_counter()
    encoder = Encoder()
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    x = encoder.encode([prepare_text(i.text) for i in items]).astype(np.float64)
    embed_s = time.perf_counter() - start

    cv: dict[str, float] = {}
    oof: dict[float, np.ndarray] = {}
    for c in C_GRID:
        oof[c] = out_of_fold(x, y, c, args.seed)
        cv[str(c)] = round(log_loss(oof[c], y), 4)
    best_c = min(C_GRID, key=lambda c: (cv[str(c)], c))
    probs = oof[best_c]

    detector = default_detector()
    rules = [detector.assess(i.text) for i in items]
    benign = [
        benign_context(i.text, detector) if r.category is Category.NONE else ()
        for i, r in zip(items, rules, strict=True)
    ]
    results = results_of(probs)
    policy, combined = tune_policy(items, rules, benign, results, args.fpr_slack)

    per_file: dict[str, dict[str, object]] = {}
    offset = 0
    for path in args.data:
        n = int(sources[path.name]["lines"])  # type: ignore[call-overload]
        sl = slice(offset, offset + n)
        preds = [
            combine(r, s, benign=b, policy=policy)
            for r, s, b in zip(rules[sl], results[sl], benign[sl], strict=True)
        ]
        per_file[path.name] = {
            "rules": metrics(items[sl], rules[sl]),
            "combined_cv": metrics(items[sl], preds),
        }
        offset += n

    weights, bias = fit_head(x, y, best_c, args.seed)
    accuracy = float(np.mean(np.argmax(probs, axis=1) == y))
    report = {
        "n": len(items),
        "class_counts": {label: int(np.sum(y == k)) for k, label in enumerate(LABELS)},
        "C": best_c,
        "cv_log_loss_by_C": cv,
        "cv_accuracy": round(accuracy, 4),
        "cv_rules": metrics(items, rules),
        "cv_combined": combined,
        "cv_per_file": per_file,
        "policy": asdict(policy),
        "model_load_s": round(load_s, 2),
        "embed_ms_per_message_batched": round(embed_s / len(items) * 1000, 2),
    }
    head = {
        "model_id": MODEL_ID,
        "labels": list(LABELS),
        "weights": [[round(float(v), 6) for v in row] for row in weights],
        "bias": [round(float(v), 6) for v in bias],
        "meta": {
            "trained_with": "bench/train_semantic.py",
            "seed": args.seed,
            "C": best_c,
            "preprocess": "bot.safety.semantic.prepare_text",
            "training_data": sources,
            "policy": asdict(policy),
            "cv": {k: report[k] for k in ("cv_accuracy", "cv_rules", "cv_combined", "cv_per_file")},
        },
    }
    args.out.write_text(json.dumps(head, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report))
    else:
        print(json.dumps(report, indent=2))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
