"""End-to-end fixtures: a FakeDiscord world and a real HavenBot connected to it.

The bot is configured exactly as a user would configure it (``Settings`` with the
fake's URLs as ``discord.api_base_url`` / ``gateway_url``), on a database file in
``tmp_path`` so a test can stop the bot and start a new one on the same data.
Detoxify is off by default here (it would try to download weights); tests about
moderation switch it on with the tiny offline checkpoint. The crisis semantic layer is
off by default too (seconds to load); its own e2e test switches it on.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import HavenBot
from bot.config import Settings
from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import run_client

pytestmark = pytest.mark.e2e


class E2EHavenBot(HavenBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py waits 5 s between identifies to respect Discord's limit; the fake has none.
        return None


def e2e_settings(fake: FakeDiscord, data_dir: Path, **overrides: Any) -> Settings:
    """Settings pointing at ``fake``; ``overrides`` are merged per section."""
    sections: dict[str, dict[str, Any]] = {
        "discord": {"token": fake.token, "api_base_url": fake.api_base, "gateway_url": fake.ws_url},
        "database": {"path": data_dir / "haven.db"},
        "security": {"key_file": data_dir / "haven.key"},
        "moderation": {"enabled": False},
        # Loading MiniLM costs seconds per bot start; the tests about it switch it on.
        "crisis": {"semantic_layer": False},
    }
    for section, values in overrides.items():
        if isinstance(values, dict):
            sections.setdefault(section, {}).update(values)
        else:
            sections[section] = values
    return Settings(**sections)


@contextlib.asynccontextmanager
async def running_bot(fake: FakeDiscord, settings: Settings) -> AsyncIterator[E2EHavenBot]:
    """Start a HavenBot against ``fake``; close it (and its database) on exit."""
    bot = E2EHavenBot(settings)
    async with run_client(bot, fake, patch_urls=False):
        yield bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as world:
        yield world


@pytest.fixture
def settings_for(fake: FakeDiscord, tmp_path: Path) -> Callable[..., Settings]:
    """``settings_for(moderation={...})`` → Settings for this test's fake and data folder."""

    def build(**overrides: Any) -> Settings:
        return e2e_settings(fake, tmp_path, **overrides)

    return build


@pytest.fixture
async def haven(
    fake: FakeDiscord, settings_for: Callable[..., Settings]
) -> AsyncIterator[E2EHavenBot]:
    """A running HavenBot with default e2e settings."""
    async with running_bot(fake, settings_for()) as bot:
        yield bot
