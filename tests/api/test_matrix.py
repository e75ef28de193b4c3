"""Every API route with every role: allowed or denied, as the policy says.

The routes are enumerated from the app itself, so a new route without a row
here fails the test.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from archive.models import utcnow
from tests.api.conftest import PASSWORD, ROLES, World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A world of its own: the matrix uploads, moves documents and makes accounts,
    and the other modules' tests expect the shared world as it was built."""
    yield from build_world(tmp_path_factory.mktemp("matrix-world"))


A, OF, R, D, S = "admin", "official", "archivist", "dpo", "sysadmin"
PUBLIC = "public"

# (method, path) -> roles allowed, or PUBLIC (no token needed) with the expected status.
MATRIX: dict[tuple[str, str], set[str] | tuple[str, int]] = {
    ("POST", "/api/auth/token"): (PUBLIC, 200),
    ("POST", "/api/auth/logout"): {A, OF, R, D, S},
    ("GET", "/api/auth/me"): {A, OF, R, D, S},
    ("GET", "/api/auth/oidc/login"): (PUBLIC, 404),  # OpenID Connect not configured
    ("GET", "/api/auth/oidc/callback"): (PUBLIC, 404),
    ("POST", "/api/documents"): {A},
    ("GET", "/api/documents/{document_id}"): {A, OF},
    ("GET", "/api/documents/{document_id}/metadata"): {A, OF, R, D},
    ("GET", "/api/documents/{document_id}/pages"): {A, OF},
    ("GET", "/api/documents/{document_id}/pages/{number}"): {A, OF},
    ("GET", "/api/documents/{document_id}/pages/{number}/image"): {A, OF},
    ("GET", "/api/documents/{document_id}/pdf"): {A, OF},
    ("GET", "/api/documents/{document_id}/redacted"): {A, OF},
    ("GET", "/api/documents/{document_id}/original"): {A, OF},
    ("GET", "/api/documents/{document_id}/findings"): {A, OF},
    ("GET", "/api/search"): {A, OF, R},
    ("GET", "/api/search/identifier"): {A, OF, R},
    ("GET", "/api/audit/subject"): {D},
    ("GET", "/api/audit/entries"): {D},
    ("GET", "/api/audit/review"): {D},
    ("GET", "/api/audit/verify"): {D, S},
    ("POST", "/api/audit/seal"): {D, S},
    ("GET", "/api/users"): {S},
    ("POST", "/api/users"): {S},
    ("POST", "/api/users/{login}/disable"): {S},
    # Issue 9: an account made by the sysadmin waits for an administrator of its centre.
    ("POST", "/api/users/{login}/approve"): {A},
    # The accounts such an administrator may approve (the web page /users/pending).
    ("GET", "/api/users/pending"): {A},
    ("POST", "/api/users/{login}/oidc-subject"): {S},
    ("GET", "/api/health"): (PUBLIC, 200),
    # The sysadmin's health page as JSON (database, store, index, queue, access log).
    ("GET", "/api/health/backends"): {S},
    # The desk (tests/desk): registration and desk steps are the administrator's; reading a
    # case follows its documents' levels (metadata: routing sheet; full: the inventory).
    ("POST", "/api/cases"): {A},
    ("GET", "/api/cases"): {A, OF, R, D},
    ("GET", "/api/cases/{case_id}"): {A, OF, R, D},
    ("GET", "/api/cases/{case_id}/routing-sheet"): {A, OF, R, D},
    ("GET", "/api/cases/{case_id}/inventory"): {A, OF},
    ("GET", "/api/cases/{case_id}/cover-sheet"): {A},
    ("POST", "/api/cases/{case_id}/send"): {A},
    ("POST", "/api/cases/{case_id}/notify"): {A},
    ("POST", "/api/cases/{case_id}/issue"): {A},
    ("POST", "/api/journal/blocks"): {A},
    # The desk's queue of the day (the desk page) and the official's «cases of my
    # department» (the page /department): the same use cases, as JSON.
    ("GET", "/api/desk/queue"): {A},
    ("GET", "/api/department/cases"): {OF},
    ("POST", "/api/uploads"): {A},
    ("GET", "/api/uploads/{sha256}"): {A},
    ("PATCH", "/api/uploads/{sha256}"): {A},
    ("POST", "/api/uploads/{sha256}/complete"): {A},
    ("GET", "/api/batches/held"): {A},
    ("POST", "/api/batches/parts/{part_id}/attach"): {A},
    # Undoing the desk's mistakes (issue 10): an administrator of the centre.
    ("POST", "/api/cases/{case_id}/annul"): {A},
    ("POST", "/api/batches/parts/{part_id}/reassign"): {A},
    ("POST", "/api/documents/{document_id}/move"): {A},
    # Metadata extraction (tests/metadata): the type and dates at metadata level; correcting
    # the type needs the content; retraining is the administrator's.
    ("GET", "/api/metadata/types"): {A, OF, R, D, S},
    ("GET", "/api/metadata/documents/{document_id}"): {A, OF, R, D},
    ("PUT", "/api/metadata/documents/{document_id}/type"): {A, OF},
    ("POST", "/api/metadata/retrain"): {A},
    # Retention (tests/retention): plans, approvals, holds and acts are the archivist's; the
    # uncollected-results list the administrator's; fixity the archivist's and IT's.
    ("GET", "/api/retention/due"): {R},
    ("GET", "/api/retention/plans"): {R},
    ("POST", "/api/retention/plans"): {R},
    ("GET", "/api/retention/plans/{number}"): {R},
    ("POST", "/api/retention/plans/{number}/approve"): {R},
    ("POST", "/api/retention/plans/{number}/agree"): {R},
    ("POST", "/api/retention/plans/{number}/apply"): {R},
    ("GET", "/api/retention/plans/{number}/act"): {R},
    ("GET", "/api/retention/plans/{number}/package"): {R},
    ("GET", "/api/retention/outputs"): {R},
    ("GET", "/api/retention/holds"): {R},
    ("POST", "/api/retention/holds"): {R},
    ("POST", "/api/retention/holds/release"): {R},
    ("GET", "/api/retention/todo"): {A},
    ("POST", "/api/fixity/checks"): {R, S},
    ("GET", "/api/fixity/checks"): {R, S},
    # Diia sharing (tests/sharing): the desk's administrator requests; Diia delivers with no
    # token (an empty delivery is refused as invalid whoever sends it).
    ("POST", "/api/cases/{case_id}/sharing"): {A},
    ("GET", "/api/sharing/requests/{request_id}/qr.png"): {A},
    ("GET", "/api/sharing/requests/{request_id}/sheet.pdf"): {A},
    ("POST", "/api/sharing/delivery"): (PUBLIC, 422),
    ("GET", "/api/documents/{document_id}/sharing"): {A, OF, R, D},
    # Held deliveries and e-mail (tests/sharing/test_held.py): the centre's administrator.
    ("GET", "/api/intake/held"): {A},
    ("POST", "/api/intake/held/{kind}/{item_id}/attach"): {A},
    ("POST", "/api/intake/held/{kind}/{item_id}/reject"): {A},
}


