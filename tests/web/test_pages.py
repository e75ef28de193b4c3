"""The web pages over HTTP: session, CSRF, headers, search, viewer, break-glass, errors."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api.conftest import DEPT, PASSWORD, World
from tests.api.helpers import RNOKPP, make_document
from tests.web.conftest import csrf_of

Web = Callable[[str], TestClient]


def _search(c: TestClient, **fields: str) -> str:
    form = c.get("/search")
    r = c.post("/search", data={"csrf": csrf_of(form.text), **fields})
    assert r.status_code == 200, r.text
    return str(r.text)


# --- headers ------------------------------------------------------------------------


def test_every_page_has_the_security_headers(web: Web, anon: TestClient) -> None:
    c = web("official")
    for r in (anon.get("/login"), c.get("/"), c.get("/search"), c.get("/documents/nope")):
        csp = r.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp
        assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["content-type"].startswith("text/html")
    css = anon.get("/static/web.css")
    assert css.status_code == 200 and "public" in css.headers["cache-control"]
    assert anon.get("/static/../app.py").status_code == 404


def test_pages_have_no_inline_script_or_style(web: Web) -> None:
    c = web("official")
    for html in (c.get("/").text, c.get("/search").text, _search(c, q="заява")):
        assert "<script>" not in html and "style=" not in html and "<style" not in html
        assert 'lang="uk"' in html and 'href="#main"' in html


# --- sign-in ------------------------------------------------------------------------


def test_sign_in_sets_a_strict_httponly_session_and_logs_it(world: World) -> None:
    c = TestClient(world.app)
    form = c.get("/login")
    assert "cnap_csrf" in form.headers["set-cookie"]
    head = world.head()
    r = c.post(
        "/login",
        data={"login": "official", "password": PASSWORD, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "cnap_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    actions = [e["action"] for e in world.audit_tail(head)]
    assert actions == ["auth.login"]


def test_session_cookie_is_secure_over_https(world: World) -> None:
    c = TestClient(world.app, base_url="https://testserver")
    form = c.get("/login")
    r = c.post(
        "/login",
        data={"login": "official", "password": PASSWORD, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert "Secure" in r.headers["set-cookie"]


def test_wrong_password_is_one_sentence_and_keeps_the_login(anon: TestClient) -> None:
    form = anon.get("/login")
    r = anon.post(
        "/login", data={"login": "official", "password": "nope", "csrf": csrf_of(form.text)}
    )
    assert r.status_code == 401
    assert "Невірний логін або пароль." in r.text and 'value="official"' in r.text
    assert "cnap_session" not in r.headers.get("set-cookie", "")


def test_sign_in_without_csrf_is_refused_and_keeps_the_login(anon: TestClient) -> None:
    anon.get("/login")
    r = anon.post("/login", data={"login": "official", "password": PASSWORD, "csrf": "0" * 64})
    assert r.status_code == 400
    assert "Сторінка застаріла" in r.text and 'value="official"' in r.text
    assert "cnap_session" not in r.headers.get("set-cookie", "")


def test_sign_out_revokes_the_session(world: World, web: Web) -> None:
    c = web("official")
    token = c.cookies["cnap_session"]
    r = c.post("/logout", data={"csrf": csrf_of(c.get("/").text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    stale = TestClient(world.app, cookies={"cnap_session": token})
    assert stale.get("/", follow_redirects=False).status_code == 303


def test_expired_session_returns_to_the_form_with_what_was_typed(world: World) -> None:
    c = TestClient(world.app)
    form = c.get("/login")
    # Signed out (or the session expired) while filling in the search form.
    r = c.post(
        "/search",
        data={"csrf": csrf_of(form.text), "q": "Шевченко", "case": "2026/0001"},
    )
    assert r.status_code == 401 and "Сесія завершилася" in r.text
    assert 'name="keep.q" value="Шевченко"' in r.text
    again = c.post(
        "/login",
        data={
            "login": "official",
            "password": PASSWORD,
            "csrf": csrf_of(r.text),
            "back": "/search",
            "keep.q": "Шевченко",
            "keep.case": "2026/0001",
        },
    )
    assert again.status_code == 200
    assert 'id="q"' in again.text and 'value="Шевченко"' in again.text
    assert 'value="2026/0001"' in again.text


def test_signed_out_pages_go_to_sign_in(anon: TestClient) -> None:
    r = anon.get("/search", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?back=/search"
    assert anon.get("/", follow_redirects=False).headers["location"] == "/login"


# --- search -------------------------------------------------------------------------


def test_search_marks_matches_and_escapes_the_rest(world: World, web: Web) -> None:
    make_document(
        world.archive,
        [["Довідка <script>alert(1)</script> & <b>жирний</b> про доходи"]],
        case="2026/0100",
        department=DEPT,
    )
    html = _search(web("official"), q="довідка")
    assert "<mark>Довідка</mark>" in html
    assert "<script>alert" not in html and "<b>жирний" not in html
    assert "&lt;script&gt;" in html


def test_search_by_post_keeps_the_query_out_of_the_address(web: Web) -> None:
    c = web("official")
    html = _search(c, q="заява", case="2026/0001")
    assert "Знайдено: 1" in html and "2026/0001" in html
    assert 'action="/search"' in html and 'method="post"' in html
    assert "?q=" not in html


def test_search_validates_fields_beside_them(web: Web) -> None:
    c = web("official")
    form = c.get("/search")
    r = c.post(
        "/search",
        data={"csrf": csrf_of(form.text), "q": "", "date_from": "01.05.2026", "date_to": "x"},
    )
    assert r.status_code == 422
    assert 'id="q-error"' in r.text and "Введіть слова для пошуку." in r.text
    assert 'id="date_to-error"' in r.text and 'value="01.05.2026"' in r.text


def test_search_pages_by_twenty(world: World, web: Web) -> None:
    for i in range(23):
        make_document(world.archive, [[f"Протокол засідання номер {i}"]], case=f"2026/2{i:03}",
                      department=DEPT)  # fmt: skip
    c = web("official")
    first = _search(c, q="протокол")
    assert "Знайдено: 23" in first and "показано 1–20" in first
    assert first.count('class="hit"') == 20 and 'name="offset" value="20"' in first
    r = c.post("/search", data={"csrf": csrf_of(first), "q": "протокол", "offset": "20"})
    assert r.status_code == 200 and "показано 21–23" in r.text
    assert r.text.count('class="hit"') == 3


def test_search_is_refused_to_the_dpo_as_a_sentence(web: Web) -> None:
    c = web("dpo")
    form = c.get("/search")
    r = c.post("/search", data={"csrf": csrf_of(form.text), "q": "заява"})
    assert r.status_code == 403
    assert "Ця дія недоступна для вашої ролі" in r.text and "{" not in r.text.split("<main")[1]


# --- the viewer ---------------------------------------------------------------------


def test_viewer_shows_image_text_and_marks_the_query(world: World, web: Web) -> None:
    c = web("official")
    doc = world.docs["home"].id
    search = _search(c, q="проживання")
    r = c.post(f"/documents/{doc}", data={"csrf": csrf_of(search), "q": "проживання"})
    assert r.status_code == 200
    assert f"/documents/{doc}/pages/1/image" in r.text
    assert "<mark>проживання</mark>" in r.text and RNOKPP in r.text
    img = c.get(f"/documents/{doc}/pages/1/image")
    assert img.headers["content-type"] == "image/png" and img.headers["cache-control"] == "no-store"
    pdf = c.get(f"/documents/{doc}/pdf")
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]


def test_masked_document_is_shown_masked(world: World, web: Web) -> None:
    c = web("admin_wp")  # a remote workplace: the centre's other cases are masked
    r = c.get(f"/documents/{world.docs['home'].id}")
    assert r.status_code == 200
    assert "Персональні дані приховано" in r.text and RNOKPP not in r.text and "•" in r.text
    assert "(знеособлений)" in r.text and "/break-glass" in r.text


def test_break_glass_asks_for_a_reason_and_logs_it(world: World, web: Web) -> None:
    c = web("official")
    doc = world.docs["archival"].id  # another department's case
    refused = c.get(f"/documents/{doc}")
    assert refused.status_code == 403 and 'id="reason"' in refused.text
    short = c.post(
        f"/documents/{doc}/break-glass",
        data={"csrf": csrf_of(refused.text), "reason": "1234567890 ab"},
    )
    assert short.status_code == 422 and "щонайменше десятьма літерами" in short.text
    assert "1234567890 ab" in short.text
    head = world.head()
    ok = c.post(
        f"/documents/{doc}/break-glass",
        data={"csrf": csrf_of(refused.text), "reason": "Скарга заявника, перевірка рішення"},
    )
    assert ok.status_code == 200 and "Екстрений доступ" in ok.text and RNOKPP in ok.text
    entries = world.audit_tail(head)
    assert [e["break_glass"] for e in entries if e["action"] == "document.text"] == [True]
    # The page image is read with the same reason (kept in a cookie for this document only).
    img = c.get(f"/documents/{doc}/pages/1/image")
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    assert c.get(f"/documents/{world.docs['other_centre'].id}").status_code == 403


def test_roles_without_content_get_no_break_glass_form(world: World, web: Web) -> None:
    r = web("sysadmin").get(f"/documents/{world.docs['home'].id}")
    assert r.status_code == 403 and 'id="reason"' not in r.text
    dpo = web("dpo").get(f"/documents/{world.docs['home'].id}")
    assert dpo.status_code == 200 and "лише метадані" in dpo.text and RNOKPP not in dpo.text


def test_unknown_document_is_a_page_not_json(web: Web) -> None:
    r = web("official").get("/documents/0123456789abcdef")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<h1>Не знайдено</h1>" in r.text
    bad = web("official").get("/documents/x?page=0")
    assert bad.status_code == 400 and "Запит містить некоректні дані" in bad.text


def test_no_page_is_over_300_kb(world: World, web: Web) -> None:
    c = web("official")
    sizes = [
        len(c.get("/").content),
        len(c.get("/search").content),
        len(_search(c, q="заява").encode()),
        len(c.get(f"/documents/{world.docs['home'].id}").content),
    ]
    assets = sum(len(c.get(f"/static/{n}").content) for n in ("web.css", "htmx.min.js"))
    assert max(sizes) + assets < 300 * 1024, (sizes, assets)
