"""OpenID Connect: the council's identity provider, and the signed state cookie.

The authorization-code flow: :meth:`OidcClient.authorization_url` sends the
person to the provider with a random state and nonce (kept in a signed,
short-lived cookie), :meth:`OidcClient.exchange` trades the code for an ID
token and verifies it. Sign-in itself (which archive user, the token, the
audit entry) is in :mod:`usecases.auth`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from archive.settings import SecuritySettings

# --- signed values (the OIDC state cookie) ---------------------------------------


def sign(key: bytes, data: dict[str, Any]) -> str:
    """``data`` as base64 JSON with an HMAC-SHA256 (put ``exp`` in it to make it expire)."""
    body = base64.urlsafe_b64encode(json.dumps(data, sort_keys=True).encode()).decode()
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unsign(key: bytes, value: str) -> dict[str, Any] | None:
    """The data of a value :func:`sign` made with ``key`` and not yet expired, or None."""
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


# --- the provider ------------------------------------------------------------------


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