def _walk(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)  # routers nested by include_router
        if inner is not None:
            yield from _walk(list(inner.routes))


def app_routes(world: World) -> set[tuple[str, str]]:
    """Every API route of the app (walked) and of its OpenAPI document.

    The web pages (``api/web/``, outside ``/api``) have their own role test in
    ``tests/web/test_browser.py``.
    """
    walked = (r for r in _walk(list(world.app.routes)) if r.path.startswith("/api/"))
    out = {(m, r.path) for r in walked for m in r.methods}
    spec = world.app.openapi()["paths"]
    out |= {(m.upper(), path) for path, ops in spec.items() for m in ops}
    return out


def test_no_route_left_out(world: World) -> None:
    routes = app_routes(world)
    assert routes == set(MATRIX), (
        f"routes without a row: {routes - set(MATRIX)}; rows without a route: "
        f"{set(MATRIX) - routes}"
    )


_counter = itertools.count()


def call(world: World, method: str, path: str, headers: dict[str, str], role: str | None) -> int:
    doc = world.docs["home"]
    url = path.replace("{document_id}", doc.id).replace("{number}", "1")
    http = world.http
    if path.startswith(("/api/cases", "/api/journal", "/api/uploads", "/api/batches")):
        return _call_desk(world, method, path, headers, role)
    if path.startswith(("/api/retention", "/api/fixity")):
        return _call_retention(world, method, path, headers)
    if path.startswith("/api/intake/"):
        return _call_held(world, method, path, headers, role)
    if path.startswith("/api/sharing/requests/"):
        url = path.replace("{request_id}", _sharing_request(world))
    if path == "/api/documents/{document_id}/move":
        target = _desk_case(world)[1]
        url = path.replace("{document_id}", _movable_document(world))
        body = {"case": target, "reason": "долучено не до тієї справи"}
        return http.post(url, json=body, headers=headers).status_code
    if path == "/api/users/{login}/disable":
        url = url.replace("{login}", "official_b_victim")
        _ensure_victim(world)
    if path in ("/api/users/{login}/approve", "/api/users/{login}/oidc-subject"):
        login = _fresh_account(world, pending=path.endswith("/approve"))
        url = url.replace("{login}", login)
        if path.endswith("/oidc-subject"):
            return http.post(url, json={"subject": f"sub-{login}"}, headers=headers).status_code
    if path == "/api/auth/logout" and role:
        # Logging out revokes the token: use a fresh one for this call.
        headers = {"Authorization": f"Bearer {world.login(role)}"}
    params: dict[str, str] = {}
    if path == "/api/search":
        params = {"q": "заява"}
    elif path == "/api/search/identifier":
        params = {"value": "3300912353"}
    elif path == "/api/audit/subject":
        params = {"q": "3300912353"}
    elif path == "/api/auth/oidc/callback":
        params = {"code": "x", "state": "y"}
    if method == "GET":
        r = http.get(url, params=params, headers=headers, follow_redirects=False)
    elif path == "/api/auth/token":
        r = http.post(url, data={"username": role or "admin", "password": PASSWORD})
    elif path == "/api/documents":
        r = http.post(
            url,
            headers=headers,
            files={"file": ("duplicate.pdf", doc.pdf, "application/pdf")},
            data={"wait": "true"},
        )
    elif path == "/api/users":
        body = {"login": f"new-{next(_counter)}", "role": "official", "department": "ДМС",
                "password": "a long enough password"}  # fmt: skip
        r = http.post(url, json=body, headers=headers)
    elif method == "PUT":  # /api/metadata/documents/{document_id}/type
        r = http.put(url, json={"type": "application"}, headers=headers)
    else:
        r = http.post(url, headers=headers)
    return r.status_code


