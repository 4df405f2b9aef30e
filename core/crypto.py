"""Encryption at rest for the most dangerous fields, and keyed hashes to look them up.

Keys come from the environment (`DATA_ENCRYPTION_KEY`: one or more base64 keys of 32 bytes,
comma-separated, the first encrypts and all decrypt) or, on a developer machine, from a key generated
once into the instance folder. A key's id is derived from the key itself, and every ciphertext names
the key that made it, so keys can be rotated: put the new key first, run `flask keys rotate`, then
drop the old key.

Ciphertext: ``v1:<key id>:<base64url(nonce || AES-256-GCM ciphertext and tag)>``; the version and key
id are authenticated too. Values that do not start with ``v1:`` are read back as they are (columns
that adopt `EncryptedText` late keep working until `keys rotate` encrypts them).

Lookups: `keyed_hash(value, purpose)` is HMAC-SHA256 under `DATA_LOOKUP_KEY`, which never rotates
(a hash of an erased address must still match it years later). Keep both keys in your backups.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

VERSION = "v1"


class KeyConfigError(Exception):
    """A key is malformed or missing; the message says which."""


class DecryptionError(Exception):
    """A ciphertext was made with an unknown key or has been tampered with."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _decode(text: str, name: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"{name} is not base64") from None
    if len(raw) != 32:
        raise KeyConfigError(f"{name} must be 32 bytes of base64 (generate one with `flask keys generate`)")
    return raw


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"key-id" + key).hexdigest()[:8]


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]  # id -> key, in order: the first encrypts
    lookup: bytes

    @property
    def active_id(self) -> str:
        return next(iter(self.keys))

    @classmethod
    def parse(cls, encryption: str, lookup: str) -> "Keyring":
        parts = [p for p in encryption.split(",") if p.strip()]
        if not parts:
            raise KeyConfigError("DATA_ENCRYPTION_KEY is empty")
        keys = {}
        for i, part in enumerate(parts):
            key = _decode(part, f"DATA_ENCRYPTION_KEY (key {i + 1})")
            keys[key_id(key)] = key
        return cls(keys, _decode(lookup, "DATA_LOOKUP_KEY"))


def _instance_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = generate_key()
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only, never logged
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)  # atomic, and never replaces a key another process made first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


def keys_from_environment(env: dict[str, str], instance: Path) -> tuple[str, str]:
    """The raw key settings: from the environment, else generated once into the instance folder."""
    encryption = env.get("DATA_ENCRYPTION_KEY") or _instance_key(instance / "data_encryption_key")
    lookup = env.get("DATA_LOOKUP_KEY") or _instance_key(instance / "data_lookup_key")
    Keyring.parse(encryption, lookup)  # fail at start-up, not at the first write
    return encryption, lookup


def keyring() -> Keyring:
    ext = current_app.extensions
    ring = ext.get("keyring")
    if ring is None:
        ring = ext["keyring"] = Keyring.parse(current_app.config["DATA_ENCRYPTION_KEY"],
                                              current_app.config["DATA_LOOKUP_KEY"])
    return ring


def encrypt(plaintext: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    kid = ring.active_id
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[kid]).encrypt(nonce, plaintext.encode(), f"{VERSION}:{kid}".encode())
    return f"{VERSION}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def is_encrypted(value: str) -> bool:
    return value.startswith(VERSION + ":") and value.count(":") >= 2


def key_id_of(value: str) -> str | None:
    return value.split(":", 2)[1] if is_encrypted(value) else None


def decrypt(value: str, ring: Keyring | None = None) -> str:
    if not is_encrypted(value):
        return value
    ring = ring or keyring()
    version, kid, body = value.split(":", 2)
    key = ring.keys.get(kid)
    if key is None:
        raise DecryptionError(f"encrypted with key {kid}, which is not in DATA_ENCRYPTION_KEY")
    try:
        raw = base64.urlsafe_b64decode(body)
        return AESGCM(key).decrypt(raw[:12], raw[12:], f"{version}:{kid}".encode()).decode()
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError(f"a value encrypted with key {kid} does not decrypt (tampered?)") from None


def keyed_hash(value: str, purpose: str, ring: Keyring | None = None) -> str:
    """HMAC-SHA256 of a value for equality lookups; `purpose` separates uses of the same key."""
    ring = ring or keyring()
    sub = hmac.new(ring.lookup, purpose.encode(), hashlib.sha256).digest()
    return hmac.new(sub, value.encode(), hashlib.sha256).hexdigest()


class EncryptedText(TypeDecorator):
    """A text column stored encrypted with AES-GCM; reads and writes plain `str`.

    Encrypted values cannot be searched or sorted in SQL: keep a `keyed_hash` column beside one
    that needs equality lookups.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return encrypt(str(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return decrypt(value)
