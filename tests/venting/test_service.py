"""VentingService rules: bans survive new names, cooldowns, sealed authors, vetting, unmasking."""

from __future__ import annotations

import pytest

from bot.db.guild_settings import GuildSettingsRepository
from bot.errors import NotConfiguredError, UserFacingError
from bot.keys import KeyRing, decode_key, generate_key
from bot.venting import VentingService, VentRefused
from tests.venting.conftest import GUILD, Clock, FakeAssessor

ALICE = 444_444_444_444_444_441
BOB = 444_444_444_444_444_442
MOD_A = 555_555_555_555_555_551
MOD_B = 555_555_555_555_555_552


async def post(venting: VentingService, user: int, text: str = "a hard day", **kw) -> int:
    sub = await venting.submit(GUILD, user, text, **kw)
    if not sub.held:
        await venting.mark_posted(sub.vent_id, 1, 10_000 + sub.vent_id, 10_000 + sub.vent_id)
    return sub.vent_id


async def test_submit_posts_sanitised_text_under_the_current_pseudonym(
    venting: VentingService,
) -> None:
    sub = await venting.submit(GUILD, ALICE, "ping @everyone, join discord.gg/x")
    assert sub.pseudonym == await venting.current_name(GUILD, ALICE)
    assert "@everyone" not in sub.text
    assert "discord.gg/x" not in sub.text
    assert not sub.held
    assert not sub.content_warning
    assert sub.crisis is None


async def test_the_author_is_stored_only_sealed(venting: VentingService, db) -> None:
    vent_id = await post(venting, ALICE)
    async with db.execute("SELECT * FROM vents WHERE id = ?", (vent_id,)) as cur:
        row = dict(await cur.fetchone())
    assert str(ALICE) not in repr(row)
    assert row["author_enc"].startswith("hv1.")
    vent = await venting.get(vent_id)
    assert venting.author_id(vent) == ALICE
    assert venting.is_author(vent, ALICE)
    assert not venting.is_author(vent, BOB)


async def test_a_copy_of_the_database_with_another_key_reveals_no_one(
    venting: VentingService, db, clock: Clock, assessor: FakeAssessor
) -> None:
    vent_id = await post(venting, ALICE)
    thief = VentingService(
        db, KeyRing(decode_key(generate_key())), GuildSettingsRepository(db), assess=assessor
    )
    vent = await thief.get(vent_id)
    assert not thief.is_author(vent, ALICE)


async def test_new_name_changes_the_pseudonym_but_never_lifts_a_block(
    venting: VentingService, clock: Clock
) -> None:
    first = await venting.current_name(GUILD, ALICE)
    vent_id = await post(venting, ALICE)
    assert await venting.block(vent_id, MOD_A)
    assert not await venting.block(vent_id, MOD_A)  # already blocked

    second = await venting.new_name(GUILD, ALICE)
    assert second != first
    assert await venting.current_name(GUILD, ALICE) == second
    clock.now += 10_000
    with pytest.raises(VentRefused, match="stopped anonymous posts"):
        await venting.check_can_post(GUILD, ALICE)
    with pytest.raises(VentRefused):
        await venting.submit(GUILD, ALICE, "let me back in")
    await venting.check_can_post(GUILD, BOB)  # others are untouched
    # A block is per server.
    assert venting.poster_key(GUILD + 1, ALICE) != venting.poster_key(GUILD, ALICE)


async def test_unblock_lets_the_poster_back(venting: VentingService, clock: Clock) -> None:
    vent_id = await post(venting, ALICE)
    await venting.block(vent_id, MOD_A)
    assert await venting.is_poster_blocked(await venting.get(vent_id))
    assert await venting.unblock(vent_id, MOD_B)
    clock.now += 1_000
    await venting.check_can_post(GUILD, ALICE)


async def test_cooldown_is_per_poster_and_survives_new_name(
    venting: VentingService, clock: Clock
) -> None:
    await post(venting, ALICE)
    with pytest.raises(VentRefused, match="120 seconds"):
        await venting.check_can_post(GUILD, ALICE)
    await venting.new_name(GUILD, ALICE)
    clock.now += 60
    with pytest.raises(VentRefused, match="60 seconds"):
        await venting.check_can_post(GUILD, ALICE)
    await venting.check_can_post(GUILD, BOB)
    clock.now += 60
    await venting.check_can_post(GUILD, ALICE)


async def test_a_failed_post_does_not_cost_a_cooldown(venting: VentingService) -> None:
    sub = await venting.submit(GUILD, ALICE, "text")
    await venting.mark_failed(sub.vent_id)
    await venting.check_can_post(GUILD, ALICE)
    assert (await venting.get(sub.vent_id)).state == "failed"


async def test_empty_and_too_long_vents_are_refused(venting: VentingService) -> None:
    with pytest.raises(VentRefused, match="empty"):
        await venting.submit(GUILD, ALICE, "   ")
    with pytest.raises(VentRefused, match="4000 characters"):
        await venting.submit(GUILD, ALICE, "x" * 4_001)


