"""Sign-in: password login, opaque bearer tokens, logout, who am I, OpenID Connect.

Tokens are random (256 bits) and opaque; the database keeps only their
SHA-256 with an expiry, so a token can be revoked at once (disabling a user
revokes all of theirs) and a stolen database copy yields no usable token.
Signed self-contained tokens were not chosen: they cannot be revoked before
they expire, and every request already reads the database.

Before sign-in there is no user: the adapters pass a :func:`visitor`
principal, which only carries the caller's address.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.audit import AccessEvent, Action, Outcome
from archive.database import Database
from archive.findings import identifier_key
from archive.models import utcnow
from archive.settings import SecuritySettings
from archive.users import ApiToken, Role, User, get_user
from backends import Archive
from usecases import access, throttle, tokencache
from usecases.context import Context
from usecases.errors import NotFound, RateLimited, Unauthenticated, Unavailable
from usecases.oidc import OidcClient, OidcError, sign, unsign
from usecases.passwords import MAX_PASSWORD, needs_rehash, rehash, verify_password
from usecases.policy import Principal
from usecases.registry import use_case
from usecases.users import normalise_login, valid_login

BAD_CREDENTIALS = "Невірний логін або пароль"
OIDC_FAILED = "Вхід не вдався"
OIDC_OFF = "Вхід через OpenID Connect не налаштовано"
OIDC_DOWN = "Постачальник ідентичності недоступний"
OIDC_STATE_SECONDS = 600
MAX_LOGIN = 100


def visitor(address: str | None) -> Principal:
    """Who calls before signing in: only the address is known.

    The role is that of an official of no department, the one with the least
    reach (no document, no user, no log); the sign-in use cases never ask
    the policy about it.
    """
    return Principal(login="anonymous", role=Role.official, address=address)


def find_user(s: Session, login: str) -> User | None:
    """The user a typed login names: normalised first, then as typed.

    Logins are stored normalised (:func:`usecases.users.normalise_login`);
    the literal fallback keeps accounts made before that rule reachable.
    """
    key = normalise_login(login)
    if not valid_login(key):
        # Look-alike letters of another script, blanks inside, control characters:
        # no account may be reached by such a spelling, on any path.
        return None
    user = get_user(s, key)
    if user is None and key != login and valid_login(login.strip()):
        user = get_user(s, login.strip())
    return user


def principal_for_login(archive: Archive, login: str, address: str) -> Principal:
    """Who a command acts as with ``--as LOGIN``: an existing, enabled user, or NotFound."""
    with archive.db.session() as s:
        user = find_user(s, login)
        if user is None or user.disabled:
            raise NotFound(f"користувача {login} не знайдено або вимкнено", code="no_such_user")
        return Principal.of(user, address)


# --- tokens ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A bearer token just issued (the only time its value is known)."""

    access_token: str
    expires_in: int
    token_type: str = "bearer"

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(db: Database, user_id: int, minutes: int, via: str = "password") -> tuple[str, int]:
    """A new bearer token for the user and its lifetime in seconds."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as s:
        s.add(
            ApiToken(
                token_hash=token_digest(token),
                user_id=user_id,
                via=via,
                created_at=now,
                expires_at=now + timedelta(minutes=minutes),
                revoked=False,
            )
        )
    return token, minutes * 60


def resolve_token(db: Database, token: str) -> User | None:
    """The user a valid, unexpired, unrevoked token belongs to (if still enabled).

    Answers from a short-lived in-process cache (usecases.tokencache: revocation
    takes effect within TOKEN_CACHE_SECONDS in other processes, at once here).
    """
    digest = token_digest(token)
    cached = tokencache.get(db.url, digest)
    if cached is not None:
        return cached
    with db.session() as s:
        row = s.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == digest)
        ).first()
        if row is None:
            return None
        tok, user = row
        if tok.revoked or tok.expires_at <= utcnow() or user.disabled:
            return None
        s.expunge(user)
    tokencache.put(db.url, digest, user, tok.expires_at)
    return user


def revoke_token(db: Database, token: str) -> None:
    digest = token_digest(token)
    with db.session() as s:
        tok = s.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
        if tok is not None:
            tok.revoked = True
    tokencache.forget(db.url, digest)


def authenticate(db: Database, login: str, password: str) -> User | None:
    """The enabled user with this login and password, or None."""
    with db.session() as s:
        user = find_user(s, login)
        ok = verify_password(user.password_hash if user else None, password)
        if user is None or not ok or user.disabled:
            return None
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = rehash(password)
        return user


def _issue(ctx: Context, user: User, method: str) -> IssuedToken:
    minutes = ctx.archive.settings.security.token_minutes
    raw, seconds = issue_token(ctx.archive.db, user.id, minutes, method)
    p = Principal.of(user, ctx.principal.address)
    ctx.events.publish(access.event(p, Action.login, details={"method": method}))
    return IssuedToken(raw, seconds)


def _failed(ctx: Context, actor: str, details: dict[str, Any]) -> None:
    ctx.events.publish(
        AccessEvent(
            actor=actor,
            action=Action.login_failed,
            outcome=Outcome.failed,
            address=ctx.principal.address,
            details=details,
        )
    )


# --- password sign-in -------------------------------------------------------------


@use_case(Action.login)
def login_with_password(ctx: Context, *, login: str, password: str) -> IssuedToken:
    """Exchange a login and password for a bearer token.

    A failure is logged as ``auth.login_failed`` under the login as typed and
    answered alike for a wrong password, an unknown or a disabled user.
    """
    login = login[:MAX_LOGIN]
    key = normalise_login(login)
    address = ctx.principal.address
    try:
        throttle.check(ctx.archive, key, address)
    except RateLimited:
        _failed(ctx, login, {"method": "password", "why": "rate_limited"})
        raise
    user = authenticate(ctx.archive.db, login, password) if len(password) <= MAX_PASSWORD else None
    if user is None:
        throttle.failed(ctx.archive, key, address)
        _failed(ctx, login, {"method": "password"})
        raise Unauthenticated(BAD_CREDENTIALS, code="bad_credentials")
    throttle.succeeded(ctx.archive, key)
    return _issue(ctx, user, "password")


@use_case(Action.logout)
def logout(ctx: Context, *, token: str | None) -> None:
    """Revoke the caller's token (it stops working at once)."""
    if token:
        revoke_token(ctx.archive.db, token)
    ctx.events.publish(access.event(ctx.principal, Action.logout))


