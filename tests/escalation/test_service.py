"""EscalationService against a real migrated database: persistence, merge, state changes
with audit, deliveries and recovery, re-pings, report limits, allow-list and stats."""

from __future__ import annotations

import aiosqlite
import pytest

from bot.escalation import (
    Action,
    Category,
    DeliveryStatus,
    EscalationService,
    InvalidTransition,
    ReportDecision,
    Route,
    State,
    Step,
    make_excerpt,
)
from tests.escalation.conftest import Clock, FakeAssessor

GUILD = 1
USER = 10
MOD = 99


async def open_message(
    service: EscalationService, text: str, *, user: int = USER, message: int = 500
):
    assessment = await service.assess(GUILD, text)
    return await service.open_from_assessment(
        assessment,
        guild_id=GUILD,
        user_id=user,
        text=text,
        source="message",
        channel_id=7,
        message_id=message,
    )


async def count(db: aiosqlite.Connection, table: str) -> int:
    async with db.execute(f"SELECT COUNT(*) FROM {table}") as cur:
        row = await cur.fetchone()
    return row[0]


# ---- opening and merging -------------------------------------------------------------------


async def test_open_commits_the_row_and_an_open_audit_entry(
    service: EscalationService, db: aiosqlite.Connection
) -> None:
    result = await open_message(service, "sev2 text")
    assert result is not None
    assert result.created
    assert result.send_dm
    assert result.post_alert
    e = result.escalation
    assert (e.guild_id, e.user_id, e.severity, e.state) == (GUILD, USER, 2, State.OPEN)
    assert e.reasons == ("rule_sev2",)
    assert e.category is Category.SELF_RISK
    # Committed: visible from a second connection is not possible for :memory:, so check
    # there is no open transaction left behind.
    assert not db.in_transaction
    audit = await service.audit(e.id)
    assert [(a.action, a.from_state, a.to_state, a.actor_id) for a in audit] == [
        ("open", None, "open", None)
    ]


async def test_nothing_opens_for_none_or_harassment(service: EscalationService) -> None:
    assert await open_message(service, "just a normal day") is None
    assert await open_message(service, "kys loser") is None
    assert await service.list_open(GUILD) == []


async def test_repeat_within_window_merges_count_and_highest_severity(
    service: EscalationService, clock: Clock
) -> None:
    first = await open_message(service, "sev1 text", message=1)
    clock.advance(60)
    second = await open_message(service, "sev3 text", message=2)
    clock.advance(60)
    third = await open_message(service, "sev2 text", message=3)
    assert first
    assert second
    assert third
    assert second.merged
    assert third.merged
    e = third.escalation
    assert e.id == first.escalation.id
    assert (e.message_count, e.severity) == (3, 3)
    assert set(e.reasons) == {"rule_sev1", "rule_sev2", "rule_sev3"}
    # The jump link follows the most severe message.
    assert e.message_id == 2
    # Rising into ping territory asks for a ping and (to 3) a DM with the emergency number.
    assert second.ping_now
    assert second.send_dm
    assert not third.ping_now
    assert not third.send_dm
    assert len(await service.list_open(GUILD)) == 1


async def test_repeat_after_window_or_after_closing_opens_a_new_one(
    service: EscalationService, clock: Clock
) -> None:
    first = await open_message(service, "sev2 a")
    clock.advance(service.settings.repeat_window_minutes * 60 + 1)
    second = await open_message(service, "sev2 b")
    assert first
    assert second
    assert second.created
    await service.act(second.escalation.id, Action.RESOLVE, MOD, guild_id=GUILD)
    third = await open_message(service, "sev2 c")
    assert third
    assert third.created
    assert third.escalation.id != second.escalation.id


async def test_different_people_do_not_merge(service: EscalationService) -> None:
    a = await open_message(service, "sev2", user=1)
    b = await open_message(service, "sev2", user=2)
    assert a
    assert b
    assert a.escalation.id != b.escalation.id


async def test_pseudonymous_text_never_stores_the_author(
    service: EscalationService, db: aiosqlite.Connection
) -> None:
    outcome = await service.open_from_text(
        GUILD, 424242, "sev3 in a vent", "vent", pseudonym="Anon · blue-otter-41", source_ref="v9"
    )
    assert outcome.route is Route.SELF_RISK
    assert outcome.result is not None
    e = outcome.result.escalation
    assert e.user_id is None
    assert e.pseudonym == "Anon · blue-otter-41"
    assert e.source_ref == "v9"
    async with db.execute("SELECT * FROM escalations") as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert all(424242 not in row for row in rows)
    again = await service.open_from_text(GUILD, 424242, "sev2 again", "vent", pseudonym=e.pseudonym)
    assert again.result is not None
    assert again.result.merged


