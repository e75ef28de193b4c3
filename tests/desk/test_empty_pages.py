"""Nothing archived silently empty: pages without text are told at ingest and listed in the case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desk.alone import Desk, desk_fixture
from tests.synthetic import born_digital_pdf


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from desk_fixture(tmp_path_factory)


def test_a_page_without_text_is_flagged_everywhere(desk: Desk, tmp_path: Path) -> None:
    case = desk.register()
    # Page 2 is blank: OCR finds nothing on it.
    pdf = born_digital_pdf([["Заява про надання довідки"], []], tmp_path / "zayava.pdf")
    line = json.loads(desk.cli("ingest", str(pdf), "--case", case["number"], "--json").stdout)
    assert line["status"] == "archived"
    assert len(line["notes"]) == 1 and "сторінці 2" in line["notes"][0]
    # The text answer warns in a line of its own.
    again = born_digital_pdf([["Довідка"], []], tmp_path / "dovidka.pdf")
    text = desk.cli("ingest", str(again), "--case", case["number"])
    assert text.returncode == 0
    assert "увага:" in text.stdout and "текст не розпізнано" in text.stdout
    # The case lists it for the administrator to check (command line and API alike).
    shown = desk.json("case", "show", case["number"])
    assert {"document_id": line["document_id"], "pages": [2]} in shown["pages_to_check"]
    api = desk.http.get(f"/api/cases/{case['id']}", headers=desk.auth()).json()
    assert api["pages_to_check"] == shown["pages_to_check"]
    table = desk.cli("case", "show", case["number"]).stdout
    assert "Перевірте сторінки без розпізнаного тексту" in table
    # Over HTTP the upload answer carries the note too.
    third = born_digital_pdf([["Рішення"], []], tmp_path / "rishennia.pdf")
    r = desk.http.post(
        "/api/documents",
        headers=desk.auth(),
        files={"file": ("rishennia.pdf", third.read_bytes(), "application/pdf")},
        data={"case": case["number"]},
    )
    assert r.status_code == 200, r.text
    assert "сторінці 2" in r.json()["notes"][0]


def test_case_show_lists_documents_with_ukrainian_dates(desk: Desk, tmp_path: Path) -> None:
    case = desk.register()
    pdf = born_digital_pdf([["Копія паспорта громадянина"]], tmp_path / "pasport.pdf")
    doc_id = json.loads(desk.cli("ingest", str(pdf), "--case", case["number"], "--json").stdout)[
        "document_id"
    ]
    shown = desk.json("case", "show", case["number"])
    row = next(d for d in shown["documents"] if d["id"] == doc_id)
    assert (row["title"], row["pages"], row["state"]) == ("pasport.pdf", 1, "archived")
    text = " ".join(desk.cli("case", "show", case["number"]).stdout.split())
    assert doc_id in text and "pasport.pdf" in text and "заархівовано" in text
    months = ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня",
              "вересня", "жовтня", "листопада", "грудня")  # fmt: skip
    assert any(f" {m} 20" in text for m in months) and " р., " in text
    assert "T" not in text.split("Проходження справи")[1][:40]