@dataclass(frozen=True, slots=True)
class Me:
    """The caller's own account: role and scope."""

    login: str
    role: Role
    centre: str | None
    workplace: str | None
    department: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "login": self.login,
            "role": self.role.value,
            "centre": self.centre,
            "workplace": self.workplace,
            "department": self.department,
        }


@use_case(
    None,
    why_unaudited=(
        "echoes the caller's own role and scope, already resolved from their token; "
        "reads nobody else's data and changes nothing"
    ),
)
def who_am_i(ctx: Context) -> Me:
    """The signed-in caller's role and scope."""
    p = ctx.principal
    return Me(p.login, p.role, p.centre, p.workplace, p.department)


# --- OpenID Connect ---------------------------------------------------------------


def oidc_client(cfg: SecuritySettings, http: httpx.Client | None = None) -> OidcClient:
    """The client for the configured identity provider (NotFound when none is)."""
    if not cfg.oidc_issuer:
        raise NotFound(OIDC_OFF, code="oidc_not_configured")
    try:
        return OidcClient(cfg, http)
    except OidcError as exc:
        raise NotFound(OIDC_OFF, code="oidc_not_configured") from exc


@dataclass(frozen=True, slots=True)
class OidcRedirect:
    """Where to send the browser, and the signed state to keep in a cookie meanwhile."""

    url: str
    state_cookie: str
    max_age: int = OIDC_STATE_SECONDS


