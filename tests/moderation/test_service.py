"""Moderation storage and the one-call service, on a real migrated in-memory database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta

import aiosqlite
import pytest

from bot.db import apply_migrations, open_database
from bot.moderation import (
    Action,
    MessageFacts,
    ModerationRepository,
    ModerationService,
    Profile,
    Reason,
)

GUILD, CHANNEL, AUTHOR, MOD = 1, 10, 7, 900
SECRET_TEXT = "you are a worthless idiot, nobody wants you here"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RecordingScorer:
    """Stands in for ToxicityService.submit: returns fixed scores and records the texts."""

    def __init__(self, scores: Mapping[str, float] | None) -> None:
        self.scores = scores
        self.texts: list[str] = []

    async def __call__(self, text: str) -> Mapping[str, float] | None:
        self.texts.append(text)
        return self.scores


@pytest.fixture
async def db() -> AsyncIterator[aiosqlite.Connection]:
    conn = await open_database(":memory:")
    await apply_migrations(conn)
    yield conn
    await conn.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def message(message_id: int, **changes: object) -> MessageFacts:
    values: dict[str, object] = {
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "message_id": message_id,
        "author_id": AUTHOR,
    }
    values.update(changes)
    return MessageFacts(**values)  # type: ignore[arg-type]


def service_for(
    db: aiosqlite.Connection, clock: Clock, scores: Mapping[str, float] | None
) -> tuple[ModerationService, RecordingScorer]:
    scorer = RecordingScorer(scores)
    return ModerationService(ModerationRepository(db), scorer, clock=clock), scorer


async def test_defaults_when_a_guild_has_no_row(db: aiosqlite.Connection) -> None:
    repo = ModerationRepository(db)
    settings = await repo.get_settings(GUILD)
    assert settings.enabled
    assert settings.action is Action.LOG
    assert settings.strict_action is Action.LOG


async def test_settings_round_trip_and_validation(db: aiosqlite.Connection) -> None:
    repo = ModerationRepository(db)
    await repo.update_settings(
        GUILD,
        action="timeout",
        log_channel_id=55,
        threshold_overrides={"insult": 0.7, "obscene": None},
        exempt_role_ids=[3, 2],
        strike_limit=2,
    )
    fresh = await ModerationRepository(db).get_settings(GUILD)
    assert fresh.action is Action.TIMEOUT
    assert fresh.log_channel_id == 55
    assert fresh.threshold_overrides == {"insult": 0.7, "obscene": None}
    assert "obscene" not in fresh.thresholds(Profile.NORMAL)
    assert fresh.exempt_role_ids == frozenset({2, 3})
    assert fresh.strike_limit == 2

    with pytest.raises(ValueError, match="threshold for insult"):
        await repo.update_settings(GUILD, threshold_overrides={"insult": 2})
    with pytest.raises(ValueError, match="unknown moderation setting"):
        await repo.update_settings(GUILD, colour="red")
    assert (await repo.get_settings(GUILD)).threshold_overrides == {"insult": 0.7, "obscene": None}


async def test_clean_message_leaves_no_trace(db: aiosqlite.Connection, clock: Clock) -> None:
    service, scorer = service_for(db, clock, {"toxicity": 0.02})
    outcome = await service.check(message(1), "have a lovely day")
    assert outcome.decision.action is Action.NONE
    assert outcome.entry is None
    assert scorer.texts == ["have a lovely day"]
    assert await service.repository.recent(GUILD) == []


async def test_flagged_message_is_logged_with_scores_but_never_its_text(
    db: aiosqlite.Connection, clock: Clock
) -> None:
    service, _ = service_for(db, clock, {"toxicity": 0.97, "insult": 0.93})
    await service.update_settings(GUILD, log_channel_id=55)
    outcome = await service.check(message(1), SECRET_TEXT)

    assert outcome.decision.action is Action.LOG
    assert outcome.log_channel_id == 55
    entry = outcome.entry
    assert entry is not None
    assert (entry.message_id, entry.user_id, entry.status) == (1, AUTHOR, "open")
    assert entry.labels == ("insult", "toxicity")  # furthest over its threshold first
    assert entry.scores == {"toxicity": 0.97, "insult": 0.93}
    await service.attach_log_message(entry.id, 4242)
    stored = await service.repository.entry(entry.id)
    assert stored is not None
    assert stored.log_message_id == 4242

    dump = "\n".join([line async for line in db.iterdump()])
    assert "worthless" not in dump


async def test_ladder_hide_then_timeout_across_messages(
    db: aiosqlite.Connection, clock: Clock
) -> None:
    service, _ = service_for(db, clock, {"insult": 0.99})
    await service.update_settings(GUILD, action="timeout", strike_limit=3, timeout_minutes=15)
    actions = []
    for message_id in (1, 2, 3):
        outcome = await service.check(message(message_id), "…")
        actions.append(outcome.decision.action)
        clock.advance(minutes=10)
    assert actions == [Action.HIDE, Action.HIDE, Action.TIMEOUT]
    assert outcome.decision.timeout_minutes == 15
    assert [e.strikes for e in await service.repository.recent(GUILD)] == [3, 2, 1]


async def test_strikes_expire_with_the_window(db: aiosqlite.Connection, clock: Clock) -> None:
    service, _ = service_for(db, clock, {"threat": 0.95})
    await service.update_settings(GUILD, action="timeout", strike_limit=2, strike_window_minutes=60)
    await service.check(message(1), "…")
    clock.advance(minutes=61)
    outcome = await service.check(message(2), "…")
    assert outcome.decision.action is Action.HIDE
    assert outcome.decision.strikes_in_window == 1


async def test_dismissed_entry_voids_its_strike(db: aiosqlite.Connection, clock: Clock) -> None:
    service, _ = service_for(db, clock, {"threat": 0.95})
    await service.update_settings(GUILD, action="timeout", strike_limit=2)
    first = await service.check(message(1), "…")
    assert first.entry is not None
    resolved = await service.resolve(first.entry.id, "dismissed", MOD)
    assert resolved is not None
    assert (resolved.status, resolved.moderator_id) == ("dismissed", MOD)
    # a second press (another moderator) does not overwrite the first verdict
    again = await service.resolve(first.entry.id, "deleted", MOD + 1)
    assert again is not None
    assert (again.status, again.moderator_id) == ("dismissed", MOD)

    second = await service.check(message(2), "…")
    assert second.decision.action is Action.HIDE  # the dismissed strike no longer counts
    assert second.decision.strikes_in_window == 1


async def test_same_message_recorded_once(db: aiosqlite.Connection, clock: Clock) -> None:
    service, _ = service_for(db, clock, {"toxicity": 0.99})
    one = await service.check(message(1), "…")
    two = await service.check(message(1), "…")  # e.g. a redelivered gateway event
    assert one.entry is not None
    assert two.entry is not None
    assert one.entry.id == two.entry.id
    async with db.execute("SELECT COUNT(*) FROM moderation_strikes") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]


async def test_exempt_role_is_not_scored_or_recorded(
    db: aiosqlite.Connection, clock: Clock
) -> None:
    service, scorer = service_for(db, clock, {"toxicity": 1.0})
    await service.update_settings(GUILD, action="timeout", strike_limit=1, exempt_role_ids=[500])
    outcome = await service.check(message(1, author_role_ids=frozenset({500})), SECRET_TEXT)
    assert outcome.decision.action is Action.NONE
    assert outcome.decision.reason is Reason.EXEMPT_ROLE
    assert scorer.texts == []  # no inference spent on it
    assert await service.repository.recent(GUILD) == []


async def test_crisis_message_is_not_scored_or_recorded(
    db: aiosqlite.Connection, clock: Clock
) -> None:
    service, scorer = service_for(db, clock, {"toxicity": 1.0})
    await service.update_settings(GUILD, action="hide")
    outcome = await service.check(message(1, crisis_category="self_risk"), "…")
    assert outcome.decision.reason is Reason.CRISIS
    assert scorer.texts == []
    assert await service.repository.recent(GUILD) == []


async def test_unscored_message_is_not_recorded(db: aiosqlite.Connection, clock: Clock) -> None:
    service, _ = service_for(db, clock, None)  # model loading, failed or queue overflow
    outcome = await service.check(message(1), "…")
    assert outcome.decision.reason is Reason.NOT_SCORED
    assert await service.repository.recent(GUILD) == []


async def test_settings_cache_follows_updates(db: aiosqlite.Connection, clock: Clock) -> None:
    service, _ = service_for(db, clock, {"insult": 0.99})
    assert (await service.check(message(1), "…")).decision.action is Action.LOG
    await service.update_settings(GUILD, action="hide")
    assert (await service.check(message(2), "…")).decision.action is Action.HIDE
    await service.update_settings(GUILD, enabled=False)
    assert (await service.check(message(3), "…")).decision.reason is Reason.DISABLED


async def test_undelivered_entries_are_found_for_recovery(
    db: aiosqlite.Connection, clock: Clock
) -> None:
    service, _ = service_for(db, clock, {"insult": 0.99})
    posted = (await service.check(message(1), "…")).entry
    lost = (await service.check(message(2), "…")).entry
    assert posted is not None
    assert lost is not None
    await service.attach_log_message(posted.id, 777)
    pending = await service.repository.undelivered(clock.now - timedelta(hours=1))
    assert [e.id for e in pending] == [lost.id]


async def test_export_delete_and_retention(db: aiosqlite.Connection, clock: Clock) -> None:
    service, _ = service_for(db, clock, {"insult": 0.99})
    repo = service.repository
    await service.check(message(1), "…")
    await service.check(message(2, author_id=AUTHOR + 1), "…")
    clock.advance(days=100)
    await service.check(message(3), "…")

    exported = await repo.export_user(AUTHOR)
    assert [row["message_id"] for row in exported["moderation_log"]] == [1, 3]
    assert len(exported["moderation_strikes"]) == 2
    json.dumps(exported)  # exportable as JSON as it stands

    assert await repo.purge_before(clock.now - timedelta(days=90)) == 4  # 2 entries + 2 strikes
    assert [e.message_id for e in await repo.recent(GUILD)] == [3]
    assert await repo.delete_user(AUTHOR) == 2
    assert await repo.recent(GUILD) == []
    assert await repo.export_user(AUTHOR) == {"moderation_log": [], "moderation_strikes": []}


async def test_delete_guild_removes_settings_and_entries(
    db: aiosqlite.Connection, clock: Clock
) -> None:
    service, _ = service_for(db, clock, {"insult": 0.99})
    await service.update_settings(GUILD, action="hide")
    await service.check(message(1), "…")
    assert await service.repository.delete_guild(GUILD) == 3
    service.forget_guild(GUILD)
    assert (await service.settings(GUILD)).action is Action.LOG
