"""The escalation cog with spec'd discord mocks and a real bot/services on a temp DB.

The detector is replaced by the keyword stand-in from tests/escalation/conftest.py
('sev1'/'sev2'/'sev3' self-risk, 'friend' concern, 'kys' harassment)."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.app import HavenBot
from bot.errors import UserFacingError
from bot.escalation import Action, Category, DeliveryStatus, State, Step
from cogs.escalation._cog import NOTICE_CRISIS, EscalationCog
from cogs.escalation._commands import (
    AllowlistGroup,
    EscalationsGroup,
    SettingsGroup,
    make_helplines_command,
)
from cogs.escalation._views import EscalationButton, TalkButton, alert_view
from tests.escalation.conftest import Clock, FakeAssessor
from tests.helpers import (
    make_guild,
    make_interaction,
    make_member,
    make_role,
    make_text_channel,
    next_id,
    sent_text,
    was_ephemeral,
)


class Outbox:
    """Stands in for every channel the bot posts to by id (alert, backup)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.edits: list[dict[str, Any]] = []
        self.fail_with: Exception | None = None

    def channel(self, channel_id: int, **_: Any) -> MagicMock:
        channel = MagicMock(
            spec_set=discord.TextChannel
        )  # has every PartialMessageable method used
        channel.id = channel_id

        async def send(**kwargs: Any) -> MagicMock:
            if self.fail_with is not None:
                raise self.fail_with
            message = MagicMock(spec_set=discord.Message)
            message.id = next_id()
            self.sent.append({"channel_id": channel_id, "message_id": message.id, **kwargs})
            return message

        def partial_message(message_id: int) -> MagicMock:
            partial = MagicMock(spec_set=discord.PartialMessage)

            async def edit(**kwargs: Any) -> None:
                self.edits.append({"message_id": message_id, **kwargs})

            partial.edit.side_effect = edit
            return partial

        channel.send.side_effect = send
        channel.get_partial_message.side_effect = partial_message
        return channel

    def embed_text(self, entry: dict[str, Any]) -> str:
        embed: discord.Embed = entry["embed"]
        return "\n".join(
            [
                embed.title or "",
                embed.description or "",
                *(f"{f.name}\n{f.value}" for f in embed.fields),
            ]
        )


def http_response(status: int, reason: str) -> MagicMock:
    response = MagicMock(spec_set=aiohttp.ClientResponse)
    response.status = status
    response.reason = reason
    return response


def forbidden_50007() -> discord.Forbidden:
    return discord.Forbidden(
        http_response(403, "Forbidden"),
        {"code": 50007, "message": "Cannot send messages to this user"},
    )


@pytest.fixture
async def world(bot: HavenBot, monkeypatch: pytest.MonkeyPatch):
    guild = make_guild()
    mod_role = make_role(guild, name="Moderators")
    alerts = make_text_channel(guild, name="mod-alerts", public=False)
    general = make_text_channel(guild, name="general")
    await bot.services.guild_settings.update(
        guild.id,
        alert_channel_id=alerts.id,
        moderator_role_id=mod_role.id,
        country="GB",
        monitored_channel_ids=[general.id],
    )
    outbox = Outbox()
    monkeypatch.setattr(bot, "get_partial_messageable", outbox.channel)
    dispatched: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(bot, "dispatch", lambda name, *args, **kw: dispatched.append((name, args)))
    assessor = FakeAssessor()
    clock = Clock()
    service = bot.services.escalations
    assert service is not None
    service.assessor = assessor
    service.clock = clock
    cog = EscalationCog(bot)
    member = make_member(guild, name="Sam")
    dm = MagicMock(spec_set=discord.Message)
    dm.id = next_id()
    dm.channel = MagicMock(spec_set=discord.DMChannel)
    dm.channel.id = next_id()
    member.send.return_value = dm
    monkeypatch.setattr(bot, "get_user", lambda user_id: member if user_id == member.id else None)
    moderator = make_member(guild, name="Mo", roles=[mod_role])
    outsider = make_member(guild, name="Nosy")
    return {
        "bot": bot,
        "cog": cog,
        "guild": guild,
        "role": mod_role,
        "alerts": alerts,
        "general": general,
        "outbox": outbox,
        "member": member,
        "moderator": moderator,
        "outsider": outsider,
        "service": service,
        "clock": clock,
        "dispatched": dispatched,
    }


