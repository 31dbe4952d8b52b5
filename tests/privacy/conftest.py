"""A database file with every personal-data table filled for two people.

Person A and person B each get: country, a pending notice, saved tips, a server tip they
wrote, moderation log entries and strikes, a check-in schedule, prompts, mood entries
with notes and tags, escalations (with audit, deliveries, a false alarm), concern
reports, harassment entries, vents (posted and held) with identities, and actions as a
moderator on the other person's records.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.checkins.repository import CheckinRepository
from bot.db import apply_migrations, open_database
from bot.escalation.models import Action, Category, DeliveryStatus, State, Step
from bot.escalation.repository import EscalationRepository
from bot.keys import AUTHOR_ENCRYPTION, VENT_BODY_ENCRYPTION, KeyRing
from bot.notices import PendingNotices
from bot.privacy import sealing
from bot.privacy.build import build_privacy
from bot.privacy.service import PrivacyService
from bot.tips.repository import SavedTipsRepository
from bot.venting.pseudonyms import poster_key, pseudonym
from bot.venting.repository import VentRepository

GUILD = 900_000_000_000_000_001
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOW_EPOCH = int(NOW.timestamp())


@dataclass
class Person:
    user_id: int
    note: str
    vent_text: str
    excerpt: str
    vent_ids: list[int] = field(default_factory=list)
    posted_message_id: int = 0
    escalation_ids: list[int] = field(default_factory=list)


@dataclass
class World:
    db: aiosqlite.Connection
    path: Path
    keys: KeyRing
    privacy: PrivacyService
    a: Person
    b: Person


def _ids(base: int) -> int:
    return base + secrets.randbelow(10_000)


async def fill_person(
    db: aiosqlite.Connection, keys: KeyRing, me: Person, other: Person, tag: str
) -> None:
    uid = me.user_id
    await db.execute(
        "INSERT INTO member_country (user_id, country, updated_at) VALUES (?, ?, ?)",
        (uid, "GB", NOW_EPOCH),
    )
    await db.commit()
    await PendingNotices(db).add(uid, "crisis_resources", GUILD)
    saved = SavedTipsRepository(db)
    await saved.save(uid, "grounding-54321")
    await saved.save(uid, "sleep-wind-down")
    await db.execute(
        "INSERT INTO server_tips (guild_id, category, title, body, duration_minutes, created_by) "
        "VALUES (?, 'sleep', ?, 'Breathe slowly.', 5, ?)",
        (GUILD, f"Tip by {tag}", uid),
    )
    # Moderation: an entry about me (moderated by the other person) with a strike.
    cur = await db.execute(
        "INSERT INTO moderation_log (guild_id, channel_id, message_id, user_id, profile, action, "
        "labels, scores, status, moderator_id, created_at) "
        "VALUES (?, 1, ?, ?, 'normal', 'hide', '[\"insult\"]', '{\"insult\": 0.9}', 'deleted', ?, ?)",
        (GUILD, _ids(700_000), uid, other.user_id, "2026-11-19T10:00:00Z"),
    )
    await db.execute(
        "INSERT INTO moderation_strikes (guild_id, user_id, log_id, created_at) VALUES (?, ?, ?, ?)",
        (GUILD, uid, cur.lastrowid, "2026-11-19T10:00:00Z"),
    )
    await db.commit()

    # Check-ins through the repository (so any at-rest encryption applies).
    checkins = CheckinRepository(db)
    await checkins.save_schedule(
        uid, guild_id=GUILD, local_time="09:00", tz="Europe/London", status="active"
    )
    won = await checkins.claim_prompts([(uid, date(2026, 11, 19))], NOW)
    prompt_id = next(iter(won.values()))
    entry = await checkins.record_entry(
        user_id=uid, mood=2, day=date(2026, 11, 19), now=NOW, prompt_id=prompt_id, source="prompt"
    )
    await checkins.set_entry_note(entry, uid, me.note)
    await checkins.set_entry_tags(entry, uid, ["work", "sleep"])

    # Escalations: one about me, resolved by the other person as moderator.
    esc = EscalationRepository(db)
    eid = await esc.insert(
        guild_id=GUILD,
        user_id=uid,
        pseudonym=None,
        source="message",
        source_ref=None,
        category=Category.SELF_RISK,
        severity=2,
        reasons=["self_risk.intent"],
        excerpt=me.excerpt,
        channel_id=1,
        message_id=_ids(800_000),
        reporter_id=None,
        dm_wanted=True,
        now=NOW_EPOCH,
    )
    me.escalation_ids.append(eid)
    await esc.record_delivery(
        eid, Step.DM, DeliveryStatus.SENT, channel_id=2, message_id=3, detail=None, now=NOW_EPOCH
    )
    record = await esc.get(eid)
    assert record is not None
    await esc.transition(
        record, Action.FALSE_ALARM, State.FALSE_ALARM, other.user_id, "moderator note", NOW_EPOCH
    )
    await esc.add_report(GUILD, uid, other.user_id, None, NOW_EPOCH)
    await esc.allow_add(GUILD, f"phrase {tag}", uid, NOW_EPOCH)
    await esc.log_harassment(
        guild_id=GUILD,
        channel_id=1,
        message_id=_ids(810_000),
        author_id=uid,
        severity=1,
        reasons=["harassment.death_wish"],
        now=NOW_EPOCH,
    )

    # Vents: one posted, one held with its text kept encrypted.
    vents = VentRepository(db)
    context = f"guild:{GUILD}"
    name = pseudonym(keys, GUILD, uid, 0)
    posted = await vents.insert(
        guild_id=GUILD,
        pseudonym=name,
        author_enc=keys.encrypt_int(AUTHOR_ENCRYPTION, uid, context=context),
        state="pending",
        crisis_severity=0,
        content_warning=False,
        body_enc=None,
    )
    me.posted_message_id = _ids(600_000)
    await vents.mark_posted(posted, 555, me.posted_message_id, None)
    body = json.dumps({"text": me.vent_text, "topic": None}).encode()
    held = await vents.insert(
        guild_id=GUILD,
        pseudonym=name,
        author_enc=keys.encrypt_int(AUTHOR_ENCRYPTION, uid, context=context),
        state="held",
        crisis_severity=2,
        content_warning=True,
        body_enc=keys.encrypt(VENT_BODY_ENCRYPTION, body, context=context),
    )
    me.vent_ids += [posted, held]
    await vents.bump_epoch(GUILD, poster_key(keys, GUILD, uid))
    # An escalation raised from the held vent (pseudonymous: no user id stored).
    vent_esc = await esc.insert(
        guild_id=GUILD,
        user_id=None,
        pseudonym=name,
        source="vent",
        source_ref=str(held),
        category=Category.SELF_RISK,
        severity=2,
        reasons=["self_risk.plan"],
        excerpt=f"vent excerpt {tag}",
        channel_id=None,
        message_id=None,
        reporter_id=None,
        dm_wanted=True,
        now=NOW_EPOCH,
    )
    me.escalation_ids.append(vent_esc)
    await vents.audit(GUILD, held, "approve", other.user_id)


async def moderate_each_other(db: aiosqlite.Connection, a: Person, b: Person) -> None:
    """Records about one person that name the other as the acting moderator."""
    vents = VentRepository(db)
    await vents.add_unmask_request(b.vent_ids[1], GUILD, a.user_id)
    await vents.ban(GUILD, "f" * 64, b.vent_ids[0], a.user_id)
    await vents.transition(b.vent_ids[1], ("held",), "rejected", decided_by=a.user_id)
    await vents.transition(a.vent_ids[1], ("held",), "held", decided_by=b.user_id)


@pytest.fixture(params=["sealed", "plain"])
async def world(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[World]:
    """Every test runs twice: as the bot runs (notes and excerpts sealed at rest) and with
    plain-text columns (a database from before encryption, and the stricter byte search)."""
    path = tmp_path / "haven.db"
    db = await open_database(path)
    await apply_migrations(db)
    keys = KeyRing(secrets.token_bytes(32))
    if request.param == "sealed":
        sealing.install(db, keys)
    a = Person(
        user_id=345_678_901_234_567_891,
        note="A-note: slept badly, the quiet-heron feeling again",
        vent_text="A-vent: nobody at home listens to me",
        excerpt="A-excerpt: i can't do this anymore",
    )
    b = Person(
        user_id=456_789_012_345_678_912,
        note="B-note: good walk by the river",
        vent_text="B-vent: exams are crushing me",
        excerpt="B-excerpt: i want to disappear",
    )
    await fill_person(db, keys, a, b, "A")
    await fill_person(db, keys, b, a, "B")
    await moderate_each_other(db, a, b)
    yield World(db, path, keys, build_privacy(db, keys), a, b)
    await db.close()
