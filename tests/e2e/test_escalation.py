"""Crisis escalation end to end: the real HavenBot (discord.py) against the local fake Discord,
with the real crisis detector.

A crisis message → exactly one DM with the right country's helpline and exactly one
moderator alert with a role ping; every button changes the state and the embed; a
non-moderator's press is refused and changes nothing; a DM refused with 50007 still alerts
and says so; a bot killed after the commit but before sending delivers once after restart;
an idiom produces nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.app import HavenBot
from bot.config import Settings
from tests.e2e.conftest import running_bot
from tests.fakediscord import FakeDiscord, StoredMessage

pytestmark = pytest.mark.e2e

CRISIS = "i'm going to kill myself tonight"
IDIOM = "this homework is killing me"


def configured(fake: FakeDiscord, settings_for: Callable[..., Settings]) -> Settings:
    """Deployment as code: the guild's alert channel, moderator role and country (GB)."""
    return settings_for(
        guilds={
            fake.guild.id: {
                "alert_channel_id": fake.channels["mod-alerts"].id,
                "moderator_role_id": fake.roles["Moderators"].id,
                "country": "GB",
            }
        }
    )


@asynccontextmanager
async def haven(fake: FakeDiscord, settings: Settings) -> AsyncIterator[HavenBot]:
    async with running_bot(fake, settings) as bot:
        yield bot


def alerts(fake: FakeDiscord) -> list[StoredMessage]:
    return [
        m
        for m in fake.messages_in(fake.channels["mod-alerts"])
        if any(cid.startswith("haven:esc:ack:") for cid in m.custom_ids)
    ]


def escalation_id(alert: StoredMessage) -> int:
    (ack,) = [cid for cid in alert.custom_ids if cid.startswith("haven:esc:ack:")]
    return int(ack.rsplit(":", 1)[1])


def state_of(message: StoredMessage) -> str:
    for embed in message.embeds:
        for fld in embed.get("fields", []):
            if fld.get("name") == "State":
                return str(fld.get("value"))
    return ""


async def settle(fake: FakeDiscord, seconds: float = 0.3) -> None:
    """Let in-flight handlers finish (used only to prove that nothing *more* happens)."""
    await asyncio.sleep(seconds)


