"""Accounts and sign-in as use cases: allowed or denied, one audit entry each, one login rule
for the command line and the HTTP API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.audit import Action
from archive.settings import Settings
from archive.users import Role, add_user
from tests.usecases.conftest import MakeContext, head, run_cli, tail
from usecases import auth, users
from usecases.context import Context
from usecases.errors import Conflict, Denied, Invalid, NotFound, Unauthenticated
from usecases.passwords import hash_password
from usecases.registry import USE_CASES

PASSWORD = "correct horse battery"
CONFUSABLE = "olenа"  # the last letter is Cyrillic "а" (U+0430)


def test_add_list_disable_each_write_one_entry(ctx_as: MakeContext) -> None:
    ctx = ctx_as(Role.sysadmin)
    start = head(ctx)
    made = users.add_user(ctx, login="olena", role=Role.official, password=PASSWORD,
                          department="ДМС")  # fmt: skip
    assert (made.login, made.role, made.centre) == (
        "olena",
        Role.official,
        ctx.archive.settings.centre,
    )
    assert [u.login for u in users.list_users(ctx)] == ["olena"]
    gone = users.disable_user(ctx, login="olena")
    assert gone.disabled
    assert [(e.actor, e.action, e.outcome) for e in tail(ctx, start)] == [
        ("sysadmin", "user.add", "allowed"),
        ("sysadmin", "user.list", "allowed"),
        ("sysadmin", "user.disable", "allowed"),
    ]
    assert tail(ctx, start)[0].details == {"login": "olena", "role": "official"}


@pytest.mark.parametrize("role", [Role.administrator, Role.official, Role.archivist, Role.dpo])
def test_only_the_sysadmin_manages_users(ctx_as: MakeContext, role: Role) -> None:
    ctx = ctx_as(role, department="ДМС")
    start = head(ctx)
    for call, action in (
        (lambda: users.add_user(ctx, login="x1", role=Role.dpo, password=PASSWORD), "user.add"),
        (lambda: users.list_users(ctx), "user.list"),
        (lambda: users.disable_user(ctx, login="x1"), "user.disable"),
    ):
        with pytest.raises(Denied):
            call()
        assert [(e.action, e.outcome) for e in tail(ctx, start)] == [(action, "denied")]
        start = head(ctx)
    assert users.list_users(ctx_as(Role.sysadmin)) == []


def test_logins_are_normalised(ctx_as: MakeContext) -> None:
    ctx = ctx_as(Role.sysadmin)
    assert users.add_user(ctx, login="  Olena.Petrenko ", role=Role.dpo).login == "olena.petrenko"
    # Full-width letters are the same letters (NFKC), so the same account.
    with pytest.raises(Conflict):
        users.add_user(ctx, login="ｏｌｅｎａ.petrenko", role=Role.dpo)
    assert users.disable_user(ctx, login="OLENA.PETRENKO").login == "olena.petrenko"


@pytest.mark.parametrize("login", [CONFUSABLE, "оlena", "olena petrenko", "", "a" * 101, "o\nx"])
def test_confusable_and_malformed_logins_are_refused(ctx_as: MakeContext, login: str) -> None:
    ctx = ctx_as(Role.sysadmin)
    start = head(ctx)
    with pytest.raises(Invalid) as exc:
        users.add_user(ctx, login=login, role=Role.dpo, password=PASSWORD)
    assert exc.value.message == users.BAD_LOGIN and exc.value.code == "bad_login"
    assert tail(ctx, start) == [] and users.list_users(ctx) == []


def test_one_place_for_the_account_rules(ctx_as: MakeContext) -> None:
    ctx = ctx_as(Role.sysadmin)
    with pytest.raises(Invalid) as no_dept:
        users.add_user(ctx, login="clerk", role=Role.official, password=PASSWORD)
    assert no_dept.value.message == users.NEEDS_DEPARTMENT
    with pytest.raises(Invalid) as weak:
        users.add_user(ctx, login="clerk", role=Role.dpo, password="short")
    assert weak.value.code == "weak_password" and "8" in weak.value.message
    users.add_user(ctx, login="clerk", role=Role.dpo, password=PASSWORD)
    with pytest.raises(Conflict) as dup:
        users.add_user(ctx, login="clerk", role=Role.dpo, password=PASSWORD)
    assert dup.value.message == users.USER_EXISTS
    with pytest.raises(NotFound):
        users.disable_user(ctx, login="ghost")


# --- sign-in ---------------------------------------------------------------------------


def _visitor(ctx_as: MakeContext) -> Context:
    base = ctx_as(Role.sysadmin)
    return Context(base.archive, auth.visitor("10.0.0.7"), base.events)


def test_password_login_logout_and_who_am_i(ctx_as: MakeContext) -> None:
    sysadmin = ctx_as(Role.sysadmin)
    users.add_user(sysadmin, login="ira", role=Role.dpo, password=PASSWORD)
    visitor = _visitor(ctx_as)
    start = head(visitor)
    with pytest.raises(Unauthenticated) as bad:
        auth.login_with_password(visitor, login="ira", password="wrong password")
    assert bad.value.message == auth.BAD_CREDENTIALS
    with pytest.raises(Unauthenticated):
        auth.login_with_password(visitor, login="ghost", password=PASSWORD)
    issued = auth.login_with_password(visitor, login=" IRA", password=PASSWORD)
    assert issued.as_json()["token_type"] == "bearer" and issued.expires_in > 0
    user = auth.resolve_token(visitor.archive.db, issued.access_token)
    assert user is not None and user.login == "ira"
    me = ctx_as(Role.dpo, login="ira")
    assert auth.who_am_i(me).as_json()["login"] == "ira"
    auth.logout(me, token=issued.access_token)
    assert auth.resolve_token(visitor.archive.db, issued.access_token) is None
    assert [(e.actor, e.action, e.outcome, e.address) for e in tail(visitor, start)] == [
        ("ira", "auth.login_failed", "failed", "10.0.0.7"),
        ("ghost", "auth.login_failed", "failed", "10.0.0.7"),
        ("ira", "auth.login", "allowed", "10.0.0.7"),
        ("ira", "auth.logout", "allowed", "test"),
    ]


def test_oidc_is_not_found_when_not_configured(ctx_as: MakeContext) -> None:
    with pytest.raises(NotFound):
        auth.oidc_client(ctx_as(Role.sysadmin).archive.settings.security)


def test_every_use_case_here_is_registered_with_its_action() -> None:
    actions = {name: uc.audit for name, uc in USE_CASES.items()}
    assert actions["users.add_user"] == Action.user_add
    assert actions["users.list_users"] == Action.user_list
    assert actions["users.disable_user"] == Action.user_disable
    assert actions["auth.login_with_password"] == Action.login
    assert actions["auth.finish_oidc_login"] == Action.login
    assert actions["auth.logout"] == Action.logout
    assert actions["auth.who_am_i"] is None and USE_CASES["auth.who_am_i"].why_unaudited
    assert actions["auth.start_oidc_login"] is None


# --- the same login rule on the command line and over HTTP ---------------------------


@pytest.fixture
def http(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", centre="ЦНАП Житомир")
    with TestClient(create_app(settings)) as client:
        with client.app.state.archive.db.session() as s:  # type: ignore[attr-defined]
            add_user(s, "sys", Role.sysadmin, password_hash=hash_password(PASSWORD))
        r = client.post("/api/auth/token", data={"username": "sys", "password": PASSWORD})
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield client


def test_confusable_login_refused_on_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "cli"
    code, said = run_cli(data, "user", "add", CONFUSABLE, "--role", "dpo", stdin=PASSWORD + "\n")
    assert code == 2 and users.BAD_LOGIN in " ".join(said.split())
    code, _ = run_cli(data, "user", "add", "Olena", "--role", "dpo", stdin=PASSWORD + "\n")
    assert code == 0
    code, said = run_cli(data, "user", "list", "--json")
    assert [u["login"] for u in json.loads(said)] == ["olena"]


def test_confusable_login_refused_over_http(http: TestClient) -> None:
    r = http.post("/api/users", json={"login": CONFUSABLE, "role": "dpo", "password": PASSWORD})
    assert r.status_code == 422
    r = http.post("/api/users", json={"login": "Olena", "role": "dpo", "password": PASSWORD})
    assert r.status_code == 201 and r.json()["login"] == "olena"
    r = http.post("/api/users", json={"login": "clerk", "role": "official", "password": PASSWORD})
    assert r.status_code == 422 and r.json()["detail"] == users.NEEDS_DEPARTMENT
    assert http.post("/api/users/nobody/disable").status_code == 404
