"""Broader checks of the fake Discord with the real discord.py client: defers, followups,
selects, autocomplete, context menus, threads, timeouts, label modals, guild joins, DMs,
session invalidation, restarts and injected faults."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import FakeDiscord, permissions, run_client

pytestmark = pytest.mark.e2e


class PickView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="feature:pick",
        options=[discord.SelectOption(label=x, value=x) for x in ("calm", "sad", "ok")],
    )
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.Select[PickView]
    ) -> None:
        await interaction.response.send_message(f"picked {','.join(select.values)}", ephemeral=True)


class LabelModal(discord.ui.Modal, title="Check-in"):
    def __init__(self, sink: list[tuple[str, list[str]]]) -> None:
        super().__init__(custom_id="feature:checkin")
        self.sink = sink
        self.note: discord.ui.TextInput[LabelModal] = discord.ui.TextInput(custom_id="feature:note")
        self.mood: discord.ui.Select[LabelModal] = discord.ui.Select(
            custom_id="feature:mood",
            options=[discord.SelectOption(label=x, value=x) for x in ("1", "2", "3")],
        )
        self.add_item(discord.ui.Label(text="Note", component=self.note))
        self.add_item(discord.ui.Label(text="Mood", component=self.mood))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.sink.append((self.note.value, list(self.mood.values)))
        await interaction.response.send_message("saved", ephemeral=True)


class FeatureBot(commands.AutoShardedBot):
    def __init__(self, *, message_content: bool = True) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = message_content
        super().__init__(command_prefix=commands.when_mentioned, intents=intents)
        self.checkins: list[tuple[str, list[str]]] = []
        self.joined: list[int] = []
        self.left: list[int] = []

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(name="think", description="Defer then follow up")
        async def think(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send("done thinking", ephemeral=True)
            await interaction.followup.send("second followup", ephemeral=True)

        @tree.command(name="slow", description="Defer then edit the original")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await interaction.edit_original_response(content="pick one", view=PickView())

        @tree.command(name="tip", description="Search tips")
        async def tip(interaction: discord.Interaction, topic: str) -> None:
            await interaction.response.send_message(f"tip about {topic}", ephemeral=True)

        @tip.autocomplete("topic")
        async def tip_topics(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            topics = ["breathing", "grounding", "sleep"]
            return [app_commands.Choice(name=t, value=t) for t in topics if t.startswith(current)]

        @tree.command(name="checkin", description="Check in")
        @app_commands.allowed_contexts(guilds=True, dms=True)
        async def checkin(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(LabelModal(self.checkins))

        @tree.context_menu(name="Report message")
        async def report(interaction: discord.Interaction, message: discord.Message) -> None:
            thread = await message.create_thread(name="report")
            await thread.send(f"report of {message.id}")
            await interaction.response.send_message("reported", ephemeral=True)

        @tree.context_menu(name="Time out")
        async def time_out(interaction: discord.Interaction, member: discord.Member) -> None:
            await member.timeout(dt.timedelta(minutes=5), reason="cool down")
            await interaction.response.send_message("timed out", ephemeral=True)

        await tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return  # discord.py waits 5 s before re-identifying; no need against the fake

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.joined.append(guild.id)
        channel = guild.text_channels[0]
        await channel.send("Thanks for adding me")

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.left.append(guild.id)


@asynccontextmanager
async def running(fake: FakeDiscord | None = None) -> AsyncIterator[tuple[FakeDiscord, FeatureBot]]:
    async with FakeDiscord() as owned:
        fake = fake or owned
        bot = FeatureBot()
        async with run_client(bot, fake):
            yield fake, bot
        assert not fake.internal_errors, fake.internal_errors


async def test_defer_then_followups() -> None:
    async with running() as (fake, _bot):
        call = await fake.invoke_command("think", fake.users["member"])
        first, second = await call.wait_followups(2)
        # The first followup after a "thinking" defer becomes the original response.
        assert first.id == call.original_message_id
        assert first.content == "done thinking"
        assert not first.loading
        assert first.ephemeral
        assert second.content == "second followup"


async def test_edit_original_then_select() -> None:
    async with running() as (fake, _bot):
        call = await fake.invoke_command("slow", fake.users["member"])
        original = await call.wait_original(lambda m: m.content == "pick one")
        assert original.custom_ids == ["feature:pick"]
        chosen = await fake.select(original, "feature:pick", ["calm"], fake.users["member"])
        response = await chosen.wait_response()
        assert response.content == "picked calm"
        assert response.ephemeral
        with pytest.raises(ValueError, match="no options"):
            await fake.select(original, "feature:pick", ["angry"], fake.users["member"])


async def test_autocomplete_choices() -> None:
    async with running() as (fake, _bot):
        call = await fake.autocomplete("tip", fake.users["member"], focused="topic", value="gr")
        response = await call.wait_response()
        assert response.type == 8
        assert response.choices == [{"name": "grounding", "value": "grounding"}]


async def test_label_modal_in_dm() -> None:
    async with running() as (fake, bot):
        member = fake.users["member"]
        call = await fake.invoke_command("checkin", member, channel=fake.dm_channel(member))
        await call.wait_response()
        assert call.modal is not None
        assert [c["type"] for c in call.modal["components"]] == [18, 18]
        submitted = await call.submit_modal({"feature:note": "tired", "feature:mood": ["2"]})
        assert (await submitted.wait_response()).content == "saved"
        assert bot.checkins == [("tired", ["2"])]


async def test_message_context_menu_creates_thread() -> None:
    async with running() as (fake, _bot):
        general = fake.channels["general"]
        posted = await fake.send_message(general, fake.users["member"], "something worrying")
        call = await fake.invoke_message_command("Report message", posted, fake.users["moderator"])
        assert (await call.wait_response()).content == "reported"
        thread_request = await fake.wait_for_request(
            "POST", rf"/channels/{general.id}/messages/{posted.id}/threads"
        )
        assert thread_request.status == 201
        in_thread = await fake.wait_for_message(posted.id)  # a thread's id is its message's id
        assert in_thread.content == f"report of {posted.id}"


async def test_user_context_menu_times_out_member() -> None:
    async with running() as (fake, _bot):
        member = fake.users["member"]
        call = await fake.invoke_user_command("Time out", member, fake.users["moderator"])
        assert (await call.wait_response()).content == "timed out"
        patch = fake.requests_to("PATCH", rf"/guilds/{fake.guild.id}/members/{member.id}")
        assert len(patch) == 1
        assert patch[0].json["communication_disabled_until"] is not None
        assert patch[0].headers["X-Audit-Log-Reason"] == "cool down"
        assert fake.member(member).communication_disabled_until is not None


async def test_guild_join_and_leave() -> None:
    async with running() as (fake, bot):
        other = fake.new_guild("Other Server", fake.add_user("other-owner"))
        await fake.join_guild(other)
        welcome = await fake.wait_for_message(other.channel("general"))
        assert welcome.content == "Thanks for adding me"
        assert bot.joined == [other.id]
        await fake.leave_guild(other)
        await fake.wait_until(lambda: bot.left, what="on_guild_remove")
        assert bot.get_guild(other.id) is None


async def test_invalidated_session_identifies_again() -> None:
    async with running() as (fake, _bot):
        await fake.invalidate_session()
        second = await fake.wait_until_identified(count=2)
        assert second["token"] == fake.token
        await fake.send_message(fake.channels["general"], fake.users["member"], "hello")


async def test_restart_identifies_twice_and_keeps_state() -> None:
    async with FakeDiscord() as fake:
        async with run_client(FeatureBot(), fake):
            await fake.invoke_command("think", fake.users["member"])
        async with run_client(FeatureBot(), fake):
            assert fake.identify_count == 2
            # The second bot re-syncs; command ids stay stable, as on Discord.
            syncs = fake.requests_to("PUT", rf"/applications/{fake.application_id}/commands")
            assert len(syncs) == 2
        assert len(fake.registered_commands()) == 6


async def test_server_error_is_retried_and_delay_tolerated() -> None:
    async with running() as (fake, _bot):
        fake.fail_route("POST", r"/interactions/\d+/[^/]+/callback", status=500, times=1)
        fake.delay_route("POST", r"/webhooks/\d+/[^/]+", 0.2, times=1)
        call = await fake.invoke_command("think", fake.users["member"])
        await call.wait_followups(2)
        callbacks = fake.requests_to("POST", rf"/interactions/{call.id}/[^/]+/callback")
        assert [r.status for r in callbacks] == [500, 200]


async def test_message_content_hidden_without_intent() -> None:
    class Deaf(FeatureBot):
        def __init__(self) -> None:
            super().__init__(message_content=False)
            self.seen: list[str] = []

        async def on_message(self, message: discord.Message) -> None:
            self.seen.append(message.content)

    async with FakeDiscord() as fake:
        bot = Deaf()
        async with run_client(bot, fake):
            await fake.send_message(fake.channels["general"], fake.users["member"], "secret")
            await fake.wait_until(lambda: bot.seen, what="on_message")
            assert bot.seen == [""]


async def test_rest_reads_and_moderation_calls_parse_in_discord_py() -> None:
    async with running() as (fake, bot):
        general_id = fake.channels["general"].id
        posted = await fake.send_message(general_id, fake.users["member"], "hi there")
        channel = await bot.fetch_channel(general_id)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.fetch_message(posted.id)
        assert message.content == "hi there"
        await message.add_reaction("👍")
        assert fake.message(posted).reactions == ["👍"]
        history = [m.id async for m in channel.history(limit=10)]
        assert history == [posted.id]
        guild = bot.get_guild(fake.guild.id)
        assert guild is not None
        member = await guild.fetch_member(fake.users["member"].id)
        moderators = discord.Object(fake.roles["Moderators"].id)
        with pytest.raises(discord.Forbidden):
            await member.add_roles(moderators)  # the bot's role lacks Manage Roles by default
        fake.roles[fake.bot.username].permissions |= permissions.MANAGE_ROLES
        await member.add_roles(moderators)
        assert fake.roles["Moderators"].id in fake.member(member.id).roles
        thread = await channel.create_thread(name="private talk")
        assert thread.type is discord.ChannelType.private_thread
        await thread.edit(archived=True)
        with pytest.raises(discord.HTTPException) as archived:
            await thread.send("too late")
        assert archived.value.code == 50083
        mine = await channel.send("to be deleted")
        await mine.delete()
        assert fake.message(mine.id).deleted
        admin = await guild.fetch_member(fake.users["admin"].id)
        with pytest.raises(discord.Forbidden):
            await admin.timeout(dt.timedelta(minutes=1))  # the owner cannot be timed out
        with pytest.raises(discord.HTTPException) as empty:
            await channel.send(embed=discord.Embed(description="x" * 4097))
        assert empty.value.code == 50035
