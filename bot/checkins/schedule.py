"""Check-in schedule maths in the person's own IANA time zone (pure functions, no I/O).

Rules, chosen so that reminders are never "an hour off after a DST change":
- A local time that does not exist on a DST day (a spring-forward gap) runs at the next
  valid minute, i.e. the moment the clocks jump (02:30 in New York on the March change
  runs at 03:00 EDT).
- A local time that happens twice (the autumn fall-back) runs once, at its first
  occurrence (``fold=0``).
- ``resume_on`` pauses prompts until that local date (prompts start again ON that date);
  ``skip_date`` skips one local date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import UserFacingError

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EVERY_DAY = frozenset(range(7))
# Bit i set = weekday i (Monday = 0), as stored in the database.
ALL_DAYS_MASK = 0b111_1111

_DAY_WORDS = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_DAY_PRESETS = {
    "every day": EVERY_DAY,
    "everyday": EVERY_DAY,
    "daily": EVERY_DAY,
    "all": EVERY_DAY,
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
}
_TIME = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)

# A gap is at most a day long (Samoa skipped 30 Dec 2011); searching past that is a bug.
_MAX_GAP = timedelta(hours=25)


@dataclass(frozen=True)
class Schedule:
    """What a person chose: a local time, a zone and weekdays (plus pause and skip)."""

    local_time: time
    tz: str
    days: frozenset[int] = EVERY_DAY
    resume_on: date | None = None
    skip_date: date | None = None

    @property
    def zone(self) -> ZoneInfo:
        return zone_for(self.tz)

    def runs_on(self, day: date) -> bool:
        """Whether a prompt belongs to local date ``day``."""
        if day.weekday() not in self.days:
            return False
        if self.resume_on is not None and day < self.resume_on:
            return False
        return day != self.skip_date


@lru_cache(maxsize=1024)
def zone_for(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserFacingError(
            f"'{name[:40]}' is not a time zone I know. Pick one from the list, "
            "for example Europe/London, America/New_York or Asia/Kolkata."
        ) from None


def is_valid_zone(name: str) -> bool:
    try:
        zone_for(name)
    except UserFacingError:
        return False
    return True


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    # Skip legacy aliases like "EST5EDT" and "Etc/GMT+3" (whose sign is inverted and confuses).
    names = sorted(
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    )
    return (*names, "UTC")


def search_zones(query: str, limit: int = 25) -> list[str]:
    """Zones matching ``query`` ("new york", "kolkata", "europe/lon"), prefix matches first."""
    needle = query.strip().lower().replace(" ", "_")
    if not needle:
        popular = [
            "Europe/London",
            "America/New_York",
            "America/Chicago",
            "America/Los_Angeles",
            "Europe/Berlin",
            "Asia/Kolkata",
            "Australia/Sydney",
            "UTC",
        ]
        return popular[:limit]
    starts: list[str] = []
    contains: list[str] = []
    for zone in all_zones():
        low = zone.lower()
        city = low.rsplit("/", 1)[-1]
        if low.startswith(needle) or city.startswith(needle):
            starts.append(zone)
        elif needle in low:
            contains.append(zone)
    return (starts + contains)[:limit]


def parse_time(text: str) -> time:
    """'09:30', '9:30', '21:05', '9am', '9:30pm' → a local time of day."""
    match = _TIME.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        suffix = (match.group(3) or "").lower()
        if suffix:
            valid = 1 <= hour <= 12
            hour = hour % 12 + (12 if suffix == "pm" else 0)
        else:
            # A bare number is ambiguous ("9": morning or evening?).
            valid = match.group(2) is not None
        if valid and 0 <= hour <= 23 and 0 <= minute <= 59:
            return time(hour, minute)
    raise UserFacingError(
        f"'{text[:20]}' is not a time I understand. Use 24-hour HH:MM, like 09:00 or 20:30."
    )


def parse_days(text: str | None) -> frozenset[int]:
    """'every day', 'weekdays', 'weekends', 'mon,wed,fri', 'mon-fri', 'sat sun' → weekdays."""
    raw = (text or "every day").strip().lower()
    if raw in _DAY_PRESETS:
        return _DAY_PRESETS[raw]
    days: set[int] = set()
    for part in re.split(r"[,\s/]+", raw):
        if not part:
            continue
        if "-" in part:
            first, _, last = part.partition("-")
            if first in _DAY_WORDS and last in _DAY_WORDS:
                start, end = _DAY_WORDS[first], _DAY_WORDS[last]
                span = (
                    range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
                )
                days.update(span)
                continue
        elif part in _DAY_WORDS:
            days.add(_DAY_WORDS[part])
            continue
        raise UserFacingError(
            f"'{part[:20]}' is not a day I understand. Try 'every day', 'weekdays', "
            "'weekends' or a list like 'mon, wed, fri'."
        )
    if not days:
        raise UserFacingError("Choose at least one day of the week.")
    return frozenset(days)


def days_to_mask(days: Iterable[int]) -> int:
    mask = 0
    for day in days:
        mask |= 1 << day
    return mask


def mask_to_days(mask: int) -> frozenset[int]:
    return frozenset(i for i in range(7) if mask & (1 << i))


def describe_days(days: frozenset[int]) -> str:
    for name, preset in (
        ("every day", EVERY_DAY),
        ("weekdays", frozenset(range(5))),
        ("weekends", frozenset({5, 6})),
    ):
        if days == preset:
            return name
    return ", ".join(DAY_NAMES[d] for d in sorted(days))


def _is_gap(naive: datetime, zone: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive


def resolve_local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of local ``day`` ``at`` in ``zone`` (gap → next valid minute,
    ambiguous → first occurrence)."""
    naive = datetime.combine(day, at)
    if not _is_gap(naive, zone):
        return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    # In a gap, fold=1 reads the time with the offset after the jump (an instant before it)
    # and fold=0 with the offset before (an instant after it); the jump lies between.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if high - low > _MAX_GAP:  # pragma: no cover - defensive
        raise ValueError("time zone gap longer than a day")

    def after_jump(instant: datetime) -> bool:
        return instant.astimezone(zone).replace(tzinfo=None) >= naive

    # Binary search, in seconds, for the first instant whose local time is >= naive.
    lo, hi = 0, int((high - low).total_seconds())
    while lo < hi:
        mid = (lo + hi) // 2
        if after_jump(low + timedelta(seconds=mid)):
            hi = mid
        else:
            lo = mid + 1
    jump = low + timedelta(seconds=lo)
    # Round up to a whole minute (real transitions already are).
    if jump.second or jump.microsecond:
        jump = jump.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return jump