async def test_concern_for_other_is_its_own_category_and_never_pings(
    service: EscalationService,
) -> None:
    result = await open_message(service, "my friend is scaring me")
    assert result is not None
    assert result.escalation.category is Category.CONCERN_FOR_OTHER
    assert not result.escalation.pings


async def test_harassment_is_logged_with_ids_and_reasons_only(
    service: EscalationService, assessor: FakeAssessor
) -> None:
    assessment = assessor("kys loser")
    entry = await service.record_harassment(
        assessment, guild_id=GUILD, author_id=USER, channel_id=7, message_id=8
    )
    rows = await service.repo.harassment_entries(GUILD)
    assert [r["id"] for r in rows] == [entry]
    assert rows[0]["author_id"] == USER
    assert "loser" not in str(rows[0])
    assert await service.list_open(GUILD) == []


def test_excerpt_is_flat_and_short() -> None:
    assert make_excerpt("a\n\n b   c") == "a b c"
    long = make_excerpt("word " * 200)
    assert len(long) <= 300
    assert long.endswith("…")


# ---- state changes and audit ---------------------------------------------------------------


async def test_each_action_changes_state_and_is_audited(
    service: EscalationService, clock: Clock
) -> None:
    result = await open_message(service, "sev3")
    assert result
    eid = result.escalation.id
    clock.advance(30)
    t1 = await service.act(eid, Action.ACKNOWLEDGE, MOD, guild_id=GUILD)
    clock.advance(30)
    t2 = await service.act(eid, Action.CLAIM, MOD + 1, guild_id=GUILD)
    clock.advance(600)
    t3 = await service.act(eid, Action.RESOLVE, MOD + 1, guild_id=GUILD, note="  talked, safe now ")
    assert (t1.previous, t1.escalation.state) == (State.OPEN, State.ACKNOWLEDGED)
    assert t2.escalation.state is State.CLAIMED
    assert t2.escalation.claimed_by == MOD + 1
    e = t3.escalation
    assert e.state is State.RESOLVED
    assert e.close_note == "talked, safe now"
    assert e.acknowledged_by == MOD
    assert e.acknowledged_at == e.created_at + 30
    audit = await service.audit(eid)
    assert [(a.action, a.from_state, a.to_state, a.actor_id) for a in audit] == [
        ("open", None, "open", None),
        ("acknowledge", "open", "acknowledged", MOD),
        ("claim", "acknowledged", "claimed", MOD + 1),
        ("resolve", "claimed", "resolved", MOD + 1),
    ]
    assert audit[-1].note == "talked, safe now"


async def test_refused_action_changes_nothing(service: EscalationService) -> None:
    result = await open_message(service, "sev2")
    assert result
    eid = result.escalation.id
    await service.act(eid, Action.RESOLVE, MOD, guild_id=GUILD)
    before = await service.audit(eid)
    with pytest.raises(InvalidTransition):
        await service.act(eid, Action.ACKNOWLEDGE, MOD, guild_id=GUILD)
    assert await service.audit(eid) == before
    assert (await service.get(eid)).state is State.RESOLVED


async def test_action_from_another_guild_is_refused(service: EscalationService) -> None:
    result = await open_message(service, "sev2")
    assert result
    with pytest.raises(InvalidTransition, match="can't find"):
        await service.act(result.escalation.id, Action.ACKNOWLEDGE, MOD, guild_id=GUILD + 1)
    assert (await service.get(result.escalation.id)).state is State.OPEN


async def test_stale_compare_and_set_is_refused(service: EscalationService) -> None:
    result = await open_message(service, "sev2")
    assert result
    stale = result.escalation
    await service.act(stale.id, Action.ACKNOWLEDGE, MOD, guild_id=GUILD)
    # A second writer holding the old state must not overwrite.
    changed = await service.repo.transition(
        stale, Action.ACKNOWLEDGE, State.ACKNOWLEDGED, MOD + 1, None, service.now()
    )
    assert changed is False
    assert (await service.get(stale.id)).acknowledged_by == MOD


async def test_false_alarm_is_recorded_with_the_reasons(service: EscalationService) -> None:
    result = await open_message(service, "sev1 killing me")
    assert result
    await service.act(
        result.escalation.id, Action.FALSE_ALARM, MOD, guild_id=GUILD, note="song lyric"
    )
    assert await service.false_alarm_reasons(GUILD) == [("rule_sev1", 1)]
    assert await service.list_open(GUILD) == []


