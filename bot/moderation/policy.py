"""Pure moderation decisions: per-label thresholds, two profiles, and the action ladder.

No I/O here: every input is a plain value (settings, facts about the message, scores, the
times of the author's recent strikes, now) and the output is a ``Decision``.

The ladder, per profile, capped by what the guild has switched on:
  log      a flagged message is posted to the moderation log channel (the default);
  hide     … and deleted, with a private note to the author saying why and how to appeal;
  timeout  … and, when the author has ``strike_limit`` strikes within the window
           (this message included), timed out for ``timeout_minutes``.
Every flagged message is a strike, whatever the cap, so repeat offenders show up in the log
and raising the cap later counts what already happened. A dismissed entry voids its strike.

Crisis wins: a message the crisis detector reads as ``self_risk`` is never actioned for
toxicity (self-directed despair is not abuse); the crisis path handles it. ``harassment``
from the crisis detector ("kys") is flagged even when the model missed it or is not loaded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

# Detoxify's label names across its models; "sexual_explicit" only in the unbiased ones.
LABELS: tuple[str, ...] = (
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
    "sexual_explicit",
)
HARASSMENT_LABEL = "harassment"  # a crisis-detector category, not a model label
SELF_RISK = "self_risk"
MAX_TIMEOUT_MINUTES = 28 * 24 * 60  # Discord's limit for a member timeout

# Conservative: a support community swears while venting, so obscenity alone needs near
# certainty, while threats and identity attacks need less evidence.
DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        "toxicity": 0.90,
        "severe_toxicity": 0.50,
        "obscene": 0.97,
        "threat": 0.60,
        "insult": 0.85,
        "identity_attack": 0.60,
        "sexual_explicit": 0.85,
    }
)
# Vent threads and replies to vents: the people there are at their most fragile.
STRICT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        "toxicity": 0.60,
        "severe_toxicity": 0.30,
        "obscene": 0.85,
        "threat": 0.35,
        "insult": 0.55,
        "identity_attack": 0.40,
        "sexual_explicit": 0.60,
    }
)


class Action(StrEnum):
    """Rungs of the ladder; each includes the ones below it (timeout also hides and logs)."""

    NONE = "none"
    LOG = "log"
    HIDE = "hide"
    TIMEOUT = "timeout"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Action.NONE: 0, Action.LOG: 1, Action.HIDE: 2, Action.TIMEOUT: 3}
CAPS = (Action.LOG, Action.HIDE, Action.TIMEOUT)  # what a guild may choose as its strongest


class Profile(StrEnum):
    NORMAL = "normal"
    STRICT = "strict"


class Reason(StrEnum):
    DISABLED = "disabled"
    EXEMPT_ROLE = "exempt_role"
    EXEMPT_CHANNEL = "exempt_channel"
    CRISIS = "crisis"  # self_risk: the crisis path owns this message
    NOT_SCORED = "not_scored"  # model not ready, queue overflow, failed batch
    BELOW_THRESHOLD = "below_threshold"
    FLAGGED = "flagged"


def _thresholds(
    values: Mapping[str, float | None], defaults: Mapping[str, float]
) -> dict[str, float]:
    merged: dict[str, float] = dict(defaults)
    for label, value in values.items():
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r}; known labels: {', '.join(LABELS)}")
        if value is None:
            merged.pop(label, None)  # None switches a label off
            continue
        if not (isinstance(value, int | float) and 0.0 < float(value) <= 1.0):
            raise ValueError(f"threshold for {label} must be above 0 and at most 1, got {value!r}")
        merged[label] = float(value)
    return merged


@dataclass(frozen=True, slots=True)
class ModerationSettings:
    """One guild's auto-moderation settings (stored by ``ModerationRepository``).

    ``threshold_overrides`` / ``strict_overrides`` hold only what an admin changed
    (``None`` = label switched off); ``thresholds(profile)`` merges them over the defaults.
    """

    guild_id: int
    enabled: bool = True
    log_channel_id: int | None = None
    action: Action = Action.LOG
    strict_action: Action = Action.LOG
    threshold_overrides: Mapping[str, float | None] = field(default_factory=dict)
    strict_overrides: Mapping[str, float | None] = field(default_factory=dict)
    strike_limit: int = 3
    strike_window_minutes: int = 24 * 60
    timeout_minutes: int = 60
    exempt_role_ids: frozenset[int] = frozenset()
    exempt_channel_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        for name in ("action", "strict_action"):
            value = Action(getattr(self, name))
            if value not in CAPS:
                raise ValueError(f"{name} must be one of log, hide, timeout (got {value})")
            object.__setattr__(self, name, value)
        _thresholds(self.threshold_overrides, DEFAULT_THRESHOLDS)
        _thresholds(self.strict_overrides, STRICT_THRESHOLDS)
        if self.strike_limit < 1:
            raise ValueError("strike_limit must be at least 1")
        if self.strike_window_minutes < 1:
            raise ValueError("strike_window_minutes must be at least 1")
        if not 1 <= self.timeout_minutes <= MAX_TIMEOUT_MINUTES:
            raise ValueError(f"timeout_minutes must be between 1 and {MAX_TIMEOUT_MINUTES}")
        object.__setattr__(self, "exempt_role_ids", frozenset(self.exempt_role_ids))
        object.__setattr__(self, "exempt_channel_ids", frozenset(self.exempt_channel_ids))

    def thresholds(self, profile: Profile) -> dict[str, float]:
        if profile is Profile.STRICT:
            return _thresholds(self.strict_overrides, STRICT_THRESHOLDS)
        return _thresholds(self.threshold_overrides, DEFAULT_THRESHOLDS)

    def cap(self, profile: Profile) -> Action:
        return self.strict_action if profile is Profile.STRICT else self.action


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What the policy needs to know about one guild message (the cog fills it in).

    ``parent_ids``: the thread's parent channel and the category, so exempting a channel
    exempts its threads. ``vent_context``: posted in a vent thread or replying to a vent.
    ``author_is_moderator``: the cog's reading of permissions (Manage Messages or admin).
    ``crisis_category``: the crisis detector's category for this message, if assessed.
    """

    guild_id: int
    channel_id: int
    message_id: int
    author_id: int
    author_role_ids: frozenset[int] = frozenset()
    parent_ids: frozenset[int] = frozenset()
    vent_context: bool = False
    author_is_moderator: bool = False
    crisis_category: str | None = None

    @property
    def profile(self) -> Profile:
        return Profile.STRICT if self.vent_context else Profile.NORMAL


