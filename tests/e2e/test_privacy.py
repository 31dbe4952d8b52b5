"""Data rights end to end: the real HavenBot (discord.py) against the local fake Discord.

A member with a mood note and a posted vent runs /mydata export (a JSON attachment, only
they see it), then /mydata delete and chooses to remove their vents from Discord: the vent
post disappears from the channel, their rows disappear from the database file, and the
other member's data is untouched. /privacy and /setup status answer ephemerally.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.keys import AUTHOR_ENCRYPTION
from tests.e2e.conftest import E2EHavenBot
from tests.fakediscord import FakeDiscord, StoredMessage

pytestmark = pytest.mark.e2e


async def _seed(haven: E2EHavenBot, user_id: int, note: str) -> None:
    checkins = haven.services.checkins
    assert checkins is not None
    entry = await checkins.log_now(user_id, 2)
    await checkins.set_note(entry.entry_id, user_id, note)


async def _vent(haven: E2EHavenBot, fake: FakeDiscord, user_id: int) -> StoredMessage:
    """A vent the bot posted in #vents, recorded as the venting feature records it."""
    channel = fake.channels["vents"]
    posted = await haven.get_partial_messageable(channel.id).send("**blue-otter-41** vented")
    keys, venting = haven.services.keys, haven.services.venting
    assert keys is not None and venting is not None
    guild_id = fake.guild.id
    vent_id = await venting.repo.insert(
        guild_id=guild_id,
        pseudonym="blue-otter-41",
        author_enc=keys.encrypt_int(AUTHOR_ENCRYPTION, user_id, context=f"guild:{guild_id}"),
        state="pending",
        crisis_severity=0,
        content_warning=False,
        body_enc=None,
    )
    await venting.repo.mark_posted(vent_id, channel.id, posted.id, None)
    return fake.message(posted.id)


async def eventually(read: Callable[[], Awaitable[object]], expected: object) -> None:
    """Poll a database read until it shows what the gateway event should have caused."""
    for _ in range(250):
        if await read() == expected:
            return
        await asyncio.sleep(0.02)
    assert await read() == expected


def _db_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    wal = Path(f"{path}-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


async def test_export_then_delete_round_trip(fake: FakeDiscord, haven: E2EHavenBot) -> None:
    member, other = fake.users["member"], fake.users["member2"]
    await _seed(haven, member.id, "the quiet-heron note")
    await _seed(haven, other.id, "someone else's note")
    vent_post = await _vent(haven, fake, member.id)

    # Export: an ephemeral JSON attachment with their note and vent, nothing of the other.
    call = await fake.invoke_command("mydata export", member)
    first = await call.wait_response()
    assert first.ephemeral
    [message] = await call.wait_followups(1)
    assert message.ephemeral
    [attachment] = message.attachments
    assert attachment.filename.endswith(".json")
    exported = json.loads(attachment.data)
    assert exported["user_id"] == str(member.id)
    assert exported["data"]["mood_entries"][0]["note"] == "the quiet-heron note"
    assert exported["data"]["vents"][0]["link"].endswith(f"/{vent_post.id}")
    assert "someone else's note" not in attachment.data.decode()

    # Delete: confirm, choosing to remove the vent from Discord too.
    call = await fake.invoke_command("mydata delete", member)
    prompt = await call.wait_response()
    assert prompt.ephemeral
    assert "cannot be undone" in prompt.content
    original = await call.wait_original()
    [remove] = [c for c in original.custom_ids if c.startswith("haven:privacy:remove_vents:")]
    press = await fake.click_button(original, remove, member)
    await press.wait_response()
    [summary] = await press.wait_followups(1)
    assert summary.ephemeral
    assert "Removed" in summary.content
    assert "1 vent post(s) were deleted from Discord" in summary.content
    await fake.wait_until(lambda: fake.message(vent_post.id).deleted)

    privacy = haven.services.privacy
    assert privacy is not None
    assert sum((await privacy.counts(member.id)).values()) == 0
    assert (await privacy.counts(other.id))["mood_entries"] == 1
    raw = _db_bytes(haven.settings.database.path)
    assert b"quiet-heron" not in raw
    assert str(member.id).encode() not in raw
    assert member.id.to_bytes(8, "big") not in raw
    assert other.id.to_bytes(8, "big") in raw

    # Nothing left: a second /mydata show says so.
    call = await fake.invoke_command("mydata show", member)
    shown = await call.wait_response()
    assert shown.ephemeral
    assert "stores nothing about you" in shown.content


async def test_privacy_and_setup_status_are_ephemeral(
    fake: FakeDiscord, haven: E2EHavenBot
) -> None:
    call = await fake.invoke_command("privacy", fake.users["member"])
    statement = await call.wait_response()
    assert statement.ephemeral
    assert "365 days" in statement.content

    call = await fake.invoke_command("setup status", fake.users["admin"])
    status = await call.wait_response()
    assert status.ephemeral
    assert "Open escalations" in status.content
    assert "Toxicity model:" in status.content


async def test_removed_from_a_guild_schedules_a_purge_rejoining_cancels_it(
    fake: FakeDiscord, haven: E2EHavenBot
) -> None:
    maintenance = haven.services.maintenance
    assert maintenance is not None
    await haven.services.guild_settings.update(fake.guild.id, country="GB")

    async def pending() -> list[int]:
        return [guild_id for guild_id, _ in await maintenance.departures.pending()]

    await fake.leave_guild(fake.guild)
    await eventually(lambda: pending(), [fake.guild.id])
    # Within the grace period the daily run keeps everything.
    await maintenance.run_daily()
    assert (await haven.services.guild_settings.get(fake.guild.id)).country == "GB"

    await fake.join_guild(fake.guild)
    await fake.wait_until(lambda: haven.get_guild(fake.guild.id) is not None)
    await eventually(lambda: pending(), [])
