"""Key rotation: re-seal every encrypted column under a new master key, in place.

``python -m bot keys rotate`` (run with the bot stopped):
1. a new key is written next to the key file as ``<key_file>.next`` (0600), or the one
   already there is reused: that is what makes an interrupted rotation resumable;
2. keyed hashes that must survive (vent blocks and identity epochs, found through the
   vents' sealed authors) are recomputed under the new key;
3. each sealed column is re-sealed in batches; every batch commits together with its
   progress row in ``key_rotation_progress``, so a crash loses at most one batch of work
   and nothing is sealed twice (a token already under the new key is skipped);
4. when every column is done the old key is kept as ``<key_file>.retired-<key id>``
   (backups made before the rotation need it) and the new key replaces the key file.

Legacy plain-text notes and excerpts (from before encryption at rest) are sealed on the
way. Pseudonyms already shown on old vents stay as they are; new vents get new names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import aiosqlite

from bot.keys import (
    AUTHOR_ENCRYPTION,
    VENT_BODY_ENCRYPTION,
    DecryptionError,
    KeyRing,
    decode_key,
    generate_key,
    key_id_of,
    resolve_key_file,
)
from bot.privacy import sealing
from bot.privacy._sql import rows, table_exists
from bot.venting.pseudonyms import poster_key

log = logging.getLogger(__name__)

BATCH_SIZE = 500
RUNNING_WITHIN_SECONDS = 120  # the running bot's heartbeat ticks every minute


@dataclass(frozen=True)
class SealedColumn:
    table: str
    column: str
    purpose: str
    owner: str  # the column the context is bound to
    context: Callable[[Any], str]
    skip: tuple[str, ...] = ()  # values that are not ciphertexts on purpose

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def _guild(row: Any) -> str:
    return sealing.guild_context(row["owner"])


def _user(row: Any) -> str:
    return sealing.note_context(row["owner"])


COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn("vents", "author_enc", AUTHOR_ENCRYPTION, "guild_id", _guild, ("unlinked",)),
    SealedColumn("vents", "body_enc", VENT_BODY_ENCRYPTION, "guild_id", _guild),
    SealedColumn("mood_entries", "note", sealing.NOTE, "user_id", _user),
    SealedColumn("escalations", "excerpt", sealing.EXCERPT, "guild_id", _guild),
    # The detector's reasons quote matched words: bot/escalation seals them like the excerpt.
    SealedColumn("escalations", "reasons", sealing.EXCERPT, "guild_id", _guild),
)


def _key_id_of_token(token: str) -> str | None:
    parts = token.split(".", 2)
    return parts[1] if len(parts) == 3 and sealing.is_sealed(token) else None


async def _progress(db: aiosqlite.Connection, column: str, key_id: str) -> tuple[int, bool]:
    found = await rows(
        db,
        "SELECT key_id, last_id, done FROM key_rotation_progress WHERE column_name = ?",
        (column,),
    )
    if found and found[0]["key_id"] == key_id:
        return int(found[0]["last_id"]), bool(found[0]["done"])
    await db.execute(
        "INSERT INTO key_rotation_progress (column_name, key_id, last_id, done, updated_at) "
        "VALUES (?, ?, 0, 0, strftime('%s', 'now')) ON CONFLICT (column_name) DO UPDATE SET "
        "key_id = excluded.key_id, last_id = 0, done = 0, updated_at = excluded.updated_at",
        (column, key_id),
    )
    await db.commit()
    return 0, False


async def reseal(
    db: aiosqlite.Connection,
    ring: KeyRing,
    *,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
) -> dict[str, int]:
    """Re-seal every column under ``ring.master`` (``ring.previous`` opens old tokens).

    Returns values re-sealed per column. ``max_batches`` stops early (tests of resuming).
    """
    counts: dict[str, int] = {}
    batches = 0
    for col in COLUMNS:
        if not await table_exists(db, col.table):
            continue
        last_id, done = await _progress(db, col.name, ring.key_id)
        counts[col.name] = 0
        while not done:
            if max_batches is not None and batches >= max_batches:
                return counts
            found = await rows(
                db,
                f"SELECT id, {col.column} AS value, {col.owner} AS owner FROM {col.table} "
                f"WHERE id > ? ORDER BY id LIMIT ?",
                (last_id, batch_size),
            )
            if not found:
                done = True
            updates = []
            for row in found:
                new = _reseal_value(ring, col, row)
                if new is not None:
                    updates.append((new, row["id"]))
            if updates:
                await db.executemany(
                    f"UPDATE {col.table} SET {col.column} = ? WHERE id = ?", updates
                )
            last_id = found[-1]["id"] if found else last_id
            await db.execute(
                "UPDATE key_rotation_progress SET last_id = ?, done = ?, "
                "updated_at = strftime('%s', 'now') WHERE column_name = ?",
                (last_id, int(done), col.name),
            )
            await db.commit()  # the batch and its progress together
            counts[col.name] += len(updates)
            batches += 1
    return counts


def _reseal_value(ring: KeyRing, col: SealedColumn, row: Any) -> str | None:
    value = row["value"]
    if value is None or value in col.skip:
        return None
    context = col.context(row)
    if sealing.is_sealed(value):
        if _key_id_of_token(value) == ring.key_id:
            return None  # already under the new key (a resumed batch)
        try:
            plain = ring.decrypt(col.purpose, value, context=context)
        except DecryptionError:
            log.warning("%s row %s does not decrypt; left as it is", col.name, row["id"])
            return None
    else:
        plain = value.encode("utf-8")  # legacy plain text: seal it now
    return ring.encrypt(col.purpose, plain, context=context)


async def rekey_vent_hashes(db: aiosqlite.Connection, old: KeyRing, new: KeyRing) -> int:
    """Recompute poster keys (blocks, identity epochs) for every known vent author.

    Idempotent: a hash already moved no longer matches its old value. Blocks and
    epochs of people with no vent row left cannot be mapped and lapse.
    """
    if not await table_exists(db, "vents"):
        return 0
    both = KeyRing(new.master, (old.master,))
    pairs: set[tuple[int, int]] = set()
    for row in await rows(db, "SELECT guild_id, author_enc FROM vents"):
        token = row["author_enc"]
        if not sealing.is_sealed(token):
            continue
        try:
            author = both.decrypt_int(
                AUTHOR_ENCRYPTION, token, context=sealing.guild_context(row["guild_id"])
            )
        except (DecryptionError, ValueError):
            continue
        pairs.add((row["guild_id"], author))
    moved = 0
    for guild_id, author in sorted(pairs):
        before, after = poster_key(old, guild_id, author), poster_key(new, guild_id, author)
        for table in ("vent_bans", "vent_identities"):
            cur = await db.execute(
                f"UPDATE OR REPLACE {table} SET poster_key = ? WHERE guild_id = ? "
                "AND poster_key = ?",
                (after, guild_id, before),
            )
            moved += max(cur.rowcount, 0)
            await cur.close()
    await db.commit()
    return moved


# --- CLI: python -m bot keys rotate ---------------------------------------------------


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + "\n")


async def _reencrypt(db_path: Path, old: KeyRing, new: KeyRing) -> tuple[dict[str, int], int]:
    from bot.db import apply_migrations, open_database

    db = await open_database(db_path)
    try:
        await apply_migrations(db)
        moved = await rekey_vent_hashes(db, old, new)
        counts = await reseal(db, new)
        async with db.execute("PRAGMA wal_checkpoint(TRUNCATE)"):
            pass
    finally:
        await db.close()
    return counts, moved


def rotate(db_path: Path, key_path: Path, out: TextIO) -> int:
    next_path = key_path.with_name(key_path.name + ".next")
    old_text = key_path.read_text("ascii").strip()
    old_master = decode_key(old_text)
    if next_path.exists():
        out.write(f"resuming the rotation started earlier ({next_path})\n")
    else:
        _write_secret(next_path, generate_key())
    new_master = decode_key(next_path.read_text("ascii"))
    old, new = KeyRing(old_master), KeyRing(new_master, (old_master,))
    counts, moved = asyncio.run(_reencrypt(db_path, old, new))
    retired = key_path.with_name(f"{key_path.name}.retired-{key_id_of(old_master)}")
    if not retired.exists():
        _write_secret(retired, old_text)
    os.replace(next_path, key_path)
    os.chmod(key_path, 0o600)
    for name, n in counts.items():
        out.write(f"re-sealed {name}: {n}\n")
    out.write(f"moved {moved} vent block/identity hash(es) to the new key\n")
    out.write(
        f"done: {key_path} now holds key {key_id_of(new_master)}. The old key is in "
        f"{retired}: backups made before now need it; store it offline or destroy it.\n"
    )
    return 0


def run_keys_rotate(settings: Any, out: TextIO) -> int:
    """``python -m bot keys rotate``: 0 done, 1 failed, 2 cannot rotate this setup."""
    security = settings.security
    if security.secret_key is not None:
        out.write(
            "the key comes from security.secret_key (HAVEN_SECURITY__SECRET_KEY); rotation "
            "rewrites the key file. Put the key in the key file instead, then run this again.\n"
        )
        return 2
    was_set = "key_file" in security.model_fields_set
    key_path = resolve_key_file(security.key_file, was_set, settings.database.path)
    if key_path is None or not key_path.exists():
        out.write(f"no key file at {key_path}; nothing to rotate\n")
        return 2
    db_path = Path(settings.database.path)
    if not db_path.exists():
        out.write(f"no database at {db_path}; nothing to rotate\n")
        return 2
    seconds = _seconds_since_heartbeat(db_path)
    if seconds is not None and seconds < RUNNING_WITHIN_SECONDS:
        out.write(
            f"the bot looks like it is running (its scheduler ticked {seconds} s ago). Stop it "
            "first: a running bot would keep sealing new data under the old key. If it is "
            f"stopped, wait {RUNNING_WITHIN_SECONDS} s and run this again.\n"
        )
        return 2
    return rotate(db_path, key_path, out)


def _seconds_since_heartbeat(db_path: Path) -> int | None:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
            row = conn.execute(
                "SELECT last_run_at FROM job_runs WHERE name = 'scheduler'"
            ).fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else int(time.time()) - int(row[0])