# --- the desk's routes ---------------------------------------------------------------

_UPLOAD: dict[str, object] = {}


def _desk_case(world: World) -> tuple[int, str]:
    """A fresh case of the home centre routed to the official's department."""
    from archive import cases as ops

    with world.archive.db.session() as s:
        reg = ops.Registration(service="Послуга", centre=world.archive.settings.centre,
                               applicant="Шевченко Тарас Григорович", department="ДМС",
                               actor="admin")  # fmt: skip
        case = ops.register(s, world.archive.settings, reg).case
        return case.id, case.number


def _upload(world: World) -> tuple[str, bytes]:
    """A one-page blank scan, uploaded in full by the administrator (once)."""
    import hashlib

    import pikepdf

    if "sha" not in _UPLOAD:
        import io

        buf = io.BytesIO()
        with pikepdf.new() as pdf:
            pdf.add_blank_page()
            pdf.save(buf)
        body = buf.getvalue()
        sha = hashlib.sha256(body).hexdigest()
        admin = world.headers("admin")
        r = world.http.post("/api/uploads", json={"sha256": sha, "size": len(body),
                                                  "name": "blank.pdf"}, headers=admin)  # fmt: skip
        assert r.status_code == 200, r.text
        r = world.http.patch(f"/api/uploads/{sha}", content=body,
                             headers={**admin, "Upload-Offset": "0"})  # fmt: skip
        assert r.status_code == 200, r.text
        _UPLOAD.update(sha=sha, body=body)
    return str(_UPLOAD["sha"]), bytes(_UPLOAD["body"])  # type: ignore[arg-type]


