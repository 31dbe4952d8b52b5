"""The bot starts against the fake Discord, syncs its commands, and /setup works end to end."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import E2EHavenBot
from tests.fakediscord import CommandNotAvailable, FakeDiscord

pytestmark = pytest.mark.e2e


async def test_bot_syncs_commands_and_setup_group_requires_manage_server(
    fake: FakeDiscord, haven: E2EHavenBot
) -> None:
    names = {command["name"] for command in fake.registered_commands()}
    assert "setup" in names
    setup = fake.find_command("setup", guild_id=None)
    assert int(setup["default_member_permissions"]) & (1 << 5)  # Manage Server
    # Discord hides it from ordinary members:
    with pytest.raises(CommandNotAvailable):
        await fake.invoke_command("setup show", fake.users["member"])


async def test_admin_sets_alerts_and_it_is_stored_and_echoed_ephemerally(
    fake: FakeDiscord, haven: E2EHavenBot
) -> None:
    alerts, moderators = fake.channels["mod-alerts"], fake.roles["Moderators"]
    handle = await fake.invoke_command(
        "setup alerts", fake.users["admin"], options={"channel": alerts, "role": moderators}
    )
    response = await handle.wait_response()

    assert response.ephemeral
    assert f"<#{alerts.id}>" in response.content and f"<@&{moderators.id}>" in response.content
    stored = await haven.services.guild_settings.get(fake.guild.id)
    assert (stored.alert_channel_id, stored.moderator_role_id) == (alerts.id, moderators.id)
    # Nothing was posted publicly.
    assert fake.messages_in(fake.channels["general"]) == [] or all(
        m.ephemeral for m in fake.messages_in(fake.channels["general"])
    )


async def test_public_alert_channel_is_refused_and_nothing_is_stored(
    fake: FakeDiscord, haven: E2EHavenBot
) -> None:
    handle = await fake.invoke_command(
        "setup alerts",
        fake.users["admin"],
        options={"channel": fake.channels["general"], "role": fake.roles["Moderators"]},
    )
    response = await handle.wait_response()
    assert response.ephemeral and "visible to everyone" in response.content
    assert (await haven.services.guild_settings.get(fake.guild.id)).alert_channel_id is None


async def test_member_overriding_command_visibility_still_gets_a_clear_refusal(
    fake: FakeDiscord, haven: E2EHavenBot
) -> None:
    handle = await fake.invoke_command(
        "setup country", fake.users["member"], options={"code": "US"}, check_permissions=False
    )
    response = await handle.wait_response()
    assert response.ephemeral and "Manage Server" in response.content
    assert (await haven.services.guild_settings.get(fake.guild.id)).country is None


async def test_guild_seed_from_config_is_written_at_start_up(
    fake: FakeDiscord, settings_for
) -> None:
    from tests.e2e.conftest import running_bot

    settings = settings_for(guilds={fake.guild.id: {"country": "ie", "vent_channel_id": 5}})
    async with running_bot(fake, settings) as bot:
        stored = await bot.services.guild_settings.get(fake.guild.id)
        assert (stored.country, stored.vent_channel_id) == ("IE", 5)


async def test_joining_an_unconfigured_guild_tells_the_owner_privately(
    fake: FakeDiscord, haven: E2EHavenBot
) -> None:
    owner = fake.add_user("newowner")
    guild = fake.new_guild("Another Server", owner)
    await fake.join_guild(guild)
    dm = await fake.wait_for_dm(owner)
    assert "/setup" in dm.content and "alert channel" in dm.content


async def test_every_cog_module_loaded(haven: E2EHavenBot) -> None:
    from bot.app import cog_modules

    assert set(haven.extensions) == set(cog_modules())