def make_message(
    world: dict[str, Any], text: str, *, channel: Any = None, author: Any = None
) -> MagicMock:
    message = MagicMock(spec_set=discord.Message)
    message.id = next_id()
    message.content = text
    message.author = author or world["member"]
    message.guild = world["guild"]
    message.channel = channel or world["general"]
    return message


async def test_crisis_message_dms_local_help_and_alerts_with_a_role_ping(world) -> None:
    cog, outbox, member = world["cog"], world["outbox"], world["member"]
    await cog.on_message(make_message(world, "sev3 tonight"))

    (open_e,) = await world["service"].list_open(world["guild"].id)
    assert (open_e.user_id, open_e.severity, open_e.state) == (member.id, 3, State.OPEN)
    # Exactly one DM with the guild country's helpline and the emergency number.
    member.send.assert_awaited_once()
    dm_text = member.send.await_args.args[0]
    assert "Samaritans" in dm_text
    assert "116 123" in dm_text
    assert "999" in dm_text
    dm_view = member.send.await_args.kwargs["view"]
    assert [c.custom_id for c in dm_view.children] == [f"haven:esc:talk:{open_e.id}"]
    # Exactly one alert, pinging only the moderator role.
    (alert,) = outbox.sent
    assert alert["channel_id"] == world["alerts"].id
    assert world["role"].mention in alert["content"]
    mentions: discord.AllowedMentions = alert["allowed_mentions"]
    assert [r.id for r in mentions.roles] == [world["role"].id]
    assert mentions.everyone is False
    assert mentions.users is False
    text = outbox.embed_text(alert)
    assert member.mention in text
    assert "Imminent risk" in text
    assert "rule_sev3" in text
    assert f"/channels/{world['guild'].id}/{world['general'].id}/" in text
    assert alert["embed"].colour.value == 0xD32F2F
    assert {c.custom_id for c in alert["view"].children} == {
        f"haven:esc:{code}:{open_e.id}" for code in ("ack", "claim", "resolve", "false")
    }
    # Both steps recorded; nothing left for recovery.
    steps = {(d.step, d.status) for d in await world["service"].deliveries(open_e.id)}
    assert steps == {(Step.DM, DeliveryStatus.SENT), (Step.ALERT, DeliveryStatus.SENT)}
    assert await world["service"].pending_deliveries() == []
    # The alert was refreshed to say the DM arrived.
    assert "Helplines sent to them by DM" in outbox.embed_text(outbox.edits[-1])


async def test_severity_one_goes_to_the_queue_without_a_ping(world) -> None:
    await world["cog"].on_message(make_message(world, "sev1 tired of everything"))
    (alert,) = world["outbox"].sent
    assert world["role"].mention not in alert["content"]
    assert alert["allowed_mentions"].roles is False or alert["allowed_mentions"].roles == []


async def test_member_country_beats_the_guild_default(world) -> None:
    await world["bot"].services.helplines.set_member_country(world["member"].id, "AU")
    await world["cog"].on_message(make_message(world, "sev2"))
    dm_text = world["member"].send.await_args.args[0]
    assert "13 11 14" in dm_text
    assert "Samaritans" not in dm_text


async def test_closed_dms_still_alert_and_say_so_and_queue_a_notice(world) -> None:
    member, outbox = world["member"], world["outbox"]
    member.send.side_effect = forbidden_50007()
    await world["cog"].on_message(make_message(world, "sev2"))

    assert len(outbox.sent) == 1  # the alert went out anyway
    assert "could not reach them by dm" in outbox.embed_text(outbox.edits[-1]).lower()
    (e,) = await world["service"].list_open(world["guild"].id)
    assert (Step.DM, DeliveryStatus.FAILED, "dm_closed") in {
        (d.step, d.status, d.detail) for d in await world["service"].deliveries(e.id)
    }
    notices = world["bot"].services.notices
    assert await notices.peek(member.id) == [NOTICE_CRISIS]
    text = await world["cog"].render_crisis_notice(member.id, world["guild"].id)
    assert "116 123" in text


