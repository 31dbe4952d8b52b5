"""The crisis detector's public API: Assessment, reasons, allow/deny lists, resources."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from importlib import resources

import pytest

from bot.safety import crisis
from bot.safety.crisis import Assessment, Category, CrisisDetector, assess


def test_assessment_is_frozen_and_is_crisis() -> None:
    result = Assessment(Category.SELF_RISK, 2, ("x",))
    assert result.is_crisis
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.severity = 0  # type: ignore[misc]
    assert not Assessment(Category.SELF_RISK, 0).is_crisis
    assert not Assessment(Category.HARASSMENT).is_crisis
    assert not Assessment(Category.CONCERN_FOR_OTHER, 0, (), urgency=3).is_crisis


def test_category_values_are_strings() -> None:
    assert {c.value for c in Category} == {"self_risk", "concern_for_other", "harassment", "none"}


def test_reasons_name_rule_and_short_span() -> None:
    result = assess("i just took 20 of my sleeping pills")
    assert result.severity == 3
    assert any(r.startswith("imminent.overdose_taken: '") for r in result.reasons)
    for reason in result.reasons:
        quoted = re.findall(r"'([^']*)'", reason)
        assert all(len(q) <= 40 for q in quoted)


def test_long_span_is_truncated() -> None:
    text = "i have thoughts of killing myself " + "really " * 30
    for reason in assess(text).reasons:
        assert all(len(q) <= 40 for q in re.findall(r"'([^']*)'", reason))


def test_combo_reason_lists_both_signals() -> None:
    result = assess("giving away all my stuff, i wont need it anymore")
    assert result.severity == 3
    assert any(r.startswith("combo giving+final:") for r in result.reasons)


def test_concern_for_other_carries_urgency_not_severity() -> None:
    result = assess("my friend posted a goodbye message and stopped replying")
    assert result.category is Category.CONCERN_FOR_OTHER
    assert result.severity == 0
    assert result.urgency == 3


def test_self_risk_wins_over_harassment_in_same_message() -> None:
    result = assess("kys lol. actually i want to kill myself")
    assert result.category is Category.SELF_RISK


def test_allow_list_silences_a_phrase() -> None:
    text = "i want to disappear (its our server's catchphrase)"
    assert assess(text).is_crisis
    result = assess(text, allow=["I want to disappear"])
    assert result.category is Category.NONE


def test_allow_list_does_not_hide_other_risk() -> None:
    result = assess("i want to disappear. i took 30 pills", allow=["i want to disappear"])
    assert result.severity == 3


def test_deny_list_adds_concern() -> None:
    assert assess("feeling very purple today").category is Category.NONE
    result = assess("feeling very purple today", deny=["very purple"])
    assert result.category is Category.SELF_RISK
    assert result.severity == 1
    assert result.reasons == ("guild.deny: 'very purple'",)


def test_deny_phrase_matches_whole_words_only() -> None:
    assert assess("purpleness", deny=["purple"]).category is Category.NONE


def test_default_detector_is_built_once() -> None:
    assert crisis.default_detector() is crisis.default_detector()


def test_module_has_no_discord_import() -> None:
    source = (resources.files("bot") / "safety" / "crisis.py").read_text(encoding="utf-8")
    assert "discord" not in source.split('"""', 2)[2]


def _rule_patterns() -> list[tuple[str, str]]:
    out = []
    for name in crisis.RESOURCE_FILES:
        data = tomllib.loads(
            (resources.files("resources") / "crisis" / name).read_text(encoding="utf-8")
        )
        for group in data.get("group", []):
            for rule in group["rule"]:
                out.extend((rule["id"], p) for p in rule["patterns"])
    return out


@pytest.mark.parametrize(("rule_id", "pattern"), _rule_patterns())
def test_patterns_have_no_capturing_groups_or_nested_unbounded_repeats(
    rule_id: str, pattern: str
) -> None:
    detector = crisis.default_detector()
    compiled = re.compile(detector._prepare(pattern))
    assert compiled.groups == 0, rule_id
    # An unbounded repeat inside another repeat risks catastrophic backtracking.
    assert not re.search(r"\((?:[^()]|\([^()]*\))*[+*]\)[+*{]", pattern), rule_id


def test_rule_ids_are_unique_per_file() -> None:
    for name in crisis.RESOURCE_FILES:
        data = tomllib.loads(
            (resources.files("resources") / "crisis" / name).read_text(encoding="utf-8")
        )
        ids = [r["id"] for g in data.get("group", []) for r in g["rule"]]
        assert len(ids) == len(set(ids)), name


def test_detector_can_be_built_from_a_subset() -> None:
    detector = CrisisDetector(files=("context.toml", "self_risk.toml"))
    assert detector.assess("i want to kill myself").is_crisis
    assert detector.assess("kys").category is Category.NONE  # harassment rules not loaded


def test_literal_prefix_and_class_expansion_dispatch() -> None:
    assert crisis._literal_prefix("took (?:x)") == "took"
    assert crisis._literal_prefix("ki?ll") == "k"
    assert crisis._alternatives("[5-7] pills") == ["5 pills", "6 pills", "7 pills"]
    # Patterns starting with a digit class are dispatched by prefix, not tried everywhere;
    # only the start-of-message group has to be tried at every candidate.
    detector = crisis.default_detector()
    anywhere = {g.id for g in detector.groups if g.kind != "mask" and g.anywhere}
    assert anywhere <= {"opening_place"}


def test_other_side_combo_never_raises_the_writer() -> None:
    # A lone warning sign raises concern for someone else, never self-risk.
    assert assess("my cousin keeps saying hes ready to go").category is (Category.CONCERN_FOR_OTHER)
    assert assess("im ready to go").category is Category.NONE
