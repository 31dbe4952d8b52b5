"""Readable pseudonyms ("blue-otter-41") and poster keys, both keyed hashes of the author.

pseudonym  = words picked by HMAC(pseudonym key, guild, user, epoch): stable until the
             person asks for a new name (epoch + 1), unlinkable to the id without the key.
poster key = HMAC(poster key, guild, user) with NO epoch: bans and cooldowns use it, so a
             new name never lifts a ban.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from bot.keys import POSTER, PSEUDONYM, KeyRing

# Three digits: ~11 million names, so two of 1,000 posters in a guild share one ~4% of the time.
NUMBER_MIN, NUMBER_MAX = 100, 999


@cache
def word_list(name: str) -> tuple[str, ...]:
    """Words from ``resources/venting/<name>.txt`` (``#`` comments and blanks skipped)."""
    text = (resources.files("resources") / "venting" / f"{name}.txt").read_text("utf-8")
    words = tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
    if not words:
        raise RuntimeError(f"resources/venting/{name}.txt has no words")
    return words


def name_space() -> int:
    """How many distinct pseudonyms exist (for the README's collision estimate)."""
    return len(word_list("adjectives")) * len(word_list("animals")) * (NUMBER_MAX - NUMBER_MIN + 1)


def pseudonym(keys: KeyRing, guild_id: int, user_id: int, epoch: int) -> str:
    digest = keys.hmac_bytes(PSEUDONYM, guild_id, user_id, epoch)
    adjectives, animals = word_list("adjectives"), word_list("animals")
    # 64-bit slices make the modulo bias negligible for lists of ~100 words.
    a = int.from_bytes(digest[0:8], "big") % len(adjectives)
    b = int.from_bytes(digest[8:16], "big") % len(animals)
    n = NUMBER_MIN + int.from_bytes(digest[16:24], "big") % (NUMBER_MAX - NUMBER_MIN + 1)
    return f"{adjectives[a]}-{animals[b]}-{n}"


def poster_key(keys: KeyRing, guild_id: int, user_id: int) -> str:
    return keys.hmac_hex(POSTER, guild_id, user_id)
