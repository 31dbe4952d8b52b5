"""Every column that names a person is handled by some provider.

A feature that adds a table with a user id must add it to a privacy adapter (and here),
or this test fails: the person's data would otherwise survive /mydata delete.
"""

from __future__ import annotations

import re

from bot.db import apply_migrations, open_database
from bot.privacy.adapters.actors import ACTOR_COLUMNS

PERSON = re.compile(r"^(user|author|reporter|target|moderator|second_moderator|actor)_id$|_by$")

# table.column -> the provider kind that counts, exports and deletes it
HANDLED = {
    "pending_notices.user_id": "pending_notices",
    "member_country.user_id": "member_country",
    "saved_tips.user_id": "saved_tips",
    "server_tips.created_by": "server_tips_written",
    "moderation_log.user_id": "moderation_log",
    "moderation_strikes.user_id": "moderation_log",
    "checkin_schedules.user_id": "checkin_schedule",
    "checkin_prompts.user_id": "checkin_prompts",
    "mood_entries.user_id": "mood_entries",
    "escalations.user_id": "escalations",
    "escalations.reporter_id": "concern_reports",
    "concern_reports.reporter_id": "concern_reports",
    "concern_reports.target_id": "concern_reports",
    "harassment_log.author_id": "harassment_log",
    **{f"{t}.{c}": "moderator_actions" for t, c, _ in ACTOR_COLUMNS},
}


async def test_every_person_column_is_handled() -> None:
    db = await open_database(":memory:")
    await apply_migrations(db)
    found = []
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
        tables = [row[0] for row in await cur.fetchall()]
    for table in tables:
        async with db.execute(f"PRAGMA table_info({table})") as cur:
            for column in await cur.fetchall():
                if PERSON.search(column[1]):
                    found.append(f"{table}.{column[1]}")
    await db.close()
    assert found  # the pattern does match the schema
    assert sorted(set(found) - set(HANDLED)) == []
