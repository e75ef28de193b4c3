"""Sign-in: Argon2 passwords, bearer tokens (expiry, revocation), OpenID Connect."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from archive.settings import SecuritySettings, Settings
from archive.users import Role, add_user
from tests.api.conftest import PASSWORD, World
from usecases.passwords import hash_password, verify_password


def test_password_hashes_are_argon2(world: World) -> None:
    with world.archive.db.session() as s:
        stored = s.execute(text("SELECT password_hash FROM users WHERE login='admin'")).scalar()
    assert str(stored).startswith("$argon2id$")
    assert verify_password(str(stored), PASSWORD)
    assert not verify_password(str(stored), PASSWORD + "!")
    assert hash_password(PASSWORD) != stored  # salted


def test_token_login_and_failed_login_are_logged(world: World) -> None:
    start = world.head()
    bad = world.http.post("/api/auth/token", data={"username": "admin", "password": "wrong pw!"})
    assert bad.status_code == 401
    unknown = world.http.post("/api/auth/token", data={"username": "ghost", "password": "x" * 9})
    assert unknown.status_code == 401
    token = world.login("dpo")
    me = world.http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {"login": "dpo", "role": "dpo", "centre": "ЦНАП Житомир", "workplace": None,
                  "department": None}  # fmt: skip
    tail = world.audit_tail(start)
    assert [(e["actor"], e["action"], e["outcome"]) for e in tail[:3]] == [
        ("admin", "auth.login_failed", "failed"),
        ("ghost", "auth.login_failed", "failed"),
        ("dpo", "auth.login", "allowed"),
    ]
    with world.archive.db.session() as s:
        stored = s.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert token not in stored  # only the digest is kept


def test_logout_disable_and_expiry_revoke_tokens(world: World) -> None:
    from archive.users import ApiToken

    with world.archive.db.session() as s:
        add_user(s, "temp", Role.administrator, password_hash=hash_password(PASSWORD),
                 centre="ЦНАП Житомир")  # fmt: skip
    t1, t2, t3 = world.login("temp"), world.login("temp"), world.login("temp")
    h = {"Authorization": f"Bearer {t1}"}
    assert world.http.get("/api/auth/me", headers=h).status_code == 200
    assert world.http.post("/api/auth/logout", headers=h).status_code == 204
    assert world.http.get("/api/auth/me", headers=h).status_code == 401
    with world.archive.db.session() as s:
        from usecases.auth import token_digest

        tok = s.query(ApiToken).filter_by(token_hash=token_digest(t2)).one()
        tok.expires_at = tok.created_at - timedelta(seconds=1)
    assert (
        world.http.get("/api/auth/me", headers={"Authorization": f"Bearer {t2}"}).status_code == 401
    )
    r = world.http.post("/api/users/temp/disable", headers=world.headers("sysadmin"))
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert (
        world.http.get("/api/auth/me", headers={"Authorization": f"Bearer {t3}"}).status_code == 401
    )
    again = world.http.post("/api/auth/token", data={"username": "temp", "password": PASSWORD})
    assert again.status_code == 401


def test_users_api_for_sysadmin(world: World) -> None:
    h = world.headers("sysadmin")
    r = world.http.post(
        "/api/users",
        json={"login": "clerk", "role": "official", "department": "ЖКГ", "password": "short"},
        headers=h,
    )
    assert r.status_code == 422
    r = world.http.post(
        "/api/users",
        json={"login": "clerk", "role": "official", "department": "ЖКГ", "password": PASSWORD},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["centre"] == "ЦНАП Житомир"
    body = {"login": "clerk", "role": "dpo", "password": PASSWORD}
    dup = world.http.post("/api/users", json=body, headers=h)
    assert dup.status_code == 409
    logins = [u["login"] for u in world.http.get("/api/users", headers=h).json()]
    assert "clerk" in logins
    assert world.login("clerk")


# --- OpenID Connect against a tiny local identity provider ---------------------------

ISSUER = "https://idp.test/realms/rada"


class FakeIdP:
    """Discovery, JWKS and a token endpoint that signs ID tokens with its RSA key."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict[str, object]] = {}
        self.sign_with = self.key

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json={
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/auth",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/certs",
            })  # fmt: skip
        if path.endswith("/certs"):
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            jwk.update({"kid": "k1", "use": "sig", "alg": "RS256"})
            return httpx.Response(200, json={"keys": [jwk]})
        if path.endswith("/token"):
            form = parse_qs(request.content.decode())
            claims = self.codes.pop(form["code"][0], None)
            if claims is None or form["client_id"] != ["cnap-archive"]:
                return httpx.Response(400, json={"error": "invalid_grant"})
            now = int(time.time())
            token = jwt.encode(
                {"iss": ISSUER, "aud": "cnap-archive", "iat": now, "exp": now + 300, **claims},
                self.sign_with,
                algorithm="RS256",
                headers={"kid": "k1"},
            )
            return httpx.Response(200, json={"id_token": token, "access_token": "x"})
        return httpx.Response(404)


