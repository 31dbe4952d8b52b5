"""Auto-moderation end to end: the real HavenBot (discord.py) against the local fake Discord.

Each rung of the ladder (log embed with buttons; delete + DM; timeout PATCH), exemptions,
the log buttons for moderators and non-moderators, the harassment path, /setup moderation,
and one run on the real ToxicityService with the tiny random-weight checkpoint (offline).
Ladder tests use a fake scorer: they are about the ladder, not the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot.config import Settings
from bot.moderation import ModerationService
from cogs.moderation._cog import NOT_MODERATOR, Moderation
from tests.e2e.conftest import E2EHavenBot, running_bot
from tests.fakediscord import FakeDiscord, Role, StoredMessage
from tests.toxicity_model import TinyModel, build_checkpoint

pytestmark = pytest.mark.e2e

ABUSE = "you are a pathetic idiot and everyone here hates you"
HIGH = {"toxicity": 0.97, "insult": 0.95}
GUARD_S = 60.0  # a hung test fails instead of blocking CI; not a performance assertion


class FakeScorer:
    def __init__(self, scores: Mapping[str, float] | None) -> None:
        self.scores = scores
        self.texts: list[str] = []

    async def __call__(self, text: str) -> Mapping[str, float] | None:
        self.texts.append(text)
        return self.scores


@dataclass
class Setup:
    bot: E2EHavenBot
    scorer: FakeScorer
    peers: Role

    @property
    def service(self) -> ModerationService:
        service = self.bot.services.moderation
        assert service is not None
        return service

    @property
    def cog(self) -> Moderation:
        # Not isinstance: discord.py re-imports an extension's modules for each bot.
        cog = self.bot.get_cog("Moderation")
        assert cog is not None
        return cast(Moderation, cog)


async def configure(fake: FakeDiscord, bot: E2EHavenBot) -> None:
    await bot.services.guild_settings.update(
        fake.guild.id,
        moderator_role_id=fake.roles["Moderators"].id,
        vent_channel_id=fake.channels["vents"].id,
    )
    assert bot.services.moderation is not None
    await bot.services.moderation.update_settings(
        fake.guild.id, log_channel_id=fake.channels["mod-alerts"].id
    )


@pytest.fixture
async def moderated(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> AsyncIterator[Setup]:
    # A role the bot knows from GUILD_CREATE, held by member2 (exempted in one test).
    peers = fake.add_role("Peer supporters")
    fake.member(fake.users["member2"]).roles.append(peers.id)
    async with running_bot(fake, settings_for()) as bot:
        scorer = FakeScorer(HIGH)
        assert bot.services.moderation is not None
        bot.services.moderation = ModerationService(bot.services.moderation.repository, scorer)
        await configure(fake, bot)
        yield Setup(bot, scorer, peers)
        await Setup(bot, scorer, peers).cog.idle()
    assert not fake.internal_errors


async def log_embed_for(fake: FakeDiscord, posted: StoredMessage) -> StoredMessage:
    """The moderation log message about ``posted``."""
    marker = f"/{posted.channel_id}/{posted.id})"
    return await fake.wait_for_message(
        fake.channels["mod-alerts"], lambda m: any(marker in t for t in m.embed_texts)
    )


class CommandsSettled:
    """Counts finished post-command hooks, so a test does not close the bot under them."""

    def __init__(self, bot: E2EHavenBot, monkeypatch: pytest.MonkeyPatch) -> None:
        self.done = 0
        original = bot.deliver_pending_notices

        async def counted(interaction: Any) -> None:
            try:
                await original(interaction)
            finally:
                self.done += 1

        monkeypatch.setattr(bot, "deliver_pending_notices", counted)

    async def wait(self, fake: FakeDiscord, count: int) -> None:
        await fake.wait_until(lambda: self.done >= count or None, what="command hooks")


def log_id_of(log_message: StoredMessage) -> int:
    return int(log_message.custom_ids[-1].rsplit(":", 1)[1])


async def test_log_rung_posts_an_embed_with_buttons_and_touches_nothing(
    fake: FakeDiscord, moderated: Setup
) -> None:
    member = fake.users["member"]
    since = fake.mark()
    posted = await fake.send_message(fake.channels["general"], member, ABUSE)

    log_message = await log_embed_for(fake, posted)
    text = log_message.text()
    assert ABUSE in text and member.mention in text and "insult 0.95" in text
    log_id = log_id_of(log_message)
    assert log_message.custom_ids == [
        f"haven:mod:delete:{log_id}",
        f"haven:mod:timeout:{log_id}",
        f"haven:mod:dismiss:{log_id}",
    ]
    post = fake.requests_to("POST", rf"/channels/{fake.channels['mod-alerts'].id}/messages")
    assert post and post[-1].json["embeds"] and post[-1].json["components"]
    assert not post[-1].json.get("allowed_mentions", {}).get("parse")  # pings nobody
    assert fake.requests_to("DELETE", r"/channels/\d+/messages/\d+", since=since) == []
    assert fake.requests_to("PATCH", r"/guilds/\d+/members/\d+", since=since) == []
    assert not fake.message(posted.id).deleted
    assert fake.dms_to(member) == []


async def test_hide_rung_deletes_the_message_and_dms_the_author(
    fake: FakeDiscord, moderated: Setup
) -> None:
    await moderated.service.update_settings(fake.guild.id, action="hide")
    member = fake.users["member"]
    posted = await fake.send_message(fake.channels["general"], member, ABUSE)

    await fake.wait_for_request("DELETE", rf"/channels/{posted.channel_id}/messages/{posted.id}")
    assert fake.message(posted.id).deleted
    dm = await fake.wait_for_dm(member)
    assert fake.guild.name in dm.content and "mistake" in dm.content
    assert ABUSE not in dm.content
    log_message = await log_embed_for(fake, posted)
    assert "Message deleted." in log_message.text()
    assert not any(":delete:" in cid for cid in log_message.custom_ids)


async def test_timeout_rung_patches_the_member_with_communication_disabled_until(
    fake: FakeDiscord, moderated: Setup
) -> None:
    await moderated.service.update_settings(
        fake.guild.id, action="timeout", strike_limit=2, timeout_minutes=30
    )
    member = fake.users["member"]
    member_path = rf"/guilds/{fake.guild.id}/members/{member.id}"
    first = await fake.send_message(fake.channels["general"], member, ABUSE)
    await log_embed_for(fake, first)
    assert fake.requests_to("PATCH", member_path) == []  # one strike: hidden, not timed out

    before = datetime.now(UTC)
    second = await fake.send_message(fake.channels["general"], member, ABUSE + "!")
    patch = await fake.wait_for_request("PATCH", member_path)
    until = datetime.fromisoformat(patch.json["communication_disabled_until"])
    assert timedelta(minutes=29) < until - before < timedelta(minutes=31)
    assert ABUSE not in (patch.headers.get("X-Audit-Log-Reason") or "")
    assert fake.member(member).communication_disabled_until is not None
    assert fake.message(second.id).deleted
    log_message = await log_embed_for(fake, second)
    assert "timed out for 30 minutes" in log_message.text()
    dms = await fake.wait_until(lambda: len(fake.dms_to(member)) >= 2 and fake.dms_to(member))
    assert "30 minutes" in dms[-1].content


async def test_an_exempt_role_is_never_actioned(fake: FakeDiscord, moderated: Setup) -> None:
    await moderated.service.update_settings(
        fake.guild.id,
        action="timeout",
        strike_limit=1,
        exempt_role_ids=[moderated.peers.id],
    )
    since = fake.mark()
    exempt = await fake.send_message(fake.channels["general"], fake.users["member2"], ABUSE)
    # A later message from someone else is actioned: by then the exempt one was handled.
    other = await fake.send_message(fake.channels["general"], fake.users["member"], "idiot")
    await log_embed_for(fake, other)
    await moderated.cog.idle()

    assert "idiot" in moderated.scorer.texts and ABUSE not in moderated.scorer.texts
    assert not fake.message(exempt.id).deleted
    member2 = fake.users["member2"]
    assert fake.requests_to("PATCH", rf"/guilds/\d+/members/{member2.id}", since=since) == []
    assert fake.dms_to(member2) == []
    assert await moderated.service.repository.entry_for_message(fake.guild.id, exempt.id) is None
    assert [m for m in fake.messages_in(fake.channels["mod-alerts"]) if ABUSE in m.text()] == []


async def test_a_moderator_press_edits_the_embed_with_who_did_what(
    fake: FakeDiscord, moderated: Setup
) -> None:
    posted = await fake.send_message(fake.channels["general"], fake.users["member"], ABUSE)
    log_message = await log_embed_for(fake, posted)
    moderator = fake.users["moderator"]
    log_id = log_id_of(log_message)

    press = await fake.click_button(log_message, f"haven:mod:delete:{log_id}", moderator)
    await press.wait_response()

    edited = await fake.wait_until(
        lambda: (m := fake.message(log_message.id)).edits and not m.custom_ids and m
    )
    assert f"Deleted by {moderator.mention}" in edited.text() and "<t:" in edited.text()
    assert fake.message(posted.id).deleted
    entry = await moderated.service.repository.entry(log_id)
    assert entry is not None and (entry.status, entry.moderator_id) == ("deleted", moderator.id)


async def test_a_non_moderator_press_is_refused_privately_and_changes_nothing(
    fake: FakeDiscord, moderated: Setup
) -> None:
    posted = await fake.send_message(fake.channels["general"], fake.users["member"], ABUSE)
    log_message = await log_embed_for(fake, posted)
    before = fake.message(log_message.id).snapshot()
    since = fake.mark()

    press = await fake.click_button(
        log_message, f"haven:mod:timeout:{log_id_of(log_message)}", fake.users["member2"]
    )
    response = await press.wait_response()

    assert response.ephemeral and response.content == NOT_MODERATOR
    assert fake.message(log_message.id).snapshot() == before
    assert not fake.message(posted.id).deleted
    assert fake.requests_to("PATCH", r"/guilds/\d+/members/\d+", since=since) == []
    entry = await moderated.service.repository.entry(log_id_of(log_message))
    assert entry is not None and entry.status == "open"


async def test_kys_aimed_at_someone_is_logged_once_without_model_scores(
    fake: FakeDiscord, moderated: Setup
) -> None:
    moderated.scorer.scores = None  # as if the model were still loading
    posted = await fake.send_message(fake.channels["general"], fake.users["member"], "kys")
    log_message = await log_embed_for(fake, posted)
    assert "death wish" in log_message.text()
    # The escalation cog's hint arrives too: still one entry and one embed.
    channel = moderated.bot.get_channel(posted.channel_id)
    assert channel is not None
    message = await channel.fetch_message(posted.id)  # type: ignore[union-attr]
    moderated.bot.dispatch("haven_harassment", message, None)
    await asyncio.sleep(0)
    await moderated.cog.idle()
    assert len([m for m in fake.messages_in(fake.channels["mod-alerts"]) if m.embeds]) == 1


async def test_setup_moderation_commands_answer_privately_and_store(
    fake: FakeDiscord, moderated: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    settled = CommandsSettled(moderated.bot, monkeypatch)
    admin = fake.users["admin"]
    call = await fake.invoke_command(
        "setup moderation action", admin, options={"level": "hide", "strict_level": "timeout"}
    )
    response = await call.wait_response()
    assert response.ephemeral and "hide" in response.content
    settings = await moderated.service.settings(fake.guild.id)
    assert (settings.action.value, settings.strict_action.value) == ("hide", "timeout")

    call = await fake.invoke_command(
        "setup moderation exempt-role",
        admin,
        options={"change": "add", "role": moderated.peers},
    )
    assert (await call.wait_response()).ephemeral
    assert moderated.peers.id in (await moderated.service.settings(fake.guild.id)).exempt_role_ids

    call = await fake.invoke_command(
        "setup moderation log-channel", admin, options={"channel": fake.channels["general"]}
    )
    refused = await call.wait_response()
    assert refused.ephemeral and "visible to everyone" in refused.content
    await settled.wait(fake, 2)  # the refused one raised: no completion hook for it


# -- the real model -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return build_checkpoint(tmp_path_factory.mktemp("tiny-e2e"))


async def test_real_toxicity_service_on_the_tiny_checkpoint_drives_the_ladder(
    fake: FakeDiscord,
    settings_for: Callable[..., Settings],
    tiny: TinyModel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    settings = settings_for(
        moderation={
            "enabled": True,
            "checkpoint": Path(tiny.checkpoint),
            "model_dir": Path(tiny.model_dir),
            "threads": 1,
            "batch_window_ms": 5,
        }
    )
    async with running_bot(fake, settings) as bot:
        settled = CommandsSettled(bot, monkeypatch)
        toxicity, service = bot.services.toxicity, bot.services.moderation
        assert toxicity is not None and service is not None
        status = await asyncio.wait_for(toxicity.wait_ready(), GUARD_S)
        assert status.ready, status.error
        await configure(fake, bot)
        cog = cast(Moderation, bot.get_cog("Moderation"))
        assert cog is not None
        general, member = fake.channels["general"], fake.users["member"]

        # A random-weight model scores about 0.5: thresholds of 1.0 never trip.
        off = dict.fromkeys(
            ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"), 1.0
        )
        await service.update_settings(fake.guild.id, threshold_overrides=off)
        quiet = await fake.send_message(general, member, "thanks for listening to me tonight")
        await fake.wait_until(lambda: toxicity.status().scored >= 1)
        await cog.idle()
        assert await service.repository.entry_for_message(fake.guild.id, quiet.id) is None

        # ... and 0.01 always does: the real scores reach the ladder and the log embed.
        await service.update_settings(
            fake.guild.id, action="hide", threshold_overrides={**off, "toxicity": 0.01}
        )
        flagged = await fake.send_message(general, member, "you are so stupid")
        log_message = await log_embed_for(fake, flagged)
        assert "toxicity 0." in log_message.text() and "(threshold 0.01)" in log_message.text()
        assert fake.message(flagged.id).deleted
        assert not fake.message(quiet.id).deleted

        show = await fake.invoke_command("setup show", fake.users["admin"])
        shown = await show.wait_response()
        assert "**Toxicity model:** ready" in shown.content and "dropped 0" in shown.content
        await settled.wait(fake, 1)
        await cog.idle()
    assert not fake.internal_errors


async def test_a_missing_checkpoint_leaves_the_bot_running_and_setup_show_says_why(
    fake: FakeDiscord,
    settings_for: Callable[..., Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = settings_for(
        moderation={
            "enabled": True,
            "checkpoint": tmp_path / "missing.ckpt",
            "model_dir": tmp_path,
        }
    )
    async with running_bot(fake, settings) as bot:
        settled = CommandsSettled(bot, monkeypatch)
        assert bot.services.toxicity is not None
        await asyncio.wait_for(bot.services.toxicity.wait_ready(), GUARD_S)
        show = await fake.invoke_command("setup show", fake.users["admin"])
        shown = (await show.wait_response()).content
        warning = shown.index("did not load")
        assert warning < shown.index("**Toxicity model:**")
        assert "moderation.checkpoint" in shown
        await settled.wait(fake, 1)


async def test_an_entry_whose_embed_failed_is_posted_after_a_restart_and_its_buttons_work(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    alerts = fake.channels["mod-alerts"]
    member = fake.users["member"]
    async with running_bot(fake, settings_for()) as bot:
        assert bot.services.moderation is not None
        bot.services.moderation = ModerationService(
            bot.services.moderation.repository, FakeScorer(HIGH)
        )
        await configure(fake, bot)
        fake.fail_route(
            "POST",
            rf"/channels/{alerts.id}/messages",
            status=403,
            body={"code": 50013, "message": "Missing Permissions"},
        )
        posted = await fake.send_message(fake.channels["general"], member, ABUSE)
        await fake.wait_for_request("POST", rf"/channels/{alerts.id}/messages")
        await cast(Moderation, bot.get_cog("Moderation")).idle()
        entry = await bot.services.moderation.repository.entry_for_message(fake.guild.id, posted.id)
        assert entry is not None and entry.log_message_id is None  # recorded, not shown
    assert fake.messages_in(alerts) == []

    async with running_bot(fake, settings_for()) as restarted:
        log_message = await log_embed_for(fake, posted)
        assert "after a restart" in log_message.text() and ABUSE in log_message.text()
        press = await fake.click_button(
            log_message, f"haven:mod:dismiss:{entry.id}", fake.users["moderator"]
        )
        await press.wait_response()
        await fake.wait_until(lambda: "Dismissed by" in fake.message(log_message.id).text())
        assert restarted.services.moderation is not None
        stored = await restarted.services.moderation.repository.entry(entry.id)
        assert stored is not None and stored.status == "dismissed"
        assert stored.log_message_id == log_message.id
    assert len(fake.messages_in(alerts)) == 1
