"""/mydata, /privacy and /setup status as a member or admin sees them (spec'd mocks)."""

from __future__ import annotations

import json
import time
from typing import Any
from unittest.mock import MagicMock

import aiohttp
import discord
import pytest

from bot.app import HavenBot
from bot.keys import AUTHOR_ENCRYPTION
from cogs.privacy._cog import Privacy
from cogs.privacy._status import make_status_command
from cogs.privacy._views import DeleteView
from tests.helpers import (
    make_guild,
    make_interaction,
    make_member,
    make_user,
    sent_text,
    was_ephemeral,
)


@pytest.fixture
def cog(bot: HavenBot) -> Privacy:
    return Privacy(bot)


async def _note(bot: HavenBot, user_id: int, text: str) -> None:
    assert bot.services.checkins is not None
    result = await bot.services.checkins.log_now(user_id, 2)
    await bot.services.checkins.set_note(result.entry_id, user_id, text)


async def _posted_vent(bot: HavenBot, guild_id: int, user_id: int, message_id: int) -> int:
    assert bot.services.venting is not None and bot.services.keys is not None
    repo = bot.services.venting.repo
    vent_id = await repo.insert(
        guild_id=guild_id,
        pseudonym="blue-otter-41",
        author_enc=bot.services.keys.encrypt_int(
            AUTHOR_ENCRYPTION, user_id, context=f"guild:{guild_id}"
        ),
        state="pending",
        crisis_severity=0,
        content_warning=False,
        body_enc=None,
    )
    await repo.mark_posted(vent_id, 4242, message_id, None)
    return vent_id


def _followup_file(interaction: MagicMock) -> Any:
    call = interaction.followup.send.call_args
    return json.loads(call.kwargs["file"].fp.read().decode("utf-8"))


def _view(interaction: MagicMock) -> DeleteView:
    return interaction.response.send_message.call_args.kwargs["view"]


async def test_show_with_nothing_stored(cog: Privacy) -> None:
    interaction = make_interaction(make_user())
    await cog.show.callback(cog, interaction)
    assert "stores nothing about you" in sent_text(interaction)
    assert was_ephemeral(interaction)


async def test_show_counts_by_kind(cog: Privacy, bot: HavenBot) -> None:
    user = make_user()
    assert bot.services.tips is not None
    await bot.services.tips.saved.save(user.id, "grounding-54321")
    await _note(bot, user.id, "tired")
    interaction = make_interaction(user)
    await cog.show.callback(cog, interaction)
    text = sent_text(interaction)
    assert "saved tips: 1" in text
    assert "mood log entries (with notes and tags): 1" in text
    assert "tired" not in text  # counts, not content
    assert was_ephemeral(interaction)


async def test_export_is_an_ephemeral_json_file_with_their_data_only(
    cog: Privacy, bot: HavenBot
) -> None:
    me, other = make_user(), make_user()
    await _note(bot, me.id, "my quiet note")
    await _note(bot, other.id, "someone else's note")
    interaction = make_interaction(me)
    await cog.export.callback(cog, interaction)
    assert was_ephemeral(interaction)
    data = _followup_file(interaction)
    assert data["user_id"] == str(me.id)
    assert data["data"]["mood_entries"][0]["note"] == "my quiet note"
    assert "someone else's note" not in json.dumps(data)


async def test_delete_without_vents_confirms_then_erases(cog: Privacy, bot: HavenBot) -> None:
    me, other = make_user(), make_user()
    await _note(bot, me.id, "mine")
    await _note(bot, other.id, "theirs")
    interaction = make_interaction(me)
    await cog.delete.callback(cog, interaction)
    assert "cannot be undone" in sent_text(interaction)
    view = _view(interaction)
    ids = [item.custom_id for item in view.children if isinstance(item, discord.ui.Button)]
    assert all(i.startswith("haven:privacy:") for i in ids)
    assert not any("vents" in i for i in ids)  # no vent choice without vents
    assert await bot.services.privacy.counts(me.id) != {}  # type: ignore[union-attr]

    press = make_interaction(me)
    await view.delete_all.callback(press)
    assert "Removed" in sent_text(press)
    assert "mood log entries (with notes and tags): 1" in sent_text(press)
    assert was_ephemeral(press)
    assert sum((await bot.services.privacy.counts(me.id)).values()) == 0  # type: ignore[union-attr]
    assert (await bot.services.privacy.counts(other.id))["mood_entries"] == 1  # type: ignore[union-attr]


async def test_someone_else_cannot_press_the_delete_button(cog: Privacy, bot: HavenBot) -> None:
    me = make_user()
    await _note(bot, me.id, "mine")
    interaction = make_interaction(me)
    await cog.delete.callback(cog, interaction)
    intruder = make_interaction(make_user())
    assert await _view(interaction).interaction_check(intruder) is False
    assert "belong to the person" in sent_text(intruder)


async def test_cancel_deletes_nothing(cog: Privacy, bot: HavenBot) -> None:
    me = make_user()
    await _note(bot, me.id, "mine")
    interaction = make_interaction(me)
    await cog.delete.callback(cog, interaction)
    press = make_interaction(me)
    await _view(interaction).cancel.callback(press)
    assert press.response.edit_message.call_args.kwargs["content"] == "Nothing was deleted."
    assert (await bot.services.privacy.counts(me.id))["mood_entries"] == 1  # type: ignore[union-attr]