def _held_part(world: World) -> int:
    """A page scanned before any cover sheet: held for review."""
    from ingest.batch import ingest_batch
    from tests.synthetic import born_digital_pdf

    tmp = world.archive.settings.work_dir / f"held-{next(_counter)}.pdf"
    born_digital_pdf([[f"Сторінка без титульного аркуша {tmp.stem}"]], tmp)
    report = ingest_batch(world.archive, tmp, actor="admin", wait=False,
                          dispatcher=world.app.state.dispatcher)  # fmt: skip
    return report.held[0].part_id


def _attached_part(world: World) -> int:
    """A held part attached to a fresh case (then to be re-assigned)."""
    from ingest.batch import attach_part

    part = _held_part(world)
    _case_id, number = _desk_case(world)
    attach_part(world.archive, part, case_number=number, centre=world.archive.settings.centre,
                actor="admin", dispatcher=world.app.state.dispatcher, wait=True)  # fmt: skip
    return part


def _movable_document(world: World) -> str:
    """A document of a fresh case of the home centre (then to be moved)."""
    from tests.api.helpers import application, make_document

    _case_id, number = _desk_case(world)
    return make_document(world.archive, application(f"перенесення {next(_counter)}"), case=number,
                         department="ДМС").id  # fmt: skip


def _call_desk(
    world: World, method: str, path: str, headers: dict[str, str], role: str | None
) -> int:
    http = world.http
    case_id, number = _desk_case(world)
    url = path.replace("{case_id}", str(case_id))
    if "{sha256}" in path or path == "/api/uploads":
        sha, body = _upload(world)
        url = url.replace("{sha256}", sha)
        if path == "/api/uploads":
            r = http.post(url, json={"sha256": sha, "size": len(body), "name": "blank.pdf"},
                          headers=headers)  # fmt: skip
        elif method == "PATCH":
            r = http.patch(url, content=b"", headers={**headers, "Upload-Offset": str(len(body))})
        elif method == "GET":
            r = http.get(url, headers=headers)
        else:
            r = http.post(url, headers=headers)
        return r.status_code
    if path.endswith("/reassign"):
        # A part filed into the wrong case, moved to the right one.
        part = _attached_part(world) if role == "admin" else 1
        body = {"case": number, "reason": "розділено не так"}
        r = http.post(url.replace("{part_id}", str(part)), json=body, headers=headers)
        return r.status_code
    if "{part_id}" in path:
        part = _held_part(world) if role == "admin" else 1
        r = http.post(url.replace("{part_id}", str(part)), json={"case": number}, headers=headers)
        return r.status_code
    if path.endswith("/annul"):
        body = {"reason": "зареєстровано помилково"}
        return http.post(url, json=body, headers=headers).status_code
    bodies: dict[str, dict[str, object]] = {
        "/api/cases": {"service": "Реєстрація місця проживання", "applicant": "Іваненко Іван"},
        "/api/cases/{case_id}/send": {"department": "ДМС"},
        "/api/cases/{case_id}/notify": {"method": "sms"},
        "/api/cases/{case_id}/issue": {"to": "applicant", "document": "паспорт КН 123456"},
        "/api/journal/blocks": {"workplace_code": "ВРМ1", "size": 3},
        "/api/cases/{case_id}/sharing": {},
    }
    if path.endswith("/sharing"):
        _sharing_configured(world)
    if method == "GET":
        params = {"number": number} if path == "/api/cases" else {}
        if path.endswith("/cover-sheet"):
            params = {"package": "output"}
        r = http.get(url, params=params, headers=headers)
    else:
        r = http.post(url, json=bodies[path], headers=headers)
    return r.status_code


# --- held deliveries and e-mail ---------------------------------------------------------