async def test_failed_alert_does_not_stop_the_dm(world) -> None:
    world["outbox"].fail_with = discord.HTTPException(http_response(500, "Server Error"), "boom")
    await world["cog"].on_message(make_message(world, "sev2"))
    world["member"].send.assert_awaited_once()
    # The alert stays pending (transient error), so the minute tick retries it.
    (pending,) = await world["service"].pending_deliveries()
    assert pending.step is Step.ALERT
    world["outbox"].fail_with = None
    await world["cog"].tick()
    assert len(world["outbox"].sent) == 1
    assert await world["service"].pending_deliveries() == []


@pytest.mark.parametrize("text", ["this homework is killing me", "lol I'm dead", "going to bed"])
async def test_no_crisis_means_no_dm_no_alert_no_row(world, text: str) -> None:
    await world["cog"].on_message(make_message(world, text))
    world["member"].send.assert_not_awaited()
    assert world["outbox"].sent == []
    assert await world["service"].list_open(world["guild"].id) == []


async def test_unmonitored_channels_bots_and_the_alert_channel_are_skipped(world) -> None:
    other = make_text_channel(world["guild"], name="off-topic")
    robot = make_member(world["guild"], name="robot")
    robot.bot = True
    cog = world["cog"]
    await cog.on_message(make_message(world, "sev3", channel=other))
    await cog.on_message(make_message(world, "sev3", author=robot))
    await world["bot"].services.guild_settings.update(world["guild"].id, monitored_channel_ids=[])
    await cog.on_message(make_message(world, "sev3", channel=world["alerts"]))
    assert world["outbox"].sent == []
    world["member"].send.assert_not_awaited()


async def test_repeats_update_one_alert_instead_of_flooding(world) -> None:
    cog, outbox = world["cog"], world["outbox"]
    await cog.on_message(make_message(world, "sev1"))
    world["clock"].advance(60)
    await cog.on_message(make_message(world, "sev1 again"))
    world["clock"].advance(60)
    await cog.on_message(make_message(world, "sev2 now"))
    alerts = [s for s in outbox.sent if "escalation #" in s["content"]]
    # One alert, then one ping when it became urgent; the rest are edits.
    assert len(alerts) == 2
    assert world["role"].mention not in alerts[0]["content"]
    assert world["role"].mention in alerts[1]["content"]
    (e,) = await world["service"].list_open(world["guild"].id)
    assert (e.message_count, e.severity) == (3, 2)
    assert "Messages:** 3" in outbox.embed_text(outbox.edits[-1])
    world["member"].send.assert_awaited_once()  # no DM flood either


async def test_concern_for_other_guides_the_writer_without_pinging(world) -> None:
    await world["cog"].on_message(make_message(world, "my friend said goodbye"))
    dm_text = world["member"].send.await_args.args[0]
    assert "worried about someone" in dm_text
    assert "116 123" in dm_text
    (alert,) = world["outbox"].sent
    assert world["role"].mention not in alert["content"]
    assert "Worried about someone else" in world["outbox"].embed_text(alert)


async def test_harassment_is_logged_and_handed_to_the_ladder_never_a_crisis(world) -> None:
    message = make_message(world, "kys loser")
    await world["cog"].on_message(message)
    assert world["outbox"].sent == []
    world["member"].send.assert_not_awaited()
    assert await world["service"].list_open(world["guild"].id) == []
    (entry,) = await world["service"].repo.harassment_entries(world["guild"].id)
    assert entry["author_id"] == world["member"].id
    assert (
        "haven_harassment",
        (message, message_assessment := world["dispatched"][0][1][1]),
    ) in world["dispatched"]
    assert str(message_assessment.category) == "harassment"


# ---- buttons --------------------------------------------------------------------------------


async def open_one(world, text: str = "sev2") -> int:
    await world["cog"].on_message(make_message(world, text))
    (e,) = await world["service"].list_open(world["guild"].id)
    return e.id


def button_interaction(world, user: Any) -> MagicMock:
    interaction = make_interaction(
        user, guild=world["guild"], channel=world["alerts"], client=world["bot"]
    )
    interaction.message = MagicMock(spec_set=discord.Message)
    interaction.message.id = next_id()
    return interaction


