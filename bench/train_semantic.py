"""Train the semantic layer's head and tune how it combines with the rules.

    python bench/train_semantic.py [--data FILE ...] [--out PATH] [--seed 7] [--json]

1. Reads the training files (JSON lines like the evaluation format) and maps each line to
   one of the head's classes: ``none``, ``self_1..3`` (label crisis, by severity), ``other``
   (note starts ``THIRD-PERSON``) or ``harassment`` (note starts ``ABUSE``).
2. Embeds every message with the packaged all-MiniLM-L6-v2 (:mod:`bot.safety.semantic`).
3. Trains two heads with stratified k-fold cross-validation (scikit-learn, pulled in by the
   model package), keeping out-of-fold predictions:
   - *crisis*: a class-weighted RBF-kernel SVM, crisis vs not. C and gamma are chosen by
     out-of-fold ROC AUC on the messages where the layer can act (the rules said "none"
     and saw no benign context); Platt scaling is fitted on the out-of-fold decisions.
   - *classes*: a class-weighted multinomial logistic regression over the six classes
     (severity mix, concern for others, harassment), L2 strength by out-of-fold log loss.
4. Tunes the combination thresholds (:class:`bot.safety.combine.CombinePolicy`) on those
   out-of-fold probabilities together with the rule layer's own decisions: the most recall
   (then imminent recall) whose false-positive rate stays within ``--fpr-slack`` of the
   rules' own.
5. Fits both heads on all the data, checks that the numpy runtime (:class:`Head`)
   reproduces scikit-learn, and writes support vectors, coefficients, label order, model
   id, policy, the cross-validated numbers and the SHA-256 of every training file to
   ``resources/crisis/semantic_head.json``.

The cross-validated combined numbers are slightly optimistic: the few thresholds of the
policy and the Platt scaling are chosen on the same out-of-fold predictions.

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
from typing import Any

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
    combine_probs,
    encode_array,
    file_sha256,
    model_dir,
    prepare_text,
)

DEFAULT_DATA = (
    ROOT.parent / "shared" / "data" / "crisis_dev.jsonl",
    ROOT / "resources" / "crisis" / "training" / "corpus_1.jsonl",
    ROOT / "resources" / "crisis" / "training" / "corpus_2.jsonl",
)
DEFAULT_OUT = ROOT / "resources" / "crisis" / "semantic_head.json"
HELD_OUT_NAMES = ("crisis_redteam_a.jsonl",)
C_GRID = (1.0, 4.0, 16.0, 64.0)  # logistic regression
SVM_GRID = tuple(itertools.product((1.0, 4.0, 16.0), (0.5, 1.0, 2.0)))  # (C, gamma)
FOLDS = 5


def label_of(item: Item) -> str:
    if item.label == "crisis":
        return f"self_{max(1, item.severity)}"
    if item.note.startswith("THIRD-PERSON"):
        return "other"
    if item.note.startswith("ABUSE"):
        return "harassment"
    return "none"


def fit_classes(x: np.ndarray, y: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class-weighted multinomial logistic regression; (weights, bias) in LABELS order."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=c, class_weight="balanced", max_iter=5000, random_state=seed, tol=1e-6
    )
    model.fit(x, y)
    weights = np.zeros((len(LABELS), x.shape[1]), dtype=np.float64)
    bias = np.full(len(LABELS), -30.0)  # a class absent from the data is never predicted
    for row, cls in enumerate(model.classes_):
        weights[cls] = model.coef_[row]
        bias[cls] = model.intercept_[row]
    return weights, bias


def class_probs(weights: np.ndarray, bias: np.ndarray, x: np.ndarray) -> np.ndarray:
    logits = x @ weights.T + bias
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_crisis(x: np.ndarray, gold: np.ndarray, c: float, gamma: float) -> Any:
    from sklearn.svm import SVC

    return SVC(C=c, gamma=gamma, kernel="rbf", class_weight="balanced").fit(x, gold)


def folds(y: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold

    split = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    return list(split.split(np.zeros(len(y)), y))


def oof_classes(x: np.ndarray, y: np.ndarray, c: float, seed: int) -> np.ndarray:
    probs = np.zeros((len(y), len(LABELS)))
    for train, test in folds(y, seed):
        probs[test] = class_probs(*fit_classes(x[train], y[train], c, seed), x[test])
    return probs


def oof_crisis(
    x: np.ndarray, y: np.ndarray, gold: np.ndarray, c: float, gamma: float, seed: int
) -> np.ndarray:
    decision = np.zeros(len(y))
    for train, test in folds(y, seed):
        decision[test] = fit_crisis(x[train], gold[train], c, gamma).decision_function(x[test])
    return decision


def fit_platt(decision: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e4, max_iter=1000).fit(decision[:, None], gold)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def auc(scores: np.ndarray, gold: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(gold, scores)) if 0 < gold.sum() < len(gold) else float("nan")


def log_loss(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None))))


def results_of(crisis: np.ndarray, classes: np.ndarray) -> list[SemanticResult]:
    return [
        combine_probs(float(c), [float(v) for v in row])
        for c, row in zip(crisis, classes, strict=True)
    ]


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
        "severity_within_one": ratio(
            sum(abs(p.severity - i.severity) <= 1 for i, p in hits), len(hits)
        ),
    }


def tune_policy(
    items: Sequence[Item],
    rules: Sequence[Assessment],
    benign: Sequence[tuple[str, ...]],
    results: Sequence[SemanticResult],
    fpr_slack: float,
) -> tuple[CombinePolicy, dict[str, float | None]]:
    """The policy with the most crisis recall + imminent recall within the FPR budget
    (the rules' own false-positive rate plus ``fpr_slack``).

    A grid search, vectorised with numpy (it mirrors :func:`combine`; the chosen policy is
    then re-scored with the real function). Ties go to the stricter thresholds, so the
    semantic layer adds as little as it can for the same gain.
    """
    gold = np.array([i.label == "crisis" for i in items])
    gsev = np.array([i.severity for i in items])
    rc = np.array([r.is_crisis for r in rules])
    rs = np.array([r.severity if r.is_crisis else 0 for r in rules])
    rnone = np.array([r.category is Category.NONE for r in rules])
    bn = np.array([bool(b) for b in benign])
    cp = np.array([s.crisis_prob for s in results])
    a2 = np.array([s.at_least(2) for s in results])
    a3 = np.array([s.at_least(3) for s in results])
    n_crisis, n_none, n_imm = gold.sum(), (~gold).sum(), (gold & (gsev == 3)).sum()
    budget = (rc & ~gold).sum() / n_none + fpr_slack + 1e-9
    grid = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01)
    sev_grid = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    best: tuple[tuple[float, ...], CombinePolicy] | None = None
    for r2, r3 in itertools.product(sev_grid, sev_grid):
        sem = np.where(a3 >= r3, 3, np.where(a2 >= r2, 2, 1))
        for add, cue, severe in itertools.product(grid, grid, grid):
            if cue < add or severe > add:
                continue
            thr = np.where(bn, cue, np.where(sem >= 2, severe, add))
            added = ~rc & rnone & (cp >= thr)
            crisis = rc | added
            sev = np.where(rc, np.maximum(rs, sem), np.where(added, sem, 0))
            fpr = (crisis & ~gold).sum() / n_none
            if fpr > budget:
                continue
            recall = (crisis & gold).sum() / n_crisis
            imminent = (crisis & gold & (gsev == 3) & (sev >= 2)).sum() / n_imm
            hit = crisis & gold
            within = (np.abs(sev - gsev) <= 1)[hit].mean() if hit.any() else 0.0
            key = (recall + imminent, -fpr, within, add, severe, cue, r3, r2)
            if best is None or key > best[0]:
                policy = CombinePolicy(
                    add=add, add_with_cue=cue, add_severe=severe, raise_to_2=r2, raise_to_3=r3
                )
                best = (key, policy)
    assert best is not None  # thresholds of 1.01 never add, so the rules' own FPR always fits
    policy = best[1]
    preds = [
        combine(r, s, benign=b, policy=policy)
        for r, s, b in zip(rules, results, benign, strict=True)
    ]
    return policy, metrics(items, preds)


def embed(texts: list[str], cache: Path | None) -> np.ndarray:
    """Embeddings of ``texts``, reusing ``cache`` when it holds exactly these texts."""
    if cache is not None and cache.exists():
        stored = np.load(cache, allow_pickle=False)
        if list(stored["texts"]) == texts:
            return stored["x"].astype(np.float64)
    x = Encoder().encode(texts).astype(np.float64)
    if cache is not None:
        np.savez(cache, texts=np.array(texts), x=x.astype(np.float32))
    return x


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=list(DEFAULT_DATA))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fpr-slack", type=float, default=0.02)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cache", type=Path, help="reuse embeddings stored in this .npz")
    parser.add_argument(
        "--keep-policy",
        action="store_true",
        help="reuse the policy stored in --out instead of tuning it again (tuning is only"
        " fair while the rules have not been fitted to the same training files)",
    )
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
    x = embed([prepare_text(i.text) for i in items], args.cache)
    embed_s = time.perf_counter() - start
    gold = np.array([i.label == "crisis" for i in items], dtype=int)

    detector = default_detector()
    rules = [detector.assess(i.text) for i in items]
    benign = [
        benign_context(i.text, detector) if r.category is Category.NONE else ()
        for i, r in zip(items, rules, strict=True)
    ]
    # Where the semantic layer can add a crisis at all.
    open_ = np.array(
        [r.category is Category.NONE and not b for r, b in zip(rules, benign, strict=True)]
    )

    class_cv = {c: oof_classes(x, y, c, args.seed) for c in C_GRID}
    class_loss = {str(c): round(log_loss(p, y), 4) for c, p in class_cv.items()}
    best_c = min(C_GRID, key=lambda c: (class_loss[str(c)], c))
    svm_cv = {cg: oof_crisis(x, y, gold, *cg, args.seed) for cg in SVM_GRID}
    svm_auc = {
        f"C={c},gamma={g}": round(auc(d[open_], gold[open_]), 4) for (c, g), d in svm_cv.items()
    }
    best_svm = max(SVM_GRID, key=lambda cg: (svm_auc[f"C={cg[0]},gamma={cg[1]}"], -cg[0], -cg[1]))
    platt = fit_platt(svm_cv[best_svm], gold)
    crisis_oof = sigmoid(platt[0] * svm_cv[best_svm] + platt[1])
    results = results_of(crisis_oof, class_cv[best_c])
    linear_crisis = 1.0 - class_cv[best_c][:, [0, 4, 5]].sum(1)

    policy, combined = tune_policy(items, rules, benign, results, args.fpr_slack)
    if args.keep_policy and args.out.exists():
        policy = CombinePolicy.from_dict(json.loads(args.out.read_text("utf-8"))["meta"]["policy"])
        combined = metrics(
            items,
            [
                combine(r, s, benign=b, policy=policy)
                for r, s, b in zip(rules, results, benign, strict=True)
            ],
        )
    tradeoff = {
        str(slack): tune_policy(items, rules, benign, results, slack)[1]
        for slack in (0.0, 0.01, 0.02, 0.03, 0.05)
    }

    per_file: dict[str, dict[str, object]] = {}
    offset = 0
    for path in args.data:
        n = len(load_items(path))
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

    weights, bias = fit_classes(x, y, best_c, args.seed)
    svm = fit_crisis(x, gold, *best_svm)
    support = svm.support_vectors_.astype(np.float16)
    head_json: dict[str, Any] = {
        "model_id": MODEL_ID,
        "labels": list(LABELS),
        "crisis": {
            "kind": "svm_rbf+platt",
            "gamma": best_svm[1],
            "C": best_svm[0],
            "support": encode_array(support, "float16"),
            "dual": encode_array(svm.dual_coef_[0], "float32"),
            "intercept": float(svm.intercept_[0]),
            "platt": list(platt),
        },
        "classes": {
            "kind": "multinomial_logreg",
            "C": best_c,
            "weights": encode_array(weights, "float32"),
            "bias": encode_array(bias, "float32"),
        },
    }
    # The numpy runtime must reproduce scikit-learn (float16 support vectors: ~1e-3).
    head = Head.from_json(head_json)
    drift = float(np.max(np.abs(head.decision(x) - svm.decision_function(x))))
    assert drift < 0.02, f"runtime decision drifts from scikit-learn by {drift}"

    report = {
        "n": len(items),
        "class_counts": {label: int(np.sum(y == k)) for k, label in enumerate(LABELS)},
        "classes_C": best_c,
        "classes_cv_log_loss_by_C": class_loss,
        "classes_cv_accuracy": round(float(np.mean(np.argmax(class_cv[best_c], 1) == y)), 4),
        "crisis_svm": {"C": best_svm[0], "gamma": best_svm[1], "support_vectors": len(support)},
        "crisis_cv_auc_where_rules_silent_by_svm": svm_auc,
        "crisis_cv_auc_where_rules_silent_linear": round(auc(linear_crisis[open_], gold[open_]), 4),
        "crisis_cv_auc_all": round(auc(crisis_oof, gold), 4),
        "runtime_drift": round(drift, 5),
        "cv_rules": metrics(items, rules),
        "cv_combined": combined,
        "cv_tradeoff_by_fpr_slack": tradeoff,
        "cv_per_file": per_file,
        "policy": asdict(policy),
        "embed_s": round(embed_s, 1),
    }
    head_json["meta"] = {
        "trained_with": "bench/train_semantic.py",
        "seed": args.seed,
        "fpr_slack": args.fpr_slack,
        "preprocess": "bot.safety.semantic.prepare_text",
        "model_sha256": file_sha256(model_dir() / "model.safetensors"),
        "training_data": sources,
        "policy": asdict(policy),
        "cv": {
            k: report[k] for k in ("crisis_cv_auc_all", "cv_rules", "cv_combined", "cv_per_file")
        },
    }
    args.out.write_text(json.dumps(head_json, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report))
    else:
        print(json.dumps(report, indent=2))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
