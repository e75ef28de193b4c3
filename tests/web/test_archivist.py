"""The archivist's screens: plans, approval, execution, the act, holds, rules, fixity,
the transfer package and the list of acts and packages.

Over HTTP (the role refusals, the confirmations, errors beside the fields and
the use cases' refusals as one sentence) and end to end in Debian's chromium
(draft → approve (ЕК) → agree (ЕПК) → apply → the act downloaded; a hold
placed and released; a transfer applied and its package downloaded from the
plan's page, unpacked and validated with ``bagit``), axe-core in every screen.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bagit
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.audit import Action
from archive.settings import Settings
from archive.users import Role, add_user
from tests.retention.conftest import CENTRE, Centre, make_case
from tests.web.conftest import csrf_of, sign_in
from usecases import access
from usecases import retention as uc
from usecases.security import hash_password

D = dt.date
PASSWORD = "correct horse battery"
USERS = {
    "arch": Role.archivist,
    "adm": Role.administrator,
    "off": Role.official,
    "dpo": Role.dpo,
    "sys": Role.sysadmin,
}
AS_OF = "01.02.2028"
ARCHIVIST_PAGES = [
    "/retention",
    "/retention/due",
    "/retention/holds",
    "/retention/rules",
    "/retention/plans/1",
    "/retention/plans/1/act",
    "/retention/plans/1/package",
    "/retention/outputs",
    "/fixity",
]


class Small:
    """A small centre: two cases whose retention ended in 2027, one more to hold."""

    def __init__(self, tmp: Path) -> None:
        self.app = create_app(Settings(data_dir=tmp / "data", centre=CENTRE))
        self.http = TestClient(self.app).__enter__()
        archive = self.app.state.archive
        self.archive = archive
        with archive.db.session() as s:
            for login, role in USERS.items():
                add_user(s, login, role, password_hash=hash_password(PASSWORD), centre=CENTRE)
        c = Centre(archive, access.events_for(archive))
        self.due = make_case(
            c, 1, registered=D(2024, 2, 1), ready=D(2024, 2, 10), collected=D(2024, 2, 12)
        )
        self.held = make_case(
            c, 2, registered=D(2024, 3, 1), ready=D(2024, 3, 10), collected=D(2024, 3, 12)
        )

    def web(self, login: str) -> TestClient:
        return sign_in(TestClient(self.app), login, PASSWORD)

    def actions(self) -> list[str]:
        log = access.events_for(self.archive).log
        return [e.action for e in log.entries(limit=100_000)]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Small]:
    world = Small(tmp_path_factory.mktemp("archivist"))
    try:
        yield world
    finally:
        world.http.__exit__(None, None, None)


def _post(http: TestClient, path: str, data: dict[str, str], page: str) -> Any:
    token = csrf_of(http.get(page).text)
    return http.post(path, data={**data, "csrf": token}, follow_redirects=False)


# --- over HTTP ----------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["adm", "off", "dpo", "sys"])
def test_other_roles_are_refused(small: Small, login: str) -> None:
    http = small.web(login)
    home = http.get("/").text
    assert 'href="/retention"' not in home
    for path in ARCHIVIST_PAGES:
        r = http.get(path)
        if login == "sys" and path == "/fixity":
            # The policy lets the sysadmin check fixity: that screen alone, without the tabs.
            assert r.status_code == 200 and 'href="/retention' not in r.text
            continue
        assert r.status_code in (403, 404), (login, path, r.status_code)
        assert "Traceback" not in r.text
    r = _post(http, "/retention/holds", {"target": small.due, "reason": "x" * 20}, "/")
    assert r.status_code == 403
    r = _post(http, "/retention/plans", {"as_of": AS_OF}, "/")
    assert r.status_code == 403


def test_signed_out_goes_to_sign_in(small: Small) -> None:
    r = TestClient(small.app).get("/retention", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?back=/retention"


def test_pages_open_with_headers(small: Small) -> None:
    http = small.web("arch")
    assert 'href="/retention"' in http.get("/").text
    for path in ("/retention", "/retention/due", "/retention/holds", "/retention/outputs",
                 "/retention/rules", "/fixity"):  # fmt: skip
        r = http.get(path)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
        assert "<script>" not in r.text and " style=" not in r.text
        assert len(r.content) < 300_000
    rules = http.get("/retention/rules").text
    assert "Номенклатура справ" in rules and "приклад" in rules.lower()


def test_expired_session_keeps_the_hold_form(small: Small) -> None:
    c = TestClient(small.app)
    form = c.get("/login")
    typed = {"target": small.held, "reason": "Лист прокуратури № 77/1"}
    r = c.post("/retention/holds", data={"csrf": csrf_of(form.text), **typed})
    assert r.status_code == 401 and "Сесія завершилася" in r.text
    assert f'name="keep.target" value="{small.held}"' in r.text
    keep = {f"keep.{k}": v for k, v in typed.items()}
    again = c.post(
        "/login",
        data={"login": "arch", "password": PASSWORD, "csrf": csrf_of(r.text),
              "back": "/retention/holds", **keep},
    )  # fmt: skip
    assert again.status_code == 200 and "Ви знову увійшли" in again.text
    assert f'value="{small.held}"' in again.text and "Лист прокуратури № 77/1" in again.text
    # Nothing was placed on the person's behalf.
    assert "Чинних утримань немає" in again.text


def test_form_errors_beside_the_fields(small: Small) -> None:
    http = small.web("arch")
    r = _post(http, "/retention/plans", {"as_of": "31.02.2028"}, "/retention")
    assert r.status_code == 422 and 'id="as_of-error"' in r.text and "31.02.2028" in r.text
    r = _post(http, "/retention/holds", {"target": "", "reason": "коротко"}, "/retention/holds")
    assert r.status_code == 422
    assert 'id="target-error"' in r.text and 'id="reason-error"' in r.text
    r = _post(http, "/retention/holds", {"target": "9999/9999", "reason": "Лист суду № 1/2"},
              "/retention/holds")  # fmt: skip
    assert r.status_code == 404 and "Справ не знайдено" in r.text
    r = _post(http, "/fixity", {"sample": "сто"}, "/fixity")
    assert r.status_code == 422 and 'id="sample-error"' in r.text
    stale = http.post("/retention/plans", data={"as_of": AS_OF, "csrf": "0" * 64})
    assert stale.status_code == 400 and "Сторінка застаріла" in stale.text


def test_steps_out_of_order_are_one_sentence(small: Small) -> None:
    """The use cases' rules (ЕК before ЕПК, decisions before execution) as errors on the plan."""
    http = small.web("arch")
    # Nothing is due yet on this date: an empty plan, used only for the refusals.
    r = _post(http, "/retention/plans", {"as_of": "01.02.2025"}, "/retention")
    assert r.status_code == 303
    n = int(r.headers["location"].split("/plans/")[1].split("?")[0])
    plan = f"/retention/plans/{n}"
    r = _post(http, f"{plan}/apply", {"confirm": "yes"}, plan)
    assert r.status_code == 409 and 'role="alert"' in r.text and "Traceback" not in r.text
    r = _post(http, f"{plan}/agree", {"reference": "ЕПК-1", "confirm": "yes"}, plan)
    assert r.status_code == 409 and "затверджений ЕК" in r.text
    # Without ``confirm`` nothing is recorded: the page asks once more.
    r = _post(http, f"{plan}/approve", {"decision": "ЕК-1"}, plan)
    assert r.status_code == 200 and "Так, записати затвердження ЕК" in r.text
    assert "затверджено ЕК" not in http.get(plan).text
    r = _post(http, f"{plan}/approve", {"decision": "", "confirm": "yes"}, plan)
    assert r.status_code == 422 and 'id="decision-error"' in r.text
    r = _post(http, f"{plan}/approve", {"decision": "ЕК-1", "confirm": "yes"}, plan)
    assert r.status_code == 303
    r = _post(http, f"{plan}/approve", {"decision": "ЕК-2", "confirm": "yes"}, plan)
    assert r.status_code == 409 and "уже затверджено" in r.text
    assert http.get(f"{plan}/act").status_code == 404  # nothing to destroy, no act


