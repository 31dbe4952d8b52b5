"""Crisis escalation records and their state machine (no discord imports)."""

from bot.escalation.models import (
    Action,
    Category,
    DeliveryStatus,
    Escalation,
    OpenResult,
    ReportDecision,
    State,
    Step,
)
from bot.escalation.service import EscalationService, Route, TextOutcome, make_excerpt, route
from bot.escalation.states import InvalidTransition, next_state

__all__ = [
    "Action",
    "Category",
    "DeliveryStatus",
    "Escalation",
    "EscalationService",
    "InvalidTransition",
    "OpenResult",
    "ReportDecision",
    "Route",
    "State",
    "Step",
    "TextOutcome",
    "make_excerpt",
    "next_state",
    "route",
]
