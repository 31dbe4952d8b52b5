"""Daily mood check-ins: schedule maths, storage, the tick, mood log and chart (no discord)."""

from bot.checkins.service import CheckinService

__all__ = ["CheckinService"]
