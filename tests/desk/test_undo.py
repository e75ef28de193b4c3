"""Mistakes undone: a document or a batch part moved to the right case, a case annulled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.models import Document
from scanner.cover_sheet import CoverSheet
from tests.desk.alone import Desk, desk_fixture
from tests.desk.conftest import HOME
from tests.desk.paper import batch_pdf, doc
from tests.synthetic import born_digital_pdf
from usecases.context import events_for
from usecases.subject import entries_json


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from desk_fixture(tmp_path_factory)


def _audit(desk: Desk, action: str) -> list[dict[str, Any]]:
    archive = desk.http.app.state.archive  # type: ignore[attr-defined]
    rows = entries_json(events_for(archive).log.entries(limit=10_000))
    return [e for e in rows if e["action"] == action and e["outcome"] == "allowed"]


def _holders(desk: Desk, doc_id: str) -> list[int]:
    from sqlalchemy import select

    from archive.models import CaseDocument

    archive = desk.http.app.state.archive  # type: ignore[attr-defined]
    with archive.db.session() as s:
        return sorted(
            s.scalars(select(CaseDocument.case_id).where(CaseDocument.document_id == doc_id))
        )


def _case_of(desk: Desk, document_id: str) -> int | None:
    archive = desk.http.app.state.archive  # type: ignore[attr-defined]
    with archive.db.session() as s:
        d = s.get(Document, document_id)
        assert d is not None
        return d.case_id


def test_a_document_filed_in_the_wrong_case_is_moved(desk: Desk, tmp_path: Path) -> None:
    wrong, right = desk.register(), desk.register()
    pdf = born_digital_pdf([["Довідка про склад сім’ї"]], tmp_path / "dovidka.pdf")
    got = json.loads(desk.cli("ingest", str(pdf), "--case", wrong["number"], "--json").stdout)
    doc_id = got["document_id"]
    moved = desk.json(
        "document",
        "move",
        doc_id,
        "--case",
        right["number"],
        "--reason",
        "долучено не до тієї справи",
    )
    assert (moved["source"], moved["case"]) == (wrong["number"], right["number"])
    assert _case_of(desk, doc_id) == right["id"]
    # The wrong case no longer holds it: only the right one does.
    assert _holders(desk, doc_id) == [right["id"]]
    # Both routing sheets tell it, with the reason; one audit entry.
    old = desk.json("case", "show", wrong["number"])["routing"]
    new = desk.json("case", "show", right["number"])["routing"]
    assert any(r["event"] == "document.moved_out" and right["number"] in r["text"] for r in old)
    assert any(r["event"] == "document.moved_in" and "не до тієї справи" in r["text"] for r in new)
    entries = [e for e in _audit(desk, "document.move") if e["document_id"] == doc_id]
    assert len(entries) == 1 and entries[0]["details"]["from"] == wrong["number"]
    # And back over HTTP.
    r = desk.http.post(
        f"/api/documents/{doc_id}/move",
        headers=desk.auth(),
        json={"case": wrong["number"], "reason": "повернуто: помилка при перенесенні"},
    )
    assert r.status_code == 200, r.text
    assert _case_of(desk, doc_id) == wrong["id"]
    assert len([e for e in _audit(desk, "document.move") if e["document_id"] == doc_id]) == 2
    # Not an administrator of this centre, or no reason: refused, nothing moved.
    for who, body, codes in (
        ("oksana", {"case": right["number"], "reason": "чужа спроба"}, {403, 404}),
        ("petro", {"case": right["number"], "reason": "чужа спроба"}, {403, 404}),
        ("olena", {"case": right["number"], "reason": ""}, {422}),
    ):
        r = desk.http.post(f"/api/documents/{doc_id}/move", headers=desk.auth(who), json=body)
        assert r.status_code in codes, (who, r.text)
    assert _case_of(desk, doc_id) == wrong["id"]


def test_a_case_registered_by_mistake_is_annulled_never_deleted(desk: Desk, tmp_path: Path) -> None:
    case = desk.register()
    step = desk.json("case", "annul", case["number"], "--reason", "зареєстровано двічі помилково")
    assert step["status"] == "annulled"
    shown = desk.json("case", "show", case["number"])
    assert shown["status"] == "annulled"
    assert any("зареєстровано двічі" in r["text"] for r in shown["routing"])
    # Nothing more goes into it, and its number is never given again.
    pdf = born_digital_pdf([["Заява"]], tmp_path / "z.pdf")
    r = desk.cli("ingest", str(pdf), "--case", case["number"])
    assert r.returncode == 1 and "анульовано" in r.stderr
    assert desk.cli("case", "send", case["number"], "--to", "ДМС").returncode == 1
    assert desk.register()["number"] != case["number"]
    # Over HTTP, with one audit entry each.
    other = desk.register()
    r = desk.http.post(
        f"/api/cases/{other['id']}/annul", headers=desk.auth(), json={"reason": "заявник передумав"}
    )
    assert r.status_code == 200 and r.json()["status"] == "annulled"
    again = desk.http.post(
        f"/api/cases/{other['id']}/annul", headers=desk.auth(), json={"reason": "ще раз, помилково"}
    )
    assert again.status_code == 422
    annulled = {e["case"] for e in _audit(desk, "case.annul")}
    assert {case["number"], other["number"]} <= annulled
    assert len(_audit(desk, "case.annul")) == 2


def test_a_wrong_page_split_is_reassigned(desk: Desk, tmp_path: Path) -> None:
    first, second = desk.register(), desk.register()
    scan = batch_pdf(
        [
            CoverSheet(first["number"], "input", HOME),
            doc("перша"),
            doc("друга"),  # belongs to the second case: its cover sheet was forgotten
        ],
        tmp_path / "batch.pdf",
    )
    r = desk.cli("ingest", str(scan), "--split", "--json")
    assert r.returncode == 0, r.stderr
    (part,) = [p for p in json.loads(r.stdout)["parts"] if p["state"] == "attached"]
    moved = desk.json(
        "batch", "reassign", str(part["part_id"]), "--case", second["number"],
        "--reason", "сторінки другої справи без титульного аркуша",
    )  # fmt: skip
    assert (moved["source"], moved["case"]) == (first["number"], second["number"])
    assert _case_of(desk, part["document_id"]) == second["id"]
    r = desk.http.post(
        f"/api/batches/parts/{part['part_id']}/reassign",
        headers=desk.auth(),
        json={"case": first["number"], "reason": "все ж таки перша справа"},
    )
    assert r.status_code == 200, r.text
    assert _case_of(desk, part["document_id"]) == first["id"]
    assert len(_audit(desk, "batch.reassign")) == 2
