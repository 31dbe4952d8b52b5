"""Encryption at rest of sensitive text columns (mood notes, escalation excerpts).

Uses the bot's key ring (bot/keys.py, the same machinery that seals vent authors): each
column has its own HKDF purpose and every value is bound (AES-GCM associated data) to its
owner, so a note copied onto another person's row does not decrypt.

Repositories call ``seal`` before writing and ``unseal`` after reading, passing their
connection; the key ring is installed for that connection once, in
``bot.services.build_services``. Without an installed ring both are the identity (a
repository used on its own in a unit test). ``unseal`` passes legacy plain text through,
so a database from before encryption keeps working; ``python -m bot keys rotate`` seals
those rows in place.
"""

from __future__ import annotations

import logging
import weakref

import aiosqlite

from bot.keys import TOKEN_VERSION, DecryptionError, KeyRing

log = logging.getLogger(__name__)

NOTE = "checkins/note"  # mood_entries.note, context "user:<user_id>"
EXCERPT = "escalation/excerpt"  # escalations.excerpt, context "guild:<guild_id>"

_RINGS: weakref.WeakKeyDictionary[aiosqlite.Connection, KeyRing] = weakref.WeakKeyDictionary()


def install(db: aiosqlite.Connection, keys: KeyRing) -> None:
    """Seal sensitive columns written through ``db`` from now on."""
    _RINGS[db] = keys


def ring_for(db: aiosqlite.Connection) -> KeyRing | None:
    return _RINGS.get(db)


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(f"{TOKEN_VERSION}.")


def note_context(user_id: int) -> str:
    return f"user:{user_id}"


def guild_context(guild_id: int) -> str:
    return f"guild:{guild_id}"


def seal(db: aiosqlite.Connection, purpose: str, text: str | None, context: str) -> str | None:
    keys = _RINGS.get(db)
    if text is None or keys is None:
        return text
    return keys.encrypt(purpose, text.encode("utf-8"), context=context)


def unseal(db: aiosqlite.Connection, purpose: str, value: str | None, context: str) -> str | None:
    if value is None or not is_sealed(value):
        return value  # NULL, or plain text from before encryption
    keys = _RINGS.get(db)
    if keys is None:
        log.warning("a sealed %s was read without a key ring installed", purpose)
        return None
    try:
        return keys.decrypt(purpose, value, context=context).decode("utf-8")
    except DecryptionError:
        log.warning("a sealed %s does not decrypt (wrong key or damaged)", purpose)
        return None
