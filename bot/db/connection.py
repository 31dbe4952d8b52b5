"""Open the bot's single SQLite connection with the pragmas every feature relies on."""

from __future__ import annotations

import logging
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000


async def open_database(path: Path | str) -> aiosqlite.Connection:
    """Open (creating parent folders) a connection in WAL mode with foreign keys on.

    ``":memory:"`` is accepted for tests. Rows come back as ``aiosqlite.Row`` so
    repositories can read columns by name.
    """
    target = str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(target)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA synchronous=NORMAL")
    log.debug("database opened at %s", target)
    return conn