# ---- deliveries and recovery -----------------------------------------------------------------


def restarted(
    service: EscalationService, db: aiosqlite.Connection, clock: Clock
) -> EscalationService:
    """The same database seen by a fresh process (in-memory claims are gone)."""
    return EscalationService(
        db, service._guild_settings, service.settings, assessor=FakeAssessor(), clock=clock
    )


async def test_new_rows_come_back_claimed_for_the_caller(service: EscalationService) -> None:
    result = await open_message(service, "sev2")
    assert result
    eid = result.escalation.id
    assert result.claimed == {Step.DM, Step.ALERT}
    # The live path owns them: recovery in this process must not touch them.
    assert await service.pending_deliveries() == []
    assert not service.claim_step(eid, Step.ALERT)
    for step in result.claimed:
        service.release_step(eid, step)
    assert {p.step for p in await service.pending_deliveries()} == {Step.DM, Step.ALERT}


async def test_pending_deliveries_are_what_has_no_record(
    service: EscalationService, db: aiosqlite.Connection, clock: Clock
) -> None:
    result = await open_message(service, "sev2")
    assert result
    eid = result.escalation.id
    after_crash = restarted(service, db, clock)
    assert {(p.escalation.id, p.step) for p in await after_crash.pending_deliveries()} == {
        (eid, Step.DM),
        (eid, Step.ALERT),
    }
    await after_crash.record_delivery(eid, Step.DM, DeliveryStatus.FAILED, detail="dm_closed")
    assert [p.step for p in await after_crash.pending_deliveries()] == [Step.ALERT]
    await after_crash.record_delivery(
        eid, Step.ALERT, DeliveryStatus.SENT, channel_id=5, message_id=6
    )
    assert await after_crash.pending_deliveries() == []
    assert await after_crash.alert_messages(eid) == [(5, 6)]


async def test_recovery_is_idempotent_and_skips_in_flight_steps(
    service: EscalationService, db: aiosqlite.Connection, clock: Clock
) -> None:
    result = await open_message(service, "sev3")
    assert result
    eid = result.escalation.id
    after_crash = restarted(service, db, clock)
    assert after_crash.claim_step(eid, Step.ALERT)
    assert not after_crash.claim_step(eid, Step.ALERT)  # someone holds it
    assert [p.step for p in await after_crash.pending_deliveries()] == [Step.DM]
    after_crash.release_step(eid, Step.ALERT)

    sent: list[tuple[int, Step]] = []

    async def recover() -> None:
        for pending in await after_crash.pending_deliveries():
            if not after_crash.claim_step(pending.escalation.id, pending.step):
                continue
            try:
                sent.append((pending.escalation.id, pending.step))
                await after_crash.record_delivery(
                    pending.escalation.id, pending.step, DeliveryStatus.SENT
                )
            finally:
                after_crash.release_step(pending.escalation.id, pending.step)

    await recover()
    await recover()  # a second start-up sends nothing more
    assert sorted(sent) == sorted([(eid, Step.DM), (eid, Step.ALERT)])
    assert await restarted(service, db, clock).pending_deliveries() == []


async def test_reports_never_want_a_dm_and_closed_escalations_need_no_alert(
    service: EscalationService, db: aiosqlite.Connection, clock: Clock
) -> None:
    decision, result = await service.file_report(
        guild_id=GUILD, reporter_id=2, target_id=3, text="sev1", channel_id=7, message_id=8
    )
    assert decision is ReportDecision.ALLOWED
    assert result is not None
    assert not result.escalation.dm_wanted
    assert not result.send_dm
    assert result.claimed == {Step.ALERT}
    after_crash = restarted(service, db, clock)
    assert [p.step for p in await after_crash.pending_deliveries()] == [Step.ALERT]
    await service.act(result.escalation.id, Action.FALSE_ALARM, MOD, guild_id=GUILD)
    assert await after_crash.pending_deliveries() == []


async def test_own_message_after_a_report_does_reach_the_person(
    service: EscalationService,
) -> None:
    _, report = await service.file_report(
        guild_id=GUILD, reporter_id=2, target_id=USER, text="", channel_id=7, message_id=8
    )
    assert report is not None
    own = await open_message(service, "sev2")
    assert own is not None
    assert own.merged
    assert own.send_dm
    assert own.ping_now
    assert own.escalation.dm_wanted


