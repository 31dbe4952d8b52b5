"""Toxicity auto-moderation: pure policy, its storage, and the one-call service for the cog."""

from bot.moderation.policy import (
    Action,
    Decision,
    LabelHit,
    MessageFacts,
    ModerationSettings,
    Profile,
    Reason,
    decide,
    precheck,
)
from bot.moderation.repository import LogEntry, ModerationRepository
from bot.moderation.service import ModerationService, Outcome

__all__ = [
    "Action",
    "Decision",
    "LabelHit",
    "LogEntry",
    "MessageFacts",
    "ModerationRepository",
    "ModerationService",
    "ModerationSettings",
    "Outcome",
    "Profile",
    "Reason",
    "decide",
    "precheck",
]
