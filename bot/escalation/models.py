"""Plain values the escalation service hands to cogs (no discord)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    FALSE_ALARM = "false_alarm"

    @property
    def terminal(self) -> bool:
        return self in (State.RESOLVED, State.FALSE_ALARM)


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    CLAIM = "claim"
    RESOLVE = "resolve"
    FALSE_ALARM = "false_alarm"


class Step(StrEnum):
    """Delivery steps whose outcome is recorded (absence of a record = not sent yet)."""

    DM = "dm"  # the person (or the worried writer) got the resources DM
    ALERT = "alert"  # the moderator alert was posted
    REPING = "reping"  # an unacknowledged alert was re-posted with a ping
    BACKUP = "backup"  # severity 3 unacknowledged: sent to the backup channel/role
    PAGE = "page"  # the person pressed "Talk to a moderator"
    PING = "ping"  # a merged message raised the severity into ping territory


class DeliveryStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"


class Category(StrEnum):
    """Escalation categories (a subset of the detector's: harassment is never escalated)."""

    SELF_RISK = "self_risk"
    CONCERN_FOR_OTHER = "concern_for_other"


class ReportDecision(StrEnum):
    ALLOWED = "allowed"
    REPORTER_COOLDOWN = "reporter_cooldown"  # same reporter, same person, too soon
    REPORTER_DAILY = "reporter_daily"  # this reporter hit the daily limit
    TARGET_LIMIT = "target_limit"  # this person was reported enough times today
    NOT_ALLOWED = "not_allowed"  # e.g. reporting a bot


SEVERITY_WORDS = {1: "Concern", 2: "Urgent", 3: "Imminent risk"}


@dataclass(frozen=True, slots=True)
class Escalation:
    id: int
    guild_id: int
    channel_id: int | None
    message_id: int | None
    user_id: int | None
    pseudonym: str | None
    source: str
    source_ref: str | None
    category: Category
    severity: int
    reasons: tuple[str, ...]
    excerpt: str | None
    reporter_id: int | None
    state: State
    message_count: int
    dm_wanted: bool
    created_at: int
    last_seen_at: int
    acknowledged_at: int | None = None
    acknowledged_by: int | None = None
    claimed_at: int | None = None
    claimed_by: int | None = None
    closed_at: int | None = None
    closed_by: int | None = None
    close_note: str | None = None
    last_pinged_at: int | None = None

    @property
    def pings(self) -> bool:
        """Severity 2-3 self-risk pings the moderator role; everything else is queue-only."""
        return self.category == Category.SELF_RISK and self.severity >= 2

    @property
    def pseudonymous(self) -> bool:
        return self.pseudonym is not None

    @property
    def severity_words(self) -> str:
        return SEVERITY_WORDS.get(self.severity, str(self.severity))


@dataclass(frozen=True, slots=True)
class OpenResult:
    """What ``open_or_merge`` did; the cog sends what the flags say."""

    escalation: Escalation
    created: bool
    previous_severity: int | None = None  # set when merged
    send_dm: bool = False  # reach the person now
    post_alert: bool = False  # first moderator alert
    ping_now: bool = False  # a merge raised the severity into ping territory
    claimed: frozenset[Step] = frozenset()  # steps reserved for the caller (release after)

    @property
    def merged(self) -> bool:
        return not self.created


@dataclass(frozen=True, slots=True)
class AuditEntry:
    escalation_id: int
    actor_id: int | None
    action: str
    from_state: str | None
    to_state: str
    note: str | None
    at: int


@dataclass(frozen=True, slots=True)
class Delivery:
    escalation_id: int
    step: Step
    status: DeliveryStatus
    channel_id: int | None
    message_id: int | None
    detail: str | None
    at: int


@dataclass(frozen=True, slots=True)
class Transition:
    escalation: Escalation
    previous: State
    action: Action


@dataclass(frozen=True, slots=True)
class GuildEscalationConfig:
    reping_minutes: int
    backup_channel_id: int | None = None
    backup_role_id: int | None = None


@dataclass(frozen=True, slots=True)
class RepingDue:
    escalation: Escalation
    config: GuildEscalationConfig
    previous_ping_at: int  # compare-and-set value for claiming the re-ping
    send_backup: bool


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    escalation: Escalation
    step: Step


@dataclass(frozen=True, slots=True)
class Stats:
    days: int
    total: int
    by_severity: dict[int, int] = field(default_factory=dict)
    open_now: int = 0
    false_alarms: int = 0
    median_ack_seconds: float | None = None
    median_close_seconds: float | None = None
    acknowledged: int = 0
    closed: int = 0


@dataclass(frozen=True, slots=True)
class FalseAlarmReasons:
    reason: str
    count: int
