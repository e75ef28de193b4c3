"""The pages in a real browser: Debian's chromium, driven by Playwright, axe-core inside.

Every screen visited is checked by axe-core (no serious or critical
violation) and photographed into ``tests/web/screenshots/`` (ignored by git;
the ones in ``docs/img/`` were picked from there).
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from scanner.cover_sheet import CoverSheet
from tests.api.conftest import HOME, PASSWORD, World
from tests.desk.paper import batch_pdf, doc
from tests.web.conftest import screenshots_dir
from usecases.screens import every_screen

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path("/var/cache/cnap-archive/npm/node_modules/axe-core/axe.min.js")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The browser's own words (the file input's button) in Ukrainian, as at a centre.
    "--lang=uk-UA",
]
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}

if not CHROMIUM.exists():  # pragma: no cover - bootstrap installs it
    pytest.skip("Debian chromium is not installed (scripts/bootstrap.sh)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@contextmanager
def serve(app: Any, port: int | None = None) -> Iterator[str]:
    """An app served over a real socket (its lifespan already runs)."""
    if port is None:
        port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                            log_level="warning")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(world: World) -> Iterator[str]:
    with serve(world.app) as url:
        yield url


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture
def browser(playwright: Any) -> Iterator[Any]:
    """A fresh profile in headless Chromium (CSP bypassed only so axe can be injected)."""
    profile = tempfile.mkdtemp(prefix="cnap-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile,
        executable_path=str(CHROMIUM),
        headless=True,
        args=FLAGS,
        viewport=DESKTOP,
        locale="uk-UA",
        bypass_csp=True,
    )
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def check(page: Any, name: str) -> None:
    """axe-core in the page (no serious or critical violation), then a screenshot."""
    page.screenshot(path=str(screenshots_dir() / f"{name}.png"), full_page=True)
    if not AXE.exists():  # pragma: no cover - bootstrap installs it
        pytest.fail(f"axe-core missing at {AXE} (run scripts/bootstrap.sh)")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}));
        }"""
    )
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"


