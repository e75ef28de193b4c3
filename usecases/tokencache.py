"""A short-lived in-process cache of resolved bearer tokens.

Every API request presents a token; reading it and its user from the database
on each one costs a query per request. The cache keeps, per database and token
digest (never the token itself), the user the token resolved to, for at most
:data:`TOKEN_CACHE_SECONDS`. The bound on staleness:

- a token's own expiry is checked on every request, cached or not;
- logout and disabling a user clear the cache of the process that did it, so
  there they take effect at once;
- in the other server processes a revoked token or a disabled user is refused
  at the latest :data:`TOKEN_CACHE_SECONDS` later.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from archive.models import utcnow
from archive.users import User

TOKEN_CACHE_SECONDS = 2.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class _Entry:
    user: User
    expires_at: datetime  # the token's own expiry
    fresh_until: float  # monotonic


_entries: dict[tuple[str, str], _Entry] = {}
_guard = threading.Lock()


def get(db_url: str, digest: str) -> User | None:
    """The cached user of a token, if cached recently and the token has not expired."""
    entry = _entries.get((db_url, digest))
    if entry is None:
        return None
    if entry.fresh_until < time.monotonic() or entry.expires_at <= utcnow():
        with _guard:
            _entries.pop((db_url, digest), None)
        return None
    return entry.user


def put(db_url: str, digest: str, user: User, expires_at: datetime) -> None:
    with _guard:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()  # rare: a bounded cache, refilled within a few requests
        _entries[(db_url, digest)] = _Entry(
            user, expires_at, time.monotonic() + TOKEN_CACHE_SECONDS
        )


def forget(db_url: str, digest: str | None = None) -> None:
    """Drop one token (logout) or every token of a database (a user disabled)."""
    with _guard:
        if digest is not None:
            _entries.pop((db_url, digest), None)
            return
        for key in [k for k in _entries if k[0] == db_url]:
            del _entries[key]
