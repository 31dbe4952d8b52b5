"""`python -m bot db backup` output, opened alone, shows no note, vent text or vent author.

The data goes in through the real services (as the running bot writes it); the backup
is read as raw bytes, as anyone holding only that file would.
"""

from __future__ import annotations

from pathlib import Path

from bot.__main__ import db_backup
from bot.escalation.models import Category
from bot.privacy import sealing
from tests.helpers import make_bot

GUILD = 900_000_000_000_000_001
AUTHOR = 345_678_901_234_567_891
WRITER = 456_789_012_345_678_912
NOTE = "backup-note: the quiet-heron feeling"
EXCERPT = "backup-excerpt: i can't go on"
VENT = "backup-vent: nobody at home listens"


async def test_backup_has_no_plain_text_note_vent_or_author(tmp_path: Path) -> None:
    bot = await make_bot(tmp_path)
    services = bot.services
    assert services.checkins and services.escalations and services.venting
    entry = await services.checkins.log_now(WRITER, 2)
    await services.checkins.set_note(entry.entry_id, WRITER, NOTE)
    await services.escalations.open_or_merge(
        guild_id=GUILD,
        user_id=WRITER,
        category=Category.SELF_RISK,
        severity=2,
        reasons=["self_risk.intent"],
        excerpt=EXCERPT,
        source="message",
        claim=False,
    )
    await services.guild_settings.update(GUILD, vent_channel_id=1, alert_channel_id=2)
    await services.venting.set_options(GUILD, vetting=True)
    submission = await services.venting.submit(GUILD, AUTHOR, VENT)
    assert submission.held  # its text is kept (sealed) until a moderator decides

    # The running bot reads its own data back in the clear.
    history = await services.checkins.history(WRITER, 7)
    assert history.entries[0].note == NOTE
    opened = await services.escalations.list_open(GUILD)
    assert opened[0].excerpt == EXCERPT
    await services.stop()
    await bot.db.close()

    target = tmp_path / "backup.db"
    assert db_backup(bot.settings, target) == 0
    raw = target.read_bytes()
    for secret in (NOTE, EXCERPT, VENT, "quiet-heron", "nobody at home"):
        assert secret.encode() not in raw, secret
    assert str(AUTHOR).encode() not in raw
    assert AUTHOR.to_bytes(8, "big") not in raw
    assert sealing.NOTE  # the purposes exist for rotation