async def test_old_dms_are_not_recovered(
    service: EscalationService, db: aiosqlite.Connection, clock: Clock
) -> None:
    result = await open_message(service, "sev2")
    assert result
    clock.advance(25 * 3600)
    after_crash = restarted(service, db, clock)
    assert [p.step for p in await after_crash.pending_deliveries()] == [Step.ALERT]


# ---- re-pings --------------------------------------------------------------------------------


async def test_reping_due_after_the_guild_interval_and_claimed_once(
    service: EscalationService, clock: Clock
) -> None:
    await service.set_guild_config(GUILD, reping_minutes=10, backup_channel_id=55)
    result = await open_message(service, "sev3")
    assert result
    eid = result.escalation.id
    await service.record_delivery(eid, Step.ALERT, DeliveryStatus.SENT, channel_id=5, message_id=6)
    clock.advance(9 * 60)
    assert await service.due_repings() == []
    clock.advance(60)
    (due,) = await service.due_repings()
    assert due.escalation.id == eid
    assert due.send_backup
    assert due.config.reping_minutes == 10
    assert await service.claim_reping(due)
    assert not await service.claim_reping(due)  # an overlapping tick gets nothing
    assert await service.due_repings() == []
    await service.record_delivery(
        eid, Step.BACKUP, DeliveryStatus.SENT, channel_id=55, message_id=1
    )
    clock.advance(10 * 60)
    (again,) = await service.due_repings()
    assert not again.send_backup  # the backup goes out once


async def test_no_reping_for_severity_one_acknowledged_or_unposted(
    service: EscalationService, clock: Clock
) -> None:
    low = await open_message(service, "sev1", user=1)
    acked = await open_message(service, "sev2", user=2)
    unposted = await open_message(service, "sev2", user=3)
    assert low
    assert acked
    assert unposted
    for r in (low, acked):
        await service.record_delivery(r.escalation.id, Step.ALERT, DeliveryStatus.SENT)
    await service.act(acked.escalation.id, Action.ACKNOWLEDGE, MOD, guild_id=GUILD)
    clock.advance(3600)
    assert await service.due_repings() == []


async def test_guild_config_defaults_and_validation(service: EscalationService) -> None:
    config = await service.guild_config(GUILD)
    assert config.reping_minutes == service.settings.reping_minutes
    assert config.backup_channel_id is None
    with pytest.raises(ValueError):
        await service.set_guild_config(GUILD, reping_minutes=0)
    updated = await service.set_guild_config(GUILD, reping_minutes=15, backup_role_id=3)
    assert (updated.reping_minutes, updated.backup_role_id) == (15, 3)
    cleared = await service.set_guild_config(GUILD, backup_role_id=None)
    assert cleared.backup_role_id is None
    assert cleared.reping_minutes == 15


# ---- report rate limits ----------------------------------------------------------------------


async def report(service: EscalationService, reporter: int, target: int):
    return await service.file_report(
        guild_id=GUILD, reporter_id=reporter, target_id=target, text="", channel_id=1, message_id=2
    )


async def test_same_reporter_same_target_cools_down(
    service: EscalationService, clock: Clock
) -> None:
    assert (await report(service, 2, 3))[0] is ReportDecision.ALLOWED
    decision, result = await report(service, 2, 3)
    assert decision is ReportDecision.REPORTER_COOLDOWN
    assert result is None
    clock.advance(service.settings.report_cooldown_minutes * 60 + 1)
    assert (await report(service, 2, 3))[0] is ReportDecision.ALLOWED


async def test_reporter_daily_limit(service: EscalationService, clock: Clock) -> None:
    limit = service.settings.report_daily_limit
    for target in range(100, 100 + limit):
        assert (await report(service, 2, target))[0] is ReportDecision.ALLOWED
    assert (await report(service, 2, 999))[0] is ReportDecision.REPORTER_DAILY
    clock.advance(86401)
    assert (await report(service, 2, 999))[0] is ReportDecision.ALLOWED


async def test_target_limit_stops_pile_ons(service: EscalationService) -> None:
    limit = service.settings.report_target_daily_limit
    for reporter in range(limit):
        assert (await report(service, 200 + reporter, 3))[0] is ReportDecision.ALLOWED
    assert (await report(service, 300, 3))[0] is ReportDecision.TARGET_LIMIT
    # All allowed reports merged into one escalation about that person.
    (only,) = await service.list_open(GUILD)
    assert only.message_count == limit
    assert only.severity == 1


# ---- allow-list --------------------------------------------------------------------------------


