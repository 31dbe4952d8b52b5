"""The venting cog with spec'd discord mocks over the real services (temp database, real key).

What is asserted: what the author sees (ephemeral), what is posted publicly (pseudonym,
no id, no pings), what moderators get, and what is stored.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.app import HavenBot
from bot.errors import UserFacingError
from bot.venting import VentRefused
from bot.venting.events import EVENT_NAME, VentCrisisEvent
from cogs.venting._cog import Venting, venting_options
from cogs.venting._views import VentModal
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

CRISIS = "i'm going to kill myself tonight"


class World:
    """A guild with a vent channel and a private alert channel, wired into the bot."""

    def __init__(self, bot: HavenBot, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bot = bot
        self.guild = make_guild(name="Calm Corner")
        self.mod_role = make_role(self.guild, name="Moderators")
        self.vents = make_text_channel(self.guild, name="vents")
        self.alerts = make_text_channel(self.guild, name="mod-alerts", public=False)
        self.author = make_member(self.guild, name="alice_secret")
        self.other = make_member(self.guild, name="bob")
        self.moderator = make_member(self.guild, name="mod", roles=[self.mod_role])
        self.moderator2 = make_member(self.guild, name="mod2", roles=[self.mod_role])
        self.posted: list[MagicMock] = []
        self.dms: dict[int, MagicMock] = {}
        self.dispatched: list[tuple[str, tuple[Any, ...]]] = []
        for channel in (self.vents, self.alerts):
            channel.send.side_effect = self._sender(channel)
        channels = {self.vents.id: self.vents, self.alerts.id: self.alerts}
        monkeypatch.setattr(bot, "get_channel", lambda cid: channels.get(cid))
        monkeypatch.setattr(
            bot, "get_guild", lambda gid: self.guild if gid == self.guild.id else None
        )
        monkeypatch.setattr(
            bot, "create_dm", AsyncMock(spec_set=bot.create_dm, side_effect=self._create_dm)
        )
        monkeypatch.setattr(
            bot, "dispatch", lambda name, *args, **kw: self.dispatched.append((name, args))
        )
        self.partial = MagicMock(spec_set=discord.PartialMessageable)
        self.partial.get_partial_message.return_value = MagicMock(spec_set=discord.PartialMessage)
        monkeypatch.setattr(bot, "get_partial_messageable", lambda cid, **kw: self.partial)
        self.cog = Venting(bot)

    def _sender(self, channel: MagicMock) -> Any:
        async def send(*args: Any, **kwargs: Any) -> MagicMock:
            message = MagicMock(spec_set=discord.Message)
            message.id = next_id()
            message.channel = channel
            message.jump_url = (
                f"https://discord.com/channels/{self.guild.id}/{channel.id}/{message.id}"
            )
            thread = MagicMock(spec_set=discord.Thread)
            thread.id = message.id
            message.create_thread.return_value = thread
            self.posted.append(message)
            return message

        return send

    async def _create_dm(self, user: Any) -> MagicMock:
        dm = self.dms.get(user.id)
        if dm is None:
            dm = MagicMock(spec_set=discord.DMChannel)
            self.dms[user.id] = dm
        return dm

    async def configure(self, **options: bool) -> None:
        await self.bot.services.guild_settings.update(
            self.guild.id,
            vent_channel_id=self.vents.id,
            alert_channel_id=self.alerts.id,
            moderator_role_id=self.mod_role.id,
            country="GB",
        )
        if options:
            await self.bot.services.venting.set_options(self.guild.id, **options)

    def interaction(self, user: Any, channel: Any = None) -> MagicMock:
        return make_interaction(
            user, guild=self.guild, channel=channel or self.vents, client=self.bot
        )

    async def vent(
        self, text: str = "a heavy week", topic: str = "", user: Any = None
    ) -> MagicMock:
        interaction = self.interaction(user or self.author)
        await self.cog.submit_vent(interaction, self.guild.id, text, topic)
        return interaction

    def sent_to(self, channel: MagicMock) -> list[dict[str, Any]]:
        return [call.kwargs for call in channel.send.call_args_list]


@pytest.fixture
async def world(bot: HavenBot, monkeypatch: pytest.MonkeyPatch) -> World:
    w = World(bot, monkeypatch)
    await w.configure()
    return w


def everything_sent(world: World) -> str:
    parts = []
    for channel in (world.vents, world.alerts):
        for kwargs in world.sent_to(channel):
            parts.append(str(kwargs.get("content")))
            if kwargs.get("embed") is not None:
                parts.append(str(kwargs["embed"].to_dict()))
    return "\n".join(parts)


async def test_post_opens_the_modal_only_when_allowed(world: World) -> None:
    interaction = world.interaction(world.author)
    await world.cog.post.callback(world.cog, interaction)
    modal = interaction.response.send_modal.call_args.args[0]
    assert isinstance(modal, VentModal)
    assert modal.text.max_length == 4_000
    assert modal.guild_id == world.guild.id


async def test_a_blocked_poster_is_refused_before_writing_even_with_a_new_name(
    world: World,
) -> None:
    await world.vent()
    await world.bot.services.venting.block(1, world.moderator.id)
    await world.cog.new_name.callback(world.cog, world.interaction(world.author))

    interaction = world.interaction(world.author)
    with pytest.raises(VentRefused, match="stopped anonymous posts"):
        await world.cog.post.callback(world.cog, interaction)
    interaction.response.send_modal.assert_not_called()


async def test_a_vent_is_posted_under_a_pseudonym_with_a_thread_and_a_private_receipt(
    world: World,
) -> None:
    interaction = await world.vent("hi @everyone <@123> see discord.gg/abc", topic="")
    (post,) = world.sent_to(world.vents)
    embed: discord.Embed = post["embed"]
    name = await world.bot.services.venting.current_name(world.guild.id, world.author.id)
    assert embed.footer.text.startswith(f"Anon · {name}")
    assert "@everyone" not in embed.description
    assert "discord.gg/abc" not in embed.description
    assert post["allowed_mentions"].to_dict() == discord.AllowedMentions.none().to_dict()
    world.posted[0].create_thread.assert_awaited_once()
    assert name in world.posted[0].create_thread.call_args.kwargs["name"]

    assert was_ephemeral(interaction)
    receipt = sent_text(interaction)
    assert world.posted[0].jump_url in receipt and name in receipt
    view = interaction.followup.send.call_args.kwargs["view"]
    assert [item.custom_id for item in view.children] == [f"haven:vent:del:{1}"]

    public = everything_sent(world)
    assert str(world.author.id) not in public and "alice_secret" not in public
    stored = await world.bot.services.venting.get(1)
    assert (stored.state, stored.message_id) == ("posted", world.posted[0].id)


async def test_a_crisis_vent_dms_helplines_alerts_pseudonymously_and_raises_the_hook(
    world: World,
) -> None:
    interaction = await world.vent(CRISIS)
    dm = world.dms[world.author.id]
    dm_text = dm.send.call_args.kwargs["content"]
    assert "Samaritans" in dm_text
    assert "commit suicide" not in dm_text.lower()
    reply_button = dm.send.call_args.kwargs["view"].children[0]
    assert reply_button.custom_id == "haven:vent:reply:1"

    (post,) = world.sent_to(world.vents)
    assert post["embed"].title.startswith("Content warning")
    assert post["embed"].description.startswith("||")

    (alert,) = world.sent_to(world.alerts)
    name = await world.bot.services.venting.current_name(world.guild.id, world.author.id)
    assert name in alert["embed"].title
    assert [c.custom_id for c in alert["view"].children] == ["haven:vent:relay:1"]
    assert alert["content"] == world.mod_role.mention  # severity 3 pings the role
    assert "private message" in sent_text(interaction)

    (event,) = [args[0] for n, args in world.dispatched if n == EVENT_NAME]
    assert isinstance(event, VentCrisisEvent)
    assert (event.vent_id, event.pseudonym, event.held) == (1, name, False)
    assert event.author_dm_delivered
    assert str(world.author.id) not in repr(event)
    assert str(world.author.id) not in everything_sent(world)


async def test_vetting_holds_then_approve_posts_and_tells_the_author(world: World) -> None:
    await world.configure(vetting=True)
    interaction = await world.vent("please let this through")
    assert world.sent_to(world.vents) == []
    (queued,) = world.sent_to(world.alerts)
    assert "please let this through" in queued["embed"].description
    assert [c.custom_id for c in queued["view"].children] == [
        "haven:vent:approve:1",
        "haven:vent:reject:1",
        "haven:vent:relay:1",
    ]
    assert "waiting for a moderator" in sent_text(interaction)

    with pytest.raises(UserFacingError, match="moderators"):
        await world.cog.approve(world.interaction(world.other, world.alerts), 1)

    press = world.interaction(world.moderator, world.alerts)
    await world.cog.approve(press, 1)
    (post,) = world.sent_to(world.vents)
    assert post["embed"].description == "please let this through"
    assert "Approved by" in press.edit_original_response.call_args.kwargs["content"]
    told = world.dms[world.author.id].send.call_args.kwargs["content"]
    assert "approved" in told and world.posted[-1].jump_url in told
    assert (await world.bot.services.venting.get(1)).body_enc is None


async def test_reject_removes_the_text_and_tells_the_author(world: World) -> None:
    await world.configure(vetting=True)
    await world.vent("nope")
    press = world.interaction(world.moderator, world.alerts)
    await world.cog.reject(press, 1)
    edit = press.edit_original_response.call_args.kwargs
    assert "nope" not in str(edit["embed"].to_dict())
    assert edit["view"] is None
    assert "decided not to post" in world.dms[world.author.id].send.call_args.kwargs["content"]
    assert world.sent_to(world.vents) == []


async def test_only_the_author_can_delete_and_deleting_removes_post_and_thread(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.vent()
    with pytest.raises(UserFacingError, match="Only the person"):
        await world.cog.author_delete(world.interaction(world.other), 1)

    thread = MagicMock(spec_set=discord.Thread)
    monkeypatch.setattr(
        world.cog, "channel", AsyncMock(spec_set=world.cog.channel, return_value=thread)
    )
    interaction = world.interaction(world.author)
    await world.cog.author_delete(interaction, 1)
    world.partial.get_partial_message.return_value.delete.assert_awaited_once()
    thread.delete.assert_awaited_once()
    assert "deleted" in sent_text(interaction)
    assert (await world.bot.services.venting.get(1)).state == "deleted"


async def test_vent_options_menu_separates_authors_moderators_and_others(world: World) -> None:
    await world.vent()
    message = MagicMock(spec_set=discord.Message)
    message.id = world.posted[0].id

    with pytest.raises(UserFacingError, match="Only the moderators"):
        await world.cog.vent_options(world.interaction(world.other), message)

    mine = world.interaction(world.author)
    await world.cog.vent_options(mine, message)
    labels = [c.label for c in mine.response.send_message.call_args.kwargs["view"].children]
    assert labels == ["Delete my vent"]

    mod = world.interaction(world.moderator)
    await world.cog.vent_options(mod, message)
    labels = [c.label for c in mod.response.send_message.call_args.kwargs["view"].children]
    assert labels == ["Delete vent", "Block this poster", "Warn through relay", "Reach out"]
    assert was_ephemeral(mod)


async def test_relay_round_trip_keeps_the_author_anonymous(world: World) -> None:
    await world.vent(CRISIS)
    world.alerts.send.reset_mock()

    out = world.interaction(world.moderator, world.alerts)
    await world.cog.relay_to_author(out, 1, "We're here if you want to talk.", False)
    dm_call = world.dms[world.author.id].send.call_args.kwargs
    assert dm_call["embed"].description == "We're here if you want to talk."
    assert "don't know who you are" in dm_call["content"]
    assert [c.custom_id for c in dm_call["view"].children] == ["haven:vent:reply:1"]
    assert "Delivered" in sent_text(out)

    # Someone else pressing the author's reply button is refused.
    with pytest.raises(UserFacingError, match="belongs to the person"):
        await world.cog.open_author_reply(make_interaction(world.other, client=world.bot), 1)

    back = make_interaction(world.author, client=world.bot)  # in the DM: no guild
    await world.cog.relay_to_moderators(back, 1, "thank you, @everyone is asleep")
    reply = world.sent_to(world.alerts)[-1]
    name = await world.bot.services.venting.current_name(world.guild.id, world.author.id)
    assert name in reply["embed"].title
    assert "@everyone" not in reply["embed"].description
    assert [c.custom_id for c in reply["view"].children] == ["haven:vent:relay:1"]
    assert str(world.author.id) not in everything_sent(world)
    actions = [e["action"] for e in await world.bot.services.venting.audit_log(world.guild.id)]
    assert actions[:2] == ["relay_in", "relay_out"]


async def test_unmask_needs_the_option_and_two_moderators(world: World) -> None:
    await world.vent()
    with pytest.raises(UserFacingError, match="Unmasking is off"):
        await world.cog.unmask(world.interaction(world.moderator), 1)
    await world.configure(unmasking=True)
    first = world.interaction(world.moderator)
    await world.cog.unmask(first, 1)
    assert "different moderator" in sent_text(first)
    second = world.interaction(world.moderator2)
    await world.cog.unmask(second, 1)
    assert world.author.mention in sent_text(second)
    assert was_ephemeral(second)
    assert "unmasking" in world.dms[world.author.id].send.call_args.kwargs["content"]
    # The alert-channel notice names the moderators, never the author.
    assert world.author.mention not in everything_sent(world)


async def test_setup_venting_options_sets_and_reports(world: World) -> None:
    admin = make_member(world.guild, name="admin", manage_guild=True)
    interaction = world.interaction(admin, world.alerts)
    interaction.client = MagicMock(spec_set=HavenBot)
    interaction.client.get_cog.return_value = world.cog
    await venting_options.callback(interaction, vetting=True, hold_crisis=None, unmasking=None)
    assert "vetting queue:** on" in sent_text(interaction)
    assert (await world.bot.services.venting.options(world.guild.id)).vetting