def test_due_preview_shows_blocked(small: Small) -> None:
    http = small.web("arch")
    r = _post(http, "/retention/holds", {"target": small.held, "reason": "Ухвала суду № 123/45"},
              "/retention/holds")  # fmt: skip
    assert r.status_code == 303
    try:
        page = http.get(f"/retention/due?as_of={AS_OF}").text
        ready, blocked = page.split('id="blocked-title"')
        assert f"№ {small.due}" in ready and f"№ {small.held}" not in ready
        assert f"№ {small.held}" in blocked and "заблоковано" in blocked
    finally:
        r = _post(http, "/retention/holds/release",
                  {"case": small.held, "reason": "Суд завершив розгляд", "confirm": "yes"},
                  "/retention/holds")  # fmt: skip
        assert r.status_code == 303


class Transferred(Small):
    """The small centre plus two uncollected results with no contact, transferred to the
    archival tier by an applied plan (its BagIt package built on the server)."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        c = Centre(self.archive, access.events_for(self.archive))
        self.moved = [
            make_case(c, 10 + i, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None)
            for i in range(2)
        ]
        plan = uc.draft_plan(c.ctx(), as_of=D(2026, 5, 4))
        uc.approve_plan(c.ctx(), number=plan.number, decision="ЕК-9")
        self.applied = uc.apply_plan(c.ctx(), number=plan.number)
        self.number = plan.number


@pytest.fixture(scope="module")
def transferred(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Transferred]:
    world = Transferred(tmp_path_factory.mktemp("transferred"))
    try:
        yield world
    finally:
        world.http.__exit__(None, None, None)


def _validated(data: bytes, where: Path, number: int) -> bagit.Bag:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(where)
    bag = bagit.Bag(str(where / f"plan-{number}"))
    bag.validate()  # every checksum of the payload and of the tag files
    return bag


def test_package_from_the_plan_page_and_the_list(transferred: Transferred, tmp_path: Path) -> None:
    w, n = transferred, transferred.number
    http = w.web("arch")
    plan = http.get(f"/retention/plans/{n}").text
    link = f'href="/retention/plans/{n}/package"'
    assert link in plan and "Пакет передавання (BagIt, ZIP)" in plan
    before = w.actions().count(Action.retention_package.value)
    r = http.get(f"/retention/plans/{n}/package")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert f'filename="plan-{n}-bagit.zip"' in r.headers["content-disposition"]
    assert r.headers["cache-control"] == "no-store"
    bag = _validated(r.content, tmp_path / "got", n)
    assert bag.info["Payload-Cases"] == "2"
    assert w.actions().count(Action.retention_package.value) == before + 1

    # The execution's result page links the package too (a re-run of an applied plan does
    # nothing again and shows the same result).
    again = _post(http, f"/retention/plans/{n}/apply", {"confirm": "yes"}, f"/retention/plans/{n}")
    assert again.status_code == 200 and "План виконано" in again.text
    assert link in again.text and "Завантажити пакет передавання" in again.text

    listing = http.get("/retention/outputs")
    assert listing.status_code == 200 and link in listing.text
    assert "передати на архівне зберігання: 2" in listing.text and "ЕК № ЕК-9" in listing.text
    assert 'aria-current="page"' in listing.text and len(listing.content) < 300_000
    # A plan without a package offers none, and its address answers 404 in one sentence.
    empty = _post(http, "/retention/plans", {"as_of": "01.02.2025"}, "/retention")
    m = int(empty.headers["location"].split("/plans/")[1].split("?")[0])
    assert "/package" not in http.get(f"/retention/plans/{m}").text
    r = http.get(f"/retention/plans/{m}/package")
    assert r.status_code == 404 and "Traceback" not in r.text and "пакета передавання" in r.text
    # Others: refused.
    assert w.web("adm").get(f"/retention/plans/{n}/package").status_code in (403, 404)


# --- in the browser -----------------------------------------------------------------------


@pytest.mark.browser
def test_archivist_downloads_the_transfer_package(transferred: Transferred, tmp_path: Path) -> None:
    """From the plan's page, a click: the ZIP unpacks to a bag that ``bagit`` validates."""
    from tests.web import test_browser as tb

    w, n = transferred, transferred.number
    with tb.sync_api.sync_playwright() as pw, tb.serve(w.app) as base:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(tb.CHROMIUM), headless=True,
            args=tb.FLAGS, viewport=tb.DESKTOP, locale="uk-UA", bypass_csp=True,
            accept_downloads=True,
        )  # fmt: skip
        try:
            page = browser.new_page()
            page.goto(f"{base}/login")
            page.get_by_label("Логін").fill("arch")
            page.get_by_label("Пароль").fill(PASSWORD)
            page.get_by_label("Пароль").press("Enter")
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/retention")
            page.get_by_role("link", name="Акти й пакети").first.click()
            page.wait_for_url(f"{base}/retention/outputs")
            tb.check(page, "50-retention-outputs")
            page.get_by_role("link", name=f"План № {n}").first.click()
            page.wait_for_url(f"{base}/retention/plans/{n}")
            with page.expect_download() as got:
                page.get_by_role("link", name=re.compile("Пакет передавання")).click()
            assert got.value.suggested_filename == f"plan-{n}-bagit.zip"
            saved = tmp_path / "package.zip"
            got.value.save_as(str(saved))
            bag = _validated(saved.read_bytes(), tmp_path / "unpacked", n)
            assert bag.info["Payload-Cases"] == "2"
        finally:
            browser.close()


