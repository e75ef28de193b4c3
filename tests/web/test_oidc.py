"""OpenID Connect sign-in from the sign-in page, against the API tests' local fake provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.settings import SecuritySettings, Settings
from archive.users import Role, add_user
from tests.api.test_auth import ISSUER, FakeIdP
from tests.web.conftest import csrf_of


def oidc_app(tmp: Path, origin: str, idp: FakeIdP) -> object:
    settings = Settings(
        data_dir=tmp / "data",
        security=SecuritySettings(
            oidc_issuer=ISSUER,
            oidc_client_id="cnap-archive",
            oidc_redirect_uri=f"{origin}/api/auth/oidc/callback",
        ),
    )
    return create_app(settings, oidc_http=httpx.Client(transport=httpx.MockTransport(idp.handler)))


@pytest.fixture
def oidc(tmp_path: Path) -> Iterator[tuple[TestClient, FakeIdP]]:
    idp = FakeIdP()
    app = oidc_app(tmp_path, "http://testserver", idp)
    with TestClient(app) as http:  # type: ignore[arg-type]
        archive = http.app.state.archive  # type: ignore[attr-defined]
        with archive.db.session() as s:
            # Bound to its subject by the sysadmin (a login claim never finds an account).
            add_user(s, "olena", Role.official, password_hash=None, department="ДМС",
                     centre=archive.settings.centre, oidc_subject="uuid-olena",
                     oidc_issuer=ISSUER)  # fmt: skip
        yield http, idp


def _start(http: TestClient) -> dict[str, str]:
    r = http.get("/login/oidc", follow_redirects=False)
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["redirect_uri"] == ["http://testserver/login/oidc/callback"]
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/login/oidc" in cookie
    return {"state": query["state"][0], "nonce": query["nonce"][0]}


def test_the_login_page_offers_oidc_only_where_configured(
    oidc: tuple[TestClient, FakeIdP], anon: TestClient
) -> None:
    http, _ = oidc
    assert 'href="/login/oidc"' in http.get("/login").text
    assert 'href="/login/oidc"' not in anon.get("/login").text
    assert anon.get("/login/oidc").status_code == 404


def test_oidc_sign_in_starts_a_session(oidc: tuple[TestClient, FakeIdP]) -> None:
    http, idp = oidc
    sent = _start(http)
    idp.codes["w1"] = {"sub": "uuid-olena", "preferred_username": "olena", "nonce": sent["nonce"]}
    r = http.get("/login/oidc/callback", params={"code": "w1", "state": sent["state"]})
    assert r.status_code == 200 and 'http-equiv="refresh"' in r.text
    assert "cnap_session=" in r.headers["set-cookie"]
    home = http.get("/")
    assert home.status_code == 200 and "Вітаємо, olena" in home.text
    # Sign-out works as after a password sign-in.
    http.post("/logout", data={"csrf": csrf_of(home.text)})
    assert http.get("/", follow_redirects=False).status_code == 303


def test_oidc_forgeries_come_back_to_the_sign_in_form(oidc: tuple[TestClient, FakeIdP]) -> None:
    http, idp = oidc
    sent = _start(http)
    idp.codes["w2"] = {"sub": "s", "preferred_username": "olena", "nonce": sent["nonce"]}
    r = http.get("/login/oidc/callback", params={"code": "w2", "state": "forged"})
    assert (
        r.status_code == 401
        and 'role="alert"' in r.text
        and "cnap_session=" not in str(r.headers.get("set-cookie"))
    )
    sent = _start(http)
    idp.codes["w3"] = {"sub": "x", "preferred_username": "stranger", "nonce": sent["nonce"]}
    r = http.get("/login/oidc/callback", params={"code": "w3", "state": sent["state"]})
    assert r.status_code == 401
    assert http.get("/login/oidc/callback").status_code == 401
