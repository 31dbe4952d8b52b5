"""The moderation cog: listener → ladder → Discord calls, log buttons, /setup moderation.

A fake scorer stands in for the model (these tests are about the ladder, not the model);
the crisis detector's category is pinned per test so they do not depend on its lexicon.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import MagicMock

import aiohttp
import discord
import pytest

from bot.app import HavenBot
from bot.errors import UserFacingError
from bot.moderation import Action, ModerationService
from bot.safety.toxicity import ToxicityService
from cogs.moderation import _cog as cog_module
from cogs.moderation._cog import NOT_MODERATOR, Moderation
from cogs.moderation._setup import ModerationSetup
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

ABUSE = "you are a pathetic idiot and everyone here hates you"
HIGH = {"toxicity": 0.97, "insult": 0.95, "threat": 0.01}
MEDIUM = {"toxicity": 0.70, "insult": 0.65}  # over the strict (vent) profile only
LOW = {"toxicity": 0.05, "insult": 0.02}


class FakeScorer:
    """Stands in for ToxicityService.submit; ``gate`` lets a test hold scoring back."""

    def __init__(self, scores: Mapping[str, float] | None = None) -> None:
        self.scores = scores
        self.texts: list[str] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def __call__(self, text: str) -> Mapping[str, float] | None:
        self.texts.append(text)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        return self.scores


@dataclass
class World:
    bot: HavenBot
    cog: Moderation
    scorer: FakeScorer
    guild: MagicMock
    general: MagicMock
    vents: MagicMock
    log_channel: MagicMock
    moderators: MagicMock
    moderator: MagicMock
    author: MagicMock
    posted: list[dict[str, Any]]

    @property
    def service(self) -> ModerationService:
        service = self.bot.services.moderation
        assert service is not None
        return service


def http_response(status: int) -> MagicMock:
    response = MagicMock(spec_set=aiohttp.ClientResponse)
    response.status = status
    response.reason = "error"
    return response


def _message_mock(message_id: int) -> MagicMock:
    sent = MagicMock(spec_set=discord.Message)
    sent.id = message_id
    return sent


def pin_crisis(monkeypatch: pytest.MonkeyPatch, category: str) -> None:
    async def fixed(bot: Any, guild_id: int, text: str) -> str:
        return category

    monkeypatch.setattr(cog_module, "crisis_category", fixed)


@pytest.fixture
async def world(bot: HavenBot, monkeypatch: pytest.MonkeyPatch) -> World:
    pin_crisis(monkeypatch, "none")
    scorer = FakeScorer(HIGH)
    repository = bot.services.moderation.repository  # type: ignore[union-attr]
    bot.services.moderation = ModerationService(repository, scorer)
    guild = make_guild(name="Quiet Harbour")
    general = make_text_channel(guild, name="general")
    vents = make_text_channel(guild, name="vents")
    log_channel = make_text_channel(guild, name="mod-log", public=False)
    for channel in (general, vents, log_channel):
        channel.category_id = None
    posted: list[dict[str, Any]] = []

    async def send(*args: Any, **kwargs: Any) -> MagicMock:
        posted.append(kwargs)
        return _message_mock(next_id())

    log_channel.send.side_effect = send
    channels = {c.id: c for c in (general, vents, log_channel)}
    guild.get_channel_or_thread.side_effect = channels.get
    moderators = make_role(guild, name="Moderators")
    moderator = make_member(guild, name="mod", roles=[moderators])
    author = make_member(guild, name="troll")
    members = {m.id: m for m in (moderator, author)}
    guild.get_member.side_effect = members.get
    await bot.services.guild_settings.update(
        guild.id, moderator_role_id=moderators.id, vent_channel_id=vents.id
    )
    await bot.services.moderation.update_settings(guild.id, log_channel_id=log_channel.id)
    return World(
        bot,
        Moderation(bot),
        scorer,
        guild,
        general,
        vents,
        log_channel,
        moderators,
        moderator,
        author,
        posted,
    )


def make_message(
    world: World,
    content: str = ABUSE,
    *,
    author: Any = None,
    channel: Any = None,
    reply_to_channel: int | None = None,
) -> MagicMock:
    message = MagicMock(spec_set=discord.Message)
    message.id = next_id()
    message.content = content
    message.author = author or world.author
    message.guild = world.guild
    message.channel = channel or world.general
    message.webhook_id = None
    message.reference = None
    if reply_to_channel is not None:
        message.reference = discord.MessageReference(
            message_id=next_id(), channel_id=reply_to_channel, guild_id=world.guild.id
        )
    return message


def make_thread(world: World, parent: Any) -> MagicMock:
    thread = MagicMock(spec_set=discord.Thread)
    thread.id = next_id()
    thread.parent_id = parent.id
    thread.parent = parent
    thread.guild = world.guild
    thread.mention = f"<#{thread.id}>"
    return thread


async def post(world: World, message: Any) -> None:
    await world.cog.on_message(message)
    await world.cog.idle()


def embed_text(embed: discord.Embed) -> str:
    parts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    parts.extend(f"{field.name}\n{field.value}" for field in embed.fields)
    return "\n".join(parts)


def custom_ids(view: discord.ui.View | None) -> list[str]:
    return [] if view is None else [item.custom_id for item in view.children]  # type: ignore[attr-defined]


def dm_texts(member: MagicMock) -> list[str]:
    return [call.args[0] for call in member.send.call_args_list]


# -- the ladder ---------------------------------------------------------------------------


async def test_log_rung_posts_an_embed_with_excerpt_link_and_buttons_and_acts_on_nothing(
    world: World,
) -> None:
    message = make_message(world)
    await post(world, message)

    assert len(world.posted) == 1
    embed, view = world.posted[0]["embed"], world.posted[0]["view"]
    text = embed_text(embed)
    assert ABUSE in text  # the moderators' excerpt
    assert world.author.mention in text
    assert f"/{world.guild.id}/{world.general.id}/{message.id}" in text  # jump link
    assert "insult 0.95" in text and "toxicity 0.97" in text
    assert "threat" not in text.split("Other scores")[0]  # under its threshold
    entry = await world.service.repository.entry_for_message(world.guild.id, message.id)
    assert entry is not None and entry.action is Action.LOG
    assert custom_ids(view) == [
        f"haven:mod:delete:{entry.id}",
        f"haven:mod:timeout:{entry.id}",
        f"haven:mod:dismiss:{entry.id}",
    ]
    assert view.timeout is None  # persistent
    stored = await world.service.repository.entry(entry.id)
    assert stored is not None and stored.log_message_id is not None  # delivered
    message.delete.assert_not_awaited()
    world.author.timeout.assert_not_awaited()
    world.author.send.assert_not_awaited()


async def test_excerpt_is_capped_at_200_characters(world: World) -> None:
    long = "idiot " * 100
    await post(world, make_message(world, long))
    description = world.posted[0]["embed"].description
    assert len(description) <= 200 + len(">>> ")


async def test_clean_message_is_scored_and_nothing_happens(world: World) -> None:
    world.scorer.scores = LOW
    message = make_message(world, "thanks, that helped a lot")
    await post(world, message)
    assert world.scorer.texts == ["thanks, that helped a lot"]
    assert world.posted == []
    message.delete.assert_not_awaited()


async def test_hide_rung_deletes_and_tells_the_author_privately_how_to_appeal(
    world: World,
) -> None:
    await world.service.update_settings(world.guild.id, action="hide")
    message = make_message(world)
    await post(world, message)

    message.delete.assert_awaited_once()
    world.author.timeout.assert_not_awaited()
    (dm,) = dm_texts(world.author)
    assert "Quiet Harbour" in dm and "moderators" in dm and "mistake" in dm
    assert ABUSE not in dm  # the note does not quote them back
    assert "insulting" in dm
    embed = world.posted[0]["embed"]
    assert "Message deleted" in embed_text(embed)
    assert "told privately" in embed_text(embed)
    assert not any("delete" in cid for cid in custom_ids(world.posted[0]["view"]))


async def test_timeout_rung_times_out_a_repeat_offender(world: World) -> None:
    await world.service.update_settings(
        world.guild.id, action="timeout", strike_limit=2, timeout_minutes=45
    )
    first, second = make_message(world), make_message(world)
    await post(world, first)
    first.delete.assert_awaited_once()
    world.author.timeout.assert_not_awaited()  # one strike: hidden only

    await post(world, second)
    second.delete.assert_awaited_once()
    world.author.timeout.assert_awaited_once()
    call = world.author.timeout.await_args
    assert call.args[0] == timedelta(minutes=45)
    assert ABUSE not in call.kwargs["reason"]
    assert "45 minutes" in dm_texts(world.author)[-1]
    assert "timed out for 45 minutes" in embed_text(world.posted[-1]["embed"])
    assert custom_ids(world.posted[-1]["view"])[-1].startswith("haven:mod:dismiss:")
    assert not any("timeout" in cid for cid in custom_ids(world.posted[-1]["view"]))


async def test_closed_dms_are_skipped_quietly_and_the_log_says_so(world: World) -> None:
    await world.service.update_settings(world.guild.id, action="hide")
    world.author.send.side_effect = discord.Forbidden(
        http_response(403), {"code": 50007, "message": "Cannot send messages to this user"}
    )
    message = make_message(world)
    await post(world, message)
    message.delete.assert_awaited_once()
    assert "DMs are closed" in embed_text(world.posted[0]["embed"])


async def test_missing_permission_to_delete_is_reported_in_the_log(world: World) -> None:
    await world.service.update_settings(world.guild.id, action="hide")
    message = make_message(world)
    message.delete.side_effect = discord.Forbidden(http_response(403), "Missing Permissions")
    await post(world, message)
    text = embed_text(world.posted[0]["embed"])
    assert "Manage Messages" in text and "Message deleted" not in text
    assert any("delete" in cid for cid in custom_ids(world.posted[0]["view"]))


async def test_exempt_role_is_never_scored_or_actioned(world: World) -> None:
    helpers = make_role(world.guild, name="Helpers")
    await world.service.update_settings(
        world.guild.id, action="timeout", strike_limit=1, exempt_role_ids=[helpers.id]
    )
    helper = make_member(world.guild, roles=[helpers])
    message = make_message(world, author=helper)
    await post(world, message)
    assert world.scorer.texts == []
    assert world.posted == []
    message.delete.assert_not_awaited()
    helper.timeout.assert_not_awaited()
    assert await world.service.repository.recent(world.guild.id) == []


async def test_exempt_channel_covers_its_threads(world: World) -> None:
    await world.service.update_settings(
        world.guild.id, action="hide", exempt_channel_ids=[world.general.id]
    )
    message = make_message(world, channel=make_thread(world, world.general))
    await post(world, message)
    assert world.scorer.texts == [] and world.posted == []
    message.delete.assert_not_awaited()


async def test_moderators_by_permission_or_role_are_never_actioned(world: World) -> None:
    await world.service.update_settings(world.guild.id, action="hide")
    by_permission = make_member(world.guild)
    by_permission.guild_permissions = discord.Permissions(manage_messages=True)
    for author in (by_permission, world.moderator):
        message = make_message(world, author=author)
        await post(world, message)
        message.delete.assert_not_awaited()
    assert world.posted == [] and world.scorer.texts == []


async def test_bots_webhooks_dms_and_unmonitored_channels_are_skipped(world: World) -> None:
    bot_author = make_member(world.guild)
    bot_author.bot = True
    await post(world, make_message(world, author=bot_author))
    hook = make_message(world)
    hook.webhook_id = next_id()
    await post(world, hook)
    dm = make_message(world)
    dm.guild = None
    await post(world, dm)
    support = make_text_channel(world.guild, name="support")
    await world.bot.services.guild_settings.update(
        world.guild.id, monitored_channel_ids=[support.id]
    )
    await post(world, make_message(world, channel=world.general))
    assert world.scorer.texts == [] and world.posted == []


async def test_vent_threads_and_replies_to_vents_use_the_stricter_profile(world: World) -> None:
    world.scorer.scores = MEDIUM
    await post(world, make_message(world, channel=world.general))
    assert world.posted == []  # normal thresholds: not flagged

    # Vent channel not in the monitored list: vent threads are read anyway.
    await world.bot.services.guild_settings.update(
        world.guild.id, monitored_channel_ids=[world.general.id]
    )
    in_thread = make_message(world, channel=make_thread(world, world.vents))
    await post(world, in_thread)
    reply = make_message(world, channel=world.vents, reply_to_channel=world.vents.id)
    await post(world, reply)
    assert len(world.posted) == 2
    for message in (in_thread, reply):
        entry = await world.service.repository.entry_for_message(world.guild.id, message.id)
        assert entry is not None and entry.profile.value == "strict"
    assert "vent" in embed_text(world.posted[0]["embed"]).lower()


async def test_a_crisis_message_is_never_actioned_for_toxicity(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_crisis(monkeypatch, "self_risk")
    await world.service.update_settings(world.guild.id, action="hide")
    message = make_message(world, "i hate myself, i'm so pathetic")
    await post(world, message)
    assert world.scorer.texts == []  # the model is not even asked
    assert world.posted == []
    message.delete.assert_not_awaited()


async def test_harassment_is_logged_once_without_model_scores(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_crisis(monkeypatch, "harassment")
    world.scorer.scores = None  # model not loaded
    message = make_message(world, "kys")
    await world.cog.on_message(message)
    await world.cog.on_haven_harassment(message, object())  # the escalation cog's hint
    await world.cog.idle()
    assert len(world.posted) == 1
    assert "death wish" in embed_text(world.posted[0]["embed"])


async def test_harassment_event_alone_is_logged_and_a_later_duplicate_is_not(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_crisis(monkeypatch, "none")
    world.scorer.scores = HIGH  # the model flags it too: still one embed
    message = make_message(world, "go kill yourself")
    await world.cog.on_haven_harassment(message, object())
    await world.cog.on_message(message)
    await world.cog.on_haven_harassment(message, object())
    await world.cog.idle()
    assert len(world.posted) == 1
    assert len(await world.service.repository.recent(world.guild.id)) == 1


async def test_the_listener_returns_before_the_model_has_scored(world: World) -> None:
    world.scorer.gate = asyncio.Event()
    message = make_message(world)
    # Returns although scoring is held back (a listener that awaited the model would hang).
    await asyncio.wait_for(world.cog.on_message(message), 10)
    await asyncio.wait_for(world.scorer.entered.wait(), 10)
    await asyncio.sleep(0)
    assert world.scorer.texts == [ABUSE]
    assert world.posted == []
    world.scorer.gate.set()
    await world.cog.idle()
    assert len(world.posted) == 1


async def test_nothing_is_posted_without_a_log_or_alert_channel_but_it_is_recorded(
    world: World,
) -> None:
    await world.service.update_settings(world.guild.id, log_channel_id=None)
    message = make_message(world)
    await post(world, message)
    assert world.posted == []
    entry = await world.service.repository.entry_for_message(world.guild.id, message.id)
    assert entry is not None and entry.log_message_id is None


async def test_the_alert_channel_is_used_when_no_log_channel_is_set(world: World) -> None:
    await world.service.update_settings(world.guild.id, log_channel_id=None)
    await world.bot.services.guild_settings.update(
        world.guild.id, alert_channel_id=world.log_channel.id
    )
    await post(world, make_message(world))
    assert len(world.posted) == 1


async def test_start_up_recovery_posts_undelivered_entries_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.log_channel.send.side_effect = discord.HTTPException(http_response(500), "down")
    message = make_message(world)
    await post(world, message)
    entry = await world.service.repository.entry_for_message(world.guild.id, message.id)
    assert entry is not None and entry.log_message_id is None

    posted: list[dict[str, Any]] = []

    async def send(*args: Any, **kwargs: Any) -> MagicMock:
        posted.append(kwargs)
        return _message_mock(next_id())

    world.log_channel.send.side_effect = send
    world.general.fetch_message.return_value = message
    monkeypatch.setattr(world.bot, "get_guild", lambda gid: world.guild)
    fresh = Moderation(world.bot)  # a restarted process
    assert await fresh.recover_undelivered() == 1
    assert len(posted) == 1
    text = embed_text(posted[0]["embed"])
    assert "after a restart" in text and ABUSE in text
    assert await fresh.recover_undelivered() == 0
    assert await Moderation(world.bot).recover_undelivered() == 0  # attached: delivered


# -- log buttons --------------------------------------------------------------------------


async def logged(world: World, **settings: Any) -> tuple[MagicMock, int, discord.Embed]:
    if settings:
        await world.service.update_settings(world.guild.id, **settings)
    message = make_message(world)
    await post(world, message)
    entry = await world.service.repository.entry_for_message(world.guild.id, message.id)
    assert entry is not None
    return message, entry.id, world.posted[-1]["embed"]


def press_interaction(world: World, user: Any, embed: discord.Embed) -> MagicMock:
    interaction = make_interaction(
        user, guild=world.guild, channel=world.log_channel, client=world.bot
    )
    log_message = MagicMock(spec_set=discord.Message)
    log_message.embeds = [embed]
    interaction.message = log_message
    return interaction


def partial_for(world: World, message: MagicMock) -> MagicMock:
    partial = MagicMock(spec_set=discord.PartialMessage)
    world.general.get_partial_message.side_effect = lambda mid: (
        partial if mid == message.id else None
    )
    return partial


async def test_moderator_delete_deletes_and_edits_the_embed_with_who_and_when(
    world: World,
) -> None:
    message, log_id, embed = await logged(world)
    partial = partial_for(world, message)
    interaction = press_interaction(world, world.moderator, embed)

    await world.cog.press(interaction, log_id, "deleted")

    partial.delete.assert_awaited_once()
    edited = interaction.edit_original_response.await_args.kwargs
    assert edited["view"] is None
    handled = embed_text(edited["embed"])
    assert f"Deleted by {world.moderator.mention}" in handled and "<t:" in handled
    entry = await world.service.repository.entry(log_id)
    assert entry is not None
    assert (entry.status, entry.moderator_id) == ("deleted", world.moderator.id)
    assert "by a moderator" in dm_texts(world.author)[-1]


async def test_a_non_moderator_is_refused_privately_and_nothing_changes(world: World) -> None:
    message, log_id, embed = await logged(world)
    partial = partial_for(world, message)
    bystander = make_member(world.guild, name="bystander")
    interaction = press_interaction(world, bystander, embed)

    await world.cog.press(interaction, log_id, "deleted")

    assert sent_text(interaction) == NOT_MODERATOR and was_ephemeral(interaction)
    partial.delete.assert_not_awaited()
    interaction.edit_original_response.assert_not_awaited()
    entry = await world.service.repository.entry(log_id)
    assert entry is not None and entry.status == "open"


async def test_moderator_timeout_deletes_times_out_and_tells_the_author(world: World) -> None:
    message, log_id, embed = await logged(world, timeout_minutes=30)
    partial = partial_for(world, message)
    interaction = press_interaction(world, world.moderator, embed)

    await world.cog.press(interaction, log_id, "timed_out")

    partial.delete.assert_awaited_once()
    assert world.author.timeout.await_args.args[0] == timedelta(minutes=30)
    assert "30 minutes" in dm_texts(world.author)[-1]
    handled = embed_text(interaction.edit_original_response.await_args.kwargs["embed"])
    assert "Timed out by" in handled and "30 minutes" in handled


async def test_dismiss_voids_the_strike_and_lifts_an_automatic_timeout(world: World) -> None:
    _, log_id, embed = await logged(world, action="timeout", strike_limit=1)
    world.author.timeout.reset_mock()
    interaction = press_interaction(world, world.moderator, embed)

    await world.cog.press(interaction, log_id, "dismissed")

    world.author.timeout.assert_awaited_once()
    assert world.author.timeout.await_args.args[0] is None  # lifted
    handled = embed_text(interaction.edit_original_response.await_args.kwargs["embed"])
    assert "Dismissed by" in handled and "Strike voided" in handled and "Timeout lifted" in handled
    since = datetime.now(UTC) - timedelta(days=1)
    strikes = await world.service.repository.strike_times(world.guild.id, world.author.id, since)
    assert strikes == []  # voided


async def test_a_second_press_is_told_who_already_handled_it(world: World) -> None:
    message, log_id, embed = await logged(world)
    partial_for(world, message)
    await world.cog.press(press_interaction(world, world.moderator, embed), log_id, "dismissed")
    other = make_member(world.guild, roles=[world.moderators])
    late = press_interaction(world, other, embed)

    await world.cog.press(late, log_id, "deleted")

    assert was_ephemeral(late)
    assert f"Already handled by {world.moderator.mention}: dismissed" in sent_text(late)
    entry = await world.service.repository.entry(log_id)
    assert entry is not None and entry.status == "dismissed"


async def test_a_failed_timeout_leaves_the_entry_open_and_says_why(world: World) -> None:
    message, log_id, embed = await logged(world)
    partial_for(world, message)
    world.author.timeout.side_effect = discord.Forbidden(http_response(403), "hierarchy")
    interaction = press_interaction(world, world.moderator, embed)

    await world.cog.press(interaction, log_id, "timed_out")

    assert "Timeout Members" in sent_text(interaction) and was_ephemeral(interaction)
    interaction.edit_original_response.assert_not_awaited()
    entry = await world.service.repository.entry(log_id)
    assert entry is not None and entry.status == "open"


# -- /setup moderation --------------------------------------------------------------------


@pytest.fixture
def admin(world: World) -> MagicMock:
    return make_member(world.guild, name="admin", manage_guild=True)


def ask(world: World, admin: MagicMock) -> MagicMock:
    return make_interaction(admin, guild=world.guild, channel=world.general, client=world.bot)


async def test_setup_log_channel_refuses_a_public_channel(world: World, admin: MagicMock) -> None:
    group = ModerationSetup(world.bot)
    with pytest.raises(UserFacingError, match="visible to everyone"):
        await group.log_channel.callback(group, ask(world, admin), world.general)
    private = make_text_channel(world.guild, name="mod-log-2", public=False)
    interaction = ask(world, admin)
    await group.log_channel.callback(group, interaction, private)
    assert (await world.service.settings(world.guild.id)).log_channel_id == private.id
    assert private.mention in sent_text(interaction) and was_ephemeral(interaction)


async def test_setup_action_raises_the_vent_profile_with_it(world: World, admin: MagicMock) -> None:
    group = ModerationSetup(world.bot)
    interaction = ask(world, admin)
    await group.action.callback(group, interaction, "hide", None)
    settings = await world.service.settings(world.guild.id)
    assert (settings.action, settings.strict_action) == (Action.HIDE, Action.HIDE)
    assert "hide" in sent_text(interaction) and was_ephemeral(interaction)

    await group.action.callback(group, ask(world, admin), "log", "timeout")
    settings = await world.service.settings(world.guild.id)
    assert (settings.action, settings.strict_action) == (Action.LOG, Action.TIMEOUT)


async def test_setup_threshold_sets_switches_off_and_resets(world: World, admin: MagicMock) -> None:
    group = ModerationSetup(world.bot)
    first = ask(world, admin)
    await group.threshold.callback(group, first, "insult", 0.7, "normal")
    assert "0.70" in sent_text(first)
    await group.threshold.callback(group, ask(world, admin), "obscene", 0.0, "strict")
    settings = await world.service.settings(world.guild.id)
    assert settings.threshold_overrides == {"insult": 0.7}
    assert settings.strict_overrides == {"obscene": None}
    reset = ask(world, admin)
    await group.threshold.callback(group, reset, "insult", None, "normal")
    assert (await world.service.settings(world.guild.id)).threshold_overrides == {}
    assert "default" in sent_text(reset)


async def test_setup_strikes_and_exemptions(world: World, admin: MagicMock) -> None:
    group = ModerationSetup(world.bot)
    strikes = ask(world, admin)
    await group.strikes.callback(group, strikes, 2, 120, 1440)
    settings = await world.service.settings(world.guild.id)
    assert (settings.strike_limit, settings.strike_window_minutes, settings.timeout_minutes) == (
        2,
        120,
        1440,
    )
    assert "1 day" in sent_text(strikes) and "2 hours" in sent_text(strikes)
    assert "not switched on" in sent_text(strikes)

    role = make_role(world.guild, name="Peer supporters")
    added = ask(world, admin)
    await group.exempt_role.callback(group, added, "add", role)
    assert role.mention in sent_text(added)
    await group.exempt_channel.callback(group, ask(world, admin), "add", world.vents)
    settings = await world.service.settings(world.guild.id)
    assert settings.exempt_role_ids == {role.id}
    assert settings.exempt_channel_ids == {world.vents.id}
    await group.exempt_role.callback(group, ask(world, admin), "remove", role)
    assert (await world.service.settings(world.guild.id)).exempt_role_ids == frozenset()

    shown = ask(world, admin)
    await group.show.callback(group, shown)
    assert world.vents.mention in sent_text(shown) and was_ephemeral(shown)


async def test_status_shows_a_failed_model_first_with_its_fix(world: World) -> None:
    def broken() -> Any:
        raise FileNotFoundError("model.ckpt")

    world.bot.services.toxicity = ToxicityService(loader=broken)
    world.bot.services.toxicity.start()
    await asyncio.wait_for(world.bot.services.toxicity.wait_ready(), 10)
    lines = await world.cog.status_lines(world.guild.id)
    assert lines[0].startswith("⚠️") and "did not load" in lines[0]
    assert "queue 0/1000" in lines[1] and "dropped 0" in lines[1]
    assert "failed" in lines[1]
    await world.bot.services.toxicity.stop()


async def test_status_shows_model_state_queue_and_guild_ladder(world: World) -> None:
    lines = await world.cog.status_lines(world.guild.id)
    assert not lines[0].startswith("⚠️")
    assert "**Toxicity model:**" in lines[0] and "dropped 0" in lines[0]
    assert "up to log" in lines[1] and world.log_channel.mention in lines[1]


async def test_crisis_category_uses_the_real_detector_with_and_without_escalations(
    bot: HavenBot,
) -> None:
    guild_id = next_id()
    assert await cog_module.crisis_category(bot, guild_id, "i want to die") == "self_risk"
    assert await cog_module.crisis_category(bot, guild_id, "kys") == "harassment"
    bot.services.escalations = None
    assert await cog_module.crisis_category(bot, guild_id, "kys") == "harassment"
    assert await cog_module.crisis_category(bot, guild_id, "see you tomorrow") == "none"
