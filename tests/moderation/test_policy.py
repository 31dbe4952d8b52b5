"""The pure moderation policy: thresholds, profiles, the ladder, strikes, exemptions, crisis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.moderation.policy import (
    DEFAULT_THRESHOLDS,
    LABELS,
    STRICT_THRESHOLDS,
    Action,
    MessageFacts,
    ModerationSettings,
    Profile,
    Reason,
    decide,
    precheck,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GUILD, CHANNEL, THREAD_PARENT, CATEGORY = 1, 10, 11, 12
MOD_ROLE, MEMBER_ROLE = 500, 501
CLEAN = dict.fromkeys(LABELS, 0.01)


def facts(**changes: object) -> MessageFacts:
    values: dict[str, object] = {
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "message_id": 99,
        "author_id": 7,
        "author_role_ids": frozenset({MEMBER_ROLE}),
    }
    values.update(changes)
    return MessageFacts(**values)  # type: ignore[arg-type]


def scores(**values: float) -> dict[str, float]:
    return {**CLEAN, **values}


def settings(**changes: object) -> ModerationSettings:
    return ModerationSettings(guild_id=GUILD, **changes)  # type: ignore[arg-type]


def minutes_ago(*values: int) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in values]


# -- thresholds --------------------------------------------------------------------------------


def test_clean_message_is_left_alone() -> None:
    decision = decide(settings(), facts(), scores(), now=NOW)
    assert decision.action is Action.NONE
    assert decision.reason is Reason.BELOW_THRESHOLD
    assert not decision.strike


@pytest.mark.parametrize("label", sorted(DEFAULT_THRESHOLDS))
def test_each_label_flags_at_its_own_threshold(label: str) -> None:
    limit = DEFAULT_THRESHOLDS[label]
    below = decide(settings(), facts(), scores(**{label: limit - 0.01}), now=NOW)
    at = decide(settings(), facts(), scores(**{label: limit}), now=NOW)
    assert below.action is Action.NONE
    assert at.action is Action.LOG
    assert at.labels == (label,)
    assert at.hits[0].threshold == limit


def test_guild_override_changes_one_label_only() -> None:
    custom = settings(threshold_overrides={"insult": 0.5})
    assert decide(custom, facts(), scores(insult=0.6), now=NOW).labels == ("insult",)
    assert decide(settings(), facts(), scores(insult=0.6), now=NOW).action is Action.NONE
    # toxicity keeps its default
    assert decide(custom, facts(), scores(toxicity=0.8), now=NOW).action is Action.NONE


def test_label_switched_off_never_flags() -> None:
    custom = settings(threshold_overrides={"obscene": None})
    assert decide(custom, facts(), scores(obscene=1.0), now=NOW).action is Action.NONE


def test_hits_are_ordered_by_how_far_over_the_threshold() -> None:
    decision = decide(settings(), facts(), scores(insult=0.86, threat=0.99), now=NOW)
    assert decision.labels == ("threat", "insult")


def test_labels_the_policy_does_not_know_are_ignored() -> None:
    # the unbiased models also score identity mentions; those are not abuse
    decision = decide(
        settings(), facts(), {**CLEAN, "psychiatric_or_mental_illness": 0.99}, now=NOW
    )
    assert decision.action is Action.NONE
    assert "psychiatric_or_mental_illness" not in decision.scores


def test_unscored_message_is_not_actioned() -> None:
    decision = decide(settings(action=Action.TIMEOUT), facts(), None, now=NOW)
    assert decision.action is Action.NONE
    assert decision.reason is Reason.NOT_SCORED


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, "high"])
def test_bad_threshold_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="threshold for insult"):
        settings(threshold_overrides={"insult": bad})


def test_unknown_label_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown label"):
        settings(strict_overrides={"rudeness": 0.5})


def test_cap_cannot_be_none() -> None:
    with pytest.raises(ValueError, match="log, hide, timeout"):
        settings(action="none")


# -- the ladder --------------------------------------------------------------------------------


def test_default_is_log_only_even_for_repeat_offenders() -> None:
    decision = decide(
        settings(), facts(), scores(toxicity=0.99), now=NOW, strike_times=minutes_ago(1, 2, 3, 4)
    )
    assert decision.action is Action.LOG
    assert decision.log
    assert not decision.hide
    assert not decision.timeout
    assert decision.strike
    assert decision.strikes_in_window == 5


def test_hide_rung_hides_and_logs() -> None:
    decision = decide(settings(action="hide"), facts(), scores(insult=0.95), now=NOW)
    assert decision.action is Action.HIDE
    assert decision.log
    assert decision.hide
    assert not decision.timeout
    assert decision.timeout_minutes is None


def test_timeout_rung_hides_until_the_strike_limit() -> None:
    ladder = settings(action="timeout", strike_limit=3, timeout_minutes=30)
    first = decide(ladder, facts(), scores(insult=0.95), now=NOW)
    second = decide(ladder, facts(), scores(insult=0.95), now=NOW, strike_times=minutes_ago(5))
    third = decide(ladder, facts(), scores(insult=0.95), now=NOW, strike_times=minutes_ago(5, 10))
    assert [d.action for d in (first, second, third)] == [Action.HIDE, Action.HIDE, Action.TIMEOUT]
    assert [d.strikes_in_window for d in (first, second, third)] == [1, 2, 3]
    assert third.hide
    assert third.log
    assert third.timeout_minutes == 30


def test_strikes_outside_the_window_do_not_count() -> None:
    ladder = settings(action="timeout", strike_limit=2, strike_window_minutes=60)
    old = decide(ladder, facts(), scores(threat=0.9), now=NOW, strike_times=minutes_ago(61, 120))
    recent = decide(ladder, facts(), scores(threat=0.9), now=NOW, strike_times=minutes_ago(59))
    assert old.action is Action.HIDE
    assert old.strikes_in_window == 1
    assert recent.action is Action.TIMEOUT


def test_strike_limit_of_one_times_out_at_once() -> None:
    decision = decide(
        settings(action="timeout", strike_limit=1), facts(), scores(threat=0.9), now=NOW
    )
    assert decision.action is Action.TIMEOUT


# -- profiles -----------------------------------------------------------------------------------


def test_vent_context_uses_the_strict_thresholds() -> None:
    text_scores = scores(insult=0.7)  # between strict (0.55) and normal (0.85)
    normal = decide(settings(), facts(), text_scores, now=NOW)
    strict = decide(settings(), facts(vent_context=True), text_scores, now=NOW)
    assert normal.action is Action.NONE
    assert normal.profile is Profile.NORMAL
    assert strict.action is Action.LOG
    assert strict.profile is Profile.STRICT
    assert strict.hits[0].threshold == STRICT_THRESHOLDS["insult"]


def test_strict_profile_has_its_own_cap_and_overrides() -> None:
    guild = settings(strict_action="hide", strict_overrides={"toxicity": 0.4})
    vent_reply = decide(guild, facts(vent_context=True), scores(toxicity=0.45), now=NOW)
    elsewhere = decide(guild, facts(), scores(toxicity=0.95), now=NOW)
    assert vent_reply.action is Action.HIDE
    assert elsewhere.action is Action.LOG


def test_every_strict_threshold_is_at_most_the_normal_one() -> None:
    for label, limit in STRICT_THRESHOLDS.items():
        assert limit <= DEFAULT_THRESHOLDS[label]


# -- exemptions, crisis, disabled ------------------------------------------------------------


def test_exempt_role_is_never_actioned() -> None:
    guild = settings(action="timeout", strike_limit=1, exempt_role_ids={MOD_ROLE})
    author = facts(author_role_ids=frozenset({MEMBER_ROLE, MOD_ROLE}))
    decision = decide(guild, author, scores(severe_toxicity=1.0, threat=1.0), now=NOW)
    assert decision.action is Action.NONE
    assert decision.reason is Reason.EXEMPT_ROLE
    assert not decision.strike
    assert precheck(guild, author) == decision


def test_moderator_permission_is_exempt_without_a_role_list() -> None:
    decision = decide(settings(), facts(author_is_moderator=True), scores(toxicity=1), now=NOW)
    assert decision.reason is Reason.EXEMPT_ROLE


@pytest.mark.parametrize(
    "where",
    [
        {"channel_id": CHANNEL},
        {"channel_id": 77, "parent_ids": frozenset({THREAD_PARENT})},
        {"channel_id": 78, "parent_ids": frozenset({CATEGORY})},
    ],
)
def test_exempt_channel_thread_or_category_is_never_actioned(where: dict[str, object]) -> None:
    guild = settings(action="hide", exempt_channel_ids={CHANNEL, THREAD_PARENT, CATEGORY})
    decision = decide(guild, facts(**where), scores(toxicity=1.0), now=NOW)
    assert decision.action is Action.NONE
    assert decision.reason is Reason.EXEMPT_CHANNEL


def test_other_channels_are_still_moderated_when_some_are_exempt() -> None:
    guild = settings(exempt_channel_ids={CATEGORY})
    decision = decide(
        guild, facts(parent_ids=frozenset({THREAD_PARENT})), scores(toxicity=1), now=NOW
    )
    assert decision.action is Action.LOG


def test_crisis_wins_over_toxicity() -> None:
    """'I hate myself, I'm worthless garbage' scores toxic; it is a person in pain."""
    guild = settings(action="timeout", strike_limit=1, strict_action="timeout")
    for vent in (False, True):
        decision = decide(
            guild,
            facts(crisis_category="self_risk", vent_context=vent),
            scores(toxicity=0.99, insult=0.99, severe_toxicity=0.9),
            now=NOW,
            strike_times=minutes_ago(1, 2),
        )
        assert decision.action is Action.NONE
        assert decision.reason is Reason.CRISIS
        assert not decision.strike
    assert precheck(guild, facts(crisis_category="self_risk")) is not None