async def test_crisis_message_one_dm_one_pinging_alert(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member = fake.users["member"]
    role = fake.roles["Moderators"]
    async with haven(fake, configured(fake, settings_for)):
        await fake.send_message(fake.channels["general"], member, CRISIS)
        dm = await fake.wait_for_dm(member)
        alert = await fake.wait_for_message(
            fake.channels["mod-alerts"], lambda m: "escalation #" in m.content
        )
        # The alert is edited once the DM outcome is known.
        await fake.wait_until(
            lambda: "Helplines sent" in "\n".join(fake.message(alert.id).embed_texts),
            5,
            what="the alert to show the DM went out",
        )
        await settle(fake)

        assert len(fake.dms_to(member)) == 1
        assert "Samaritans" in dm.content
        assert "116 123" in dm.content
        assert "999" in dm.content  # severity 3: the local emergency number
        assert "commit suicide" not in dm.content.lower()
        assert any(cid.startswith("haven:esc:talk:") for cid in dm.custom_ids)

        assert len(alerts(fake)) == 1
        assert role.mention in alert.content
        mentions = alert.sent_payload.get("allowed_mentions") or {}
        assert [int(r) for r in mentions.get("roles", [])] == [role.id]
        assert "everyone" not in (mentions.get("parse") or [])
        text = fake.message(alert.id).text()
        assert member.mention in text
        assert "Imminent risk" in text
        assert "jump to message" in text
        # Never a public reply, never a deletion.
        assert fake.messages_in(fake.channels["general"]) == []


async def test_buttons_change_state_and_embed_and_refuse_non_moderators(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member, moderator, other = fake.users["member"], fake.users["moderator"], fake.users["member2"]
    async with haven(fake, configured(fake, settings_for)):
        await fake.send_message(fake.channels["general"], member, CRISIS)
        alert = await fake.wait_for_message(
            fake.channels["mod-alerts"], lambda m: "escalation #" in m.content
        )
        eid = escalation_id(alert)
        await fake.wait_until(
            lambda: "Helplines sent" in "\n".join(fake.message(alert.id).embed_texts), 5
        )

        # A member without the moderator role: ephemeral refusal, nothing changes.
        before = fake.message(alert.id).snapshot()
        for code in ("ack", "claim", "resolve", "false"):
            call = await fake.click_button(alert.id, f"haven:esc:{code}:{eid}", other)
            response = await call.wait_response()
            assert response.ephemeral
            assert "Only this server's moderators" in response.content
        await settle(fake)
        assert fake.message(alert.id).snapshot() == before

        # Acknowledge → Claim → Resolve (with a note) by a moderator.
        call = await fake.click_button(alert.id, f"haven:esc:ack:{eid}", moderator)
        await call.wait_response()
        assert "Acknowledged" in state_of(fake.message(alert.id))
        assert moderator.mention in state_of(fake.message(alert.id))

        call = await fake.click_button(alert.id, f"haven:esc:claim:{eid}", moderator)
        await call.wait_response()
        assert "Claimed" in state_of(fake.message(alert.id))

        call = await fake.click_button(alert.id, f"haven:esc:resolve:{eid}", moderator)
        await call.wait_response()
        assert call.modal is not None
        (note_input,) = [
            c["custom_id"]
            for row in call.modal["components"]
            for c in row.get("components", [row.get("component", {})])
            if c.get("custom_id")
        ]
        submit = await fake.submit_modal(
            call.modal["custom_id"], {note_input: "talked in DMs, safe tonight"}, moderator,
            origin=call,
        )  # fmt: skip
        await submit.wait_response()
        final = fake.message(alert.id)
        assert "Resolved" in state_of(final)
        assert "talked in DMs, safe tonight" in "\n".join(final.embed_texts)
        history = "\n".join(final.embed_texts)
        assert "acknowledged" in history
        assert "claimed" in history

        # A second escalation: False alarm.
        await fake.send_message(fake.channels["general"], other, "i want to die")
        second = await fake.wait_for_message(
            fake.channels["mod-alerts"],
            lambda m: "escalation #" in m.content and escalation_id(m) != eid,
        )
        sid = escalation_id(second)
        call = await fake.click_button(second.id, f"haven:esc:false:{sid}", moderator)
        await call.wait_response()
        assert "False alarm" in state_of(fake.message(second.id))


async def test_closed_dms_still_alert_and_say_so(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member = fake.users["member"]
    fake.fail_dms_to(member)
    async with haven(fake, configured(fake, settings_for)):
        await fake.send_message(fake.channels["general"], member, CRISIS)
        alert = await fake.wait_for_message(
            fake.channels["mod-alerts"], lambda m: "escalation #" in m.content
        )
        await fake.wait_until(
            lambda: (
                "could not reach them by dm"
                in "\n".join(fake.message(alert.id).embed_texts).lower()
            ),
            5,
            what="the alert to say the DM failed",
        )
        assert fake.dms_to(member) == []
        assert len(alerts(fake)) == 1

        # The next Haven command shows the resources privately, once.
        call = await fake.invoke_command("helplines", member)
        await call.wait_response()
        followups = await call.wait_followups(1)
        assert followups[0].ephemeral
        assert "116 123" in followups[0].content


async def test_killed_after_commit_delivers_once_after_restart(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member = fake.users["member"]
    settings = configured(fake, settings_for)
    async with haven(fake, settings) as bot:
        cog: Any = bot.get_cog("Escalation")
        stalled = asyncio.Event()

        async def die_before_sending(*args: Any, **kwargs: Any) -> None:
            stalled.set()  # the escalation row is committed; the process "dies" here

        cog.deliver = die_before_sending
        await fake.send_message(fake.channels["general"], member, CRISIS)
        await asyncio.wait_for(stalled.wait(), 5)
        assert fake.dms_to(member) == []
        assert alerts(fake) == []

    async with haven(fake, settings) as bot:
        await fake.wait_for_dm(member)
        await fake.wait_for_message(
            fake.channels["mod-alerts"], lambda m: "escalation #" in m.content
        )
        cog = bot.get_cog("Escalation")
        assert cog is not None
        await cog.recover()  # type: ignore[attr-defined]  # a second pass sends nothing
        await cog.tick()  # type: ignore[attr-defined]
        await settle(fake)
        assert len(fake.dms_to(member)) == 1
        assert len(alerts(fake)) == 1
        assert fake.roles["Moderators"].mention in alerts(fake)[0].content


async def test_idiom_produces_no_dm_and_no_alert(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member, other = fake.users["member"], fake.users["member2"]
    async with haven(fake, configured(fake, settings_for)):
        await fake.send_message(fake.channels["general"], member, IDIOM)
        # A barrier: a later crisis from someone else is alerted, the idiom is not.
        await fake.send_message(fake.channels["general"], other, CRISIS)
        await fake.wait_for_message(
            fake.channels["mod-alerts"], lambda m: "escalation #" in m.content
        )
        await settle(fake)
        assert fake.dms_to(member) == []
        (only,) = alerts(fake)
        assert other.mention in only.text()
        assert member.mention not in only.text()


OBLIQUE = "driving around with a full bottle of pills, dont know where im going"


async def test_semantic_layer_catches_what_the_rules_miss_and_escalates_once(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    """The real MiniLM layer, loaded in its worker thread, adds a crisis after the rules."""
    from bot.safety.crisis import assess

    assert assess(OBLIQUE).category == "none"  # the premise: rules alone miss this wording
    settings = configured(fake, settings_for).model_copy(
        update={"crisis": settings_for().crisis.model_copy(update={"semantic_layer": True})}
    )
    member = fake.users["member"]
    async with haven(fake, settings) as bot:
        layer = bot.services.semantic
        assert layer is not None
        await fake.wait_until(lambda: layer.loaded, timeout=90, what="semantic layer loaded")
        await fake.send_message(fake.channels["support"], member, OBLIQUE)
        dm = await fake.wait_for_dm(member, timeout=30)
        alert = await fake.wait_for_message(
            fake.channels["mod-alerts"],
            lambda m: any(cid.startswith("haven:esc:ack:") for cid in m.custom_ids),
            timeout=30,
        )
        assert "Samaritans" in dm.text()
        assert "semantic" in alert.text()
        assert f"<@&{fake.roles['Moderators'].id}>" in alert.content
        await settle(fake)
        assert len(alerts(fake)) == 1
        assert len(fake.dms_to(member)) == 1


async def test_talk_to_a_moderator_pages_the_team_once_from_the_dm(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member = fake.users["member"]
    async with haven(fake, configured(fake, settings_for)):
        await fake.send_message(fake.channels["general"], member, CRISIS)
        dm = await fake.wait_for_dm(member)
        (talk,) = [cid for cid in dm.custom_ids if cid.startswith("haven:esc:talk:")]

        call = await fake.click_button(dm.id, talk, member)
        page = await fake.wait_for_message(
            fake.channels["mod-alerts"], lambda m: "asked to talk to a moderator" in m.content
        )
        assert member.mention in page.content
        await call.wait_followups(1)
        assert call.followups[0].ephemeral
        assert "someone will message you" in call.followups[0].content

        # Pressing again does not page twice.
        again = await fake.click_button(dm.id, talk, member)
        response = await again.wait_response()
        assert response.ephemeral
        assert "already know" in response.content
        await settle(fake)
        pages = [
            m
            for m in fake.messages_in(fake.channels["mod-alerts"])
            if "asked to talk to a moderator" in m.content
        ]
        assert len(pages) == 1
