"""Excerpts and the detector's quoted reasons are sealed at rest (bot/privacy/sealing.py):
the database file alone shows neither, while the service reads them back in the clear."""

from __future__ import annotations

from pathlib import Path

from bot.escalation import Action, Category
from tests.helpers import make_bot

GUILD = 77
EXCERPT = "sealing-excerpt: i can't do this anymore"
SPAN = "passive.hopeless: 'sealed-span-words'"


def database_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("haven.db*")))


async def test_excerpt_and_reasons_are_not_plain_text_in_the_file(tmp_path: Path) -> None:
    bot = await make_bot(tmp_path)
    service = bot.services.escalations
    assert service is not None
    first = await service.open_or_merge(
        guild_id=GUILD,
        user_id=5,
        category=Category.SELF_RISK,
        severity=1,
        reasons=[SPAN],
        excerpt="earlier words",
        source="message",
        claim=False,
    )
    merged = await service.open_or_merge(
        guild_id=GUILD,
        user_id=5,
        category=Category.SELF_RISK,
        severity=2,
        reasons=["ideation.active: 'other-sealed-words'"],
        excerpt=EXCERPT,
        source="message",
        claim=False,
    )
    assert merged.escalation.id == first.escalation.id
    stored = await service.get(first.escalation.id)
    assert stored is not None
    assert stored.excerpt == EXCERPT
    assert SPAN in stored.reasons
    await service.act(stored.id, Action.FALSE_ALARM, 9, guild_id=GUILD)
    await service.record_harassment(
        type("A", (), {"severity": 1, "reasons": ("harassment.kys: 'harass-words'",)})(),
        guild_id=GUILD,
        author_id=6,
        channel_id=None,
        message_id=None,
    )
    await bot.services.stop()
    await bot.db.close()
    raw = database_bytes(tmp_path)
    for secret in (
        EXCERPT,
        "earlier words",
        "sealed-span-words",
        "other-sealed-words",
        "harass-words",
    ):
        assert secret.encode() not in raw, secret