def test_concern_for_a_friend_is_moderated_normally() -> None:
    decision = decide(
        settings(), facts(crisis_category="concern_for_other"), scores(toxicity=0.95), now=NOW
    )
    assert decision.action is Action.LOG


def test_harassment_from_the_crisis_detector_is_flagged_without_the_model() -> None:
    decision = decide(settings(action="hide"), facts(crisis_category="harassment"), None, now=NOW)
    assert decision.action is Action.HIDE
    assert decision.labels == ("harassment",)
    assert decision.strike


def test_disabled_guild_is_never_actioned() -> None:
    decision = decide(settings(enabled=False), facts(), scores(threat=1.0), now=NOW)
    assert decision.action is Action.NONE
    assert decision.reason is Reason.DISABLED


def test_precheck_lets_ordinary_messages_through_to_scoring() -> None:
    assert precheck(settings(), facts()) is None
    assert precheck(settings(), facts(vent_context=True)) is None


@pytest.mark.parametrize(
    "bad", [{"strike_limit": 0}, {"timeout_minutes": 0}, {"timeout_minutes": 40_321}]
)
def test_bad_ladder_numbers_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        settings(**bad)


# -- properties -------------------------------------------------------------------------------

label_scores = st.fixed_dictionaries({label: st.floats(0, 1) for label in LABELS})


@given(
    label_scores,
    st.sampled_from(["log", "hide", "timeout"]),
    st.booleans(),
    st.lists(st.integers(0, 3000), max_size=6),
)
def test_decision_never_exceeds_the_guild_cap_and_only_acts_over_a_threshold(
    values: dict[str, float], cap: str, vent: bool, ages: list[int]
) -> None:
    guild = settings(action=cap, strict_action=cap)
    decision = decide(
        guild, facts(vent_context=vent), values, now=NOW, strike_times=minutes_ago(*ages)
    )
    assert decision.action.rank <= Action(cap).rank
    limits = guild.thresholds(Profile.STRICT if vent else Profile.NORMAL)
    over = any(values[label] >= limit for label, limit in limits.items())
    assert (decision.action is not Action.NONE) == over
    assert decision.strike == over