async def test_no_vent_channel_is_a_clear_refusal(venting: VentingService) -> None:
    with pytest.raises(NotConfiguredError, match="/setup venting"):
        await venting.check_can_post(GUILD + 5, ALICE)


async def test_every_vent_is_assessed_before_recording_and_crisis_gets_a_warning(
    venting: VentingService, assessor: FakeAssessor
) -> None:
    calm = await venting.submit(GUILD, ALICE, "just tired", topic="work")
    assert assessor.calls == 1
    assert "just tired" in assessor.seen[0]
    assert calm.content_warning
    assert calm.topic == "work"
    assert calm.crisis is None

    crisis = await venting.submit(GUILD, BOB, "CRISIS words")
    assert crisis.crisis is not None
    assert crisis.crisis.severity == 2
    assert crisis.content_warning
    assert not crisis.held
    assert (await venting.get(crisis.vent_id)).crisis_severity == 2


async def test_hold_crisis_holds_only_crisis_vents(venting: VentingService) -> None:
    await venting.set_options(GUILD, hold_crisis=True)
    assert (await venting.submit(GUILD, BOB, "CRISIS words")).held
    assert not (await venting.submit(GUILD, ALICE, "fine-ish")).held


async def test_vetting_holds_sealed_text_and_approve_returns_it_once(
    venting: VentingService, db
) -> None:
    await venting.set_options(GUILD, vetting=True)
    sub = await venting.submit(GUILD, ALICE, "please approve me", topic="exams")
    assert sub.held
    async with db.execute("SELECT body_enc FROM vents WHERE id = ?", (sub.vent_id,)) as cur:
        body = (await cur.fetchone())[0]
    assert body.startswith("hv1.")
    assert "approve" not in body

    _vent, text, topic = await venting.approve(sub.vent_id, MOD_A)
    assert (text, topic) == ("please approve me", "exams")
    with pytest.raises(UserFacingError, match="already"):
        await venting.approve(sub.vent_id, MOD_B)
    await venting.mark_posted(sub.vent_id, 1, 2, 3)
    stored = await venting.get(sub.vent_id)
    assert stored.state == "posted"
    assert stored.body_enc is None
    assert stored.decided_by == MOD_A


async def test_reject_wipes_the_text(venting: VentingService) -> None:
    await venting.set_options(GUILD, vetting=True)
    sub = await venting.submit(GUILD, ALICE, "no")
    await venting.reject(sub.vent_id, MOD_A)
    stored = await venting.get(sub.vent_id)
    assert stored.state == "rejected"
    assert stored.body_enc is None
    with pytest.raises(UserFacingError):
        await venting.reject(sub.vent_id, MOD_B)
    actions = [e["action"] for e in await venting.audit_log(GUILD)]
    assert actions == ["reject"]


async def test_vetting_needs_an_alert_channel(db, keys, assessor) -> None:
    settings = GuildSettingsRepository(db)
    await settings.update(GUILD, vent_channel_id=1)
    service = VentingService(db, keys, settings, assess=assessor)
    with pytest.raises(NotConfiguredError, match="/setup alerts"):
        await service.set_options(GUILD, vetting=True)
    assert not (await service.options(GUILD)).vetting


async def test_only_the_author_can_delete_their_vent(venting: VentingService) -> None:
    vent_id = await post(venting, ALICE)
    with pytest.raises(UserFacingError, match="Only the person"):
        await venting.delete_by_author(vent_id, BOB)
    before = await venting.delete_by_author(vent_id, ALICE)
    assert before.message_id is not None
    assert (await venting.get(vent_id)).state == "deleted"
    with pytest.raises(UserFacingError, match="already gone"):
        await venting.delete_by_author(vent_id, ALICE)


async def test_unmasking_is_off_by_default_then_needs_two_different_moderators(
    venting: VentingService,
) -> None:
    vent_id = await post(venting, ALICE)
    with pytest.raises(UserFacingError, match="Unmasking is off"):
        await venting.request_unmask(vent_id, MOD_A)

    await venting.set_options(GUILD, unmasking=True)
    assert (await venting.request_unmask(vent_id, MOD_A)).status == "requested"
    again = await venting.request_unmask(vent_id, MOD_A)
    assert again.status == "needs_second"
    assert again.author_id is None
    done = await venting.request_unmask(vent_id, MOD_B)
    assert (done.status, done.author_id, done.first_moderator_id) == ("revealed", ALICE, MOD_A)
    log = await venting.audit_log(GUILD)
    assert log[0]["action"] == "unmask"
    assert (log[0]["moderator_id"], log[0]["second_moderator_id"]) == (MOD_A, MOD_B)
    assert all(str(ALICE) not in repr(entry) for entry in log)


async def test_options_round_trip(venting: VentingService) -> None:
    assert not (await venting.options(GUILD)).vetting
    opts = await venting.set_options(GUILD, vetting=True, unmasking=None)
    assert opts.vetting
    assert not opts.unmasking
    assert (await venting.options(GUILD)).vetting
