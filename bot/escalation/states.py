"""The escalation state machine: open → acknowledged → claimed → resolved / false_alarm."""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.escalation.models import Action, State

# action → (states it may start from, state it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[State], State]] = {
    Action.ACKNOWLEDGE: (frozenset({State.OPEN}), State.ACKNOWLEDGED),
    Action.CLAIM: (frozenset({State.OPEN, State.ACKNOWLEDGED}), State.CLAIMED),
    Action.RESOLVE: (
        frozenset({State.OPEN, State.ACKNOWLEDGED, State.CLAIMED}),
        State.RESOLVED,
    ),
    Action.FALSE_ALARM: (
        frozenset({State.OPEN, State.ACKNOWLEDGED, State.CLAIMED}),
        State.FALSE_ALARM,
    ),
}

_DONE_WORDS = {
    State.ACKNOWLEDGED: "already acknowledged",
    State.CLAIMED: "already claimed",
    State.RESOLVED: "already resolved",
    State.FALSE_ALARM: "already marked as a false alarm",
}


class InvalidTransition(UserFacingError):
    """The escalation is not in a state that allows this action (shown to the moderator)."""


def next_state(current: State, action: Action) -> State:
    """The state ``action`` leads to from ``current``; raises ``InvalidTransition``."""
    sources, target = TRANSITIONS[action]
    if current not in sources:
        words = _DONE_WORDS.get(current, f"in state {current}")
        raise InvalidTransition(f"This escalation is {words}, so it can't be {_verb(action)}.")
    return target


def allowed_actions(current: State) -> list[Action]:
    return [action for action, (sources, _) in TRANSITIONS.items() if current in sources]


def _verb(action: Action) -> str:
    return {
        Action.ACKNOWLEDGE: "acknowledged",
        Action.CLAIM: "claimed",
        Action.RESOLVE: "resolved",
        Action.FALSE_ALARM: "marked as a false alarm",
    }[action]
