"""More screens, over HTTP and in Chromium with axe-core: the second person's approval of
accounts, binding an OpenID Connect subject, the official's cases of their department, a
document's type and fields (and correcting the type), search by type and document date.

The browser tests fail on **any** axe-core violation of the new screens (not only the
serious ones), and write their screenshots to ``tests/web/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ingest.metadata import extract_metadata
from tests.api.conftest import DEPT_B, PASSWORD, World
from tests.api.helpers import NAME, application, make_document
from tests.web.conftest import csrf_of, screenshots_dir, sign_in

# The pictures for docs/web.md are written beside the others (ignored by git) and
# copied to docs/img by hand, so a test run never changes the tracked tree.
DOCS_IMG = screenshots_dir()


@pytest.fixture(scope="module")
def routed(world: World) -> Iterator[dict[str, str]]:
    """A case routed to the second department, and the documents' types read from their text."""
    made = make_document(world.archive, application("земельна"), case="2026/0005",
                         department=DEPT_B)  # fmt: skip
    for key in ("home", "workplace"):
        extract_metadata(world.archive, world.docs[key].id)
    extract_metadata(world.archive, made.id)
    yield {"land": made.id}


def _client(world: World, login: str) -> TestClient:
    return sign_in(TestClient(world.app), login)


def _add(c: TestClient, login: str, role: str, department: str = "") -> None:
    tok = csrf_of(c.get("/users").text)
    r = c.post(
        "/users",
        data={"csrf": tok, "login": login, "role": role, "department": department,
              "password": PASSWORD, "password2": PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text


# --- over HTTP -----------------------------------------------------------------------


def test_the_creator_cannot_approve_and_another_person_can(world: World) -> None:
    sysadmin = _client(world, "sysadmin")
    _add(sysadmin, "http.official", "official", "ДМС")
    page = sysadmin.get("/users").text
    assert "очікує схвалення" in page and "інша особа" in page
    # The sysadmin who created it is refused, and the refusal is said on the page.
    r = sysadmin.post("/users/approve", data={"csrf": csrf_of(page), "login": "http.official"})
    assert r.status_code == 403
    assert 'role="alert"' in r.text and "Схвалити обліковий запис може лише адміністратор" in r.text
    # An administrator of another centre does not even see it, and is refused too.
    other = _client(world, "admin_other")
    assert "http.official" not in other.get("/users/pending").text
    r = other.post("/users/approve", data={"csrf": csrf_of(other.get("/users/pending").text),
                                          "login": "http.official"})  # fmt: skip
    assert r.status_code == 403 and "Не схвалено" in r.text
    # The centre's administrator — a second person — approves it.
    admin = _client(world, "admin")
    pending = admin.get("/users/pending").text
    assert "http.official" in pending
    r = admin.post("/users/approve", data={"csrf": csrf_of(pending), "login": "http.official"},
                   follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    after = admin.get(r.headers["location"]).text
    assert "Обліковий запис схвалено" in after and "http.official" not in after.split("</h1>")[1]
    # Approving it again: a clear sentence, not a crash.
    r = admin.post("/users/approve", data={"csrf": csrf_of(after), "login": "http.official"})
    assert r.status_code == 409 and "не очікує схвалення" in r.text


def test_a_pending_account_cannot_approve_itself(world: World) -> None:
    sysadmin = _client(world, "sysadmin")
    _add(sysadmin, "http.admin", "administrator")
    itself = _client(world, "http.admin")
    home = itself.get("/").text
    assert "/users/pending" not in home  # no access until approved: no screen either
    assert itself.get("/users/pending").status_code == 403
    r = itself.post("/users/approve", data={"csrf": csrf_of(home), "login": "http.admin"})
    assert r.status_code == 403
    assert "Схвалити обліковий запис може лише адміністратор" in r.text
    with world.archive.db.session() as s:
        from archive.users import get_user

        user = get_user(s, "http.admin")
        assert user is not None and user.pending


def test_binding_a_subject_once(world: World) -> None:
    sysadmin = _client(world, "sysadmin")
    page = sysadmin.get("/users").text
    r = sysadmin.post("/users/oidc", data={"csrf": csrf_of(page), "bind_login": "dpo",
                                          "issuer": "", "subject": ""})  # fmt: skip
    assert r.status_code == 422 and 'id="subject-error"' in r.text
    r = sysadmin.post(
        "/users/oidc",
        data={"csrf": csrf_of(page), "bind_login": "dpo",
              "issuer": "https://id.hromada.example", "subject": "sub-dpo-1"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    after = sysadmin.get(r.headers["location"]).text
    assert "Вхід через OpenID Connect прив" in after and "https://id.hromada.example" in after
    assert "sub-dpo-1" not in after  # the subject itself stays out of the page
    # The same subject for another account: refused beside the field.
    r = sysadmin.post("/users/oidc", data={"csrf": csrf_of(after), "bind_login": "archivist",
                                          "issuer": "", "subject": "sub-dpo-1"})  # fmt: skip
    assert r.status_code == 409 and 'id="subject-error"' in r.text
    # A bound account is not offered again (bound once: a new subject needs a new account).
    offered = after.split('id="bind_login"')[1].split("</select>")[0]
    assert '<option value="dpo"' not in offered and '<option value="archivist"' in offered


def test_official_sees_the_cases_of_their_department_only(
    world: World, routed: dict[str, str]
) -> None:
    mine = _client(world, "official").get("/department")
    assert mine.status_code == 200
    assert "№ 2026/0001" in mine.text and "№ 2026/0004" in mine.text
    assert "2026/0002" not in mine.text  # the same department name in another centre
    assert "2026/0005" not in mine.text and "2019/0003" not in mine.text
    theirs = _client(world, "official_b").get("/department").text
    assert "№ 2026/0005" in theirs and "2026/0001" not in theirs
    assert _client(world, "admin").get("/department").status_code == 403


def test_a_case_sent_to_another_department_moves_between_the_lists(world: World) -> None:
    made = make_document(world.archive, application("переслана"), case="2026/0006",
                         department="ДМС")  # fmt: skip
    assert "№ 2026/0006" in _client(world, "official").get("/department").text
    with world.archive.db.session() as s:
        from archive.models import Case

        case_id = s.query(Case.id).filter(Case.number == "2026/0006").scalar()
    admin = _client(world, "admin")
    page = admin.get(f"/cases/{case_id}").text
    r = admin.post(f"/cases/{case_id}/send", data={"csrf": csrf_of(page),
                                                  "department": DEPT_B},
                   follow_redirects=False)  # fmt: skip
    assert r.status_code in (200, 303), r.text
    assert "2026/0006" not in _client(world, "official").get("/department").text
    theirs = _client(world, "official_b").get("/department").text
    assert "№ 2026/0006" in theirs and f"/cases/{case_id}" in theirs
    assert _client(world, "official_b").get(f"/cases/{case_id}").status_code == 200
    assert _client(world, "official").get(f"/cases/{case_id}").status_code == 404
    assert made.case == "2026/0006"


def test_masked_fields_stay_masked(world: World, routed: dict[str, str]) -> None:
    doc = world.docs["home"].id
    full = _client(world, "official").get(f"/documents/{doc}").text
    assert "Тип і реквізити документа" in full and "Заява" in full
    assert NAME in full  # the applicant, read from the form, in full for the department
    # A workplace's administrator sees the centre's documents masked: the field too.
    masked = _client(world, "admin_wp").get(f"/documents/{doc}").text
    assert "Тип і реквізити документа" in masked and "Заява" in masked
    assert NAME not in masked and "(приховано)" in masked


def test_search_rejects_a_type_outside_the_vocabulary(world: World) -> None:
    c = _client(world, "official")
    tok = csrf_of(c.get("/search").text)
    r = c.post("/search", data={"csrf": tok, "q": "заява", "type": "passport_of_mars",
                                "doc_from": "31.02.2026"})  # fmt: skip
    assert r.status_code == 422
    assert 'id="type-error"' in r.text and 'id="doc_from-error"' in r.text
    # The filters reach the same use case as the API (its access-log entry names them).
    head = world.head()
    r = c.post("/search", data={"csrf": tok, "q": "заява", "type": "application",
                                "doc_from": "01.01.2020", "doc_to": "31.12.2026"})  # fmt: skip
    assert r.status_code == 200 and 'value="application" selected' in r.text
    entry = [e for e in world.audit_tail(head) if e["action"] == "search"][-1]
    details = entry["details"]
    assert isinstance(details, dict)
    assert details["filters"] == {"type": ["application"], "doc_from": "2020-01-01",
                                  "doc_to": "2026-12-31"}  # fmt: skip


def test_the_new_screens_are_light_and_have_no_inline_code(
    world: World, routed: dict[str, str]
) -> None:
    doc = world.docs["home"].id
    screens = {
        "admin": ["/users/pending"],
        "official": ["/department", f"/documents/{doc}", "/search"],
        "sysadmin": ["/users"],
    }
    for login, paths in screens.items():
        c = _client(world, login)
        for path in paths:
            r = c.get(path)
            assert r.status_code == 200, (login, path)
            assert len(r.content) < 300_000 and r.headers["cache-control"] == "no-store"
            html = r.text
            assert "<script>" not in html and "style=" not in html and "<style" not in html
            assert " on" + "click=" not in html and "javascript:" not in html


# --- in the browser --------------------------------------------------------------------

HAVE_CHROMIUM = Path("/usr/bin/chromium").exists()
browser_tests = pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian chromium is not installed")
if HAVE_CHROMIUM:
    pytest.importorskip("playwright.sync_api")
    from tests.web.test_browser import (  # noqa: F401  (fixtures)
        AXE,
        base_url,
        browser,
        playwright,
    )
    from tests.web.test_browser import sign_in as browser_sign_in


def strict_check(page: Any, name: str) -> None:
    """axe-core in the page: no violation at all (any impact), then a screenshot."""
    page.screenshot(path=str(screenshots_dir() / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}));
        }"""
    )
    assert not violations, f"{name}: {violations}"


def switch_user(page: Any, base_url: str, login: str) -> None:
    """Sign out (the button in the header), then in as someone else."""
    page.get_by_role("button", name="Вийти").click()
    page.wait_for_url(f"{base_url}/login**")
    browser_sign_in(page, base_url, login)


def _post_form(page: Any, action: str, fields: dict[str, str]) -> None:
    """Submit a form the page does not offer (as a crafted request would), with its CSRF."""
    page.evaluate(
        """([action, fields]) => {
            const f = document.createElement('form');
            f.method = 'post'; f.action = action;
            f.append(document.querySelector('input[name=csrf]').cloneNode());
            for (const [k, v] of Object.entries(fields)) {
                const i = document.createElement('input'); i.type = 'hidden';
                i.name = k; i.value = v; f.append(i);
            }
            document.body.append(f); f.submit();
        }""",
        [action, fields],
    )


@pytest.mark.browser
@browser_tests
def test_browser_approval_by_a_second_person(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    browser_sign_in(page, base_url, "sysadmin")
    page.get_by_role("link", name="Користувачі").first.click()
    page.get_by_label("Логін", exact=True).fill("olena.koval")
    page.get_by_label("Прізвище, ім’я та по батькові").fill("Коваль Олена Петрівна")
    page.get_by_label("Посада", exact=True).fill("головний спеціаліст")
    page.get_by_label("Роль", exact=True).select_option("official")
    page.get_by_label("Підрозділ").fill("ДМС")
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_label("Пароль ще раз").fill(PASSWORD)
    page.get_by_role("button", name="Створити").click()
    page.wait_for_selector(".notice.ok")
    row = page.locator("tr", has_text="olena.koval")
    assert "очікує схвалення" in row.inner_text()
    strict_check(page, "30-users")
    # The sysadmin who created it tries to approve it: refused, said in one sentence.
    with page.expect_response(f"{base_url}/users/approve") as answer:
        _post_form(page, "/users/approve", {"login": "olena.koval"})
    assert answer.value.status == 403
    alert = page.locator("[role=alert]")
    assert "лише адміністратор його ЦНАП" in alert.inner_text()
    strict_check(page, "31-users-approve-refused")

    # The centre's administrator approves it from their own screen.
    switch_user(page, base_url, "admin")
    page.get_by_role("link", name="Схвалення облікових записів").first.click()
    strict_check(page, "32-approvals")
    page.screenshot(path=str(DOCS_IMG / "web-approvals.png"), full_page=True)
    page.get_by_role("button", name="Схвалити olena.koval").click()
    page.wait_for_selector(".notice.ok")
    assert page.locator("tr", has_text="olena.koval").count() == 0
    strict_check(page, "33-approved")
    # Now the official has their screens.
    switch_user(page, base_url, "olena.koval")
    assert page.get_by_role("link", name="Справи мого відділу").count() >= 1


@pytest.mark.browser
@browser_tests
def test_browser_bind_subject(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    browser_sign_in(page, base_url, "sysadmin")
    page.goto(f"{base_url}/users")
    page.get_by_label("Обліковий запис").select_option("archivist")
    page.get_by_label("Адреса постачальника (issuer)").fill("https://id.hromada.example")
    page.get_by_label("Ідентифікатор (sub)").fill("248289761001")
    page.get_by_role("button", name="Прив’язати").click()
    page.wait_for_selector(".notice.ok")
    row = page.locator("tr", has_text="archivist").first.inner_text()
    assert "прив’язано" in row and "очікує схвалення" in row
    strict_check(page, "34-users-bound")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(DOCS_IMG / "web-users.png"), full_page=True)


@pytest.mark.browser
@browser_tests
def test_browser_department_cases(browser: Any, base_url: str, routed: dict[str, str]) -> None:
    page = browser.new_page()
    browser_sign_in(page, base_url, "official")
    page.get_by_role("link", name="Справи мого відділу").first.click()
    page.wait_for_selector("h1")
    text = page.locator("main").inner_text()
    assert "2026/0001" in text and "2026/0004" in text and "2026/0005" not in text
    strict_check(page, "35-department")
    page.screenshot(path=str(DOCS_IMG / "web-department.png"), full_page=True)
    page.get_by_role("link", name="№ 2026/0001").click()
    page.wait_for_selector("main h1")
    assert "2026/0001" in page.locator("main h1").inner_text()


@pytest.mark.browser
@browser_tests
def test_browser_masked_fields(
    browser: Any, base_url: str, world: World, routed: dict[str, str]
) -> None:
    page = browser.new_page()
    browser_sign_in(page, base_url, "admin_wp")  # the centre's documents, masked
    page.goto(f"{base_url}/documents/{routed['land']}")
    panel = page.locator("section.doc-meta")
    assert "(приховано)" in panel.inner_text() and NAME not in panel.inner_text()
    strict_check(page, "39-document-metadata-masked")
    panel.screenshot(path=str(DOCS_IMG / "web-metadata-masked.png"))


@pytest.mark.browser
@browser_tests
def test_browser_correct_type_then_search_by_it(
    browser: Any, base_url: str, world: World, routed: dict[str, str]
) -> None:
    page = browser.new_page()
    browser_sign_in(page, base_url, "official")
    doc = world.docs["home"].id
    page.goto(f"{base_url}/documents/{doc}")
    panel = page.locator("section.doc-meta")
    assert "Тип і реквізити документа" in panel.inner_text()
    strict_check(page, "36-document-metadata")
    panel.screenshot(path=str(DOCS_IMG / "web-metadata.png"))
    page.get_by_label("Виправити тип").select_option("certificate_income")
    page.get_by_role("button", name="Зберегти тип").click()
    page.wait_for_selector(".notice.ok")
    assert "Довідка про доходи" in panel.inner_text()
    assert "виправлено вручну" in panel.inner_text()
    strict_check(page, "37-document-type-corrected")
    panel.screenshot(path=str(DOCS_IMG / "web-metadata-corrected.png"))

    # Search by the corrected type: only that document; by "заява": the other one.
    page.goto(f"{base_url}/search")
    page.get_by_label("Слова або «точна фраза»").fill("проживання")
    page.get_by_label("Тип документа").select_option("certificate_income")
    page.get_by_role("button", name="Шукати").click()
    page.wait_for_selector("ol.hits")
    hits = page.locator("ol.hits li")
    assert hits.count() == 1 and doc[:8] in hits.first.inner_text()
    assert page.get_by_label("Тип документа").input_value() == "certificate_income"
    strict_check(page, "38-search-by-type")
    page.get_by_label("Тип документа").select_option("application")
    page.get_by_role("button", name="Шукати").click()
    page.wait_for_selector("ol.hits")
    texts = page.locator("ol.hits").inner_text()
    assert doc[:8] not in texts and world.docs["workplace"].id[:8] in texts