async def test_allowlist_is_passed_to_the_detector_and_cached(
    service: EscalationService, assessor: FakeAssessor
) -> None:
    assert await open_message(service, "Sev2 Boss Fight") is not None
    phrase = await service.allow_add(GUILD, "  SEV2   boss fight ", MOD)
    assert phrase == "sev2 boss fight"
    assert await service.allowlist(GUILD) == ("sev2 boss fight",)
    assert await open_message(service, "sev2 boss fight", user=77) is None
    assert assessor.calls[-1][1] == ("sev2 boss fight",)
    with pytest.raises(ValueError):
        await service.allow_add(GUILD, "a", MOD)
    assert await service.allow_remove(GUILD, "SEV2 boss fight")
    assert await service.allowlist(GUILD) == ()
    assert not await service.allow_remove(GUILD, "never there")


async def test_a_message_assessed_twice_runs_the_detector_once(
    service: EscalationService, assessor: FakeAssessor
) -> None:
    first = await service.assess(GUILD, "sev2 same message")
    second = await service.assess(GUILD, "sev2 same message")
    assert second == first
    assert len(assessor.calls) == 1
    await service.allow_add(GUILD, "same message", MOD)
    await service.assess(GUILD, "sev2 same message")
    assert len(assessor.calls) == 2  # a new allow-list is a new question
    assert assessor.calls[-1][1] == ("same message",)


# ---- stats ---------------------------------------------------------------------------------------


async def test_stats_count_by_severity_and_medians(
    service: EscalationService, clock: Clock
) -> None:
    ids = []
    for user, text in [(1, "sev1"), (2, "sev2"), (3, "sev3"), (4, "sev3")]:
        r = await open_message(service, text, user=user)
        assert r
        ids.append(r.escalation.id)
    clock.advance(60)
    await service.act(ids[1], Action.ACKNOWLEDGE, MOD, guild_id=GUILD)  # ack 60
    clock.advance(60)
    await service.act(ids[2], Action.CLAIM, MOD, guild_id=GUILD)  # ack 120
    clock.advance(180)
    await service.act(ids[2], Action.RESOLVE, MOD, guild_id=GUILD)  # close 300
    await service.act(ids[3], Action.FALSE_ALARM, MOD, guild_id=GUILD)  # ack+close 300

    week = await service.stats(GUILD, 7)
    assert week.total == 4
    assert week.by_severity == {1: 1, 2: 1, 3: 2}
    assert week.median_ack_seconds == 120.0  # of 60, 120, 300
    assert week.median_close_seconds == 300.0
    assert (week.open_now, week.false_alarms, week.acknowledged, week.closed) == (2, 1, 3, 2)

    clock.advance(8 * 86400)
    assert (await service.stats(GUILD, 7)).total == 0
    assert (await service.stats(GUILD, 30)).total == 4


async def test_false_alarm_reasons_group_by_rule_id_without_the_quoted_text(
    service: EscalationService,
) -> None:
    for user in (1, 2):
        r = await service.open_or_merge(
            guild_id=GUILD,
            user_id=user,
            category=Category.SELF_RISK,
            severity=1,
            reasons=[f"passive.burden: 'a burden {user}'", "combo x+y: a + b"],
            excerpt=None,
            source="message",
        )
        await service.act(r.escalation.id, Action.FALSE_ALARM, MOD, guild_id=GUILD)
    assert await service.false_alarm_reasons(GUILD) == [("combo x+y", 2), ("passive.burden", 2)]


async def test_the_returned_escalation_matches_the_stored_row(service: EscalationService) -> None:
    result = await open_message(service, "sev3 now")
    assert result is not None
    assert await service.get(result.escalation.id) == result.escalation


async def test_commit_waits_out_a_neighbours_unfinished_cursor(
    service: EscalationService, db: aiosqlite.Connection
) -> None:
    import asyncio

    await db.execute("CREATE TABLE neighbour (x INTEGER)")
    await db.commit()
    # A write statement left in progress (RETURNING, only the first row read): SQLite
    # refuses any COMMIT on the connection until that cursor is done.
    cursor = await db.execute("INSERT INTO neighbour VALUES (1), (2) RETURNING x")
    await cursor.fetchone()

    async def finish_later() -> None:
        await asyncio.sleep(0.02)
        await cursor.close()

    closer = asyncio.create_task(finish_later())
    result = await open_message(service, "sev2")  # commits while the cursor is open
    await closer
    assert result is not None
    assert await service.get(result.escalation.id) is not None
    assert not db.in_transaction
