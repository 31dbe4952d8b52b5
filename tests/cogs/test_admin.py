"""The /setup commands, called as callbacks with spec'd interaction mocks."""

from __future__ import annotations

import pytest
from discord import app_commands

from bot.app import HavenBot
from bot.errors import UserFacingError
from cogs.admin import SetupGroup
from tests.helpers import (
    make_guild,
    make_interaction,
    make_member,
    make_role,
    make_text_channel,
    sent_text,
    was_ephemeral,
)


@pytest.fixture
def world():
    guild = make_guild()
    admin = make_member(guild, name="admin", manage_guild=True)
    member = make_member(guild, name="member")
    return guild, admin, member


async def test_alerts_stores_channel_and_role_and_says_what_is_missing(
    bot: HavenBot, world
) -> None:
    guild, admin, _ = world
    group = SetupGroup(bot)
    channel = make_text_channel(guild, name="mod-alerts", public=False)
    role = make_role(guild, name="Moderators")
    interaction = make_interaction(admin, guild=guild, channel=channel, client=bot)

    await group.alerts.callback(group, interaction, channel, role)

    stored = await bot.services.guild_settings.get(guild.id)
    assert (stored.alert_channel_id, stored.moderator_role_id) == (channel.id, role.id)
    text = sent_text(interaction)
    assert channel.mention in text and role.mention in text
    assert "vent channel" in text  # still missing
    assert was_ephemeral(interaction)


async def test_alerts_refuses_a_public_channel_and_stores_nothing(bot: HavenBot, world) -> None:
    guild, admin, _ = world
    group = SetupGroup(bot)
    public = make_text_channel(guild, name="general", public=True)
    interaction = make_interaction(admin, guild=guild, channel=public, client=bot)

    with pytest.raises(UserFacingError, match="visible to everyone"):
        await group.alerts.callback(group, interaction, public, make_role(guild))

    assert (await bot.services.guild_settings.get(guild.id)).alert_channel_id is None


async def test_non_admin_is_refused_by_the_group_check(bot: HavenBot, world) -> None:
    guild, _, member = world
    group = SetupGroup(bot)
    interaction = make_interaction(member, guild=guild, client=bot)
    with pytest.raises(app_commands.MissingPermissions):
        await group.interaction_check(interaction)


async def test_country_normalises_and_rejects_unknown_codes(bot: HavenBot, world) -> None:
    guild, admin, _ = world
    group = SetupGroup(bot)
    ok = make_interaction(admin, guild=guild, client=bot)
    await group.country.callback(group, ok, "uk")
    assert (await bot.services.guild_settings.get(guild.id)).country == "GB"
    assert "GB" in sent_text(ok)

    with pytest.raises(UserFacingError, match="not a country code"):
        await group.country.callback(
            group, make_interaction(admin, guild=guild, client=bot), "Narnia"
        )
    assert (await bot.services.guild_settings.get(guild.id)).country == "GB"


async def test_monitor_sets_a_list_then_everything(bot: HavenBot, world) -> None:
    guild, admin, _ = world
    group = SetupGroup(bot)
    a, b = make_text_channel(guild, name="a"), make_text_channel(guild, name="b")
    await group.monitor.callback(
        group, make_interaction(admin, guild=guild, client=bot), False, a, b
    )
    stored = await bot.services.guild_settings.get(guild.id)
    assert set(stored.monitored_channel_ids) == {a.id, b.id}
    assert stored.monitors(a.id) and not stored.monitors(12345)

    await group.monitor.callback(group, make_interaction(admin, guild=guild, client=bot), True)
    stored = await bot.services.guild_settings.get(guild.id)
    assert stored.monitored_channel_ids == () and stored.monitors(12345)


async def test_show_lists_settings_and_status_lines(bot: HavenBot, world) -> None:
    guild, admin, _ = world
    group = SetupGroup(bot)

    async def status(guild_id: int) -> list[str]:
        return [f"model: ready for {guild_id}"]

    group.status_providers.append(status)
    interaction = make_interaction(admin, guild=guild, client=bot)
    await group.show.callback(group, interaction)
    text = sent_text(interaction)
    assert "Alert channel:** not set" in text
    assert f"model: ready for {guild.id}" in text
    assert was_ephemeral(interaction)


async def test_tree_check_guards_nested_setup_commands_that_have_no_check_of_their_own(
    bot: HavenBot, world
) -> None:
    import discord

    guild, admin, member = world
    group = SetupGroup(bot)
    sub = app_commands.Group(name="feature", description="a feature's settings", parent=group)

    @sub.command(name="toggle", description="no check of its own")
    async def toggle(interaction: discord.Interaction) -> None: ...

    for user, allowed in ((member, False), (admin, True)):
        interaction = make_interaction(user, guild=guild, client=bot)
        interaction.type = discord.InteractionType.application_command
        interaction.command = toggle
        if allowed:
            assert await bot.tree.interaction_check(interaction)
        else:
            with pytest.raises(app_commands.MissingPermissions):
                await bot.tree.interaction_check(interaction)
