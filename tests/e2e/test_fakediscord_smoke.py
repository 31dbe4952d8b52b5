"""The fake Discord works with the real discord.py client: a tiny bot exercises each feature."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
import discord.gateway
import discord.http
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import EPHEMERAL, CommandNotAvailable, FakeDiscord, run_client

pytestmark = pytest.mark.e2e


class AckView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(
        label="Acknowledge", custom_id="smoke:ack", style=discord.ButtonStyle.primary
    )
    async def ack(
        self, interaction: discord.Interaction, button: discord.ui.Button[AckView]
    ) -> None:
        await interaction.response.edit_message(
            content=f"Acknowledged by {interaction.user.id}", view=None
        )


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="What happened?", custom_id="smoke:feedback:text", style=discord.TextStyle.long
    )

    def __init__(self, sink: list[str]) -> None:
        super().__init__(custom_id="smoke:feedback")
        self.sink = sink

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.sink.append(self.text.value)
        await interaction.response.send_message(
            f"Thanks, {len(self.text.value)} characters received.", ephemeral=True
        )


class SmokeBot(commands.AutoShardedBot):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = True
        super().__init__(command_prefix=commands.when_mentioned, intents=intents)
        self.feedback: list[str] = []
        self.dm_errors: list[int] = []
        self.uploads: list[int] = []

    async def setup_hook(self) -> None:
        # Discord only honours default permissions on the top-level command, not subcommands.
        smoke = app_commands.Group(
            name="smoke",
            description="Smoke test commands",
            default_permissions=discord.Permissions(manage_guild=True),
        )
        settings = app_commands.Group(name="settings", description="Settings", parent=smoke)

        @settings.command(name="alerts", description="Set the alert channel and role")
        async def alerts(
            interaction: discord.Interaction, channel: discord.TextChannel, role: discord.Role
        ) -> None:
            await interaction.response.send_message(
                f"Alerts go to {channel.mention} for {role.name}", ephemeral=True
            )

        @app_commands.command(name="panel", description="Post a panel with a button")
        async def panel(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Alert: someone needs help", view=AckView())

        @app_commands.command(name="feedback", description="Open the feedback form")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal(self.feedback))

        self.tree.add_command(smoke)
        self.tree.add_command(panel)
        self.tree.add_command(feedback)
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.content == "dm me":
            try:
                await message.author.send("Hello from the bot")
            except discord.Forbidden as exc:
                self.dm_errors.append(exc.code)
        elif message.content == "upload":
            sent = await message.channel.send(
                "here is the report", file=discord.File(io.BytesIO(b"report-bytes"), "report.txt")
            )
            self.uploads.append(sent.id)


@asynccontextmanager
async def running_bot() -> AsyncIterator[tuple[FakeDiscord, SmokeBot]]:
    async with FakeDiscord() as fake:
        bot = SmokeBot()
        async with run_client(bot, fake):
            yield fake, bot
        assert not fake.internal_errors


async def test_ready_sync_and_cache() -> None:
    async with running_bot() as (fake, bot):
        identify = await fake.wait_until_identified()
        assert identify["token"] == fake.token
        assert identify["shard"] == [0, 1]
        sync = fake.requests_to("PUT", rf"/applications/{fake.application_id}/commands")
        assert len(sync) == 1
        assert sorted(c["name"] for c in sync[0].json) == ["feedback", "panel", "smoke"]
        assert {c["name"] for c in fake.registered_commands()} == {"feedback", "panel", "smoke"}
        # Every authenticated call carried the bot token; nothing fell through to the 404 catch-all.
        assert all(
            r.authorization == f"Bot {fake.token}" for r in fake.requests_to("GET", r"/users/@me")
        )
        assert fake.unknown_routes == []
        guild = bot.get_guild(fake.guild.id)
        assert guild is not None
        alerts = guild.get_channel(fake.channels["mod-alerts"].id)
        assert isinstance(alerts, discord.TextChannel)
        assert guild.me.guild_permissions.moderate_members
        member_role = guild.default_role
        assert not alerts.permissions_for(member_role).view_channel
        assert alerts.permissions_for(guild.me).send_messages


async def test_subcommand_group_answers_ephemerally() -> None:
    async with running_bot() as (fake, _bot):
        call = await fake.invoke_command(
            "smoke settings alerts",
            fake.users["admin"],
            options={"channel": fake.channels["mod-alerts"], "role": fake.roles["Moderators"]},
        )
        response = await call.wait_response()
        assert response.ephemeral
        assert (
            response.content == f"Alerts go to <#{fake.channels['mod-alerts'].id}> for Moderators"
        )
        original = await call.wait_original()
        assert original.ephemeral
        assert original.channel_id == fake.channels["general"].id


async def test_default_permissions_hide_command_from_members() -> None:
    async with running_bot() as (fake, _bot):
        with pytest.raises(CommandNotAvailable):
            await fake.invoke_command(
                "smoke settings alerts",
                fake.users["member"],
                options={"channel": fake.channels["general"], "role": fake.roles["Moderators"]},
            )


async def test_button_click_edits_the_message() -> None:
    async with running_bot() as (fake, _bot):
        call = await fake.invoke_command("panel", fake.users["member"])
        posted = await call.wait_original()
        assert not posted.ephemeral
        assert posted.custom_ids == ["smoke:ack"]

        click = await fake.click_button(posted, "smoke:ack", fake.users["moderator"])
        response = await click.wait_response()
        assert response.type == 7
        edited = fake.message(posted.id)
        assert edited.content == f"Acknowledged by {fake.users['moderator'].id}"
        assert edited.components == []
        assert [e["content"] for e in edited.edits] == ["Alert: someone needs help"]


async def test_modal_round_trip() -> None:
    async with running_bot() as (fake, bot):
        call = await fake.invoke_command("feedback", fake.users["member"])
        await call.wait_response()
        assert call.modal is not None
        assert call.modal["title"] == "Feedback"

        submitted = await call.submit_modal({"smoke:feedback:text": "rough day"})
        response = await submitted.wait_response()
        assert response.flags & EPHEMERAL
        assert response.content == "Thanks, 9 characters received."
        assert bot.feedback == ["rough day"]


async def test_dm_and_dm_refusal() -> None:
    async with running_bot() as (fake, bot):
        member = fake.users["member"]
        await fake.send_message(fake.channels["general"], member, "dm me")
        dm = await fake.wait_for_dm(member)
        assert dm.content == "Hello from the bot"

        blocked = fake.users["member2"]
        fake.fail_dms_to(blocked)
        dm_channel = fake.dm_channel(blocked)
        await fake.send_message(fake.channels["general"], blocked, "dm me")
        refused = await fake.wait_for_request("POST", rf"/channels/{dm_channel.id}/messages")
        assert refused.status == 403
        await fake.wait_until(lambda: bot.dm_errors, what="the bot to see the refusal")
        assert bot.dm_errors == [50007]
        assert fake.dms_to(blocked) == []


async def test_multipart_upload_is_recorded() -> None:
    async with running_bot() as (fake, bot):
        general = fake.channels["general"]
        await fake.send_message(general, fake.users["member"], "upload")
        request = await fake.wait_for_request(
            "POST", rf"/channels/{general.id}/messages", lambda r: bool(r.files)
        )
        assert request.json["content"] == "here is the report"
        assert request.file_names == ["report.txt"]
        assert request.files[0].data == b"report-bytes"
        stored = await fake.wait_for_message(
            general, lambda m: m.attachment_names == ["report.txt"]
        )
        assert stored.attachments[0].data == b"report-bytes"
        await fake.wait_until(lambda: bot.uploads, what="the bot to get its message back")
        assert bot.uploads == [stored.id]


async def test_rate_limit_is_retried() -> None:
    async with running_bot() as (fake, _bot):
        general = fake.channels["general"]
        fake.fail_route("POST", rf"/channels/{general.id}/messages", status=429, times=1)
        await fake.send_message(general, fake.users["member"], "upload")
        await fake.wait_for_message(general)
        statuses = [r.status for r in fake.requests_to("POST", rf"/channels/{general.id}/messages")]
        assert statuses == [429, 200]


async def test_dropped_connection_resumes() -> None:
    async with running_bot() as (fake, bot):
        await fake.drop_connection()
        await fake.wait_until(
            lambda: fake.gateway.resume_payloads and fake.connected, what="a RESUME"
        )
        assert fake.identify_count == 1
        await fake.send_message(fake.channels["general"], fake.users["member"], "dm me")
        await fake.wait_for_dm(fake.users["member"])
        assert not bot.is_closed()


async def test_globals_restored_after_run() -> None:
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with running_bot() as (fake, _bot):
        assert fake.api_base == discord.http.Route.BASE
    assert base == discord.http.Route.BASE
    assert gateway == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
