"""Numbered ``.sql`` migrations applied in order; the schema version lives in ``PRAGMA user_version``.

Each file ``NNNN_name.sql`` in ``bot/db/migrations`` moves the schema from version
``NNNN - 1`` to ``NNNN``. A migration runs inside one transaction together with the
``user_version`` bump, so a crash leaves the database at the previous version and
re-running is safe (idempotent at the level of the whole file).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


class MigrationError(RuntimeError):
    """The database cannot be brought to the current schema."""


def load_migrations() -> list[Migration]:
    folder = resources.files("bot.db") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number: {versions}")
    return found


def latest_version() -> int:
    migrations = load_migrations()
    return migrations[-1].version if migrations else 0


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(conn: aiosqlite.Connection) -> list[str]:
    """Apply every migration newer than the database; return the names applied."""
    version = await current_version(conn)
    migrations = load_migrations()
    newest = migrations[-1].version if migrations else 0
    if version > newest:
        raise MigrationError(
            f"database schema version {version} is newer than this Haven ({newest}); "
            "upgrade Haven or restore a matching backup"
        )
    applied: list[str] = []
    for migration in (m for m in migrations if m.version > version):
        # executescript would COMMIT on its own; wrap the file and the version bump in one
        # explicit transaction so a failure leaves the previous version intact.
        script = f"BEGIN;\n{migration.sql}\nPRAGMA user_version={migration.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except Exception as exc:
            await conn.rollback()
            raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
        log.info("applied migration %s", migration.name)
        applied.append(migration.name)
    return applied
