"""Password hashing with argon2id (OWASP's first choice), rehashed on sign-in when weaker."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from werkzeug.security import check_password_hash

from core.errors import ValidationError

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 at least. We use 46 MiB, t=1.
_hasher = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1)
MIN_LENGTH = 12
MAX_LENGTH = 256
# A dummy hash to spend the same time when the account does not exist (no user enumeration).
_DUMMY = _hasher.hash("no such account, same cost")
# Werkzeug's formats (its default scrypt is below OWASP's cost): accepted once, then rehashed.
_LEGACY = ("scrypt:", "pbkdf2:")


def check_policy(password: str) -> None:
    """NIST SP 800-63B: length counts, composition rules do not."""
    if len(password) < MIN_LENGTH:
        raise ValidationError("password", f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationError("password", f"must be at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    if stored and stored.startswith(_LEGACY):  # imported or older hashes; upgraded at sign-in
        return check_password_hash(stored, password)
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True