async def test_non_moderator_is_refused_and_nothing_changes(world, monkeypatch) -> None:
    eid = await open_one(world)
    monkeypatch.setattr(world["bot"], "get_cog", lambda name: world["cog"])
    before = await world["service"].audit(eid)
    edits_before = len(world["outbox"].edits)
    for action in Action:
        button = EscalationButton(action, eid)
        interaction = button_interaction(world, world["outsider"])
        assert await button.interaction_check(interaction) is False
        assert "Only this server's moderators" in sent_text(interaction)
        assert was_ephemeral(interaction)
        interaction.response.edit_message.assert_not_called()
        interaction.response.send_modal.assert_not_called()
    after = await world["service"].get(eid)
    assert after.state is State.OPEN
    assert after.acknowledged_by is None
    assert await world["service"].audit(eid) == before
    assert len(world["outbox"].edits) == edits_before


async def test_each_button_changes_state_and_the_embed(world, monkeypatch) -> None:
    monkeypatch.setattr(world["bot"], "get_cog", lambda name: world["cog"])
    eid = await open_one(world)
    mod = world["moderator"]
    expectations = [
        (Action.ACKNOWLEDGE, State.ACKNOWLEDGED, "Acknowledged"),
        (Action.CLAIM, State.CLAIMED, "Claimed"),
    ]
    for action, state, words in expectations:
        button = EscalationButton(action, eid)
        interaction = button_interaction(world, mod)
        assert await button.interaction_check(interaction)
        await button.callback(interaction)
        embed = interaction.response.edit_message.call_args.kwargs["embed"]
        state_field = next(f.value for f in embed.fields if f.name == "State")
        assert words in state_field
        assert mod.mention in state_field
        assert (await world["service"].get(eid)).state is state

    # Resolve opens the optional note modal; submitting it resolves.
    resolve = EscalationButton(Action.RESOLVE, eid)
    interaction = button_interaction(world, mod)
    await resolve.callback(interaction)
    modal = interaction.response.send_modal.call_args.args[0]
    submit = button_interaction(world, mod)
    await world["cog"].apply_action(submit, Action.RESOLVE, eid, note="talked, safe now")
    embed = submit.response.edit_message.call_args.kwargs["embed"]
    assert "Resolved" in next(f.value for f in embed.fields if f.name == "State")
    assert "talked, safe now" in next(f.value for f in embed.fields if f.name == "Note")
    assert modal.escalation_id == eid
    view = submit.response.edit_message.call_args.kwargs["view"]
    assert all(child.item.disabled for child in view.children)
    assert embed.colour.value == 0x388E3C


async def test_false_alarm_button_records_the_reasons(world, monkeypatch) -> None:
    monkeypatch.setattr(world["bot"], "get_cog", lambda name: world["cog"])
    eid = await open_one(world, "sev1 song lyric")
    interaction = button_interaction(world, world["moderator"])
    await EscalationButton(Action.FALSE_ALARM, eid).callback(interaction)
    assert (await world["service"].get(eid)).state is State.FALSE_ALARM
    assert await world["service"].false_alarm_reasons(world["guild"].id) == [("rule_sev1", 1)]


async def test_pressing_a_finished_action_again_is_an_ephemeral_no(world, monkeypatch) -> None:
    monkeypatch.setattr(world["bot"], "get_cog", lambda name: world["cog"])
    eid = await open_one(world)
    await EscalationButton(Action.ACKNOWLEDGE, eid).callback(
        button_interaction(world, world["moderator"])
    )
    again = button_interaction(world, world["moderator"])
    await EscalationButton(Action.ACKNOWLEDGE, eid).callback(again)
    assert "already acknowledged" in sent_text(again)
    assert was_ephemeral(again)


def test_buttons_round_trip_through_their_custom_ids() -> None:
    for action in Action:
        button = EscalationButton(action, 42)
        match = EscalationButton.__discord_ui_compiled_template__.fullmatch(button.custom_id)
        assert match is not None
        assert int(match["id"]) == 42
    assert TalkButton.__discord_ui_compiled_template__.fullmatch(TalkButton(7).custom_id)


