"""Logging set-up, done once by the CLI. Never logs message text; redacts the bot token."""

from __future__ import annotations

import logging
import sys

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Replace any configured secret that slipped into a log line with ``[redacted]``."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(secret in message for secret in self._secrets):
                for secret in self._secrets:
                    message = message.replace(secret, "[redacted]")
                record.msg, record.args = message, None
        return True


def setup_logging(
    level: str = "INFO", discord_level: str = "WARNING", secrets: list[str] | None = None
) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactSecrets(secrets or []))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in ("bot", "cogs", "__main__"):
        logging.getLogger(name).setLevel(level)
    logging.getLogger("discord").setLevel(discord_level)
    # These print full HTTP payloads (which can hold message text) at DEBUG.
    logging.getLogger("discord.http").setLevel(
        max(logging.INFO, logging.getLevelName(discord_level))
    )
    logging.getLogger("discord.gateway").setLevel(
        max(logging.INFO, logging.getLevelName(discord_level))
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # aiosqlite logs SQL parameters (user ids) at DEBUG; never let that be switched on.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
