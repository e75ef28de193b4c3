"""Issue 9, items 1 (visible parts), 2, 5, 6, 7, 8: the holes found by trying to break the
archive as an attacker and as a careless user, each pinned by the behaviour that must hold."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive import cases as ops
from archive.settings import SecuritySettings, Settings
from archive.users import Role, add_user, get_user
from tests.api.conftest import DEPT, DEPT_B, HOME, PASSWORD, World, build_world
from tests.api.helpers import NAME, RNOKPP, make_document
from usecases.security import hash_password

REASON = "Запит суду щодо справи заявника"


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[World]:
    """A world of its own, for tests that change cases, users or counters."""
    yield from build_world(tmp_path)


# --- 8. break-glass reasons are words ------------------------------------------------------


@pytest.mark.parametrize("reason", ["..........", "1234567890", " " * 12, "№ 12/345-67 8"])
def test_break_glass_reason_needs_ten_letters(world: World, reason: str) -> None:
    url = f"/api/documents/{world.docs['home'].id}"
    r = world.http.get(url, params={"reason": reason}, headers=world.headers("official_b"))
    assert r.status_code == 403
    ok = world.http.get(url, params={"reason": REASON}, headers=world.headers("official_b"))
    assert ok.status_code == 200


# --- 8. a case outside one's scope is a missing case ----------------------------------------


def test_case_outside_scope_answers_exactly_like_a_missing_one(world: World) -> None:
    with world.archive.db.session() as s:
        reg = ops.Registration(service="Послуга", centre=HOME, applicant=NAME,
                               department=DEPT, actor="admin")  # fmt: skip
        case_id = ops.register(s, world.archive.settings, reg).case.id
    start = world.head()
    for login in ("admin_other", "official_b", "sysadmin"):
        h = world.headers(login)
        for suffix in ("", "/routing-sheet", "/inventory", "/cover-sheet"):
            there = world.http.get(f"/api/cases/{case_id}{suffix}", headers=h)
            missing = world.http.get(f"/api/cases/999999{suffix}", headers=h)
            assert (there.status_code, there.json()) == (missing.status_code, missing.json())
            assert there.status_code == 404, (login, suffix)
        sent = world.http.post(f"/api/cases/{case_id}/send", json={"department": "X"}, headers=h)
        assert sent.status_code == 404
    denied = [e for e in world.audit_tail(start) if e["outcome"] == "denied"]
    assert {e["actor"] for e in denied} >= {"admin_other", "official_b", "sysadmin"}


# --- 8. hash probes reveal nothing outside one's scope --------------------------------------


def test_upload_hash_probe_does_not_reveal_another_centres_document(world: World) -> None:
    other = world.docs["other_centre"]
    sha = hashlib.sha256(other.pdf).hexdigest()
    start = world.head()
    r = world.http.post(
        "/api/uploads",
        json={"sha256": sha, "size": len(other.pdf), "name": "x.pdf", "kind": "document",
              "case": "2026/0001"},
        headers=world.headers("admin"),
    )  # fmt: skip
    assert other.id not in r.text
    assert r.status_code in (200, 201) and r.json()["state"] != "processed"
    assert [e["action"] for e in world.audit_tail(start)] == ["station.upload"]


# --- 8. the DPO answers for their centres, and says so --------------------------------------


def test_dpo_subject_report_covers_their_centre_and_says_so(world: World) -> None:
    r = world.http.get("/api/audit/subject", params={"q": RNOKPP}, headers=world.headers("dpo"))
    assert r.status_code == 200
    body = r.json()
    ids = {d["document_id"] for d in body["documents"]}
    assert world.docs["home"].id in ids and world.docs["other_centre"].id not in ids
    assert body["centres"] == [HOME] and HOME in body["coverage"]
    assert all(e.get("document_id") != world.docs["other_centre"].id for e in body["entries"])


def test_dpo_for_the_region_covers_every_centre(tmp_path: Path) -> None:
    from tests.api.conftest import build_world as bw

    gen = bw(tmp_path)
    w = next(gen)
    try:
        w.archive.settings.security.dpo_scope = "region"
        body = w.http.get("/api/audit/subject", params={"q": RNOKPP},
                          headers=w.headers("dpo")).json()  # fmt: skip
        ids = {d["document_id"] for d in body["documents"]}
        assert w.docs["other_centre"].id in ids and body["centres"] is None
    finally:
        gen.close()


# --- 1. the head as an outside witness -----------------------------------------------------


def test_review_gives_the_head_and_verify_takes_it_as_witness(world: World) -> None:
    dpo = world.headers("dpo")
    review = world.http.get("/api/audit/review", headers=dpo).json()
    seq, head = review["head_seq"], review["head_hash"]
    assert seq > 0 and len(head) == 64
    ok = world.http.get("/api/audit/verify", params={"witness": f"{seq}:{head}"}, headers=dpo)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    forged = "0" * 64
    bad = world.http.get("/api/audit/verify", params={"witness": f"{seq}:{forged}"}, headers=dpo)
    assert bad.json()["ok"] is False and bad.json()["first_broken"] is not None
    junk = world.http.get("/api/audit/verify", params={"witness": "x"}, headers=dpo)
    assert junk.status_code == 422


# --- 7. security headers -------------------------------------------------------------------


def test_security_headers_on_every_response(world: World) -> None:
    doc = world.docs["home"].id
    for url, content in [
        (f"/api/documents/{doc}", True),
        (f"/api/documents/{doc}/pdf", True),
        ("/api/search?q=заява", True),
        ("/api/audit/entries", False),  # 403 for the admin: still headers
        ("/api/health", False),
        ("/api/documents/nope", True),
    ]:
        r = world.http.get(url, headers=world.headers("admin"))
        assert r.headers["x-content-type-options"] == "nosniff", url
        assert r.headers["x-frame-options"] == "DENY", url
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], url
        if content:
            assert r.headers["cache-control"] == "no-store", url


# --- 7. failed logins are slowed, then locked out, per account and per address ---------------


def _throttled_app(tmp_path: Path, **security: object) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data", centre=HOME, security=SecuritySettings(**security)
    )  # type: ignore[arg-type]
    app = create_app(settings)
    with TestClient(app) as http:
        with app.state.archive.db.session() as s:
            for login in ("olena", "ira", "petro", "taras", "oksana"):
                add_user(s, login, Role.administrator, password_hash=hash_password(PASSWORD),
                         centre=HOME)  # fmt: skip
        yield http


def _login(http: TestClient, login: str, password: str) -> httpx.Response:
    return http.post("/api/auth/token", data={"username": login, "password": password})


def test_failed_logins_slow_down_then_lock_the_account(tmp_path: Path) -> None:
    for http in _throttled_app(tmp_path, login_slow_after=2, login_lock_after=4,
                               address_factor=100):  # fmt: skip
        assert _login(http, "olena", "wrong one").status_code == 401
        assert _login(http, "olena", "wrong two").status_code == 401
        slowed = _login(http, "olena", PASSWORD)  # even the right password must wait
        assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) >= 1
        # Other spellings of the login are the same account.
        assert _login(http, " OLENA ", PASSWORD).status_code == 429
        assert _login(http, "ira", PASSWORD).status_code == 200  # another account is not slowed


def test_lockout_holds_the_right_password_until_it_ends(tmp_path: Path) -> None:
    from archive.users import LoginThrottle
    from usecases import throttle

    for http in _throttled_app(tmp_path, login_slow_after=5, login_lock_after=2,
                               address_factor=100):  # fmt: skip
        for _ in range(2):
            assert _login(http, "petro", "wrong pass").status_code == 401
        locked = _login(http, "petro", PASSWORD)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 60
        archive = http.app.state.archive  # type: ignore[attr-defined]
        with archive.db.session() as s:
            row = s.get(LoginThrottle, throttle.keys("petro", None)[0][0])
            assert row is not None and row.locked_until is not None


def test_failed_logins_lock_out_the_address_across_accounts(tmp_path: Path) -> None:
    for http in _throttled_app(tmp_path, login_slow_after=50, login_lock_after=100,
                               address_factor=1):  # fmt: skip
        http.app.state.archive.settings.security.login_lock_after = 3  # type: ignore[attr-defined]
        for login in ("olena", "ira", "petro"):
            assert _login(http, login, "wrong pass").status_code == 401
        r = _login(http, "taras", PASSWORD)
        assert r.status_code == 429 and "retry-after" in r.headers


def test_confusable_logins_are_refused_on_every_path(world: World) -> None:
    with world.archive.db.session() as s:
        # An account made around the rules (straight in the database) with a Cyrillic "а".
        add_user(s, "аdmin", Role.administrator, password_hash=hash_password(PASSWORD),
                 centre=HOME)  # fmt: skip
    assert _login(world.http, "аdmin", PASSWORD).status_code == 401
    from usecases.auth import principal_for_login
    from usecases.errors import NotFound

    with pytest.raises(NotFound):
        principal_for_login(world.archive, "аdmin", "cli:test")


# --- 7. the sysadmin needs a second person to give access to content -------------------------


def test_accounts_made_by_the_sysadmin_wait_for_an_administrators_approval(
    fresh: World,
) -> None:
    w = fresh
    sys_h = w.headers("sysadmin")
    r = w.http.post("/api/users", headers=sys_h, json={
        "login": "mallory", "role": "administrator", "password": PASSWORD})  # fmt: skip
    assert r.status_code == 201 and r.json()["pending"] is True
    token = w.login("mallory")
    h = {"Authorization": f"Bearer {token}"}
    doc = w.docs["home"].id
    assert w.http.get(f"/api/documents/{doc}", headers=h).status_code == 403
    assert w.http.get(f"/api/documents/{doc}", params={"reason": REASON},
                      headers=h).status_code == 403  # fmt: skip
    assert w.http.get("/api/search", params={"q": "заява"}, headers=h).status_code == 403
    # Neither the sysadmin, nor the account itself, nor another centre's administrator approves.
    for who in ("sysadmin", "admin_other"):
        assert w.http.post("/api/users/mallory/approve", headers=w.headers(who)).status_code == 403
    assert w.http.post("/api/users/mallory/approve", headers=h).status_code == 403
    start = w.head()
    ok = w.http.post("/api/users/mallory/approve", headers=w.headers("admin"))
    assert ok.status_code == 200 and ok.json()["pending"] is False
    tail = w.audit_tail(start)
    assert [(e["actor"], e["action"], e["outcome"]) for e in tail] == [
        ("admin", "user.approve", "allowed")
    ]
    assert w.http.get(f"/api/documents/{doc}", headers=h).status_code == 200
    again = w.http.post("/api/users/mallory/approve", headers=w.headers("admin"))
    assert again.status_code == 409


# --- 2. OpenID Connect cannot take over an account ------------------------------------------

from tests.api.test_auth import ISSUER, FakeIdP  # noqa: E402


@pytest.fixture
def idp_world(tmp_path: Path) -> Iterator[tuple[TestClient, FakeIdP]]:
    idp = FakeIdP()
    settings = Settings(
        data_dir=tmp_path / "data",
        centre=HOME,
        security=SecuritySettings(
            oidc_issuer=ISSUER, oidc_client_id="cnap-archive",
            oidc_redirect_uri="http://testserver/api/auth/oidc/callback",
        ),
    )  # fmt: skip
    app = create_app(settings, oidc_http=httpx.Client(transport=httpx.MockTransport(idp.handler)))
    with TestClient(app) as http:
        with app.state.archive.db.session() as s:
            add_user(s, "olena", Role.official, password_hash=None, department=DEPT,
                     centre=HOME, oidc_subject="uuid-olena", oidc_issuer=ISSUER)  # fmt: skip
            add_user(s, "admin", Role.administrator, password_hash=hash_password(PASSWORD),
                     centre=HOME)  # fmt: skip
            add_user(s, "sys", Role.sysadmin, password_hash=hash_password(PASSWORD),
                     centre=HOME)  # fmt: skip
        yield http, idp


def _oidc(http: TestClient, idp: FakeIdP, claims: dict[str, object]) -> httpx.Response:
    r = http.get("/api/auth/oidc/login", follow_redirects=False)
    q = parse_qs(urlsplit(r.headers["location"]).query)
    code = hashlib.sha256(repr(claims).encode()).hexdigest()[:12]
    idp.codes[code] = {**claims, "nonce": q["nonce"][0]}
    return http.get("/api/auth/oidc/callback", params={"code": code, "state": q["state"][0]})


def test_oidc_login_claim_never_takes_over_an_account(
    idp_world: tuple[TestClient, FakeIdP],
) -> None:
    http, idp = idp_world
    # A stranger whose provider account is called "olena" or "admin" gets nothing...
    for name in ("olena", "admin"):
        r = _oidc(http, idp, {"sub": f"evil-{name}", "preferred_username": name})
        assert r.status_code == 401
    archive = http.app.state.archive  # type: ignore[attr-defined]
    with archive.db.session() as s:
        admin = get_user(s, "admin")
        olena = get_user(s, "olena")
        assert admin is not None and admin.oidc_subject is None  # ...and binds nothing
        assert olena is not None and olena.oidc_subject == "uuid-olena"
    # The bound subject signs in whatever login claim it sends.
    r = _oidc(http, idp, {"sub": "uuid-olena", "preferred_username": "someone-else"})
    assert r.status_code == 200
    me = http.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json()["login"] == "olena"


def test_oidc_subject_is_bound_once_by_the_sysadmin(
    idp_world: tuple[TestClient, FakeIdP],
) -> None:
    http, _idp = idp_world
    sys_token = http.post("/api/auth/token", data={"username": "sys", "password": PASSWORD})
    h = {"Authorization": f"Bearer {sys_token.json()['access_token']}"}
    r = http.post("/api/users/admin/oidc-subject", json={"subject": "uuid-admin"}, headers=h)
    assert r.status_code == 200 and r.json()["pending"] is True  # a second person again
    again = http.post("/api/users/admin/oidc-subject", json={"subject": "uuid-x"}, headers=h)
    assert again.status_code == 409  # once
    taken = http.post("/api/users/sys/oidc-subject", json={"subject": "uuid-olena"}, headers=h)
    assert taken.status_code == 409


def test_oidc_unknown_subject_may_get_an_account_without_reach(tmp_path: Path) -> None:
    idp = FakeIdP()
    settings = Settings(
        data_dir=tmp_path / "data", centre=HOME,
        security=SecuritySettings(
            oidc_issuer=ISSUER, oidc_client_id="cnap-archive",
            oidc_redirect_uri="http://testserver/api/auth/oidc/callback",
            oidc_unknown_subject="create",
        ),
    )  # fmt: skip
    app = create_app(settings, oidc_http=httpx.Client(transport=httpx.MockTransport(idp.handler)))
    with TestClient(app) as http:
        with app.state.archive.db.session() as s:
            add_user(s, "admin", Role.administrator, password_hash=None, centre=HOME)
        r = _oidc(http, idp, {"sub": "new-person", "preferred_username": "admin"})
        assert r.status_code == 200
        h = {"Authorization": f"Bearer {r.json()['access_token']}"}
        me = http.get("/api/auth/me", headers=h).json()
        assert me["login"] != "admin" and me["department"] is None
        assert http.get("/api/search", params={"q": "заява"}, headers=h).status_code == 403


# --- 6. search agrees with the policy at once -----------------------------------------------


def test_sending_a_case_reaches_the_index_at_once(fresh: World) -> None:
    w = fresh
    q = {"q": "домашня"}
    assert w.http.get("/api/search", params=q, headers=w.headers("official")).json()["total"] == 1
    assert w.http.get("/api/search", params=q,
                      headers=w.headers("official_b")).json()["total"] == 0  # fmt: skip
    from usecases import cases
    from usecases.context import Context
    from usecases.policy import Principal

    admin = Principal(login="admin", role=Role.administrator, centre=HOME)
    ctx = Context(w.archive, admin, w.app.state.events)
    cases.send_case(ctx, number="2026/0001", department=DEPT_B)
    new = w.http.get("/api/search", params=q, headers=w.headers("official_b")).json()
    old = w.http.get("/api/search", params=q, headers=w.headers("official")).json()
    assert new["total"] == 1 and [h["document_id"] for h in new["hits"]] == [w.docs["home"].id]
    assert old == {"total": 0, "hits": []}


def test_total_never_counts_documents_the_caller_may_not_open(fresh: World) -> None:
    from archive.models import Case

    w = fresh
    for i in range(3):
        make_document(w.archive, [[f"довідка про склад сім'ї {i}"]], case=f"2026/01{i}",
                      department=DEPT)  # fmt: skip
    # The database moves the cases behind the index's back (no outbox row).
    with w.archive.db.session() as s:
        s.execute(Case.__table__.update().where(Case.number.like("2026/01%"))
                  .values(department=DEPT_B))  # fmt: skip
    r = w.http.get("/api/search", params={"q": "довідка", "limit": 1},
                   headers=w.headers("official")).json()  # fmt: skip
    assert r == {"total": 0, "hits": []}


# --- 5. masking is complete -----------------------------------------------------------------

CASE_NAME = "Коваленко Марія Степанівна"


def _case_with_inventory(w: World) -> tuple[int, str]:
    """A case registered at the desk (the archive prints and archives its inventory)."""
    from usecases import cases
    from usecases.context import Context
    from usecases.policy import Principal

    admin = Principal(login="admin", role=Role.administrator, centre=HOME)
    ctx = Context(w.archive, admin, w.app.state.events, w.app.state.dispatcher)
    made = cases.register_case(ctx, service="Реєстрація місця проживання",
                               applicant=CASE_NAME, department=DEPT)  # fmt: skip
    assert made.inventory_document_id
    w.app.state.dispatcher.wait([made.inventory_document_id], timeout=300)
    return made.case.id, made.inventory_document_id


def test_names_from_the_archives_own_forms_are_masked(fresh: World) -> None:
    w = fresh
    _, inv = _case_with_inventory(w)
    from ingest.indexing import flush_outbox

    flush_outbox(w.archive)
    wp = w.headers("admin_wp")  # another workplace: masked content
    full = w.http.get(f"/api/documents/{inv}", headers=w.headers("admin")).text
    assert "Коваленко" in full
    text = w.http.get(f"/api/documents/{inv}", headers=wp).text
    for word in CASE_NAME.split():
        assert word not in text
    hits = w.http.get("/api/search", params={"q": "Степанівна"}, headers=wp).json()["hits"]
    assert hits and all("Степанівна" not in h["snippet"] for h in hits)


def test_a_name_cut_off_from_its_label_is_masked_in_snippets(fresh: World) -> None:
    w = fresh
    filler = " ".join(["слово"] * 60)
    doc = make_document(w.archive, [[f"Заявник: {NAME}", filler,
                                     "Тарас Григорович просить видати довідку"]],
                        case="2026/0001", department=DEPT)  # fmt: skip
    r = w.http.get("/api/search", params={"q": "довідку"}, headers=w.headers("admin_wp")).json()
    snippets = [h["snippet"] for h in r["hits"] if h["document_id"] == doc.id]
    assert snippets and all("Тарас" not in s and "Григорович" not in s for s in snippets)


def test_identifiers_in_file_names_are_masked(fresh: World) -> None:
    from archive.models import Document

    w = fresh
    doc = w.docs["home"]
    with w.archive.db.session() as s:
        row = s.get(Document, doc.id)
        assert row is not None
        row.original_name = f"{RNOKPP}_Шевченко.pdf"
    for path in ("", "/metadata"):
        masked = w.http.get(f"/api/documents/{doc.id}{path}", headers=w.headers("admin_wp"))
        assert RNOKPP not in masked.text and "Шевченко" not in masked.text
        assert masked.json()["original_name"].endswith(".pdf")
    full = w.http.get(f"/api/documents/{doc.id}", headers=w.headers("admin")).json()
    assert full["original_name"] == f"{RNOKPP}_Шевченко.pdf"


def test_search_by_identifier_needs_lookup_clearance(world: World) -> None:
    start = world.head()
    r = world.http.get("/api/search", params={"q": RNOKPP}, headers=world.headers("admin_wp"))
    body = r.json()
    ids = {h["document_id"] for h in body["hits"]}
    assert world.docs["home"].id not in ids  # masked for admin_wp: as if nothing matched
    assert world.docs["workplace"].id in ids  # their own workplace: full access
    assert body["total"] == len(ids)
    entry = world.audit_tail(start)[-1]
    assert entry["action"] == "search" and entry["details"]["by_identifier"] is True
    arch = world.http.get("/api/search", params={"q": RNOKPP}, headers=world.headers("archivist"))
    assert arch.json() == {"total": 0, "hits": []}
