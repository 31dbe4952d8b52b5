"""Key rotation: everything re-sealed under the new key, resumable, blocks survive."""

from __future__ import annotations

import asyncio
import io
import secrets
from pathlib import Path

import pytest

from bot.config import Settings
from bot.db import apply_migrations, open_database
from bot.escalation.repository import EscalationRepository
from bot.keys import AUTHOR_ENCRYPTION, KeyRing, decode_key, generate_key, key_id_of
from bot.privacy import sealing
from bot.privacy._sql import rows, scalar
from bot.privacy.rotation import COLUMNS, rekey_vent_hashes, reseal, run_keys_rotate
from bot.venting.pseudonyms import poster_key
from tests.privacy.conftest import GUILD, World


def _new_ring(world: World) -> KeyRing:
    return KeyRing(secrets.token_bytes(32), (world.keys.master,))


async def _tokens(world: World) -> list[str]:
    found: list[str] = []
    for col in COLUMNS:
        for row in await rows(world.db, f"SELECT {col.column} AS v FROM {col.table}"):
            if row["v"] is not None and row["v"] not in col.skip:
                found.append(row["v"])
    return found


async def test_reseal_moves_every_value_to_the_new_key_and_seals_plain_text(
    world: World,
) -> None:
    ring = _new_ring(world)
    counts = await reseal(world.db, ring)
    assert counts["mood_entries.note"] == 2
    assert counts["escalations.excerpt"] == 4
    assert counts["escalations.reasons"] == 4
    assert counts["vents.author_enc"] == 4
    tokens = await _tokens(world)
    assert tokens
    assert all(t.split(".")[1] == ring.key_id for t in tokens)
    # Values still open, under the new key alone, bound to their owners.
    only_new = KeyRing(ring.master)
    sealing.install(world.db, only_new)
    notes = await rows(world.db, "SELECT user_id, note FROM mood_entries ORDER BY id")
    opened = {
        r["user_id"]: sealing.unseal(
            world.db, sealing.NOTE, r["note"], sealing.note_context(r["user_id"])
        )
        for r in notes
    }
    assert opened == {world.a.user_id: world.a.note, world.b.user_id: world.b.note}
    escalation = await EscalationRepository(world.db).get(world.a.escalation_ids[0])
    assert escalation is not None
    assert escalation.excerpt == world.a.excerpt
    assert escalation.reasons == ("self_risk.intent",)
    await world.privacy.checkpoint()
    raw = world.path.read_bytes()
    assert world.a.note.encode() not in raw
    assert world.a.excerpt.encode() not in raw


async def test_an_interrupted_rotation_resumes_where_it_stopped(world: World) -> None:
    ring = _new_ring(world)
    first = await reseal(world.db, ring, batch_size=1, max_batches=3)
    assert sum(first.values()) == 3
    progress = await rows(world.db, "SELECT column_name, last_id, done FROM key_rotation_progress")
    assert progress and not all(p["done"] for p in progress)
    second = await reseal(world.db, ring, batch_size=1)
    total = await reseal(world.db, ring)  # a third run finds nothing left to do
    assert sum(total.values()) == 0
    assert sum(first.values()) + sum(second.values()) == len(await _tokens(world))
    assert all(t.split(".")[1] == ring.key_id for t in await _tokens(world))


async def test_blocks_and_identities_follow_the_new_key(world: World) -> None:
    old, new = KeyRing(world.keys.master), _new_ring(world)
    await world.db.execute(
        "INSERT INTO vent_bans (guild_id, poster_key, banned_by) VALUES (?, ?, 1)",
        (GUILD, poster_key(old, GUILD, world.a.user_id)),
    )
    await world.db.commit()
    moved = await rekey_vent_hashes(world.db, old, new)
    assert moved == 3  # A's block, A's and B's identity epochs
    bans = {r["poster_key"] for r in await rows(world.db, "SELECT poster_key FROM vent_bans")}
    assert poster_key(new, GUILD, world.a.user_id) in bans
    assert poster_key(old, GUILD, world.a.user_id) not in bans
    assert await rekey_vent_hashes(world.db, old, new) == 0  # idempotent