def sign_in(page: Any, base_url: str, login: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Логін").fill(login)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_label("Пароль").press("Enter")
    page.wait_for_url(f"{base_url}/")


def test_official_signs_in_searches_opens_and_reads(
    browser: Any, base_url: str, world: World
) -> None:
    page = browser.new_page()
    page.goto(f"{base_url}/login")
    check(page, "01-login")
    sign_in(page, base_url, "official")
    check(page, "02-home-official")
    page.get_by_role("link", name="Пошук документів").first.click()
    page.get_by_label("Слова або «точна фраза»").fill("проживання")
    page.get_by_role("button", name="Шукати").click()
    page.wait_for_selector("ol.hits mark")
    assert page.url == f"{base_url}/search"  # the query never enters the address
    check(page, "03-search-results")
    page.locator("ol.hits button.hit-title").first.click()
    page.wait_for_selector(".viewer")
    # The page image (rendered through the use case) arrives and decodes.
    page.wait_for_function(
        "() => { const i = document.querySelector('.page-image img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=20_000,
    )
    assert page.locator(".text mark").count() >= 1
    check(page, "04-document")
    page.set_viewport_size(TABLET)
    check(page, "05-document-tablet")


def test_keyboard_alone_reaches_everything(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    page.goto(f"{base_url}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Перейти до змісту"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "login"
    page.keyboard.type("official")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/")
    # The focused element is visibly outlined (focus styles are not suppressed).
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_search_form_errors_beside_fields(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    sign_in(page, base_url, "official")
    page.goto(f"{base_url}/search")
    check(page, "06-search-empty")
    page.get_by_label("Дата від").fill("10.05.2026")
    page.get_by_label("Дата до").fill("01.05.2026")
    page.get_by_role("button", name="Шукати").click()
    page.wait_for_selector("#q-error")
    assert page.locator("#date_to-error").inner_text().startswith("Дата «до»")
    check(page, "07-search-errors")


def test_masked_and_break_glass_screens(browser: Any, base_url: str, world: World) -> None:
    page = browser.new_page()
    sign_in(page, base_url, "admin_wp")
    page.goto(f"{base_url}/documents/{world.docs['home'].id}")
    page.wait_for_selector(".masked-note")
    check(page, "08-document-masked")
    page.get_by_role("link", name="Відкрити повністю").click()
    check(page, "09-break-glass")
    page.get_by_label("Причина доступу").fill("коротко")
    page.get_by_role("button", name="Відкрити з цією причиною").click()
    page.wait_for_selector("#reason-error")
    check(page, "10-break-glass-short")
    page.get_by_label("Причина доступу").fill("Звернення заявника щодо помилки в адресі")
    page.get_by_role("button", name="Відкрити з цією причиною").click()
    page.wait_for_selector(".viewer")
    assert page.locator(".masked-note").count() == 0
    check(page, "11-break-glass-open")


# What each role is shown: written out here (not derived) so a drift of the policy shows.
EXPECTED = {
    "administrator": {"/", "/desk", "/cases/new", "/scans", "/search", "/users/pending"},
    "official": {"/", "/search", "/department"},
    "archivist": {"/", "/search", "/retention", "/fixity"},
    "dpo": {"/", "/log", "/log/review", "/log/verify"},
    "sysadmin": {"/", "/fixity", "/log/verify", "/users", "/health"},
}


def _menu(page: Any) -> list[str]:
    links = page.locator("nav[aria-label='Основне меню'] a")
    return [links.nth(i).get_attribute("href") for i in range(links.count())]


@pytest.mark.parametrize("login", ["admin", "official", "archivist", "dpo", "sysadmin"])
def test_a_role_never_sees_a_link_it_may_not_open(
    browser: Any, base_url: str, world: World, login: str
) -> None:
    from tests.api.conftest import USERS

    page = browser.new_page()
    sign_in(page, base_url, login)
    shown = _menu(page)
    assert shown[0] == "/" and set(shown) <= {s.path for s in every_screen()}
    assert set(shown) == EXPECTED[USERS[login][0].value], login
    check(page, f"20-home-{login}")
    every = {s.path for s in every_screen()}
    for path in sorted(every):
        resp = page.goto(f"{base_url}{path}")
        if path in shown:
            assert resp.status == 200, (login, path)
            assert page.locator("main h1").count() == 1
            if path != "/":
                check(page, f"22-{login}{path.replace('/', '-')}")
        elif path == "/search":
            # The empty form asks nothing; the refusal comes with the search itself.
            page.get_by_label("Слова або «точна фраза»").fill("заява")
            with page.expect_response(f"{base_url}/search") as answer:
                page.get_by_role("button", name="Шукати").click()
            assert answer.value.status == 403, (login, path)
            check(page, f"21-refused-{login}")
        else:
            # Hidden screens refuse too: the menu hides nothing the policy would allow.
            assert resp.status == 403, (login, path)
    # Links inside every page the role can reach open too.
    for path in shown:
        page.goto(f"{base_url}{path}")
        for href in _menu(page):
            assert page.request.get(f"{base_url}{href}").status == 200


def test_error_page_is_a_sentence(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    sign_in(page, base_url, "official")
    resp = page.goto(f"{base_url}/documents/0000000000000000")
    assert resp.status == 404
    assert page.locator("main h1").inner_text() == "Не знайдено"
    check(page, "30-not-found")


DROP_JS = """([name, b64]) => {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, {type: 'application/pdf'}));
    return dt;
}"""


def test_desk_registers_prints_uploads_and_hands_over(
    browser: Any, base_url: str, world: World, tmp_path: Path
) -> None:
    import base64

    page = browser.new_page()
    sign_in(page, base_url, "admin")
    page.get_by_role("link", name="Черга дня").first.click()
    check(page, "40-desk-queue")
    page.get_by_role("link", name="Зареєструвати справу").first.click()
    page.get_by_role("button", name="Зареєструвати").click()
    page.wait_for_selector("#service-error")
    check(page, "41-register-errors")
    page.get_by_label("Послуга").fill("Реєстрація місця проживання")
    page.get_by_label("Заявник").fill("Коваленко Олена Петрівна")
    page.get_by_label("Контакт").fill("+380671112233")
    page.get_by_label("Суб’єкт надання послуги").fill("ДМС")
    page.get_by_label("Назва документа 1").fill("Заява про реєстрацію місця проживання")
    page.get_by_label("Назва документа 2").fill("Паспорт громадянина України (копія)")
    page.get_by_label("Аркушів у документі 2").fill("2")
    page.get_by_role("button", name="Зареєструвати").click()
    page.wait_for_selector("main h1:has-text('Справа №')")
    number = page.locator("main h1").inner_text().removeprefix("Справа № ")
    assert "Справу зареєстровано" in page.locator(".notice.ok").inner_text()
    check(page, "42-case-registered")
    # The printed forms open in the browser's PDF viewer (served inline).
    for name in (
        "Титульний аркуш вхідного пакета (PDF)",
        "Опис вхідного пакета, 2 примірники (PDF)",
    ):
        href = page.get_by_role("link", name=name).get_attribute("href")
        pdf = page.request.get(f"{base_url}{href}")
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("inline")
    case_url = page.url

    # The scanned batch: this case's cover sheet, two pages; a stray part for review.
    batch = batch_pdf(
        [CoverSheet(number, "input", HOME), doc("коваленко", 1), doc("коваленко", 2),
         CoverSheet("2026/88888", "input", HOME), doc("без справи")],
        tmp_path / "batch.pdf",
    )  # fmt: skip
    page.get_by_role("link", name="Скановані пачки").first.click()
    check(page, "43-scans")
    b64 = base64.b64encode(batch.read_bytes()).decode()
    dropped = page.evaluate_handle(DROP_JS, ["пачка-ранок.pdf", b64])
    page.dispatch_event("#drop", "drop", {"dataTransfer": dropped})
    assert "Обрано файлів: 1" in page.locator("#drop-hint").inner_text()
    page.get_by_role("button", name="Завантажити").click()
    page.wait_for_selector("#upload-results[data-done='1']", timeout=120_000)
    assert page.locator("#upload-progress progress").evaluate("p => p.value") == 100
    assert page.locator("#upload-results table.parts tbody tr").count() == 2
    # The held part appears below without reloading the page.
    assert page.locator("table.held tbody tr").count() >= 1
    check(page, "44-batch-result")

    # The part is in its case.
    page.goto(case_url)
    assert "Файлів в архіві: 2" in page.locator("#packages-section").inner_text()
    page.get_by_label("Підрозділ").fill("ДМС")
    page.get_by_role("button", name="Передати").click()
    page.wait_for_selector(".notice.ok")
    page.get_by_label("Як повідомлено").select_option("sms")
    page.get_by_role("button", name="Записати повідомлення").click()
    page.wait_for_selector(".notice.ok")
    page.get_by_role("button", name="Записати видачу").click()
    page.wait_for_selector("#issue-document-error")
    check(page, "46-hand-over-error")
    page.get_by_label("Пред’явлений документ").fill("паспорт КА 123456")
    page.get_by_role("button", name="Записати видачу").click()
    page.wait_for_selector(".notice.ok")
    assert "результат видано" in page.locator("dl.meta").inner_text()
    check(page, "47-case-handed-over")


def test_dpo_answers_a_subject_request(browser: Any, base_url: str, world: World) -> None:
    from tests.api.helpers import RNOKPP

    reader = browser.new_page()
    sign_in(reader, base_url, "official")
    reader.goto(f"{base_url}/documents/{world.docs['home'].id}")
    reader.get_by_role("button", name="Вийти").click()

    page = browser.new_page()
    sign_in(page, base_url, "dpo")
    page.get_by_role("link", name="Журнал доступу").first.click()
    check(page, "50-log-form")
    page.get_by_label("Особа").fill(RNOKPP)
    page.get_by_role("button", name="Шукати").click()
    page.wait_for_selector("table.log")
    assert page.url == f"{base_url}/log"  # the person never enters the address
    assert "official" in page.locator("table.log").inner_text()
    check(page, "51-log-by-person")
    with page.expect_download() as got:
        page.get_by_role("button", name="PDF").click()
    path = got.value.path()
    assert path is not None and Path(path).read_bytes().startswith(b"%PDF")
    with page.expect_download() as got:
        page.get_by_role("button", name="CSV").click()
    assert got.value.suggested_filename.endswith(".csv")
    page.get_by_role("link", name="На перевірку").first.click()
    check(page, "52-review")


def test_oidc_sign_in_in_the_browser(browser: Any, tmp_path: Path) -> None:
    """The provider is another site: the Strict session cookie must still start the session."""
    from urllib.parse import parse_qs, urlsplit

    from fastapi.testclient import TestClient

    from archive.users import Role, add_user
    from tests.api.test_auth import ISSUER, FakeIdP
    from tests.web.test_oidc import oidc_app

    idp = FakeIdP()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    app: Any = oidc_app(tmp_path, origin, idp)
    with TestClient(app), serve(app, port):
        with app.state.archive.db.session() as s:
            add_user(s, "olena", Role.official, password_hash=None, department="ДМС",
                     centre=app.state.archive.settings.centre, oidc_subject="uuid-olena",
                     oidc_issuer=ISSUER)  # fmt: skip

        def provider(route: Any) -> None:
            # The provider's sign-in page, answered at once: the person agreed.
            query = parse_qs(urlsplit(route.request.url).query)
            idp.codes["b1"] = {"sub": "uuid-olena", "preferred_username": "olena",
                               "nonce": query["nonce"][0]}  # fmt: skip
            back = f"{query['redirect_uri'][0]}?code=b1&state={query['state'][0]}"
            route.fulfill(status=302, headers={"Location": back})

        page = browser.new_page()
        page.route("https://idp.test/**", provider)
        page.goto(f"{origin}/login")
        check(page, "60-login-oidc")
        page.get_by_role("link", name="Увійти через обліковий запис громади").click()
        page.wait_for_url(f"{origin}/")
        assert page.locator("main h1").inner_text() == "Вітаємо, olena"
        check(page, "61-oidc-home")