def _fake_channel(bot: HavenBot, monkeypatch: pytest.MonkeyPatch) -> MagicMock:
    message = MagicMock(spec_set=discord.PartialMessage)  # async delete() is an AsyncMock
    channel = MagicMock(spec_set=discord.PartialMessageable)
    channel.get_partial_message.return_value = message
    monkeypatch.setattr(
        bot,
        "get_partial_messageable",
        MagicMock(spec_set=bot.get_partial_messageable, return_value=channel),
    )
    return channel


async def test_delete_with_vents_removes_the_posts_from_discord(
    cog: Privacy, bot: HavenBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    guild = make_guild()
    me = make_member(guild)
    await _posted_vent(bot, guild.id, me.id, 777)
    channel = _fake_channel(bot, monkeypatch)
    interaction = make_interaction(me, guild=guild)
    await cog.delete.callback(cog, interaction)
    assert "remove them from Discord too" in sent_text(interaction)
    press = make_interaction(me, guild=guild)
    await _view(interaction).delete_remove_vents.callback(press)
    channel.get_partial_message.assert_called_once_with(777)
    channel.get_partial_message.return_value.delete.assert_awaited_once()
    assert "1 vent post(s) were deleted from Discord" in sent_text(press)
    assert (await bot.services.privacy.counts(me.id))["vents"] == 0  # type: ignore[union-attr]


async def test_delete_keeping_vents_unlinked_leaves_the_post(
    cog: Privacy, bot: HavenBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    guild = make_guild()
    me = make_member(guild)
    vent_id = await _posted_vent(bot, guild.id, me.id, 778)
    channel = _fake_channel(bot, monkeypatch)
    interaction = make_interaction(me, guild=guild)
    await cog.delete.callback(cog, interaction)
    press = make_interaction(me, guild=guild)
    await _view(interaction).delete_keep_vents.callback(press)
    channel.get_partial_message.assert_not_called()
    assert "no link to you" in sent_text(press)
    vent = await bot.services.venting.get(vent_id)  # type: ignore[union-attr]
    assert vent is not None and vent.state == "posted" and vent.author_enc == "unlinked"


async def test_a_failed_post_deletion_is_reported_not_hidden(
    cog: Privacy, bot: HavenBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    guild = make_guild()
    me = make_member(guild)
    await _posted_vent(bot, guild.id, me.id, 779)
    channel = _fake_channel(bot, monkeypatch)
    response = MagicMock(spec_set=aiohttp.ClientResponse)
    response.status, response.reason = 403, "Forbidden"
    channel.get_partial_message.return_value.delete.side_effect = discord.Forbidden(
        response, "Missing Permissions"
    )
    text = await cog.erase(me.id, keep_vents_unlinked=False)
    assert "could not be deleted from Discord" in text


async def test_privacy_statement_names_the_periods(cog: Privacy) -> None:
    interaction = make_interaction(make_user())
    await cog.privacy.callback(cog, interaction)
    text = sent_text(interaction)
    assert "365 days" in text and "90 days" in text and "30 days" in text
    assert "{" not in text
    assert len(text) <= 2000
    assert was_ephemeral(interaction)


async def test_setup_status_puts_problems_first(bot: HavenBot) -> None:
    guild = make_guild()
    admin = make_member(guild, manage_guild=True)
    old = int(time.time()) - 3600
    await bot.db.execute(
        "INSERT INTO escalations (guild_id, user_id, source, category, severity, created_at, "
        "last_seen_at) VALUES (?, 1, 'message', 'self_risk', 3, ?, ?)",
        (guild.id, old, old),
    )
    await bot.db.commit()
    command = make_status_command(bot)
    interaction = make_interaction(admin, guild=guild)
    await command.callback(interaction)  # type: ignore[call-arg]
    text = sent_text(interaction)
    assert was_ephemeral(interaction)
    assert text.index("Needs attention") < text.index("Open escalations")
    assert "1 urgent escalation(s) have had no moderator response" in text
    assert "Open escalations: 1 (imminent risk 1)" in text
    assert "Toxicity model:" in text


async def test_guild_remove_then_join_cancels_the_purge(cog: Privacy, bot: HavenBot) -> None:
    guild = make_guild()
    await cog.on_guild_remove(guild)
    assert [g for g, _ in await bot.services.maintenance.departures.pending()] == [guild.id]  # type: ignore[union-attr]
    await cog.on_guild_join(guild)
    assert await bot.services.maintenance.departures.pending() == []  # type: ignore[union-attr]


async def test_setup_retention_shows_then_shortens(bot: HavenBot) -> None:
    from cogs.privacy._status import make_retention_command

    guild = make_guild()
    admin = make_member(guild, manage_guild=True)
    command = make_retention_command(bot)
    shown = make_interaction(admin, guild=guild)
    await command.callback(shown)  # type: ignore[call-arg]
    assert "resolved escalations: 90 days" in sent_text(shown)
    changed = make_interaction(admin, guild=guild)
    await command.callback(changed, escalations_days=14)  # type: ignore[call-arg]
    assert "resolved escalations: 14 days" in sent_text(changed)
    assert was_ephemeral(changed)
    settings = await bot.services.guild_settings.get(guild.id)
    assert settings.extra["privacy"] == {"resolved_escalation_days": 14}
