"""Failed sign-ins slow down, then lock out, each account and each address.

Kept in the database (``login_throttle``) so every process of the archive
(API workers, the web pages, the station's sign-in) counts the same
failures. After ``login_slow_after`` failures of one key within the window,
each further try must wait twice as long as the previous one; after
``login_lock_after`` the key is locked for ``login_lock_minutes``. An
address gets ``address_factor`` times the allowance, since a whole centre
may sign in from behind one address. A refusal is :class:`RateLimited`
with the seconds to wait (HTTP 429 with ``Retry-After``); it is checked
before the password, so a locked account cannot be guessed at all.

Locking an account on failures lets anyone who knows a login keep its owner
out for a while; that trade is the usual one (docs/security.md).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from archive.models import utcnow
from archive.settings import SecuritySettings
from archive.users import LoginThrottle
from backends import Archive
from usecases.errors import RateLimited

TOO_MANY = "Забагато невдалих спроб входу; спробуйте пізніше"
# The longest wait between tries before the lock-out itself.
MAX_DELAY_SECONDS = 300


def keys(login: str | None, address: str | None) -> list[tuple[str, int]]:
    """The throttle keys of one attempt with their allowance factor."""
    out: list[tuple[str, int]] = []
    if login:
        out.append((f"account:{login[:150]}", 1))
    if address:
        out.append((f"address:{address[:150]}", 0))
    return out


def _limits(cfg: SecuritySettings, factor: int) -> tuple[int, int]:
    f = cfg.address_factor if factor == 0 else factor
    return cfg.login_slow_after * f, cfg.login_lock_after * f


def _fresh(row: LoginThrottle, cfg: SecuritySettings, now: datetime) -> bool:
    """Whether the row still counts (its window or its lock has not passed)."""
    if row.locked_until is not None:
        return row.locked_until > now
    return now - row.first_at <= timedelta(minutes=cfg.login_window_minutes)


def wait_seconds(row: LoginThrottle, cfg: SecuritySettings, factor: int, now: datetime) -> float:
    """Seconds until this key may try again (0: now)."""
    if not _fresh(row, cfg, now):
        return 0.0
    if row.locked_until is not None:
        return (row.locked_until - now).total_seconds()
    slow, _ = _limits(cfg, factor)
    if row.failures < slow:
        return 0.0
    delay = min(2 ** (row.failures - slow), MAX_DELAY_SECONDS)
    return max(0.0, (row.last_at + timedelta(seconds=delay) - now).total_seconds())


def check(archive: Archive, login: str | None, address: str | None) -> None:
    """Raise :class:`RateLimited` if this account or address must wait."""
    cfg = archive.settings.security
    now = utcnow()
    worst = 0.0
    with archive.db.session() as s:
        for key, factor in keys(login, address):
            row = s.get(LoginThrottle, key)
            if row is not None:
                worst = max(worst, wait_seconds(row, cfg, factor, now))
    if worst > 0:
        raise RateLimited(TOO_MANY, retry_after=max(1, math.ceil(worst)), code="login_throttled")


def _bump(s: Session, key: str, factor: int, cfg: SecuritySettings, now: datetime) -> None:
    row = s.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, first_at=now, last_at=now)
        s.add(row)
    elif not _fresh(row, cfg, now):
        row.failures, row.first_at, row.locked_until = 0, now, None
    row.failures += 1
    row.last_at = now
    _, lock = _limits(cfg, factor)
    if row.failures >= lock:
        row.locked_until = now + timedelta(minutes=cfg.login_lock_minutes)


def failed(archive: Archive, login: str | None, address: str | None) -> None:
    """Count a failed sign-in against the account and the address."""
    cfg = archive.settings.security
    now = utcnow()
    with archive.db.session() as s:
        for key, factor in keys(login, address):
            _bump(s, key, factor, cfg, now)


def succeeded(archive: Archive, login: str) -> None:
    """A good sign-in clears the account's count (the address's count decays on its own)."""
    with archive.db.session() as s:
        row = s.get(LoginThrottle, keys(login, None)[0][0])
        if row is not None and row.locked_until is None:
            s.delete(row)