async def test_talk_to_a_moderator_pages_the_team_once(world, monkeypatch) -> None:
    eid = await open_one(world)
    member = world["member"]
    first = make_interaction(member, client=world["bot"])
    await world["cog"].page_moderators(first, eid)
    pages = [s for s in world["outbox"].sent if "asked to talk" in s["content"]]
    assert len(pages) == 1
    assert world["role"].mention in pages[0]["content"]
    assert member.mention in pages[0]["content"]
    assert "told the moderator team" in sent_text(first)
    second = make_interaction(member, client=world["bot"])
    await world["cog"].page_moderators(second, eid)
    assert len([s for s in world["outbox"].sent if "asked to talk" in s["content"]]) == 1
    assert "already know" in sent_text(second)
    # Someone else cannot page on their behalf.
    with pytest.raises(UserFacingError):
        await world["cog"].page_moderators(
            make_interaction(world["outsider"], client=world["bot"]), eid
        )


# ---- recovery and re-pings ------------------------------------------------------------------


async def test_recovery_sends_what_never_went_out_exactly_once(world) -> None:
    service = world["service"]
    result = await service.open_or_merge(
        guild_id=world["guild"].id,
        user_id=world["member"].id,
        category=Category.SELF_RISK,
        severity=3,
        reasons=["rule_sev3"],
        excerpt="…",
        source="message",
        channel_id=world["general"].id,
        message_id=next_id(),
        claim=False,  # as if the process died right after the commit
    )
    e = result.escalation
    assert await world["cog"].recover() == 2
    assert await world["cog"].recover() == 0
    world["member"].send.assert_awaited_once()
    alerts = [s for s in world["outbox"].sent if "escalation #" in s["content"]]
    assert len(alerts) == 1
    assert world["role"].mention in alerts[0]["content"]
    assert {d.step for d in await service.deliveries(e.id)} == {Step.DM, Step.ALERT}


async def test_unacknowledged_urgent_alert_is_repinged_and_backed_up(world) -> None:
    service, clock, outbox = world["service"], world["clock"], world["outbox"]
    backup_role = make_role(world["guild"], name="Admins")
    backup = make_text_channel(world["guild"], name="backup", public=False)
    await service.set_guild_config(
        world["guild"].id, backup_channel_id=backup.id, backup_role_id=backup_role.id
    )
    await open_one(world, "sev3")
    clock.advance(4 * 60)
    assert await world["cog"].send_repings() == 0
    clock.advance(60)
    assert await world["cog"].send_repings() == 1
    repings = [s for s in outbox.sent if "Still unacknowledged" in s["content"]]
    backups = [s for s in outbox.sent if "Backup needed" in s["content"]]
    assert len(repings) == 1
    assert world["role"].mention in repings[0]["content"]
    assert len(backups) == 1
    assert backups[0]["channel_id"] == backup.id
    assert backup_role.mention in backups[0]["content"]
    assert await world["cog"].send_repings() == 0  # not again until the next interval


async def test_acknowledged_alerts_are_not_repinged(world, monkeypatch) -> None:
    monkeypatch.setattr(world["bot"], "get_cog", lambda name: world["cog"])
    eid = await open_one(world, "sev3")
    await EscalationButton(Action.ACKNOWLEDGE, eid).callback(
        button_interaction(world, world["moderator"])
    )
    world["clock"].advance(3600)
    assert await world["cog"].send_repings() == 0


# ---- cross-feature entry point ----------------------------------------------------------------


async def test_escalate_text_pseudonymous_alert_hides_the_person(world) -> None:
    member = world["member"]
    outcome = await world["cog"].escalate_text(
        guild_id=world["guild"].id,
        user_id=member.id,
        text="sev3 in a vent",
        source="vent",
        pseudonym="Anon · blue-otter-41",
        source_ref="17",
    )
    assert outcome is not None
    assert outcome.result is not None
    (alert,) = [s for s in world["outbox"].sent if "escalation #" in s["content"]]
    everything = alert["content"] + world["outbox"].embed_text(alert)
    assert "blue-otter-41" in everything
    assert str(member.id) not in everything
    assert "haven:vent:relay:17" in {c.custom_id for c in alert["view"].children}
    dm_text = member.send.await_args.args[0]
    assert "shares your name" in dm_text
    e = outcome.result.escalation
    assert e.user_id is None


async def test_escalate_text_without_reaching_the_person_records_that(world) -> None:
    outcome = await world["cog"].escalate_text(
        guild_id=world["guild"].id,
        user_id=world["member"].id,
        text="sev2 note",
        source="checkin_note",
        reach_person=False,
    )
    assert outcome is not None
    world["member"].send.assert_not_awaited()
    assert len(world["outbox"].sent) == 1
    assert await world["service"].pending_deliveries() == []


