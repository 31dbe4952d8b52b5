"""run_eval / run_scan: output format, JSON keys and clean failures."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.safety.evaluation import run_eval, run_scan

KEYS = {
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
}


@pytest.fixture
def small_set(tmp_path: Path) -> Path:
    rows = [
        {"text": "i took 20 pills", "label": "crisis", "severity": 3, "note": "overdose"},
        {"text": "i want to die", "label": "crisis", "severity": 1, "note": "passive"},
        {"text": "this exam is killing me", "label": "none", "severity": 0, "note": "idiom"},
        {"text": "kys", "label": "none", "severity": 0, "note": "ABUSE toward others"},
        {"text": "my friend wants to die", "label": "none", "severity": 0, "note": "THIRD-PERSON"},
        {"text": "i feel great today", "label": "crisis", "severity": 1, "note": "planted miss"},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_json_output_has_the_keys(small_set: Path) -> None:
    out = io.StringIO()
    assert run_eval(small_set, as_json=True, out=out) == 0
    result = json.loads(out.getvalue())
    assert result.keys() >= KEYS
    assert result["n"] == 6
    assert result["crisis_recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert result["false_positive_rate"] == 0.0
    assert result["imminent_recall"] == 1.0
    assert result["harassment_recall"] == 1.0
    assert result["other_concern_recall"] == 1.0
    assert result["us_per_message"] > 0
    assert [m["line"] for m in result["misses"]] == [6]


def test_text_report_lists_misses_with_reasons(small_set: Path) -> None:
    out = io.StringIO()
    assert run_eval(small_set, as_json=False, out=out) == 0
    report = out.getvalue()
    assert "crisis_recall" in report
    assert "Missed crises: 1" in report
    assert "line 6: 'i feel great today'" in report
    assert "reasons: no rule matched" in report
    assert "False alarms: 0" in report


def test_missing_file_exits_2(tmp_path: Path) -> None:
    err = io.StringIO()
    assert run_eval(tmp_path / "nope.jsonl", as_json=True, out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith("error: cannot read")
    assert "Traceback" not in err.getvalue()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: invalid JSON"),
        ('["a list"]', "line 2: expected a JSON object"),
        ('{"text": "x", "label": "maybe", "severity": 0}', 'line 2: "label"'),
        ('{"text": "x", "label": "none", "severity": 7}', 'line 2: "severity"'),
        ('{"label": "none", "severity": 0}', 'line 2: "text"'),
    ],
)
def test_bad_line_names_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"text": "ok", "label": "none", "severity": 0, "note": ""})
    path.write_text(f"{good}\n{line}\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run_eval(path, as_json=True, out=out, err=err) == 2
    assert message in err.getvalue()
    assert out.getvalue() == ""


def test_empty_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    err = io.StringIO()
    assert run_eval(path, as_json=False, out=io.StringIO(), err=err) == 2
    assert "no items" in err.getvalue()


def test_scan_prints_assessment_and_reasons() -> None:
    out = io.StringIO()
    assert run_scan("i took 20 pills tonight", out=out) == 0
    text = out.getvalue()
    assert "category: self_risk" in text
    assert "severity: 3" in text
    assert "crisis: yes" in text
    assert "imminent.overdose_taken: 'took 20 pills'" in text


def test_scan_benign() -> None:
    out = io.StringIO()
    assert run_scan("this exam is killing me", out=out) == 0
    assert "category: none" in out.getvalue()
    assert "reasons: none" in out.getvalue()


def test_scan_concern_shows_urgency() -> None:
    out = io.StringIO()
    run_scan("my friend said goodbye and wont answer", out=out)
    assert "category: concern_for_other" in out.getvalue()
    assert "urgency: 3" in out.getvalue()


@pytest.fixture
def no_semantic_head(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.safety.semantic as semantic

    def missing(path: Path | None = None) -> semantic.Head:
        raise semantic.SemanticUnavailableError("cannot read the semantic head: gone")

    monkeypatch.setattr(semantic, "load_head", missing)


def test_auto_falls_back_to_the_rules_like_the_bot(small_set: Path, no_semantic_head: None) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_eval(small_set, as_json=True, out=out, err=err, semantic="auto") == 0
    result = json.loads(out.getvalue())
    assert result["crisis_recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert "semantic_added" not in result
    assert "measuring the rules alone" in err.getvalue()
    assert "gone" in err.getvalue()


def test_required_semantic_layer_that_cannot_load_exits_2(
    small_set: Path, no_semantic_head: None
) -> None:
    err = io.StringIO()
    assert run_eval(small_set, as_json=True, out=io.StringIO(), err=err, semantic="required") == 2
    assert err.getvalue().startswith("error: cannot read the semantic head")
    assert run_scan("i took 20 pills", out=io.StringIO(), err=err, semantic="required") == 2


def test_json_says_which_detector_was_measured(small_set: Path) -> None:
    out = io.StringIO()
    assert run_eval(small_set, as_json=True, out=out, semantic="off") == 0
    assert json.loads(out.getvalue())["detector"] == "rules"
