"""Anonymous venting end to end: the real HavenBot against the local fake Discord.

Posting under a pseudonym with a reply thread; the author deleting; a blocked poster
refused even after /vent new-name; the vetting queue; a crisis vent's private DM,
pseudonymous alert and two-way relay; @everyone pinging no one; and the anonymity
search: the authors' ids and names appear nowhere in the database files, the logs, or
what the bot sent to Discord.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.e2e.conftest import running_bot
from tests.fakediscord import FakeDiscord, InteractionHandle, StoredMessage, User

pytestmark = pytest.mark.e2e

CRISIS = "i'm going to kill myself tonight"
TEXT = "haven:vent:compose:text"
TOPIC = "haven:vent:compose:topic"


def configured(fake: FakeDiscord, settings_for: Callable[..., Settings], **extra: Any) -> Settings:
    return settings_for(
        guilds={
            fake.guild.id: {
                "alert_channel_id": fake.channels["mod-alerts"].id,
                "moderator_role_id": fake.roles["Moderators"].id,
                "vent_channel_id": fake.channels["vents"].id,
                "country": "GB",
            }
        },
        venting={"cooldown_seconds": 0},
        **extra,
    )


async def vent(
    fake: FakeDiscord, user: User, text: str, topic: str = "", channel: Any = None
) -> StoredMessage:
    """/vent post → modal → submit; returns the private receipt."""
    call = await fake.invoke_command("vent post", user, channel=channel)
    await call.wait_response()
    assert call.modal is not None, call.response
    assert call.modal["custom_id"] == "haven:vent:compose"
    submit = await call.submit_modal({TEXT: text, TOPIC: topic})
    return await submit.wait_original()


def vents_posted(fake: FakeDiscord) -> list[StoredMessage]:
    return [m for m in fake.messages_in(fake.channels["vents"]) if not m.ephemeral]


def in_alerts(fake: FakeDiscord, prefix: str) -> list[StoredMessage]:
    return [
        m
        for m in fake.messages_in(fake.channels["mod-alerts"])
        if any(cid.startswith(prefix) for cid in m.custom_ids)
    ]


def id_needles(user: User) -> set[bytes]:
    """How an id or name could sit in SQLite: decimal text, or a 64-bit big-endian INTEGER."""
    return {str(user.id).encode(), user.id.to_bytes(8, "big"), user.username.encode()}


def db_file_hits(folder: Path, needles: set[bytes]) -> tuple[set[str], list[str]]:
    """Names of the database files in ``folder`` and "needle in file" for every hit."""
    files = [p for p in folder.iterdir() if p.name.startswith("haven.db")]
    hits = [
        f"{needle!r} in {path.name}"
        for path in files
        for needle in needles
        if needle in path.read_bytes()
    ]
    return {p.name for p in files}, hits


def emitted_in_production(record: logging.LogRecord) -> bool:
    """Would ``bot.log.setup_logging(level="DEBUG", discord_level="DEBUG")`` let it through?

    Haven's own loggers at any level; discord.py at any level except its gateway/http
    loggers (pinned at INFO: their DEBUG lines are raw payloads); everything else
    (aiosqlite logs SQL parameters at DEBUG) at the root's WARNING.
    """
    name = record.name
    if name.split(".")[0] in ("bot", "cogs", "__main__"):
        return True
    if name.startswith(("discord.gateway", "discord.http")):
        return record.levelno >= logging.INFO
    if name == "discord" or name.startswith("discord."):
        return True
    return record.levelno >= logging.WARNING


async def answer(call: InteractionHandle) -> str:
    response = await call.wait_response()
    if response.deferred:
        followups = await call.wait_followups(1)
        return followups[-1].text()
    return response.content


async def test_vent_is_posted_with_a_pseudonym_and_thread_and_the_author_can_delete_it(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member = fake.users["member"]
    async with running_bot(fake, configured(fake, settings_for)) as bot:
        receipt = await vent(fake, member, "hi @everyone, <@1> and discord.gg/xyz", "work")
        assert receipt.ephemeral
        (post,) = vents_posted(fake)
        name = await bot.services.venting.current_name(fake.guild.id, member.id)
        assert f"Anon · {name}" in post.text()
        assert name in receipt.content
        assert f"/{post.id}" in receipt.content  # the link
        # @everyone pings no one: not in the text, and the request allowed no mentions.
        assert post.sent_payload["allowed_mentions"]["parse"] == []
        assert "@everyone" not in post.text()
        assert "discord.gg/xyz" not in post.text()
        assert post.embeds[0]["title"] == "Content warning: work"
        # The reply thread hangs off the post.
        assert post.thread_id == post.id
        thread = fake.guild.channels[post.id]
        assert name in thread.name
        # Nothing about the author is public.
        assert str(member.id) not in str(post.sent_payload)
        assert member.username not in str(post.sent_payload)

        (delete_id,) = receipt.custom_ids
        assert delete_id.startswith("haven:vent:del:")
        # Someone else cannot press it (they'd need the id; the button is checked anyway).
        other = await fake.click_button(receipt, delete_id, fake.users["member2"])
        assert "Only the person" in await answer(other)
        assert not fake.message(post.id).deleted

        mine = await fake.click_button(receipt, delete_id, member)
        assert "deleted" in await answer(mine)
        await fake.wait_until(lambda: fake.message(post.id).deleted, 5, what="post deleted")
        await fake.wait_until(lambda: post.id not in fake.guild.channels, 5, what="thread gone")


async def test_a_blocked_poster_is_refused_even_after_a_new_name(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member, moderator = fake.users["member"], fake.users["moderator"]
    async with running_bot(fake, configured(fake, settings_for)):
        await vent(fake, member, "something rude")
        (post,) = vents_posted(fake)

        menu = await fake.invoke_message_command("Vent options", post, moderator)
        panel = await menu.wait_response()
        assert panel.ephemeral
        labels = [c["label"] for row in panel.components for c in row["components"]]
        assert "Block this poster" in labels
        panel_message = menu.original
        assert panel_message is not None
        block_id = next(
            c["custom_id"]
            for row in panel.components
            for c in row["components"]
            if c["label"] == "Block this poster"
        )
        block = await fake.click_button(panel_message, block_id, moderator)
        blocked_text = await answer(block)
        assert "Blocked" in blocked_text
        assert str(member.id) not in blocked_text

        renamed = await fake.invoke_command("vent new-name", member)
        assert "Done" in await answer(renamed)

        again = await fake.invoke_command("vent post", member)
        response = await again.wait_response()
        assert response.modal is None if hasattr(response, "modal") else True
        assert "stopped anonymous posts" in response.content
        assert len(vents_posted(fake)) == 1
        # Another member is unaffected.
        await vent(fake, fake.users["member2"], "still works for me")
        assert len(vents_posted(fake)) == 2


async def test_vetting_queue_approve_and_reject(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member, member2 = fake.users["member"], fake.users["member2"]
    moderator, admin = fake.users["moderator"], fake.users["admin"]
    async with running_bot(fake, configured(fake, settings_for)):
        turn_on = await fake.invoke_command(
            "setup venting-options", admin, options={"vetting": True}
        )
        assert "vetting queue:** on" in await answer(turn_on)

        receipt = await vent(fake, member, "please approve me")
        assert "waiting for a moderator" in receipt.content
        assert vents_posted(fake) == []
        (queued,) = in_alerts(fake, "haven:vent:approve:")
        assert "please approve me" in queued.text()

        # A member cannot approve.
        approve_id = next(c for c in queued.custom_ids if c.startswith("haven:vent:approve:"))
        refused = await fake.click_button(queued, approve_id, member2)
        assert "moderators" in await answer(refused)
        assert vents_posted(fake) == []

        await fake.click_button(queued, approve_id, moderator)
        post = await fake.wait_for_message(fake.channels["vents"])
        assert "please approve me" in post.text()
        await fake.wait_until(
            lambda: "Approved by" in fake.message(queued.id).content, 5, what="queue updated"
        )
        assert fake.message(queued.id).custom_ids == []
        told = await fake.wait_for_dm(member, lambda m: "approved" in m.content)
        assert f"/{post.id}" in told.content

        await vent(fake, member2, "reject me please")
        second = next(m for m in in_alerts(fake, "haven:vent:reject:") if "reject me" in m.text())
        reject_id = next(c for c in second.custom_ids if c.startswith("haven:vent:reject:"))
        await fake.click_button(second, reject_id, moderator)
        await fake.wait_until(
            lambda: "Rejected by" in fake.message(second.id).content, 5, what="rejected"
        )
        assert "reject me" not in fake.message(second.id).text()
        await fake.wait_for_dm(member2, lambda m: "decided not to post" in m.content)
        assert len(vents_posted(fake)) == 1


async def test_crisis_vent_dm_pseudonymous_alert_and_two_way_relay(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member, moderator = fake.users["member"], fake.users["moderator"]
    async with running_bot(fake, configured(fake, settings_for)) as bot:
        receipt = await vent(fake, member, CRISIS)
        dm = await fake.wait_for_dm(member)
        assert "Samaritans" in dm.content
        assert "999" in dm.content
        assert "commit suicide" not in dm.content.lower()
        assert "private message" in receipt.content

        (post,) = vents_posted(fake)
        assert post.embeds[0]["title"].startswith("Content warning")
        assert post.embeds[0]["description"].startswith("||")

        name = await bot.services.venting.current_name(fake.guild.id, member.id)
        (alert,) = in_alerts(fake, "haven:vent:relay:")
        assert name in alert.text()
        assert str(member.id) not in str(alert.sent_payload)
        assert member.username not in alert.text()
        assert member.mention not in alert.text()

        # Moderator → author.
        relay_id = next(
            c for c in fake.message(alert.id).custom_ids if c.startswith("haven:vent:relay:")
        )
        reach = await fake.click_button(alert, relay_id, moderator)
        await reach.wait_response()
        assert reach.modal is not None
        sent = await reach.submit_modal(
            {"haven:vent:relay-modal:text": "We're here. Want to talk?"}
        )
        assert "Delivered" in await answer(sent)
        relayed = await fake.wait_for_dm(member, lambda m: "We're here" in m.text())
        assert str(moderator.id) not in relayed.text()

        # Author → moderators, under the pseudonym.
        reply_id = next(c for c in relayed.custom_ids if c.startswith("haven:vent:reply:"))
        press = await fake.click_button(relayed, reply_id, member)
        await press.wait_response()
        assert press.modal is not None
        back = await press.submit_modal(
            {"haven:vent:reply-modal:text": "thank you, a little better"}
        )
        assert "Sent to the moderators" in await answer(back)
        answer_msg = await fake.wait_for_message(
            fake.channels["mod-alerts"], lambda m: "a little better" in m.text()
        )
        assert f"Reply from Anon · {name}" in answer_msg.text()
        assert str(member.id) not in str(answer_msg.sent_payload)

        # The author's id left the bot only to open the DM channel (Discord's own API).
        carrying_id = {
            (r.method, r.path)
            for r in fake.requests
            if str(member.id) in f"{r.path} {r.query} {r.json}"
        }
        assert carrying_id == {("POST", "/users/@me/channels")}


async def test_vent_from_a_dm_chooses_the_server(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> None:
    member = fake.users["member"]
    async with running_bot(fake, configured(fake, settings_for)):
        receipt = await vent(fake, member, "from my DMs", channel=fake.dm_channel(member))
        assert "posted" in receipt.content
        (post,) = vents_posted(fake)
        assert "from my DMs" in post.text()


async def test_anonymity_search_finds_no_author_anywhere(
    fake: FakeDiscord,
    settings_for: Callable[..., Settings],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # Distinctive names, so a hit means a leak and not a word in the schema.
    authors = [fake.add_user(f"a{i}", f"zqx_vent_author_{i}") for i in range(3)]
    for author in authors:
        fake.add_member(author)
    async with running_bot(fake, configured(fake, settings_for)) as bot:
        for i, author in enumerate(authors):
            receipt = await vent(fake, author, f"vent number {i} from someone", "topic")
            if i == 0:
                assert receipt.custom_ids, receipt.content
                (delete_id,) = receipt.custom_ids
                await answer(await fake.click_button(receipt, delete_id, author))
        renamed = await fake.invoke_command("vent new-name", authors[1])
        await answer(renamed)
        await vent(fake, authors[1], "second vent, new name")
        assert len(vents_posted(fake)) == 3  # four posted, the first deleted

        # 1. The database files, byte for byte, while the bot runs (the WAL holds the
        # recent pages) and again after it closed (checkpointed into the main file).
        raw = set().union(*(id_needles(a) for a in authors))
        names, hits = db_file_hits(tmp_path, raw)
        assert "haven.db-wal" in names
        assert hits == []
        # Control: the same search does find what *is* stored in the clear.
        pseudonym = await bot.services.venting.current_name(fake.guild.id, authors[1].id)
        assert db_file_hits(tmp_path, {fake.guild.id.to_bytes(8, "big")})[1]
        assert db_file_hits(tmp_path, {pseudonym.encode()})[1]
    names, hits = db_file_hits(tmp_path, raw)
    assert "haven.db" in names
    assert hits == []

    needles = {str(a.id) for a in authors} | {a.username for a in authors}

    # 2. The logs: every record the most verbose production set-up would emit.
    for record in caplog.records:
        if not emitted_in_production(record):
            continue
        line = record.getMessage() + (record.exc_text or "")
        for needle in needles:
            assert needle not in line, f"{needle} logged by {record.name}: {line[:200]}"

    # 3. Every request the bot sent to (fake) Discord: paths, queries, bodies, files.
    assert any("vent number 1" in str(r.json) for r in fake.requests)  # control
    for request in fake.requests:
        blob = f"{request.method} {request.path} {request.query} {request.json}"
        blob += "".join(f.data.decode("utf-8", "replace") for f in request.files)
        for needle in needles:
            assert needle not in blob, f"{needle} sent in {request.summary()}"
