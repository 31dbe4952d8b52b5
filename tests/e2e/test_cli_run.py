"""`python -m bot run` (what `make run` calls) connects to a fake Discord and logs that it is ready."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


async def test_run_connects_logs_ready_and_stops_cleanly_on_sigterm(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "HAVEN_DISCORD__TOKEN": fake.token,
        "HAVEN_DISCORD__API_BASE_URL": fake.api_base,
        "HAVEN_DISCORD__GATEWAY_URL": fake.ws_url,
        "HAVEN_DATABASE__PATH": str(tmp_path / "haven.db"),
        "HAVEN_SECURITY__KEY_FILE": str(tmp_path / "haven.key"),
        "HAVEN_MODERATION__ENABLED": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(tmp_path / "none.toml"),
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(90):
            while True:
                line = (await process.stderr.readline()).decode()
                if not line:
                    break
                seen.append(line)
                if "Haven is ready" in line:
                    break
        assert any("Haven is ready" in line for line in seen), "".join(seen)
        assert fake.identify_count >= 1
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            rest = await process.stderr.read()
            code = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log_text = "".join(seen) + rest.decode()
    assert code == 0, log_text
    assert fake.token not in log_text  # the token is never logged
    assert "Traceback" not in log_text