def _held_mail(world: World) -> int:
    """An e-mail with no case reference: held for review."""
    from sqlalchemy import select

    from archive.sharing import MailMessage
    from ingest.mail.intake import take
    from tests.sharing.test_held import mail_raw
    from tests.synthetic import born_digital_pdf

    n = next(_counter)
    tmp = world.archive.settings.work_dir / f"mail-{n}.pdf"
    born_digital_pdf([[f"Копія документа з листа {n}"]], tmp)
    raw = mail_raw("Документи", [("kopia.pdf", tmp.read_bytes())], f"<matrix-{n}@test>")
    taken = take(world.archive, raw, submit=lambda _d: None, actor="mail")
    with world.archive.db.session() as s:
        return int(s.scalar(select(MailMessage.id).where(MailMessage.key == taken.key)) or 0)


def _call_held(
    world: World, method: str, path: str, headers: dict[str, str], role: str | None
) -> int:
    http = world.http
    if method == "GET":
        return http.get(path, headers=headers).status_code
    item = _held_mail(world) if role == "admin" else 1
    url = path.replace("{kind}", "mail").replace("{item_id}", str(item))
    if path.endswith("/attach"):
        body = {"case": _desk_case(world)[1]}
    else:
        body = {"reason": "Лист не стосується жодної справи"}
    return http.post(url, json=body, headers=headers).status_code


# --- retention's routes ----------------------------------------------------------------

# The state a plan must be in for the route to act on it (an empty plan: nothing is moved).
_PLAN_STATE = {"approve": "drafted", "agree": "approved", "apply": "approved", "act": "agreed"}


def _plan(world: World, state: str) -> int:
    """A fresh empty plan in ``state`` (the act needs one with destruction)."""
    from sqlalchemy import func, select

    from archive.retention_models import Plan

    with world.archive.db.session() as s:
        number = int(s.scalar(select(func.coalesce(func.max(Plan.number), 0))) or 0) + 1
        s.add(Plan(number=number, as_of=utcnow().date(), state=state, ruleset_sha256="0" * 64,
                   drafted_by="archivist", needs_agreement=state == "agreed",
                   ek_decision="ЕК-1", epk_reference="ЕПК-1"))  # fmt: skip
    return number


def _plan_with_package(world: World) -> int:
    """An applied plan whose transfer package (a tiny BagIt bag) is on the server."""
    import bagit

    from archive.retention_models import Plan, PlanStep
    from retention.bag import bag_dir, tagmanifest_sha256

    number = _plan(world, "applied")
    path = bag_dir(world.archive, number)
    path.mkdir(parents=True)
    (path / "METS.xml").write_text("<mets/>", encoding="utf-8")
    bagit.make_bag(str(path), checksums=["sha256"])
    with world.archive.db.session() as s:
        plan_id = s.query(Plan.id).filter_by(number=number).scalar()
        s.add(PlanStep(plan_id=plan_id, item_id=0, step="bag",
                       details={"tagmanifest_sha256": tagmanifest_sha256(path)}))  # fmt: skip
    return number


def _held_case(world: World) -> str:
    from retention import holds

    _case_id, number = _desk_case(world)
    with world.archive.db.session() as s:
        from archive.models import Case

        case = s.get(Case, _case_id)
        assert case is not None
        holds.place(s, case, "судовий спір", "archivist")
    return number


def _call_retention(world: World, method: str, path: str, headers: dict[str, str]) -> int:
    http = world.http
    url = path
    if path.endswith("/package"):
        url = path.replace("{number}", str(_plan_with_package(world)))
    elif "{number}" in path:
        verb = path.rsplit("/", 1)[1]
        url = path.replace("{number}", str(_plan(world, _PLAN_STATE.get(verb, "drafted"))))
    bodies: dict[str, object] = {
        "/api/retention/plans": {},
        "/api/retention/plans/{number}/approve": {"decision": "ЕК-1"},
        "/api/retention/plans/{number}/agree": {"reference": "ЕПК-1"},
        "/api/retention/plans/{number}/apply": {},
        "/api/fixity/checks": {},
    }
    if method == "GET":
        return http.get(url, headers=headers).status_code
    if path == "/api/retention/holds":
        body: object = {"target": _desk_case(world)[1], "reason": "судовий спір"}
    elif path == "/api/retention/holds/release":
        body = {"case": _held_case(world), "reason": "спір завершено"}
    else:
        body = bodies[path]
    return http.post(url, json=body, headers=headers).status_code


