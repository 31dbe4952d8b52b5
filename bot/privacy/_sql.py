"""Small SQL helpers for the privacy adapters (tables of features that lack the methods)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiosqlite


async def table_exists(db: aiosqlite.Connection, table: str) -> bool:
    async with db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ) as cur:
        return await cur.fetchone() is not None


async def scalar(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> int:
    async with db.execute(sql, params) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def rows(
    db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()
) -> list[dict[str, Any]]:
    async with db.execute(sql, params) as cur:
        return [dict(row) for row in await cur.fetchall()]


async def execute(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> int:
    """Run one write and return the rows it touched (the caller commits)."""
    cur = await db.execute(sql, params)
    count = max(cur.rowcount, 0)
    await cur.close()
    return count


def iso(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def marks(values: list[Any] | tuple[Any, ...]) -> str:
    return ", ".join("?" for _ in values)
