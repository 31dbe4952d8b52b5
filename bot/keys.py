"""The bot's secret key: loading or first-run generation, HKDF sub-keys, HMACs, encryption.

One 32-byte master key (urlsafe base64) comes from ``settings.security.secret_key`` or
from the key file (created on first run with mode 0600). Every use gets its own sub-key
derived with HKDF-SHA256 and a purpose label, so a pseudonym HMAC can never be replayed
as a ban HMAC or turned into an encryption key.

Ciphertexts are tokens ``hv1.<key id>.<base64url(nonce || AES-GCM ciphertext)>``: the key
id names the master key that sealed them, so a later rotation can keep old keys in the
ring for decryption while new data uses the new key. (HMAC values are not rotatable in
place: a new master key gives everyone new pseudonyms and ban keys.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
TOKEN_VERSION = "hv1"
_SALT = b"haven-bot/hkdf/v1"

# Sub-key purposes. Changing a label changes every value derived from it.
PSEUDONYM = "venting/pseudonym"
POSTER = "venting/poster"  # bans and cooldowns: guild + user, no epoch
AUTHOR_ENCRYPTION = "venting/author"
VENT_BODY_ENCRYPTION = "venting/body"  # held vents only, until a moderator decides


class KeyConfigError(Exception):
    """The configured key is unusable; worded for the person running the bot."""


class DecryptionError(Exception):
    """A token was tampered with, sealed under another key, or bound to another context."""


def generate_key() -> str:
    """A fresh master key as urlsafe base64 text (44 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def decode_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise KeyConfigError(
            "the secret key is not valid urlsafe base64; generate one with "
            '`python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`'
        ) from None
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(f"the secret key must decode to {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def _hkdf(master: bytes, purpose: str, length: int = KEY_BYTES) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=_SALT, info=purpose.encode("utf-8")
    ).derive(master)


def key_id_of(master: bytes) -> str:
    """A short public name for a master key (not usable to recover it)."""
    return _hkdf(master, "key-id", 6).hex()


@dataclass(frozen=True)
class KeyRing:
    """The current master key plus (for rotation) older ones kept only to decrypt."""

    master: bytes = field(repr=False)
    previous: tuple[bytes, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        for key in (self.master, *self.previous):
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"keys must be {KEY_BYTES} bytes")

    @property
    def key_id(self) -> str:
        return key_id_of(self.master)

    def derive(self, purpose: str) -> bytes:
        return _hkdf(self.master, purpose)

    def hmac_hex(self, purpose: str, *parts: object) -> str:
        """HMAC-SHA256 under the ``purpose`` sub-key of the parts joined unambiguously."""
        message = "\x1f".join(str(part) for part in parts).encode("utf-8")
        return hmac.new(self.derive(purpose), message, hashlib.sha256).hexdigest()

    def hmac_bytes(self, purpose: str, *parts: object) -> bytes:
        return bytes.fromhex(self.hmac_hex(purpose, *parts))

    def encrypt(self, purpose: str, plaintext: bytes, *, context: str = "") -> str:
        """Seal ``plaintext``; ``context`` is authenticated (AAD) and must match to open."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.derive(purpose)).encrypt(nonce, plaintext, _aad(purpose, context))
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{TOKEN_VERSION}.{self.key_id}.{body}"

    def decrypt(self, purpose: str, token: str, *, context: str = "") -> bytes:
        try:
            version, key_id, body = token.split(".", 2)
        except ValueError:
            raise DecryptionError("not a Haven ciphertext") from None
        if version != TOKEN_VERSION:
            raise DecryptionError(f"unknown ciphertext version {version!r}")
        master = next((k for k in (self.master, *self.previous) if key_id_of(k) == key_id), None)
        if master is None:
            raise DecryptionError("sealed under a key this bot does not have")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionError("damaged ciphertext") from None
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        try:
            return AESGCM(_hkdf(master, purpose)).decrypt(nonce, sealed, _aad(purpose, context))
        except InvalidTag:
            raise DecryptionError("ciphertext does not authenticate") from None

    def encrypt_int(self, purpose: str, value: int, *, context: str = "") -> str:
        return self.encrypt(purpose, str(value).encode("ascii"), context=context)

    def decrypt_int(self, purpose: str, token: str, *, context: str = "") -> int:
        return int(self.decrypt(purpose, token, context=context).decode("ascii"))


def _aad(purpose: str, context: str) -> bytes:
    return f"{TOKEN_VERSION}\x1f{purpose}\x1f{context}".encode()


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, or create it (0600, exclusive) with a fresh key on first run."""
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning(
                "key file %s is readable by other users (mode %o); run: chmod 600 %s",
                path,
                mode,
                path,
            )
        return decode_key(path.read_text("ascii"))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return decode_key(path.read_text("ascii"))
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    os.chmod(path, 0o600)  # the umask may have narrowed it further, never widened; be exact
    log.warning(
        "generated a new secret key in %s: back it up apart from the database "
        "(without it, vent authors can no longer be reached)",
        path,
    )
    return decode_key(key)


def resolve_key_file(
    key_file: Path, key_file_was_set: bool, database_path: Path | str
) -> Path | None:
    """Where the key lives: the configured file, else next to the database ("the data folder").

    ``None`` for an in-memory database without a configured file: the key is then
    ephemeral too, which is what tests of a throw-away database want.
    """
    if key_file_was_set:
        return key_file
    if str(database_path) == ":memory:":
        return None
    return Path(database_path).parent / key_file.name


def load_keys(security: object, database_path: Path | str = ":memory:") -> KeyRing:
    """Build the key ring from ``settings.security`` (secret_key beats key_file)."""
    secret = getattr(security, "secret_key", None)
    if secret is not None:
        return KeyRing(decode_key(secret.get_secret_value()))
    key_file: Path = getattr(security, "key_file", Path("haven.key"))
    was_set = "key_file" in getattr(security, "model_fields_set", set())
    path = resolve_key_file(key_file, was_set, database_path)
    if path is None:
        log.info("in-memory database and no key file: using a throw-away secret key")
        return KeyRing(secrets.token_bytes(KEY_BYTES))
    return KeyRing(load_or_create_key_file(path))
