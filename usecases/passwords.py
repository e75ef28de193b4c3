"""Passwords: Argon2id hashing and the one strength rule (pure, no database).

Kept apart from :mod:`usecases.auth` (sign-in) and :mod:`usecases.users`
(accounts) because both use it and neither should import the other.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
"""Longer inputs are refused unhashed, so nobody makes the server hash megabytes."""

WEAK_PASSWORD = f"Пароль має містити щонайменше {MIN_PASSWORD} символів"


class WeakPassword(ValueError):
    """The password is too short (``str()`` is the Ukrainian sentence for the operator)."""


@cache
def _dummy_hash() -> str:
    # Verified against when the login is unknown, so both cases take as long.
    return _hasher.hash("cnap-archive: no such user")


def hash_password(password: str) -> str:
    """Argon2id hash of a password (the encoded form includes salt and parameters)."""
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(WEAK_PASSWORD)
    return _hasher.hash(password)


def verify_password(encoded: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``None`` (no such user) still costs one verification."""
    try:
        return _hasher.verify(encoded or _dummy_hash(), password) and encoded is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(encoded)


def rehash(password: str) -> str:
    """A fresh hash of a password already verified (no strength rule: it is the user's own)."""
    return _hasher.hash(password)
