"""Pseudonyms: readable, stable per (guild, user, epoch), new after new-name, keyed."""

from __future__ import annotations

import re

from bot.keys import KeyRing, decode_key, generate_key
from bot.venting.pseudonyms import name_space, poster_key, pseudonym, word_list

SHAPE = re.compile(r"^[a-z]+-[a-z]+-[1-9][0-9]{2}$")


def ring() -> KeyRing:
    return KeyRing(decode_key(generate_key()))


def test_pseudonym_is_readable_and_stable() -> None:
    keys = ring()
    name = pseudonym(keys, 1, 2, 0)
    assert SHAPE.match(name)
    adjective, animal, _ = name.split("-")
    assert adjective in word_list("adjectives")
    assert animal in word_list("animals")
    assert pseudonym(keys, 1, 2, 0) == name


def test_epoch_guild_user_and_key_all_change_the_name() -> None:
    keys = ring()
    base = pseudonym(keys, 1, 2, 0)
    # A single collision is possible in principle; over 20 epochs it must not be all of them.
    assert len({pseudonym(keys, 1, 2, e) for e in range(20)}) > 15
    assert pseudonym(keys, 1, 2, 1) != base or pseudonym(keys, 1, 2, 2) != base
    assert pseudonym(keys, 9, 2, 0) != base or pseudonym(keys, 8, 2, 0) != base
    assert pseudonym(ring(), 1, 2, 0) != base or pseudonym(ring(), 1, 2, 0) != base


def test_poster_key_has_no_epoch_and_hides_the_id() -> None:
    keys = ring()
    key = poster_key(keys, 1, 123456789012345678)
    assert key == poster_key(keys, 1, 123456789012345678)
    assert key != poster_key(keys, 2, 123456789012345678)
    assert "123456789012345678" not in key
    assert len(key) == 64


def test_word_lists_are_clean_and_the_name_space_is_large() -> None:
    for name in ("adjectives", "animals"):
        words = word_list(name)
        assert len(words) == len(set(words)) >= 100
        assert all(re.fullmatch(r"[a-z]+", w) for w in words)
    assert name_space() > 1_000_000
