"""Readable answers: Ukrainian labels, held parts named by file/date/pages, watch says where
each file went, audit review as a table, every --help in Ukrainian."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from api.cli import app
from scanner.cover_sheet import CoverSheet
from tests.desk.alone import Desk, desk_fixture
from tests.desk.conftest import HOME
from tests.desk.paper import batch_pdf, doc
from tests.synthetic import born_digital_pdf

UKRAINIAN = re.compile("[а-яіїєґ]", re.IGNORECASE)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from desk_fixture(tmp_path_factory)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_help_text_is_ukrainian() -> None:
    missing: list[str] = []

    def walk(cmd: Any, path: str) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")
        if not UKRAINIAN.search(cmd.help or ""):
            missing.append(path)
        for p in cmd.params:
            if not UKRAINIAN.search(getattr(p, "help", None) or ""):
                missing.append(f"{path} {p.name}")

    walk(typer.main.get_command(app), "cnap-archive")
    assert not missing, missing


def test_search_help_names_its_filters_in_ukrainian(desk: Desk) -> None:
    text = _flat(desk.cli("search", "--help").stdout)
    for words in ("Лише документи справи", "Лише пакет", "Лише джерело", "З дати", "До дати"):
        assert words in text, words
    assert "YYYY" not in text


def test_show_labels_its_fields_in_ukrainian(desk: Desk, tmp_path: Path) -> None:
    case = desk.register()
    pdf = born_digital_pdf([["Заява про видачу довідки"]], tmp_path / "z.pdf")
    line = json.loads(desk.cli("ingest", str(pdf), "--case", case["number"], "--json").stdout)
    text = desk.cli("show", line["document_id"]).stdout
    for label in ("ідентифікатор", "справа", "пакет", "джерело", "стан", "файл", "заархівовано"):
        assert label in text, label
    assert "document_id" not in text and "original_name" not in text


def test_batch_held_names_file_date_and_pages(desk: Desk, tmp_path: Path) -> None:
    scan = batch_pdf(
        [doc("сирота", 1), CoverSheet("2099/77777", "input", HOME), doc("нікому")],
        tmp_path / "ранкова-пачка.pdf",
    )
    desk.cli("ingest", str(scan), "--split")
    rows = desk.json("batch", "held")
    mine = [r for r in rows if r["file"] and r["file"].endswith("ранкова-пачка.pdf")]
    assert mine and all(r["received_local"] and r["pages"] for r in mine)
    over_http = desk.http.get("/api/batches/held", headers=desk.auth()).json()
    assert {r["part_id"]: r["file"] for r in over_http} == {r["part_id"]: r["file"] for r in rows}
    text = _flat(desk.cli("batch", "held").stdout)
    assert "ранкова-пачка.pdf" in text and "сторінки 1" in text and " р., " in text
    assert "batch attach" in text


def test_watch_says_which_case_each_file_went_to(desk: Desk, tmp_path: Path) -> None:
    case = desk.register()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    batch_pdf([CoverSheet(case["number"], "input", HOME), doc("теплиця")], inbox / "скан-1.pdf")
    r = desk.cli("watch", str(inbox), "--once", "--settle", "0")
    assert r.returncode == 0, r.stderr
    assert f"готово: скан-1.pdf → справа № {case['number']}" in _flat(r.stdout)


def test_audit_review_is_a_table_unless_json(desk: Desk) -> None:
    from archive.users import Role, add_user
    from usecases.security import hash_password

    archive = desk.http.app.state.archive  # type: ignore[attr-defined]
    with archive.db.session() as s:
        add_user(s, "dpo", Role.dpo, password_hash=hash_password("dpo password long 1"))
    # A denial to review: an official asking for another centre's case list.
    desk.http.get("/api/cases", params={"number": "2026/00001"}, headers=desk.auth("oksana"))
    table = desk.cli("audit", "review", login="dpo")
    assert table.returncode == 0, table.stderr
    assert "Відмови в доступі" in table.stdout and "{" not in table.stdout
    data = desk.json("audit", "review", login="dpo")
    # The review also carries the log's head, the witness the DPO keeps (issue 9, item 1).
    assert set(data) == {"break_glass", "denials", "head_seq", "head_hash", "log_ok"}