def _fresh_account(world: World, *, pending: bool) -> str:
    from archive.users import Role, add_user

    login = f"acct-{next(_counter)}"
    with world.archive.db.session() as s:
        add_user(s, login, Role.official, password_hash=None, department="x",
                 centre=world.archive.settings.centre, pending=pending)  # fmt: skip
    return login


_FAKE_DIIA: list[Any] = []


def _sharing_configured(world: World) -> None:
    """Point the archive at a local fake of Diia's acquirer API (started once)."""
    from pydantic import SecretStr

    from tests.sharing.fake_diia import ACQUIRER_TOKEN, start_fake_diia

    if not _FAKE_DIIA:
        _FAKE_DIIA.extend(start_fake_diia())
    settings = world.archive.settings.sharing
    settings.diia_base_url = _FAKE_DIIA[0].url
    settings.acquirer_token = SecretStr(ACQUIRER_TOKEN)


def _sharing_request(world: World) -> str:
    """A recorded sharing request for a fresh desk case."""
    from datetime import timedelta

    from archive.models import utcnow
    from archive.sharing import SharingRequest

    case_id, _ = _desk_case(world)
    rid = f"matrix{next(_counter):010d}"
    with world.archive.db.session() as s:
        link = "https://diia.app/acquirers/offer-request/dynamic/1/x"
        s.add(SharingRequest(id=rid, case_id=case_id, centre=world.archive.settings.centre,
                             created_by="admin", expires_at=utcnow() + timedelta(hours=1),
                             deeplink=link))  # fmt: skip
    return rid


def _ensure_victim(world: World) -> None:
    from archive.users import Role, add_user, get_user

    with world.archive.db.session() as s:
        if get_user(s, "official_b_victim") is None:
            add_user(s, "official_b_victim", Role.official, password_hash=None, department="x")


@pytest.mark.parametrize("role", [*ROLES, None])
def test_role_endpoint_matrix(world: World, role: str | None) -> None:
    problems = []
    for (method, path), rule in sorted(MATRIX.items()):
        headers = world.headers(role) if role else {}
        status = call(world, method, path, headers, role)
        if isinstance(rule, tuple):
            expected_ok = status == rule[1]
            want = str(rule[1])
        elif role is None:
            expected_ok = status == 401
            want = "401"
        elif role in rule:
            expected_ok = status in (200, 201, 202, 204, 302)
            want = "2xx"
        elif (role == S and path.startswith(("/api/cases/", "/api/sharing/requests/"))) or (
            role,
            method,
            path,
        ) == (
            S,
            "GET",
            "/api/cases",
        ):
            # Issue 9: a case outside the caller's scope answers exactly like a missing one.
            expected_ok = status == 404
            want = "404"
        else:
            expected_ok = status == 403
            want = "403"
        if not expected_ok:
            problems.append(f"{role} {method} {path}: {status}, expected {want}")
    assert not problems, "\n".join(problems)


def test_every_denial_is_logged(world: World) -> None:
    start = world.head()
    call(world, "GET", "/api/audit/entries", world.headers("official"), "official")
    call(world, "GET", "/api/documents/{document_id}", world.headers("sysadmin"), "sysadmin")
    tail = world.audit_tail(start)
    denied = [(e["actor"], e["action"]) for e in tail if e["outcome"] == "denied"]
    assert ("official", "audit.read") in denied
    assert ("sysadmin", "document.text") in denied


def test_bad_tokens_are_rejected(world: World) -> None:
    http = TestClient(world.app)
    for token in ("", "nonsense", world.tokens["admin"] + "x", "a" * 600):
        r = http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
