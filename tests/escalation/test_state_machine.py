"""The escalation state machine, on its own."""

from __future__ import annotations

import pytest

from bot.errors import UserFacingError
from bot.escalation.models import Action, State
from bot.escalation.states import InvalidTransition, allowed_actions, next_state


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        (State.OPEN, Action.ACKNOWLEDGE, State.ACKNOWLEDGED),
        (State.OPEN, Action.CLAIM, State.CLAIMED),
        (State.ACKNOWLEDGED, Action.CLAIM, State.CLAIMED),
        (State.OPEN, Action.RESOLVE, State.RESOLVED),
        (State.CLAIMED, Action.RESOLVE, State.RESOLVED),
        (State.ACKNOWLEDGED, Action.FALSE_ALARM, State.FALSE_ALARM),
        (State.CLAIMED, Action.FALSE_ALARM, State.FALSE_ALARM),
    ],
)
def test_allowed_transitions(state: State, action: Action, expected: State) -> None:
    assert next_state(state, action) is expected


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (State.ACKNOWLEDGED, Action.ACKNOWLEDGE),
        (State.CLAIMED, Action.ACKNOWLEDGE),
        (State.CLAIMED, Action.CLAIM),
        (State.RESOLVED, Action.RESOLVE),
        (State.RESOLVED, Action.CLAIM),
        (State.FALSE_ALARM, Action.RESOLVE),
        (State.FALSE_ALARM, Action.ACKNOWLEDGE),
    ],
)
def test_refused_transitions_are_user_facing(state: State, action: Action) -> None:
    with pytest.raises(InvalidTransition, match="already") as info:
        next_state(state, action)
    assert isinstance(info.value, UserFacingError)


def test_terminal_states_allow_nothing() -> None:
    assert allowed_actions(State.RESOLVED) == []
    assert allowed_actions(State.FALSE_ALARM) == []
    assert set(allowed_actions(State.OPEN)) == set(Action)
    assert State.RESOLVED.terminal
    assert State.FALSE_ALARM.terminal
    assert not State.CLAIMED.terminal
