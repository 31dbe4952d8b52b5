"""Tips end to end: the real HavenBot (discord.py) against the local fake Discord.

/tips browse → choose a topic → Next → Save, then /tips saved lists the saved tip; a
second member cannot press the first member's buttons.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import E2EHavenBot
from tests.fakediscord import FakeDiscord, StoredMessage

pytestmark = pytest.mark.e2e


def _title(message: StoredMessage) -> str:
    return message.embeds[0]["title"] if message.embeds else ""


async def test_browse_next_save_then_saved_lists_it(fake: FakeDiscord, haven: E2EHavenBot) -> None:
    member = fake.users["member"]
    sleep_tips = haven.services.tips.library.in_category("sleep")

    call = await fake.invoke_command("tips browse", member)
    response = await call.wait_response()
    assert response.ephemeral
    browser = await call.wait_original()
    assert "haven:tips:topic" in browser.custom_ids

    pick = await fake.select(browser, "haven:tips:topic", ["sleep"], member)
    assert (await pick.wait_response()).type == 7  # the same message is edited
    await fake.wait_until(lambda: _title(fake.message(browser.id)) == sleep_tips[0].title)

    nxt = await fake.click_button(browser, "haven:tips:next", member)
    await nxt.wait_response()
    await fake.wait_until(lambda: _title(fake.message(browser.id)) == sleep_tips[1].title)

    # Someone else cannot press these buttons; they get a private note and nothing changes.
    other = fake.users["admin"]
    intruder = await fake.click_button(browser, "haven:tips:save", other)
    refusal = await intruder.wait_response()
    assert refusal.ephemeral
    assert "belong to the person who opened" in refusal.content
    assert await haven.services.tips.saved.tip_ids(other.id) == []

    save = await fake.click_button(browser, "haven:tips:save", member)
    await save.wait_response()
    await fake.wait_until(lambda: "Saved" in str(fake.message(browser.id).components))
    assert await haven.services.tips.saved.tip_ids(member.id) == [sleep_tips[1].id]

    saved = await fake.invoke_command("tips saved", member)
    listing = await saved.wait_response()
    assert listing.ephemeral
    assert sleep_tips[1].title in listing.content