def _setup_cli(tmp_path: Path) -> tuple[Settings, str, int]:
    key = generate_key()
    key_file = tmp_path / "haven.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    settings = Settings(database={"path": tmp_path / "haven.db"}, security={"key_file": key_file})
    author = 345_678_901_234_567_891

    async def build() -> None:
        db = await open_database(settings.database.path)
        await apply_migrations(db)
        ring = KeyRing(decode_key(key))
        await db.execute(
            "INSERT INTO vents (guild_id, pseudonym, author_enc) VALUES (?, 'x', ?)",
            (GUILD, ring.encrypt_int(AUTHOR_ENCRYPTION, author, context=f"guild:{GUILD}")),
        )
        await db.execute(
            "INSERT INTO mood_entries (user_id, mood, note, local_date, created_utc) "
            "VALUES (?, 3, 'plain old note', '2026-01-01', 0)",
            (author,),
        )
        await db.commit()
        await db.close()

    asyncio.run(build())
    return settings, key, author


def test_cli_rotates_the_key_file_and_keeps_the_old_key_retired(tmp_path: Path) -> None:
    settings, old_key, author = _setup_cli(tmp_path)
    out = io.StringIO()
    assert run_keys_rotate(settings, out) == 0
    key_file = tmp_path / "haven.key"
    new_key = key_file.read_text().strip()
    assert new_key != old_key
    assert not (tmp_path / "haven.key.next").exists()
    retired = tmp_path / f"haven.key.retired-{key_id_of(decode_key(old_key))}"
    assert retired.read_text().strip() == old_key
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    raw = (tmp_path / "haven.db").read_bytes()
    assert b"plain old note" not in raw
    assert "re-sealed mood_entries.note: 1" in out.getvalue()

    async def check() -> None:
        db = await open_database(settings.database.path)
        token = (await rows(db, "SELECT author_enc FROM vents"))[0]["author_enc"]
        ring = KeyRing(decode_key(new_key))
        assert ring.decrypt_int(AUTHOR_ENCRYPTION, token, context=f"guild:{GUILD}") == author
        assert await scalar(db, "SELECT COUNT(*) FROM key_rotation_progress WHERE done = 0") == 0
        await db.close()

    asyncio.run(check())


def test_cli_resumes_with_the_pending_key(tmp_path: Path) -> None:
    settings, _, _ = _setup_cli(tmp_path)
    pending = generate_key()
    (tmp_path / "haven.key.next").write_text(pending + "\n")
    out = io.StringIO()
    assert run_keys_rotate(settings, out) == 0
    assert "resuming" in out.getvalue()
    assert (tmp_path / "haven.key").read_text().strip() == pending


@pytest.mark.parametrize("case", ["secret_key", "no_key_file"])
def test_cli_refuses_what_it_cannot_rotate(tmp_path: Path, case: str) -> None:
    if case == "secret_key":
        settings = Settings(
            database={"path": tmp_path / "haven.db"}, security={"secret_key": generate_key()}
        )
    else:
        settings = Settings(
            database={"path": tmp_path / "haven.db"},
            security={"key_file": tmp_path / "missing.key"},
        )
    out = io.StringIO()
    assert run_keys_rotate(settings, out) == 2
    assert out.getvalue()


def test_cli_refuses_while_the_bot_is_running(tmp_path: Path) -> None:
    settings, old_key, _ = _setup_cli(tmp_path)

    async def tick() -> None:
        db = await open_database(settings.database.path)
        await db.execute(
            "INSERT INTO job_runs (name, last_run_at) VALUES ('scheduler', strftime('%s', 'now'))"
        )
        await db.commit()
        await db.close()

    asyncio.run(tick())
    out = io.StringIO()
    assert run_keys_rotate(settings, out) == 2
    assert "Stop it first" in out.getvalue()
    assert (tmp_path / "haven.key").read_text().strip() == old_key
