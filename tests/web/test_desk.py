"""The desk's pages over HTTP: queue, register, print, upload a batch, the case page, steps."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from scanner.cover_sheet import CoverSheet
from tests.api.conftest import HOME, USERS, World
from tests.desk.paper import batch_pdf, doc
from tests.web.conftest import csrf_of

Web = Callable[[str], TestClient]


def register(c: TestClient, **fields: str) -> int:
    form = c.get("/cases/new")
    assert form.status_code == 200, form.text
    data = {
        "csrf": csrf_of(form.text),
        "service": "Реєстрація місця проживання",
        "applicant": "Шевченко Тарас Григорович",
        "notify": "sms",
        "contact": "+380501234567",
        "delivery": "in_person",
        "department": "ДМС",
        "title0": "Заява",
        "sheets0": "1",
        "title1": "Паспорт (копія)",
        "sheets1": "2",
        **fields,
    }
    r = c.post("/cases/new", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.fullmatch(r"/cases/(\d+)\?done=registered", r.headers["location"])
    assert m
    return int(m.group(1))


def number_of(html: str) -> str:
    m = re.search(r"<h1>Справа № ([^<]+)</h1>", html)
    assert m
    return m.group(1)


def test_register_print_and_see_it_in_the_queue(web: Web, world: World) -> None:
    c = web("admin")
    case_id = register(c)
    page = c.get(f"/cases/{case_id}?done=registered")
    assert page.status_code == 200
    assert "Шевченко Тарас Григорович" in page.text and "Паспорт (копія)" in page.text
    number = number_of(page.text)
    for url in (
        f"/cases/{case_id}/cover-sheet?package=input",
        f"/cases/{case_id}/inventory",
        f"/cases/{case_id}/routing-sheet",
    ):
        pdf = c.get(url)
        assert pdf.status_code == 200, url
        assert pdf.content.startswith(b"%PDF") and pdf.headers["cache-control"] == "no-store"
        assert pdf.headers["content-disposition"].startswith("inline")
    queue = c.get("/desk")
    assert queue.status_code == 200 and f"№ {number}" in queue.text
    # The queue and registration are the desk's: an official is refused.
    o = web("official")
    assert o.get("/desk").status_code == 403
    assert o.get("/cases/new").status_code == 403


def test_register_form_errors_beside_fields(web: Web) -> None:
    c = web("admin")
    form = c.get("/cases/new")
    r = c.post(
        "/cases/new",
        data={
            "csrf": csrf_of(form.text),
            "service": "",
            "notify": "email",
            "title0": "",
            "sheets0": "x",
        },
    )
    assert r.status_code == 422
    assert 'id="service-error"' in r.text and 'id="contact-error"' in r.text
    # Stale CSRF: nothing registered, the values come back.
    r = c.post("/cases/new", data={"csrf": "0" * 64, "service": "Довідка"})
    assert r.status_code == 400 and 'value="Довідка"' in r.text


def test_batch_upload_places_parts_and_hand_over(web: Web, world: World, tmp_path: Path) -> None:
    c = web("admin")
    case_id = register(c)
    number = number_of(c.get(f"/cases/{case_id}").text)
    pdf = batch_pdf(
        [
            CoverSheet(number, "input", HOME),
            doc("пачка", 1),
            doc("пачка", 2),
            CoverSheet("2026/99999", "input", HOME),
            doc("загублена"),
        ],
        tmp_path / "batch.pdf",
    )
    form = c.get("/scans")
    r = c.post(
        "/scans",
        data={"csrf": csrf_of(form.text), "kind": "batch"},
        files=[("files", ("пачка.pdf", pdf.read_bytes(), "application/pdf"))],
    )
    assert r.status_code == 200, r.text
    assert f"№ {number}" in r.text and "відкладено на перевірку" in r.text
    case = c.get(f"/cases/{case_id}").text
    assert "Файлів в архіві: 2" in case  # the inventory copy and the scanned part
    # The held part is listed, and attaching it to an unknown case is answered beside it.
    scans = c.get("/scans").text
    part = re.search(r"/scans/parts/(\d+)/attach", scans)
    assert part
    r = c.post(
        f"/scans/parts/{part.group(1)}/attach", data={"csrf": csrf_of(scans), "case": "2026/99999"}
    )
    assert r.status_code == 422 and "part-error-" in r.text
    # Send, the result, notify, hand over.
    page = c.get(f"/cases/{case_id}").text
    tok = csrf_of(page)
    r = c.post(
        f"/cases/{case_id}/send", data={"csrf": tok, "department": "ДМС"}, follow_redirects=False
    )
    assert r.status_code == 303
    r = c.post(
        f"/cases/{case_id}/issue", data={"csrf": tok, "to": "applicant", "method": "in_person"}
    )
    assert r.status_code == 422 and 'id="issue-document-error"' in r.text
    r = c.post(
        f"/cases/{case_id}/notify", data={"csrf": tok, "method": "sms"}, follow_redirects=False
    )
    assert r.status_code == 303
    head = world.head()
    r = c.post(
        f"/cases/{case_id}/issue",
        data={
            "csrf": tok,
            "to": "applicant",
            "method": "in_person",
            "document": "паспорт НК 123456",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert [e["action"] for e in world.audit_tail(head)] == ["case.issue"]
    done = c.get(f"/cases/{case_id}").text
    assert "результат видано" in done and "Дії зі справою" not in done


def test_a_result_moves_the_case_to_hand_over_then_to_uncollected(
    web: Web, world: World, tmp_path: Path
) -> None:
    import datetime as dt

    from archive.models import utcnow
    from tests.synthetic import born_digital_pdf
    from usecases.context import Context
    from usecases.policy import Principal
    from usecases.queue import desk_queue

    c = web("admin")
    case_id = register(c)
    number = number_of(c.get(f"/cases/{case_id}").text)
    result = born_digital_pdf([["РІШЕННЯ", f"Справа {number}: зареєстровано."]],
                              tmp_path / "result.pdf")  # fmt: skip
    page = c.get(f"/cases/{case_id}").text
    r = c.post(f"/cases/{case_id}/files", data={"csrf": csrf_of(page), "package": "output"},
               files=[("files", ("рішення.pdf", result.read_bytes(), "application/pdf"))],
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    queue = c.get("/desk").text
    ready = queue[queue.index('id="ready-title"') :]
    assert f"№ {number}" in ready
    ctx = Context(world.archive, Principal("admin", USERS["admin"][0], centre=HOME),
                  world.app.state.events)  # fmt: skip
    later = desk_queue(ctx, now=utcnow() + dt.timedelta(days=70))
    assert number in [r.number for r in later.uncollected if r.overdue == "post"]
    latest = desk_queue(ctx, now=utcnow() + dt.timedelta(days=100))
    assert number in [r.number for r in latest.uncollected if r.overdue == "archive"]
