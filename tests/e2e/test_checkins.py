"""Check-ins end to end: the real HavenBot (discord.py) against the local fake Discord.

Opt in with /checkin start, a tick delivers the DM with mood buttons, the bot restarts,
a click on the old DM still stores the mood and edits the message; a 50007 DM marks the
schedule "can't reach" and the next command tells the person how to re-enable DMs.
The check-in clock is injected, so nothing waits for a real 09:00.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from bot.app import HavenBot
from bot.checkins.service import CheckinService
from bot.config import Settings
from cogs.checkins._cog import NOTICE_DM_CLOSED, Checkins
from tests.e2e.conftest import running_bot
from tests.fakediscord import EPHEMERAL, FakeDiscord, StoredMessage

pytestmark = pytest.mark.e2e


class Clock:
    def __init__(self) -> None:
        self.value = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.value


@asynccontextmanager
async def running_haven(
    fake: FakeDiscord, settings_for: Callable[..., Settings], clock: Clock
) -> AsyncIterator[HavenBot]:
    # The test ticks by hand with an injected clock; the interval job stays out of the way.
    async with running_bot(fake, settings_for(checkins={"tick_seconds": 3_600})) as bot:
        checkins = bot.services.checkins
        assert isinstance(checkins, CheckinService)
        checkins.now = clock
        yield bot


def cog(bot: HavenBot) -> Checkins:
    # Not isinstance: a restart re-imports the extension, so the class object differs.
    found = bot.get_cog("Checkins")
    assert found is not None
    return found  # type: ignore[return-value]


def is_prompt(message: StoredMessage) -> bool:
    return any(cid.startswith("haven:checkin:mood:") for cid in message.custom_ids)


async def test_opt_in_tick_restart_click(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    clock = Clock()
    member = fake.users["member"]
    async with running_haven(fake, settings_for, clock) as bot:
        call = await fake.invoke_command(
            "checkin start",
            member,
            options={"time": "09:00", "timezone": "Europe/London", "days": "every day"},
        )
        response = await call.wait_response()
        assert response.ephemeral
        assert "Daily check-ins are on" in response.content
        confirmation = await fake.wait_for_dm(member)
        assert "09:00" in confirmation.content

        clock.value = datetime(2025, 6, 2, 8, 0, 20, tzinfo=UTC)  # 09:00 BST
        await cog(bot).run_tick()
        prompt = await fake.wait_for_dm(member, is_prompt)
        assert "How are you feeling today?" in prompt.content
        assert len(prompt.custom_ids) == 5
        # A second tick in the same minute sends nothing more.
        await cog(bot).run_tick()
        assert len([m for m in fake.dms_to(member) if is_prompt(m)]) == 1

    # Restart: a new process, same database, same old DM.
    async with running_haven(fake, settings_for, clock) as bot:
        mood_id = next(cid for cid in prompt.custom_ids if cid.endswith(":4"))
        click = await fake.click_button(prompt, mood_id, member)
        response = await click.wait_response()
        assert response.type == 7  # the DM itself is edited
        edited = fake.message(prompt.id)
        assert "Good" in edited.content
        assert "logged" in edited.content
        assert any(cid.startswith("haven:checkin:tags:") for cid in edited.custom_ids)
        assert any(cid.startswith("haven:checkin:note:") for cid in edited.custom_ids)
        checkins = bot.services.checkins
        assert checkins is not None
        prompt_id = int(mood_id.split(":")[3])
        entry = await checkins.repo.entry_for_prompt(prompt_id)
        assert entry is not None
        assert entry.mood == 4
        assert entry.user_id == member.id

        # Restarting did not make the same day's prompt go out again.
        posts = rf"/channels/{fake.dm_channel(member).id}/messages"
        before = len(fake.requests_to("POST", posts))
        clock.value = datetime(2025, 6, 2, 8, 1, 0, tzinfo=UTC)
        await cog(bot).run_tick()
        assert len(fake.requests_to("POST", posts)) == before
    assert not fake.internal_errors


async def test_closed_dms_mark_the_schedule_and_the_next_command_tells_the_user(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    clock = Clock()
    member = fake.users["member2"]
    async with running_haven(fake, settings_for, clock) as bot:
        call = await fake.invoke_command(
            "checkin start", member, options={"time": "07:30", "timezone": "Asia/Kolkata"}
        )
        await call.wait_response()
        await fake.wait_for_dm(member)  # the confirmation got through

        fake.fail_dms_to(member)  # then they close their DMs
        clock.value = datetime(2025, 6, 3, 2, 0, 10, tzinfo=UTC)  # 07:30 IST the next morning
        await cog(bot).run_tick()
        dm_channel = fake.dm_channel(member)
        refused = await fake.wait_for_request(
            "POST", rf"/channels/{dm_channel.id}/messages", lambda r: r.status != 200
        )
        assert refused.status == 403

        checkins = bot.services.checkins
        assert checkins is not None
        info = await checkins.info(member.id)
        assert info.status == "unreachable"
        assert info.next_run is None
        assert await bot.services.notices.peek(member.id) == [NOTICE_DM_CLOSED]
        assert [m for m in fake.dms_to(member) if is_prompt(m)] == []

        # The next Haven command shows, privately, how to turn DMs back on.
        call = await fake.invoke_command("mood week", member)
        await call.wait_response()
        [notice] = await call.wait_followups(1)
        assert notice.flags & EPHEMERAL
        assert "Privacy Settings" in notice.content
        assert "/checkin start" in notice.content
        assert await bot.services.notices.peek(member.id) == []

        # No retry the next day.
        clock.value = datetime(2025, 6, 4, 2, 0, 10, tzinfo=UTC)
        before = len(fake.requests_to("POST", rf"/channels/{dm_channel.id}/messages"))
        await cog(bot).run_tick()
        assert len(fake.requests_to("POST", rf"/channels/{dm_channel.id}/messages")) == before
    assert not fake.internal_errors


async def test_checkin_now_in_a_dm_and_history_chart(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    clock = Clock()
    member = fake.users["member"]
    async with running_haven(fake, settings_for, clock):
        call = await fake.invoke_command("checkin now", member, channel=fake.dm_channel(member))
        response = await call.wait_response()
        assert len(response.components) > 0
        original = await call.wait_original()
        click = await fake.click_button(original, "haven:checkin:mood:0:2", member)
        await click.wait_response()
        assert "Low" in fake.message(original.id).content

        call = await fake.invoke_command("mood history", member, options={"days": 7})
        await call.wait_response()
        [chart] = await call.wait_followups(1)
        assert chart.flags & EPHEMERAL
        assert chart.attachment_names == ["mood.png"]
        assert chart.attachments[0].data.startswith(b"\x89PNG")
        assert "1 check-in" in chart.content
    assert not fake.internal_errors