# ---- Report concern ---------------------------------------------------------------------------


async def test_report_concern_alerts_quietly_never_dms_the_target_and_is_rate_limited(
    world,
) -> None:
    reporter, target = world["outsider"], world["member"]
    message = make_message(world, "i'm fine whatever", author=target)
    first = make_interaction(reporter, guild=world["guild"], client=world["bot"])
    await world["cog"].report_concern(first, message)
    assert "let the moderators know quietly" in sent_text(first)
    assert was_ephemeral(first)
    target.send.assert_not_awaited()
    (alert,) = world["outbox"].sent
    assert world["role"].mention not in alert["content"]
    assert reporter.mention in world["outbox"].embed_text(alert)

    second = make_interaction(reporter, guild=world["guild"], client=world["bot"])
    await world["cog"].report_concern(second, make_message(world, "x", author=target))
    assert "already let the moderators know" in sent_text(second)
    assert len(world["outbox"].sent) == 1


# ---- commands ---------------------------------------------------------------------------------


async def test_helplines_command_is_ephemeral_and_validates(world) -> None:
    command = make_helplines_command(world["cog"])
    interaction = make_interaction(world["outsider"], guild=world["guild"], client=world["bot"])
    await command.callback(interaction)  # the guild default: GB
    assert "Samaritans" in sent_text(interaction)
    assert was_ephemeral(interaction)
    us = make_interaction(world["outsider"], guild=world["guild"], client=world["bot"])
    await command.callback(us, "us")
    assert "988" in sent_text(us)
    assert "911" in sent_text(us)
    with pytest.raises(UserFacingError):
        await command.callback(make_interaction(world["outsider"], client=world["bot"]), "Narnia")


async def test_settings_country_is_the_members_own(world) -> None:
    group = SettingsGroup(world["bot"])
    interaction = make_interaction(world["member"], guild=world["guild"], client=world["bot"])
    await group.country.callback(group, interaction, "ie")
    assert was_ephemeral(interaction)
    helplines = world["bot"].services.helplines
    assert await helplines.member_country(world["member"].id) == "IE"
    assert await helplines.member_country(world["outsider"].id) is None
    with pytest.raises(UserFacingError):
        await group.country.callback(
            group, make_interaction(world["member"], client=world["bot"]), "zz"
        )
    await group.country.callback(
        group, make_interaction(world["member"], client=world["bot"]), "none"
    )
    assert await helplines.member_country(world["member"].id) is None


async def test_escalations_commands_for_moderators(world) -> None:
    eid = await open_one(world, "sev3")
    group = EscalationsGroup(world["bot"])
    listing = make_interaction(world["moderator"], guild=world["guild"], client=world["bot"])
    await group.open.callback(group, listing)
    assert f"#{eid}" in sent_text(listing)
    assert was_ephemeral(listing)
    shown = make_interaction(world["moderator"], guild=world["guild"], client=world["bot"])
    await group.show.callback(group, shown, eid)
    assert "Audit trail" in sent_text(shown)
    stats = make_interaction(world["moderator"], guild=world["guild"], client=world["bot"])
    await group.stats.callback(group, stats)
    assert "Last 7 days:** 1 escalations" in sent_text(stats)
    with pytest.raises(UserFacingError):
        await group.show.callback(
            group,
            make_interaction(world["moderator"], guild=world["guild"], client=world["bot"]),
            999999,
        )


async def test_escalations_commands_refuse_non_moderators(world) -> None:
    group = EscalationsGroup(world["bot"])
    interaction = make_interaction(world["outsider"], guild=world["guild"], client=world["bot"])
    for command in (group.open, group.show, group.stats):
        (check,) = command.checks
        with pytest.raises(app_commands.CheckFailure):
            await check(interaction)