@dataclass(frozen=True, slots=True)
class LabelHit:
    label: str
    score: float
    threshold: float


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one message. ``action`` includes every rung below it."""

    action: Action
    reason: Reason
    profile: Profile
    hits: tuple[LabelHit, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    strike: bool = False
    strikes_in_window: int = 0
    timeout_minutes: int | None = None

    @property
    def log(self) -> bool:
        return self.action.rank >= Action.LOG.rank

    @property
    def hide(self) -> bool:
        return self.action.rank >= Action.HIDE.rank

    @property
    def timeout(self) -> bool:
        return self.action is Action.TIMEOUT

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(hit.label for hit in self.hits)


def precheck(settings: ModerationSettings, facts: MessageFacts) -> Decision | None:
    """A final no-action decision if this message must not be scored at all, else ``None``.

    Run it before submitting to the model: exempt and crisis messages cost no inference.
    """
    profile = facts.profile
    if not settings.enabled:
        return Decision(Action.NONE, Reason.DISABLED, profile)
    if facts.crisis_category == SELF_RISK:
        return Decision(Action.NONE, Reason.CRISIS, profile)
    if facts.author_is_moderator or facts.author_role_ids & settings.exempt_role_ids:
        return Decision(Action.NONE, Reason.EXEMPT_ROLE, profile)
    if facts.channel_id in settings.exempt_channel_ids or (
        facts.parent_ids & settings.exempt_channel_ids
    ):
        return Decision(Action.NONE, Reason.EXEMPT_CHANNEL, profile)
    return None


def decide(
    settings: ModerationSettings,
    facts: MessageFacts,
    scores: Mapping[str, float] | None,
    *,
    now: datetime,
    strike_times: Sequence[datetime] = (),
) -> Decision:
    """Decide the action for one scored (or unscored) message.

    ``strike_times``: when the author's earlier, non-voided strikes in this guild happened
    (any window; only those within ``strike_window_minutes`` before ``now`` count).
    """
    early = precheck(settings, facts)
    if early is not None:
        return early
    profile = facts.profile
    thresholds = settings.thresholds(profile)
    known = {
        label: float(value)
        for label, value in (scores or {}).items()
        if label in LABELS and isinstance(value, int | float) and math.isfinite(value)
    }
    hits = [
        LabelHit(label, known[label], limit)
        for label, limit in thresholds.items()
        if label in known and known[label] >= limit
    ]
    hits.sort(key=lambda hit: hit.score - hit.threshold, reverse=True)
    if facts.crisis_category == HARASSMENT_LABEL:
        hits.insert(0, LabelHit(HARASSMENT_LABEL, 1.0, 1.0))
    if not hits:
        reason = Reason.NOT_SCORED if scores is None else Reason.BELOW_THRESHOLD
        return Decision(Action.NONE, reason, profile, scores=known)

    window_start = now - timedelta(minutes=settings.strike_window_minutes)
    earlier = sum(1 for when in strike_times if window_start < when <= now)
    strikes = earlier + 1  # this message is a strike too
    cap = settings.cap(profile)
    if cap is Action.TIMEOUT:
        action = Action.TIMEOUT if strikes >= settings.strike_limit else Action.HIDE
    else:
        action = cap
    return Decision(
        action=action,
        reason=Reason.FLAGGED,
        profile=profile,
        hits=tuple(hits),
        scores=known,
        strike=True,
        strikes_in_window=strikes,
        timeout_minutes=settings.timeout_minutes if action is Action.TIMEOUT else None,
    )
