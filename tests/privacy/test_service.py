"""Count, export and delete across every personal-data table, for two people."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from bot.keys import AUTHOR_ENCRYPTION, VENT_BODY_ENCRYPTION, DecryptionError
from bot.privacy import sealing
from bot.privacy._sql import rows
from tests.privacy.conftest import GUILD, World

ALL_KINDS = {
    "member_country",
    "pending_notices",
    "saved_tips",
    "server_tips_written",
    "moderation_log",
    "mood_entries",
    "checkin_prompts",
    "checkin_schedule",
    "escalations",
    "concern_reports",
    "harassment_log",
    "vents",
    "moderator_actions",
}


def file_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        data += wal.read_bytes()
    return data


def id_forms(user_id: int) -> list[bytes]:
    """The id as decimal text and as SQLite's 8-byte big-endian integer."""
    return [str(user_id).encode(), user_id.to_bytes(8, "big")]


async def test_every_kind_is_registered_and_counted(world: World) -> None:
    counts = await world.privacy.counts(world.a.user_id)
    assert set(counts) == ALL_KINDS
    assert all(n > 0 for n in counts.values()), counts


async def test_export_has_each_kind_own_vents_decrypted_and_nothing_private(world: World) -> None:
    export = await world.privacy.export(world.a.user_id)
    assert export["user_id"] == str(world.a.user_id)
    assert set(export["data"]) == ALL_KINDS
    text = json.dumps(export)
    assert world.a.note in text
    assert world.a.vent_text in text  # the held vent, decrypted for its author only
    assert export["data"]["mood_entries"][0]["tags"] == ["work", "sleep"]
    assert export["data"]["member_country"] == "GB"
    assert {e["state"] for e in export["data"]["escalations"]} == {"false_alarm", "open"}
    # Not the excerpt, not moderators' notes, nothing of the other person.
    assert world.a.excerpt not in text
    assert "moderator note" not in text
    assert str(world.b.user_id) not in text
    assert world.b.note not in text
    assert world.b.vent_text not in text


async def test_export_of_a_stranger_is_empty(world: World) -> None:
    export = await world.privacy.export(123)
    counts = await world.privacy.counts(123)
    assert sum(counts.values()) == 0
    assert world.a.note not in json.dumps(export)


async def test_delete_leaves_nothing_of_theirs_and_nothing_of_the_other_changed(
    world: World,
) -> None:
    a, b = world.a, world.b
    before_b = await world.privacy.export(b.user_id)
    before_b_counts = await world.privacy.counts(b.user_id)
    await world.privacy.checkpoint()
    raw = file_bytes(world.path)
    assert any(form in raw for form in id_forms(a.user_id))  # the search can find it

    result = await world.privacy.delete(a.user_id, keep_vents_unlinked=False)

    assert result.removed["mood_entries"] == 1
    assert result.removed["vents"] >= 2
    assert [m.message_id for m in result.messages] == [a.posted_message_id]
    assert sum((await world.privacy.counts(a.user_id)).values()) == 0
    for path in (world.path,):
        raw = file_bytes(path)
        for form in id_forms(a.user_id):
            assert form not in raw
        for secret in (a.note, a.vent_text, a.excerpt, "vent excerpt A", "Tip by A"):
            if secret == "Tip by A":
                continue  # the server tip stays (the server's), unlinked from its author
            assert secret.encode() not in raw, secret
    # The other person's data is untouched. Only records shared with A went: what B did
    # as a moderator to A's records, and the concern reports between A and B (each
    # reported the other: a report names both people).
    after_b = await world.privacy.export(b.user_id)
    after_b_counts = await world.privacy.counts(b.user_id)
    changed = {k for k in ALL_KINDS if after_b["data"][k] != before_b["data"][k]}
    assert changed == {"moderator_actions", "concern_reports"}
    assert after_b["data"]["concern_reports"] == {"filed_by_you": [], "about_you": []}
    assert {k for k, v in after_b_counts.items() if v != before_b_counts[k]} == changed
    vents = await rows(world.db, "SELECT id FROM vents ORDER BY id")
    assert [v["id"] for v in vents] == sorted(b.vent_ids)


async def test_delete_after_close_leaves_no_trace_in_the_file(world: World) -> None:
    await world.privacy.delete(world.a.user_id, keep_vents_unlinked=False)
    await world.db.close()
    raw = file_bytes(world.path)
    for form in id_forms(world.a.user_id):
        assert form not in raw
    assert world.a.note.encode() not in raw


async def test_keep_vents_unlinked_keeps_the_post_without_any_link(world: World) -> None:
    a = world.a
    result = await world.privacy.delete(a.user_id, keep_vents_unlinked=True)
    assert result.messages == ()
    kept = await rows(
        world.db,
        "SELECT id, author_enc, pseudonym, body_enc FROM vents WHERE id = ?",
        (a.vent_ids[0],),
    )
    assert kept == [
        {"id": a.vent_ids[0], "author_enc": "unlinked", "pseudonym": "anonymous", "body_enc": None}
    ]
    # The held (never public) vent is gone either way.
    assert await rows(world.db, "SELECT id FROM vents WHERE id = ?", (a.vent_ids[1],)) == []
    assert (await world.privacy.counts(a.user_id))["vents"] == 0


async def test_a_block_on_their_anonymous_posts_survives_deletion(world: World) -> None:
    bans_before = await rows(world.db, "SELECT guild_id, poster_key FROM vent_bans")
    await world.privacy.delete(world.b.user_id, keep_vents_unlinked=False)
    bans_after = await rows(world.db, "SELECT guild_id, poster_key FROM vent_bans")
    assert bans_after == bans_before


async def test_deleting_twice_is_harmless(world: World) -> None:
    await world.privacy.delete(world.a.user_id, keep_vents_unlinked=False)
    again = await world.privacy.delete(world.a.user_id, keep_vents_unlinked=False)
    assert again.total == 0
    assert again.lines() == []


async def _opened_tokens(world: World) -> list[str]:
    """Every sealed value anywhere in the database, opened with every purpose and owner
    context it could have been sealed under."""
    purposes = (AUTHOR_ENCRYPTION, VENT_BODY_ENCRYPTION, sealing.NOTE, sealing.EXCERPT)
    contexts = (
        sealing.guild_context(GUILD),
        sealing.note_context(world.a.user_id),
        sealing.note_context(world.b.user_id),
    )
    opened: list[str] = []
    tables = await rows(world.db, "SELECT name FROM sqlite_master WHERE type = 'table'")
    for table in (t["name"] for t in tables):
        async with world.db.execute(f"SELECT * FROM {table}") as cur:
            found = await cur.fetchall()
        for row in found:
            for value in row:
                if not (isinstance(value, str) and sealing.is_sealed(value)):
                    continue
                for purpose, context in itertools.product(purposes, contexts):
                    try:
                        opened.append(world.keys.decrypt(purpose, value, context=context).decode())
                    except DecryptionError:
                        continue
    return opened


async def test_no_encrypted_value_of_theirs_remains(world: World) -> None:
    a = world.a
    before = await _opened_tokens(world)
    assert str(a.user_id) in before  # the vent authors sealed for A
    await world.privacy.delete(a.user_id, keep_vents_unlinked=False)
    after = await _opened_tokens(world)
    assert str(a.user_id) not in after
    assert not [t for t in after if a.note in t or a.vent_text in t or a.excerpt in t]
    assert str(world.b.user_id) in after  # B's sealed authors are still there