async def test_setup_allowlist_and_escalation_settings(world) -> None:
    admin = make_member(world["guild"], name="admin", manage_guild=True)
    group = AllowlistGroup(world["bot"])
    interaction = make_interaction(admin, guild=world["guild"], client=world["bot"])
    assert await group.interaction_check(interaction)
    await group.add.callback(group, interaction, "Dead By Daylight")
    assert await world["service"].allowlist(world["guild"].id) == ("dead by daylight",)
    listing = make_interaction(admin, guild=world["guild"], client=world["bot"])
    await group.list.callback(group, listing)
    assert "dead by daylight" in sent_text(listing)
    with pytest.raises(app_commands.MissingPermissions):
        await group.interaction_check(
            make_interaction(world["member"], guild=world["guild"], client=world["bot"])
        )

    from cogs.escalation._commands import make_setup_escalation

    command = make_setup_escalation(world["bot"])
    backup = make_text_channel(world["guild"], name="backup", public=False)
    configure = make_interaction(admin, guild=world["guild"], client=world["bot"])
    await command.callback(configure, 10, backup, None, False)
    config = await world["service"].guild_config(world["guild"].id)
    assert (config.reping_minutes, config.backup_channel_id) == (10, backup.id)
    public = make_text_channel(world["guild"], name="general2", public=True)
    with pytest.raises(UserFacingError, match="visible to everyone"):
        await command.callback(
            make_interaction(admin, guild=world["guild"], client=world["bot"]),
            None,
            public,
            None,
            False,
        )


async def test_extension_setup_registers_everything(bot: HavenBot) -> None:
    await bot.load_extension("cogs.admin")
    await bot.load_extension("cogs.escalation")
    names = {c.qualified_name for c in bot.tree.walk_commands()}
    assert {"escalations open", "escalations show", "escalations stats", "helplines",
            "settings country", "setup allowlist add", "setup escalation"} <= names  # fmt: skip
    assert bot.tree.get_command("Report concern", type=discord.AppCommandType.message) is not None
    assert {"crisis_resources", "concern_resources"} <= set(bot.notice_renderers)
    assert bot.services.scheduler.get_job("escalation_tick") is not None
    assert callable(bot.escalate_text)
    assert [c.name for c in bot.setup_group.commands if c.name == "allowlist"] == ["allowlist"]
    await bot.unload_extension("cogs.escalation")
    assert alert_view  # the module stays importable


async def test_vent_crisis_event_is_recorded_and_its_alert_gains_the_buttons(world) -> None:
    from bot.venting.events import VentCrisisEvent
    from bot.venting.service import CrisisInfo

    alert_message_id = next_id()
    event = VentCrisisEvent(
        guild_id=world["guild"].id,
        vent_id=31,
        pseudonym="Anon · quiet-heron-7",
        crisis=CrisisInfo("self_risk", 3, ("imminent.plan",)),
        assessment=None,
        held=False,
        vent_url=f"https://discord.com/channels/{world['guild'].id}/555/666",
        alert_channel_id=world["alerts"].id,
        alert_message_id=alert_message_id,
        author_dm_delivered=True,
    )
    await world["cog"].on_haven_vent_crisis(event)
    (e,) = await world["service"].list_open(world["guild"].id)
    assert (e.pseudonym, e.user_id, e.source_ref, e.severity) == (
        "Anon · quiet-heron-7",
        None,
        "31",
        3,
    )
    assert (e.channel_id, e.message_id) == (555, 666)
    assert world["outbox"].sent == []  # the venting cog's alert is the alert
    (edit,) = [x for x in world["outbox"].edits if x["message_id"] == alert_message_id]
    ids = {c.custom_id for c in edit["view"].children}
    assert f"haven:esc:ack:{e.id}" in ids
    assert "haven:vent:relay:31" in ids
    assert await world["service"].pending_deliveries() == []
    world["member"].send.assert_not_awaited()


async def test_checkin_note_hook_assesses_when_no_assessment_is_given(world) -> None:
    await world["cog"].on_haven_crisis_text(
        user_id=world["member"].id,
        guild_id=world["guild"].id,
        text="sev2 in my note",
        source="checkin_note",
        assessment=None,
    )
    (e,) = await world["service"].list_open(world["guild"].id)
    assert e.source == "checkin_note"
    assert "your check-in note" in world["member"].send.await_args.args[0]
    assert len(world["outbox"].sent) == 1


