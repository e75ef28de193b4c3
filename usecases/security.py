"""Authentication: Argon2 passwords, opaque bearer tokens, optional OpenID Connect.

Tokens are random (256 bits) and opaque; the database keeps only their
SHA-256 with an expiry, so a token can be revoked at once (disabling a user
revokes all of theirs) and a stolen database copy yields no usable token.
Signed self-contained tokens were not chosen: they cannot be revoked before
they expire, and every request already reads the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

import httpx
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from archive.database import Database
from archive.models import utcnow
from archive.settings import SecuritySettings
from archive.users import ApiToken, User, get_user

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified against when the login is unknown, so both cases take as long.
    return _hasher.hash("cnap-archive: no such user")


MIN_PASSWORD = 8


class WeakPassword(ValueError):
    """The password is too short."""


def hash_password(password: str) -> str:
    """Argon2id hash of a password (the encoded form includes salt and parameters)."""
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"пароль має містити щонайменше {MIN_PASSWORD} символів")
    return _hasher.hash(password)


def verify_password(encoded: str | None, password: str) -> bool:
    try:
        return _hasher.verify(encoded or _dummy_hash(), password) and encoded is not None
    except (VerificationError, InvalidHashError):
        return False


def authenticate(db: Database, login: str, password: str) -> User | None:
    """The enabled user with this login and password, or None."""
    with db.session() as s:
        user = get_user(s, login)
        ok = verify_password(user.password_hash if user else None, password)
        if user is None or not ok or user.disabled:
            return None
        if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return user


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
    """The user a valid, unexpired, unrevoked token belongs to (if still enabled)."""
    with db.session() as s:
        row = s.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_digest(token))
        ).first()
        if row is None:
            return None
        tok, user = row
        if tok.revoked or tok.expires_at <= utcnow() or user.disabled:
            return None
        s.expunge(user)
        return user


def revoke_token(db: Database, token: str) -> None:
    with db.session() as s:
        tok = s.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        if tok is not None:
            tok.revoked = True


# --- signed values (OIDC state) --------------------------------------------------


def sign(key: bytes, data: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(data, sort_keys=True).encode()).decode()
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unsign(key: bytes, value: str) -> dict[str, Any] | None:
    body, _, mac = value.rpartition(".")
    good = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(mac, good):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    if not isinstance(data, dict) or float(data.get("exp", 0)) < time.time():
        return None
    return data


# --- OpenID Connect ---------------------------------------------------------------


class OidcError(Exception):
    """The identity provider's answer could not be trusted or understood."""


@dataclass(slots=True)
class OidcProvider:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    issuer: str


class OidcClient:
    """Authorization-code flow against the council's identity provider.

    The ID token's signature is checked against the provider's JWKS, as are
    its issuer, audience, expiry and the nonce we sent.
    """

    def __init__(self, cfg: SecuritySettings, http: httpx.Client | None = None) -> None:
        if not (cfg.oidc_issuer and cfg.oidc_client_id and cfg.oidc_redirect_uri):
            raise OidcError("OpenID Connect не налаштовано")
        self.cfg = cfg
        self.http = http or httpx.Client(timeout=10.0)
        self._provider: OidcProvider | None = None

    @property
    def provider(self) -> OidcProvider:
        if self._provider is None:
            issuer = (self.cfg.oidc_issuer or "").rstrip("/")
            meta = self._get_json(f"{issuer}/.well-known/openid-configuration")
            try:
                self._provider = OidcProvider(
                    authorization_endpoint=str(meta["authorization_endpoint"]),
                    token_endpoint=str(meta["token_endpoint"]),
                    jwks_uri=str(meta["jwks_uri"]),
                    issuer=str(meta.get("issuer", issuer)),
                )
            except KeyError as exc:
                raise OidcError(f"неповний опис постачальника: {exc}") from exc
        return self._provider

    def authorization_url(self, state: str, nonce: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.cfg.oidc_client_id,
                "redirect_uri": self.cfg.oidc_redirect_uri,
                "scope": self.cfg.oidc_scopes,
                "state": state,
                "nonce": nonce,
            }
        )
        return f"{self.provider.authorization_endpoint}?{query}"

    def exchange(self, code: str, nonce: str) -> dict[str, Any]:
        """Trade the code for tokens and return the verified ID-token claims."""
        import jwt

        secret = self.cfg.oidc_client_secret
        try:
            resp = self.http.post(
                self.provider.token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.cfg.oidc_redirect_uri,
                    "client_id": self.cfg.oidc_client_id,
                    "client_secret": secret.get_secret_value() if secret else "",
                },
            )
        except httpx.HTTPError as exc:
            raise OidcError(f"постачальник недоступний: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise OidcError(f"постачальник відмовив: HTTP {resp.status_code}")
        id_token = resp.json().get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("постачальник не надіслав id_token")
        jwks = jwt.PyJWKSet.from_dict(self._get_json(self.provider.jwks_uri))
        try:
            header = jwt.get_unverified_header(id_token)
            key = next((k for k in jwks.keys if header.get("kid") in (None, k.key_id)), None)
            if key is None:
                raise OidcError("невідомий ключ підпису")
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key.key,
                algorithms=["RS256", "ES256", "PS256"],
                audience=self.cfg.oidc_client_id,
                issuer=self.provider.issuer,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise OidcError(f"id_token не пройшов перевірку: {type(exc).__name__}") from exc
        if claims.get("nonce") != nonce:
            raise OidcError("nonce не збігається")
        return claims

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            resp = self.http.get(url)
            resp.raise_for_status()
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"постачальник недоступний: {type(exc).__name__}") from exc
        if not isinstance(data, dict):
            raise OidcError("некоректна відповідь постачальника")
        return data


def oidc_user(db: Database, claims: dict[str, Any], login_claim: str) -> User | None:
    """The enabled archive user the ID token names (by subject, then by login claim).

    Users are never created from a token: a sysadmin adds them with a role and
    scope first, so the identity provider cannot grant access by itself.
    """
    sub = str(claims.get("sub", ""))
    login = claims.get(login_claim)
    with db.session() as s:
        user = s.scalar(select(User).where(User.oidc_subject == sub)) if sub else None
        if user is None and isinstance(login, str):
            user = get_user(s, login)
            if user is not None and user.oidc_subject is None and sub:
                user.oidc_subject = sub
        if user is None or user.disabled:
            return None
        s.flush()
        s.expunge(user)
        return user
