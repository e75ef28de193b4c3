"""The DPO's and the sysadmin's pages over HTTP: log search, subject report, review, users,
health, the log's witness and seal."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, World
from tests.api.helpers import NAME, RNOKPP
from tests.web.conftest import csrf_of

Web = Callable[[str], TestClient]


def _read_home(web: Web, world: World) -> None:
    # The official reads the person's document; the DPO must see it.
    assert web("official").get(f"/documents/{world.docs['home'].id}").status_code == 200


def test_log_by_person_never_puts_the_person_in_the_address(web: Web, world: World) -> None:
    _read_home(web, world)
    c = web("dpo")
    form = c.get("/log")
    assert form.status_code == 200
    r = c.post("/log", data={"csrf": csrf_of(form.text), "person": RNOKPP})
    assert r.status_code == 200 and str(r.url).endswith("/log")
    assert "official" in r.text and "document.text" in r.text
    # Only the DPO's own input carries it back (to download the report); the results mask it.
    assert RNOKPP not in r.text.replace(f'value="{RNOKPP}"', "")
    by_name = c.post("/log", data={"csrf": csrf_of(form.text), "person": NAME.upper()})
    assert "official" in by_name.text


def test_subject_report_downloads(web: Web, world: World) -> None:
    _read_home(web, world)
    c = web("dpo")
    tok = csrf_of(c.get("/log").text)
    for fmt, media, magic in (
        ("pdf", "application/pdf", b"%PDF"),
        ("csv", "text/csv", b""),
        ("json", "application/json", b"{"),
    ):
        r = c.post("/log/subject-report", data={"csrf": tok, "person": RNOKPP, "format": fmt})
        assert r.status_code == 200, (fmt, r.text[:200])
        assert r.headers["content-type"].startswith(media)
        assert r.headers["content-disposition"].startswith("attachment")
        assert r.content.startswith(magic)
    r = c.post("/log/subject-report", data={"csrf": tok, "person": "", "format": "pdf"})
    assert r.status_code == 422 and 'id="person-error"' in r.text


def test_log_by_user_and_period_and_errors(web: Web, world: World) -> None:
    c = web("dpo")
    tok = csrf_of(c.get("/log").text)
    r = c.post("/log", data={"csrf": tok, "user": "official", "date_from": "01.01.2020"})
    assert r.status_code == 200 and "Записів:" in r.text
    r = c.post("/log", data={"csrf": tok, "date_from": "31.02.2026"})
    assert r.status_code == 422 and 'id="date_from-error"' in r.text
    r = c.post("/log", data={"csrf": tok})
    assert r.status_code == 422
    # Nobody else reads the log.
    assert web("official").get("/log").status_code == 403
    assert web("sysadmin").get("/log/review").status_code == 403


def test_review_lists_break_glass_and_denials(web: Web, world: World) -> None:
    a = web("admin_wp")
    form = a.get(f"/documents/{world.docs['home'].id}/break-glass")
    a.post(
        f"/documents/{world.docs['home'].id}/break-glass",
        data={"csrf": csrf_of(form.text), "reason": "Звернення заявника щодо адреси"},
    )
    web("official").post("/search", data={"csrf": "x", "q": "y"})
    web("dpo").get("/users")  # a denial
    r = web("dpo").get("/log/review")
    assert r.status_code == 200
    assert "Звернення заявника щодо адреси" in r.text and "екстрений доступ" in r.text
    assert "user.list" in r.text


def test_verify_shows_the_witness_and_seals(web: Web) -> None:
    c = web("dpo")
    page = c.get("/log/verify")
    assert "Номер останнього запису" in page.text and "SHA-256" in page.text
    r = c.post("/log/seal", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert "Печатку журналу записано" in c.get("/log/verify?done=sealed").text


def test_sysadmin_adds_and_disables_a_user(web: Web, world: World) -> None:
    c = web("sysadmin")
    page = c.get("/users")
    tok = csrf_of(page.text)
    r = c.post(
        "/users",
        data={
            "csrf": tok,
            "login": "new.clerk",
            "role": "official",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert r.status_code == 422 and 'id="department-error"' in r.text
    assert 'value="new.clerk"' in r.text
    r = c.post(
        "/users",
        data={
            "csrf": tok,
            "login": "new.clerk",
            "role": "official",
            "department": "ДМС",
            "password": "short",
            "password2": "short",
        },
    )
    assert r.status_code == 422 and 'id="password-error"' in r.text
    r = c.post(
        "/users",
        data={
            "csrf": tok,
            "login": "new.clerk",
            "role": "official",
            "department": "ДМС",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    # An account that reads content waits for an administrator's approval (second person).
    assert "очікує схвалення" in c.get("/users").text
    r = c.post(
        "/users",
        data={
            "csrf": tok,
            "login": "new.clerk",
            "role": "dpo",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert r.status_code == 409
    r = c.post("/users/disable", data={"csrf": tok, "login": "new.clerk"})
    assert r.status_code == 200 and "Так, вимкнути new.clerk" in r.text  # asked once more
    r = c.post(
        "/users/disable",
        data={"csrf": tok, "login": "new.clerk", "confirm": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "вимкнено" in c.get("/users").text
    assert web("admin").get("/users").status_code == 403


def test_health_of_the_backends(web: Web) -> None:
    r = web("sysadmin").get("/health")
    assert r.status_code == 200 and "Усі сервіси відповідають" in r.text
    assert "tantivy" in r.text and "sqlite" in r.text
    assert web("dpo").get("/health").status_code == 403


def test_every_new_screen_is_light_and_has_no_inline_code(web: Web) -> None:
    screens = {
        "admin": ["/desk", "/cases/new", "/scans"],
        "dpo": ["/log", "/log/review", "/log/verify"],
        "sysadmin": ["/users", "/health"],
    }
    for login, paths in screens.items():
        c = web(login)
        for path in paths:
            r = c.get(path)
            assert r.status_code == 200, (login, path)
            assert len(r.content) < 300_000
            html = r.text
            assert "<script>" not in html and "style=" not in html and "<style" not in html
            assert " on" + "click=" not in html and "javascript:" not in html
    assert (
        web("admin").get("/static/upload.js").headers["content-type"].startswith("text/javascript")
    )
