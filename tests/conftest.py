"""Shared fixtures: a real bot with real services on a temporary database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import HavenBot
from tests.helpers import make_bot


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[HavenBot]:
    haven = await make_bot(tmp_path)
    yield haven
    await haven.services.stop()
    await haven.db.close()