@use_case(
    None,
    why_unaudited=(
        "only builds the redirect to the identity provider; nobody is identified yet "
        "and nothing is stored (the callback is audited)"
    ),
)
def start_oidc_login(ctx: Context, *, client: OidcClient) -> OidcRedirect:
    """The provider's sign-in page, with a fresh state and nonce."""
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    try:
        url = client.authorization_url(state, nonce)
    except OidcError as exc:
        raise Unavailable(OIDC_DOWN, code="idp_unavailable") from exc
    cookie = sign(
        identifier_key(ctx.archive.settings),
        {"state": state, "nonce": nonce, "exp": time.time() + OIDC_STATE_SECONDS},
    )
    return OidcRedirect(url, cookie)


@use_case(Action.login)
def finish_oidc_login(
    ctx: Context, *, client: OidcClient, code: str, state: str, state_cookie: str
) -> IssuedToken:
    """The provider sent the person back: verify, find the archive user, issue a token."""
    settings = ctx.archive.settings

    def failed(why: str, actor: str = "oidc:unknown") -> Unauthenticated:
        _failed(ctx, actor, {"method": "oidc", "why": why})
        return Unauthenticated(OIDC_FAILED, code="oidc_failed")

    address = ctx.principal.address
    try:
        throttle.check(ctx.archive, None, address)
    except RateLimited:
        _failed(ctx, "oidc:unknown", {"method": "oidc", "why": "rate_limited"})
        raise
    saved = unsign(identifier_key(settings), state_cookie)
    if saved is None or not secrets.compare_digest(str(saved.get("state")), state):
        throttle.failed(ctx.archive, None, address)
        raise failed("state")
    try:
        claims = client.exchange(code, str(saved.get("nonce")))
        issuer = client.provider.issuer
    except OidcError as exc:
        throttle.failed(ctx.archive, None, address)
        raise failed("id_token") from exc
    sub = str(claims.get("sub") or "")
    user = oidc_user(ctx.archive.db, issuer, sub)
    if user is None and sub and settings.security.oidc_unknown_subject == "create":
        user = _new_oidc_account(ctx, issuer, sub, claims.get(settings.security.oidc_login_claim))
    if user is None:
        throttle.failed(ctx.archive, None, address)
        # The subject, not the claimed login: a provider's login claim proves nothing here.
        raise failed("unknown_subject", f"oidc:{sub[:80] or 'unknown'}")
    return _issue(ctx, user, "oidc")


def oidc_user(db: Database, issuer: str, sub: str) -> User | None:
    """The enabled account bound to this subject (issuer + ``sub``), or None.

    Only the subject counts: a login claim such as ``preferred_username`` is
    chosen by whoever runs (or is registered at) the provider, so it never
    finds, and never rebinds, an account. Subjects are bound once, by the
    sysadmin (:func:`usecases.users.bind_oidc_subject` or ``user add
    --oidc-subject``). An account bound before issuers were recorded matches
    the configured issuer only.
    """
    if not sub:
        return None
    with db.session() as s:
        user = s.scalar(select(User).where(User.oidc_subject == sub))
        if user is None or user.disabled:
            return None
        if (user.oidc_issuer or issuer).rstrip("/") != issuer.rstrip("/"):
            return None
        s.expunge(user)
        return user


def _new_oidc_account(ctx: Context, issuer: str, sub: str, claimed: Any) -> User | None:
    """``oidc_unknown_subject = "create"``: an account bound to the subject, with no reach.

    It is an official of no department and waits for an administrator's
    approval, so it can sign in but sees nothing until its scope is set.
    """
    import hashlib as _h

    from archive.users import add_user as _add

    wanted = normalise_login(claimed) if isinstance(claimed, str) else ""
    fallback = "oidc-" + _h.sha256(f"{issuer} {sub}".encode()).hexdigest()[:12]
    with ctx.archive.db.session() as s:
        login = wanted if valid_login(wanted) and get_user(s, wanted) is None else fallback
        if get_user(s, login) is not None:
            return None
        user = _add(
            s, login, Role.official, password_hash=None, centre=ctx.archive.settings.centre,
            oidc_subject=sub[:255], oidc_issuer=issuer[:500], pending=True,
        )  # fmt: skip
        s.flush()
        s.expunge(user)
        return user