def local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(zone_for(tz)).date()


def run_on(schedule: Schedule, day: date) -> datetime | None:
    """The UTC instant of the prompt belonging to local date ``day``, if there is one."""
    if not schedule.runs_on(day):
        return None
    return resolve_local(day, schedule.local_time, schedule.zone)


def next_run(schedule: Schedule, after: datetime) -> datetime | None:
    """The first prompt instant strictly after ``after`` (UTC), or None if no day is chosen."""
    if not schedule.days:
        return None
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    start = after.astimezone(schedule.zone).date() - timedelta(days=1)
    if schedule.resume_on is not None and schedule.resume_on > start:
        start = schedule.resume_on
    # A week of candidates covers every weekday; +2 covers the skipped day and a gap.
    for offset in range(9):
        day = start + timedelta(days=offset)
        run = run_on(schedule, day)
        if run is not None and run > after:
            return run
    return None  # pragma: no cover - unreachable with at least one day chosen


# A prompt found due this soon after its time is on time, even if midnight passed meanwhile.
ON_TIME_GRACE = timedelta(minutes=15)


def due_date(schedule: Schedule, scheduled: datetime | None, now: datetime) -> date | None:
    """The local date whose prompt should go out at ``now`` for a due schedule, or None.

    On time (within ``ON_TIME_GRACE`` of ``scheduled``): that run's own date. After
    downtime: only today's prompt, if today is a check-in day and its time has passed
    (it is still the person's today); older missed prompts are skipped.
    """
    if scheduled is not None and timedelta(0) <= now - scheduled <= ON_TIME_GRACE:
        day = local_date(scheduled, schedule.tz)
        if run_on(schedule, day) == scheduled:
            return day
    today = now.astimezone(schedule.zone).date()
    run = run_on(schedule, today)
    if run is not None and run <= now:
        return today
    return None


def utc_now() -> datetime:
    return datetime.now(UTC)