@pytest.mark.browser
def test_archivist_plans_approves_agrees_applies_and_holds(small: Small, tmp_path: Path) -> None:
    from tests.web import test_browser as tb

    with tb.sync_api.sync_playwright() as pw, tb.serve(small.app) as base:
        profile = tmp_path / "profile"
        browser = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(tb.CHROMIUM), headless=True, args=tb.FLAGS,
            viewport=tb.DESKTOP, locale="uk-UA", bypass_csp=True, accept_downloads=True,
        )  # fmt: skip
        try:
            _flow(browser, base, small, tmp_path)
        finally:
            browser.close()


def _tab_to(page: Any, text: str, limit: int = 40) -> None:
    """Focus ``text`` with the Tab key only, as a keyboard user (after a redirect to
    ``#decisions`` the browser starts from that section, which is what a person wants)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline == "solid"  # the focus is visible
            return
    pytest.fail(f"{text!r} is not reachable with Tab")


def _flow(browser: Any, base: str, small: Small, tmp: Path) -> None:
    from tests.web import test_browser as tb

    page = browser.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Логін").fill("arch")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_label("Пароль").press("Enter")
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Зберігання та передавання").first.click()
    page.wait_for_url(f"{base}/retention")
    tb.check(page, "40-retention-plans")

    # A hold first: the held case stays out of the plan.
    page.get_by_role("link", name="Утримання").first.click()
    page.get_by_label("Номер справи або слова для пошуку справ").fill(small.held)
    page.get_by_label("Причина").fill("Ухвала суду № 123/45 про забезпечення доказів")
    page.get_by_role("button", name="Установити утримання").click()
    page.wait_for_url(f"{base}/retention/holds?done=placed")
    assert page.locator("table tbody tr", has_text=small.held).count() == 1
    tb.check(page, "41-retention-holds")

    # What is due on the date, the held case shown as blocked; then the plan drafted.
    page.goto(f"{base}/retention/due?as_of={AS_OF}")
    assert "заблоковано" in page.locator("main").inner_text()
    tb.check(page, "42-retention-due")
    page.get_by_role("button", name=f"Скласти проєкт плану на {AS_OF}").click()
    page.wait_for_url(re.compile(r".*/retention/plans/\d+\?done=drafted"))
    number = int(page.url.split("/plans/")[1].split("?")[0])
    lines = page.locator("table.lines tbody tr")
    assert lines.count() == 1 and small.due in lines.first.inner_text()
    assert "знищити за актом" in lines.first.inner_text()

    # Applying before the decisions: the use case refuses, in one sentence on the plan.
    with page.expect_response(f"{base}/retention/plans/{number}/approve"):
        page.get_by_role("button", name="Затвердити…").click()
    assert page.locator("#decision-error").is_visible()  # the decision number is required
    page.get_by_label("Номер рішення (протоколу) ЕК").fill("ЕК-7")
    page.get_by_label("Дата рішення").fill("20.01.2028")
    page.get_by_role("button", name="Затвердити…").click()
    # A deliberate step: a page says what will be recorded and asks once more.
    assert page.locator("h1").inner_text().startswith("Записати затвердження плану")
    tb.check(page, "43-retention-confirm-approve")
    page.get_by_role("button", name="Так, записати затвердження ЕК").click()
    page.wait_for_url(re.compile(r".*\?done=approved"))
    assert "рішення № ЕК-7 від 20.01.2028" in page.locator("#decisions").inner_text()

    page.get_by_label("Номер протоколу ЕПК").fill("ЕПК-3")
    page.get_by_role("button", name="Погодити…").click()
    page.get_by_role("button", name="Так, записати погодження ЕПК").click()
    page.wait_for_url(re.compile(r".*\?done=agreed"))
    tb.check(page, "44-retention-plan")
    # Readable on a tablet: nothing wider than the screen.
    page.set_viewport_size(tb.TABLET)
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide
    tb.check(page, "44-retention-plan-tablet")
    page.set_viewport_size(tb.DESKTOP)

    # Execution by the keyboard alone: the skip link, then Tab to each button and Enter.
    _tab_to(page, "Виконати план…")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Знищення незворотне")
    tb.check(page, "45-retention-confirm-apply")
    _tab_to(page, f"Так, виконати план № {number}")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=План виконано")
    assert "знищити за актом: 1" in page.locator("main").inner_text()
    tb.check(page, "46-retention-applied")

    # The act of destruction downloads as a PDF.
    page.goto(f"{base}/retention/plans/{number}")
    assert "виконано" in page.locator("dl.meta").inner_text()
    with page.expect_download() as got:
        page.get_by_role("link", name=re.compile("Акт про вилучення")).click()
    pdf = tmp / "act.pdf"
    got.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF") and got.value.suggested_filename.endswith(".pdf")

    # The hold released, with a reason asked on its own page.
    page.goto(f"{base}/retention/holds")
    page.get_by_role("button", name=f"Зняти утримання зі справи № {small.held}").click()
    page.get_by_role("button", name="Так, зняти утримання").click()
    assert page.locator("#reason-error").is_visible()
    tb.check(page, "47-retention-release")
    page.get_by_label("Чому знімаєте утримання").fill("Суд завершив розгляд справи")
    page.get_by_role("button", name="Так, зняти утримання").click()
    page.wait_for_url(f"{base}/retention/holds?done=released")
    assert "Чинних утримань немає" in page.locator("main").inner_text()

    # Rules in force and a fixity sample, read-only and by the button.
    page.goto(f"{base}/retention/rules")
    tb.check(page, "48-retention-rules")
    page.goto(f"{base}/fixity")
    page.get_by_label(re.compile("Скільки документів")).fill("5")
    page.get_by_role("button", name="Перевірити").click()
    page.wait_for_selector("text=усі цілі")
    tb.check(page, "49-fixity")

    done = small.actions()
    wanted = (
        Action.retention_draft,
        Action.retention_approve,
        Action.retention_agree,
        Action.retention_apply,
        Action.retention_destroy,
        Action.retention_act,
        Action.retention_hold,
        Action.retention_release,
        Action.fixity_check,
    )
    for action in wanted:
        assert action.value in done, action