@pytest.fixture
def oidc(tmp_path: Path) -> Iterator[tuple[TestClient, FakeIdP]]:
    idp = FakeIdP()
    settings = Settings(
        data_dir=tmp_path / "data",
        security=SecuritySettings(
            oidc_issuer=ISSUER,
            oidc_client_id="cnap-archive",
            oidc_redirect_uri="http://testserver/api/auth/oidc/callback",
        ),
    )
    app = create_app(settings, oidc_http=httpx.Client(transport=httpx.MockTransport(idp.handler)))
    with TestClient(app) as http:
        with app.state.archive.db.session() as s:
            # Issue 9: bound to its subject by the sysadmin (a login claim never finds it).
            add_user(s, "olena", Role.official, password_hash=None, department="ДМС",
                     centre=settings.centre, oidc_subject="uuid-olena",
                     oidc_issuer=ISSUER)  # fmt: skip
        yield http, idp


def _start(http: TestClient) -> dict[str, str]:
    r = http.get("/api/auth/oidc/login", follow_redirects=False)
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["client_id"] == ["cnap-archive"] and query["response_type"] == ["code"]
    return {"state": query["state"][0], "nonce": query["nonce"][0]}


def test_oidc_login_issues_a_bearer_token(oidc: tuple[TestClient, FakeIdP]) -> None:
    http, idp = oidc
    sent = _start(http)
    idp.codes["c1"] = {"sub": "uuid-olena", "preferred_username": "olena", "nonce": sent["nonce"]}
    r = http.get("/api/auth/oidc/callback", params={"code": "c1", "state": sent["state"]})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["login"] == "olena" and me["role"] == "official"


def test_oidc_rejects_forgeries(oidc: tuple[TestClient, FakeIdP]) -> None:
    http, idp = oidc
    sent = _start(http)
    # Wrong state (CSRF on the callback).
    idp.codes["c2"] = {"sub": "s", "preferred_username": "olena", "nonce": sent["nonce"]}
    assert (
        http.get("/api/auth/oidc/callback", params={"code": "c2", "state": "x"}).status_code == 401
    )
    # Replayed/foreign nonce.
    sent = _start(http)
    idp.codes["c3"] = {"sub": "s", "preferred_username": "olena", "nonce": "other"}
    r = http.get("/api/auth/oidc/callback", params={"code": "c3", "state": sent["state"]})
    assert r.status_code == 401
    # Signed by a key the provider does not publish.
    sent = _start(http)
    idp.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    idp.codes["c4"] = {"sub": "s", "preferred_username": "olena", "nonce": sent["nonce"]}
    r = http.get("/api/auth/oidc/callback", params={"code": "c4", "state": sent["state"]})
    assert r.status_code == 401
    idp.sign_with = idp.key
    # A person the archive does not know gets nothing, whatever the provider says.
    sent = _start(http)
    idp.codes["c5"] = {"sub": "x", "preferred_username": "stranger", "nonce": sent["nonce"]}
    r = http.get("/api/auth/oidc/callback", params={"code": "c5", "state": sent["state"]})
    assert r.status_code == 401
