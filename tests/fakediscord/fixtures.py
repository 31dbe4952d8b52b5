"""Reusable helpers to run a real discord.py client against a FakeDiscord."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator

import discord
import discord.gateway
import discord.http
import yarl

from tests.fakediscord.server import FakeDiscord

log = logging.getLogger(__name__)

# discord.py's own endpoints, captured at import (before any bot re-points them).
_IMPORT_TIME_BASE = discord.http.Route.BASE
_IMPORT_TIME_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


def _originals(fake: FakeDiscord) -> tuple[str, yarl.URL]:
    """The endpoints to restore: the current ones, unless a bot already pointed them at
    ``fake`` in its constructor; then discord.py's import-time values."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    if base.startswith(fake.http_url) or str(gateway).startswith(fake.ws_url):
        return _IMPORT_TIME_BASE, _IMPORT_TIME_GATEWAY
    return base, gateway


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Point discord.py's REST base and default gateway at ``fake``; restore them on exit."""
    old_base, old_gateway = _originals(fake)
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.ws_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def run_client(
    client: discord.Client,
    fake: FakeDiscord,
    token: str | None = None,
    *,
    ready_timeout: float = 30.0,
    guild_ready_timeout: float | None = 0.5,
    patch_urls: bool = True,
) -> AsyncIterator[discord.Client]:
    """Start ``client`` against ``fake``, wait until it is ready, yield it, close it cleanly.

    ``guild_ready_timeout`` shortens discord.py's wait for more GUILD_CREATEs after READY
    (2 s by default); the fake sends them all right after READY, so 0.5 s is plenty and keeps
    each test fast. ``patch_urls=False`` leaves Route.BASE/DEFAULT_GATEWAY to the bot itself
    (e.g. when its config points them at the fake); they are restored afterwards either way.
    """
    if guild_ready_timeout is not None:
        client._connection.guild_ready_timeout = guild_ready_timeout
    old_base, old_gateway = _originals(fake)
    if patch_urls:
        discord.http.Route.BASE = fake.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.ws_url)
    task = asyncio.create_task(client.start(token or fake.token), name="fake-discord-client")
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, task}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # re-raise why the client stopped
                raise RuntimeError("client stopped before it was ready")
            raise TimeoutError(
                f"client not ready after {ready_timeout}s\n{fake.log.describe_recent()}"
            )
        yield client
    finally:
        if not client.is_closed():
            await client.close()
        try:
            await asyncio.wait_for(task, timeout=10.0)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("client task ended with an error")
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def fake_discord(**kwargs: object) -> AsyncIterator[FakeDiscord]:
    """``async with fake_discord() as fake`` (kwargs go to FakeDiscord)."""
    fake = FakeDiscord(**kwargs)  # type: ignore[arg-type]
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
