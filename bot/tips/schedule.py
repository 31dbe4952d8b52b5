"""Tip-of-the-day times: a wall-clock time in the guild's IANA zone (UTC unless set)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import UserFacingError

_TIME = re.compile(r"^\s*(\d{1,2})(?::|\.|h)?(\d{2})?\s*(am|pm)?\s*$", re.IGNORECASE)


def parse_time(text: str) -> time:
    """Accept 09:00, 9:00, 9, 21.30, 9pm, 9:30am."""
    match = _TIME.match(text)
    if not match:
        raise UserFacingError(
            f"'{text[:20]}' is not a time I understand. Use HH:MM, e.g. 09:00 or 21:30."
        )
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower()
    if suffix:
        if not 1 <= hour <= 12:
            raise UserFacingError("With am/pm the hour must be 1 to 12.")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise UserFacingError("The time must be between 00:00 and 23:59.")
    return time(hour, minute)


def parse_zone(name: str | None) -> ZoneInfo:
    if not name or name.strip().upper() == "UTC":
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise UserFacingError(
            f"'{name[:40]}' is not a time zone I know. Use an IANA name such as "
            "Europe/London or America/New_York (the autocomplete lists them)."
        ) from None


def zone_names() -> list[str]:
    return sorted(available_timezones())


def next_run(at: time, zone: ZoneInfo, now: datetime) -> datetime:
    """The next UTC instant at which the local clock in ``zone`` shows ``at`` (after ``now``).

    Across a DST gap the wall time that does not exist maps forward (zoneinfo's fold=0).
    """
    local_now = now.astimezone(zone)
    candidate = datetime.combine(local_now.date(), at, tzinfo=zone)
    if candidate.astimezone(UTC) <= now:
        candidate = datetime.combine(local_now.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate.astimezone(UTC)


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