async def test_a_dm_to_the_bot_gets_resources_but_promises_no_moderator(world) -> None:
    message = MagicMock(spec_set=discord.Message)
    message.id = next_id()
    message.content = "sev2 can't go on"
    message.author = world["member"]
    message.guild = None
    message.channel = MagicMock(spec_set=discord.DMChannel)
    await world["cog"].on_message(message)
    reply = message.channel.send.await_args.args[0]
    assert "Free and confidential" in reply
    assert "let the moderators know" not in reply
    assert world["outbox"].sent == []
    assert await world["service"].list_open(world["guild"].id) == []


def semantic_layer_saying(world, monkeypatch, answer: object) -> MagicMock:
    """A loaded semantic layer (spec'd on the real class) whose second look returns ``answer``."""
    from bot.safety.semantic import SemanticLayer

    layer = MagicMock(spec_set=SemanticLayer)
    layer.loaded = True
    layer.assess_async.return_value = answer
    monkeypatch.setattr(world["bot"].services, "semantic", layer)
    return layer


async def test_semantic_layer_adds_a_crisis_the_rules_missed_after_the_rule_decision(
    world, monkeypatch
) -> None:
    import asyncio

    from bot.safety.crisis import Assessment
    from bot.safety.crisis import Category as DetectorCategory

    cog, outbox, member = world["cog"], world["outbox"], world["member"]
    found = Assessment(DetectorCategory.SELF_RISK, 2, ("semantic: crisis p=0.93",))
    layer = semantic_layer_saying(world, monkeypatch, found)

    await cog.on_message(make_message(world, "driving around with everything i need"))
    # The rules said nothing, so nothing was sent inline...
    assert outbox.sent == []
    await asyncio.gather(*cog._tasks)
    # ...and the second look opened the escalation and delivered it once.
    (opened,) = await world["service"].list_open(world["guild"].id)
    assert (opened.user_id, opened.severity) == (member.id, 2)
    member.send.assert_awaited_once()
    (alert,) = outbox.sent
    assert "semantic" in outbox.embed_text(alert)
    assert world["role"].mention in alert["content"]
    rule_given = layer.assess_async.await_args.args[1]
    assert rule_given.category == "none"


async def test_semantic_layer_adding_nothing_sends_nothing(world, monkeypatch) -> None:
    import asyncio

    cog, outbox, member = world["cog"], world["outbox"], world["member"]
    semantic_layer_saying(world, monkeypatch, None)

    await cog.on_message(make_message(world, "this homework is killing me"))
    await asyncio.gather(*cog._tasks)
    assert outbox.sent == []
    member.send.assert_not_awaited()
    assert await world["service"].list_open(world["guild"].id) == []


async def test_semantic_harassment_goes_to_the_ladder_never_a_crisis(world, monkeypatch) -> None:
    import asyncio

    from bot.safety.crisis import Assessment
    from bot.safety.crisis import Category as DetectorCategory

    cog, outbox, member = world["cog"], world["outbox"], world["member"]
    found = Assessment(DetectorCategory.HARASSMENT, 0, ("semantic: harassment p=0.97",))
    semantic_layer_saying(world, monkeypatch, found)

    message = make_message(world, "do everyone a favour and stop existing")
    await cog.on_message(message)
    await asyncio.gather(*cog._tasks)
    assert outbox.sent == []
    member.send.assert_not_awaited()
    assert await world["service"].list_open(world["guild"].id) == []
    (entry,) = await world["service"].repo.harassment_entries(world["guild"].id)
    assert entry["author_id"] == member.id
    assert ("haven_harassment", (message, found)) in world["dispatched"]


async def test_semantic_concern_for_someone_else_opens_a_concern_alert(world, monkeypatch) -> None:
    import asyncio

    from bot.safety.crisis import Assessment
    from bot.safety.crisis import Category as DetectorCategory

    cog, outbox = world["cog"], world["outbox"]
    reason = "semantic: concern for someone else p=0.95"
    semantic_layer_saying(
        world, monkeypatch, Assessment(DetectorCategory.CONCERN_FOR_OTHER, 0, (reason,))
    )

    await cog.on_message(make_message(world, "my roommate gave all her stuff away this week"))
    await asyncio.gather(*cog._tasks)
    (opened,) = await world["service"].list_open(world["guild"].id)
    assert str(opened.category) == "concern_for_other"
    (alert,) = outbox.sent
    assert "Worried about someone else" in outbox.embed_text(alert)
    assert world["role"].mention not in alert["content"]
