"""The secret key: first-run generation (0600), loading, HKDF separation, sealed tokens."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import SecuritySettings
from bot.keys import (
    AUTHOR_ENCRYPTION,
    POSTER,
    PSEUDONYM,
    DecryptionError,
    KeyConfigError,
    KeyRing,
    decode_key,
    generate_key,
    load_keys,
)


def test_first_run_writes_a_0600_key_file_and_the_next_run_reads_the_same_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "haven.key"
    first = load_keys(SecuritySettings(key_file=path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(decode_key(path.read_text())) == 32
    second = load_keys(SecuritySettings(key_file=path))
    assert first.key_id == second.key_id


def test_unset_key_file_lives_next_to_the_database(tmp_path: Path) -> None:
    ring = load_keys(SecuritySettings(), tmp_path / "db" / "haven.db")
    path = tmp_path / "db" / "haven.key"
    assert path.exists()
    assert KeyRing(decode_key(path.read_text())).key_id == ring.key_id


def test_secret_key_setting_beats_the_file_and_writes_nothing(tmp_path: Path) -> None:
    key = generate_key()
    path = tmp_path / "haven.key"
    ring = load_keys(SecuritySettings(secret_key=SecretStr(key), key_file=path))
    assert ring.key_id == KeyRing(decode_key(key)).key_id
    assert not path.exists()


@pytest.mark.parametrize("bad", ["not base64!!", "c2hvcnQ=", ""])
def test_a_bad_key_is_a_readable_config_error(bad: str) -> None:
    with pytest.raises(KeyConfigError, match="secret key"):
        load_keys(SecuritySettings(secret_key=SecretStr(bad)))


def test_encryption_round_trip_and_token_names_its_key() -> None:
    ring = KeyRing(decode_key(generate_key()))
    token = ring.encrypt_int(AUTHOR_ENCRYPTION, 123456789012345678, context="guild:1")
    assert token.startswith(f"hv1.{ring.key_id}.")
    assert "123456789012345678" not in token
    assert ring.decrypt_int(AUTHOR_ENCRYPTION, token, context="guild:1") == 123456789012345678
    # Same plaintext twice gives different tokens (random nonce): rows are not linkable.
    assert token != ring.encrypt_int(AUTHOR_ENCRYPTION, 123456789012345678, context="guild:1")


def test_wrong_key_wrong_context_wrong_purpose_and_tampering_all_fail() -> None:
    ring = KeyRing(decode_key(generate_key()))
    other = KeyRing(decode_key(generate_key()))
    token = ring.encrypt_int(AUTHOR_ENCRYPTION, 42, context="guild:1")
    with pytest.raises(DecryptionError):
        other.decrypt_int(AUTHOR_ENCRYPTION, token, context="guild:1")
    with pytest.raises(DecryptionError):
        ring.decrypt_int(AUTHOR_ENCRYPTION, token, context="guild:2")
    with pytest.raises(DecryptionError):
        ring.decrypt_int(PSEUDONYM, token, context="guild:1")
    head, body = token.rsplit(".", 1)
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(DecryptionError):
        ring.decrypt_int(AUTHOR_ENCRYPTION, f"{head}.{flipped}", context="guild:1")
    with pytest.raises(DecryptionError):
        ring.decrypt(AUTHOR_ENCRYPTION, "plain text")


def test_rotation_keeps_old_tokens_readable_with_the_previous_key() -> None:
    old = KeyRing(decode_key(generate_key()))
    token = old.encrypt_int(AUTHOR_ENCRYPTION, 7, context="c")
    rotated = KeyRing(decode_key(generate_key()), previous=(old.master,))
    assert rotated.decrypt_int(AUTHOR_ENCRYPTION, token, context="c") == 7
    assert rotated.encrypt(AUTHOR_ENCRYPTION, b"x", context="c").split(".")[1] == rotated.key_id


def test_sub_keys_are_separated_by_purpose() -> None:
    ring = KeyRing(decode_key(generate_key()))
    assert ring.hmac_hex(PSEUDONYM, 1, 2) != ring.hmac_hex(POSTER, 1, 2)
    assert ring.derive(PSEUDONYM) != ring.derive(AUTHOR_ENCRYPTION)
    # The parts are joined unambiguously: (1, 23) and (12, 3) differ.
    assert ring.hmac_hex(POSTER, 1, 23) != ring.hmac_hex(POSTER, 12, 3)
    assert ring.master.hex() not in repr(ring)
    assert str(ring.master) not in repr(ring)
