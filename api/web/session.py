"""The browser's session: a cookie holding the API's own opaque token, and CSRF tokens.

The session cookie carries the same kind of token ``POST /api/auth/token``
issues (random, stored only as its SHA-256, revocable, with the same
lifetime), so a page and an API call resolve the caller identically.
It is ``HttpOnly`` and ``SameSite=Strict``, and ``Secure`` whenever the
request came over HTTPS (directly or through a proxy the server trusts).

CSRF: a signed double-submit token. A random ``cnap_csrf`` cookie is set on
the first page; every form carries ``HMAC(key, cookie)``; a POST is heard
only when the two agree. It works before sign-in (the login form) and
needs no server-side state.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from archive.findings import identifier_key
from backends import Archive
from usecases.auth import resolve_token, visitor
from usecases.context import Context
from usecases.policy import Principal

SESSION_COOKIE = "cnap_session"
CSRF_COOKIE = "cnap_csrf"
# Break-glass reason for one document, kept while the person reads it.
GLASS_COOKIE = "cnap_glass"
GLASS_SECONDS = 15 * 60
MAX_TOKEN = 512


def _key(archive: Archive, purpose: str) -> bytes:
    # One secret of the installation, separated by purpose so no value signs another.
    return hmac.new(identifier_key(archive.settings), purpose.encode(), hashlib.sha256).digest()


def archive_of(request: Request) -> Archive:
    archive: Archive = request.app.state.archive
    return archive


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int, path: str = "/"
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )


# --- the session ---------------------------------------------------------------


def session_token(request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > MAX_TOKEN:
        return None
    return raw


def principal(request: Request) -> Principal | None:
    """The signed-in person behind the session cookie (None: signed out or expired)."""
    raw = session_token(request)
    return None if raw is None else principal_for(request, raw)


def principal_for(request: Request, raw: str) -> Principal | None:
    """The person a session token belongs to, resolved exactly as the API resolves it."""
    user = resolve_token(archive_of(request).db, raw)
    if user is None:
        return None
    return Principal.of(user, request.client.host if request.client else None)


def context(request: Request, p: Principal) -> Context:
    """The use-case context of a page: the person and the app's backends."""
    state = request.app.state
    return Context(state.archive, p, state.events, state.dispatcher)


def visitor_context(request: Request) -> Context:
    """The context of someone not signed in yet (only their address is known)."""
    return context(request, visitor(request.client.host if request.client else None))


def start_session(request: Request, response: Response, token: str, seconds: int) -> None:
    set_cookie(request, response, SESSION_COOKIE, token, seconds)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(GLASS_COOKIE, path="/")


# --- CSRF ----------------------------------------------------------------------


def csrf_seed(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie value, and whether it is new (then it must be set)."""
    seed = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(seed) <= 100:
        return seed, False
    return secrets.token_urlsafe(24), True


def csrf_token(request: Request, seed: str) -> str:
    return hmac.new(_key(archive_of(request), "web-csrf"), seed.encode(), "sha256").hexdigest()


def csrf_ok(request: Request, sent: str | None) -> bool:
    seed = request.cookies.get(CSRF_COOKIE, "")
    if not seed or not sent:
        return False
    return hmac.compare_digest(csrf_token(request, seed), sent)


# --- break-glass reason for one document ---------------------------------------


@dataclass(frozen=True, slots=True)
class Glass:
    document_id: str
    reason: str


def glass_value(request: Request, document_id: str, reason: str) -> str:
    body = f"{int(time.time()) + GLASS_SECONDS}|{document_id}|{reason}".encode().hex()
    mac = hmac.new(_key(archive_of(request), "web-glass"), body.encode(), "sha256").hexdigest()
    return f"{body}.{mac}"


def glass_reason(request: Request, document_id: str) -> str | None:
    """The reason given for this document in the last minutes, if any."""
    value = request.cookies.get(GLASS_COOKIE, "")
    body, _, mac = value.rpartition(".")
    if not body or len(value) > 8000:
        return None
    good = hmac.new(_key(archive_of(request), "web-glass"), body.encode(), "sha256").hexdigest()
    if not hmac.compare_digest(good, mac):
        return None
    try:
        expires, doc, reason = bytes.fromhex(body).decode().split("|", 2)
    except ValueError:
        return None
    if doc != document_id or int(expires) < time.time():
        return None
    return reason
