"""SQLite storage: one aiosqlite connection, numbered migrations, repository modules."""

from bot.db.connection import open_database
from bot.db.migrate import apply_migrations, latest_version

__all__ = ["apply_migrations", "latest_version", "open_database"]
