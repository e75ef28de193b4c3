"""Splitting scanned batches into cases: attach, drop blanks, hold what cannot be placed."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import select

from archive import cases as ops
from archive.batches import BatchPart, ScanBatch
from archive.journal import JournalBlock, reserve_block
from archive.models import Case, CaseEvent, CaseStatus, DocState, Document, Tier
from backends import Archive
from ingest.batch import BatchUnreadable, attach_part, ingest_batch, write_part
from ingest.dispatch import LocalDispatcher
from scanner.cover_sheet import CoverSheet
from search.base import SearchQuery
from tests.desk.cli import cli
from tests.desk.conftest import HOME
from tests.desk.paper import batch_pdf, doc


def _case(archive: Archive, **kw: object) -> Case:
    with archive.db.session() as s:
        reg = ops.Registration(
            service="Реєстрація місця проживання", centre=HOME, actor="olena", **kw
        )  # type: ignore[arg-type]
        return ops.register(s, archive.settings, reg).case


def _docs(archive: Archive, case: Case) -> list[Document]:
    with archive.db.session() as s:
        rows = s.scalars(
            select(Document).where(Document.case_id == case.id).order_by(Document.created_at)
        )
        return [d for d in rows if d.meta.get("batch_id")]


def _search(archive: Archive, word: str) -> set[str | None]:
    return {h.case for h in archive.index.search(SearchQuery(text=word, limit=50)).hits}


def test_a_batch_is_split_into_its_cases(
    desk_archive: Archive, dispatcher: LocalDispatcher, tmp_path: Path
) -> None:
    a, b = _case(desk_archive), _case(desk_archive)
    unknown = CoverSheet("2026/99999", "input", HOME)
    layout = [
        doc("передмова"),  # before the first cover sheet: reported, never attached
        CoverSheet(a.number, "input", HOME),
        doc("альфа", 1),
        None,
        doc("альфа", 2),
        None,
        CoverSheet(b.number, "input", HOME),
        doc("бета"),
        CoverSheet(a.number, "output", HOME),
        doc("результат"),
        None,
        unknown,
        doc("невідома"),
    ]
    pdf = batch_pdf(layout, tmp_path / "batch.pdf")
    report = ingest_batch(desk_archive, pdf, actor="olena", dispatcher=dispatcher)
    data = report.as_json()
    assert data["status"] == "review"
    assert data["blank_pages"] == [4, 6, 11]
    assert data["cover_pages"] == [2, 7, 9, 12]
    by_case = {(p["case"], p["package"]): p for p in data["parts"] if p["state"] == "attached"}
    assert by_case[(a.number, "input")]["pages"] == [3, 5]
    assert by_case[(b.number, "input")]["pages"] == [8]
    assert by_case[(a.number, "output")]["pages"] == [10]
    assert all(p["status"] == "archived" for p in by_case.values())
    held = {p["code"]: p for p in data["parts"] if p["state"] == "held"}
    assert held["leading_pages"]["pages"] == [1]
    assert held["unknown_case"]["pages"] == [13] and held["unknown_case"]["case"] == "2026/99999"
    assert any("2026/99999" in x for x in data["problems"])
    assert any("до першого титульного аркуша" in x for x in data["problems"])

    # Each package is its own document: the cover sheet and the blank backs are not pages.
    docs = _docs(desk_archive, a)
    assert [d.page_count for d in docs] == [2, 1]
    assert all(d.state == DocState.archived for d in docs)
    with desk_archive.db.session() as s:
        texts = [p.text for d in docs for p in s.get(Document, d.id).pages]  # type: ignore[union-attr]
        live = s.get(Case, a.id)
        assert live is not None and live.status == CaseStatus.result_received
        kinds = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == a.id))]
        parts = list(s.scalars(select(BatchPart).where(BatchPart.batch_id == report.batch_id)))
        batch = s.get(ScanBatch, report.batch_id)
        assert batch is not None and batch.stored
    assert not any("ТИТУЛЬНИЙ" in t for t in texts)
    assert "альфа" in " ".join(texts)
    assert {"package.scanned", "result.received"} <= set(kinds)
    # The cover sheets' scans and the held pages are kept; so is the batch as received.
    for part in parts:
        if part.cover_sha256:
            assert desk_archive.store.exists(part.cover_sha256)
        if part.state == "held":
            assert part.sha256 and desk_archive.store.exists(part.sha256)
    assert desk_archive.store.exists(report.sha256 or "", Tier.operational)
    assert docs[0].meta["cover_page"] == "2" and docs[0].meta["batch_pages"] == "3,5"

    # Searchable at once, by the case the pages belong to.
    assert _search(desk_archive, "альфа") == {a.number}
    assert _search(desk_archive, "бета") == {b.number}

    # The same scan dropped again is recognised, nothing is archived twice.
    again = ingest_batch(desk_archive, pdf, actor="olena", dispatcher=dispatcher)
    assert again.status == "duplicate" and again.batch_id == report.batch_id
    assert [d.id for d in _docs(desk_archive, a)] == [d.id for d in docs]

    # The administrator reviews the leading page and attaches it to case b.
    leading = next(p for p in parts if p.reason_code == "leading_pages")
    done = attach_part(
        desk_archive, leading.id, case_number=b.number, actor="olena", dispatcher=dispatcher
    )
    assert done.state == "attached" and done.status == "archived"
    assert _search(desk_archive, "передмова") == {b.number}


def test_held_pages_join_their_case_when_it_is_registered(
    desk_archive: Archive, dispatcher: LocalDispatcher, tmp_path: Path
) -> None:
    # A station's scan can arrive before its offline registration does.
    with desk_archive.db.session() as s:
        block = reserve_block(
            s,
            centre=HOME,
            year=2026,
            code="ВРМ9",
            size=3,
            fmt=desk_archive.settings.desk.block_number_format,
            workplace=None,
            actor="t",
        )
        number, block_id = block.number(1), block.id
    pdf = batch_pdf([CoverSheet(number, "input", HOME), doc("гамма")], tmp_path / "b.pdf")
    report = ingest_batch(desk_archive, pdf, actor="ira", dispatcher=dispatcher)
    assert [p.code for p in report.held] == ["unknown_case"]
    from archive.users import Role
    from usecases import access
    from usecases import cases as desk
    from usecases.policy import Principal

    with desk_archive.db.session() as s:
        block_row = s.get(JournalBlock, block_id)
    reg = ops.Registration(
        service="Послуга",
        centre=HOME,
        block=block_row,
        block_seq=1,
        registration_id="station-reg-0001",
    )
    p = Principal("ira", Role.administrator, centre=HOME)
    done = desk.register(
        desk_archive,
        access.events_for(desk_archive),
        p,
        reg,
        out_dir=None,
        dispatcher=dispatcher,
        wait=True,
    )
    assert done.case.number == number
    assert [r["state"] for r in done.released] == ["attached"]
    assert _search(desk_archive, "гамма") == {number}
    with desk_archive.db.session() as s:
        batch = s.get(ScanBatch, report.batch_id)
        assert batch is not None and batch.state == "done"


def test_unreadable_batches_fail_with_a_reason(desk_archive: Archive, tmp_path: Path) -> None:
    bad = tmp_path / "cut.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    with pytest.raises(BatchUnreadable) as exc:
        ingest_batch(desk_archive, bad)
    assert exc.value.code in ("corrupt_pdf", "truncated_pdf")
    with pytest.raises(BatchUnreadable):  # remembered, still refused
        ingest_batch(desk_archive, bad)


def test_parts_of_image_scans_are_cut_losslessly(tmp_path: Path) -> None:
    bilevel = Image.new("1", (1654, 2339), 1)
    gray = Image.new("L", (1654, 2339), 200)
    src = tmp_path / "scan.tif"
    bilevel.save(
        src,
        "TIFF",
        save_all=True,
        append_images=[gray, bilevel],
        dpi=(200, 200),
        compression="tiff_lzw",
    )
    assert (
        write_part(src, [0], tmp_path / "0.pdf").read_bytes()
        != write_part(src, [1], tmp_path / "1.pdf").read_bytes()
    )
    one = write_part(src, [0, 2], tmp_path / "a.pdf")
    two = write_part(src, [0, 2], tmp_path / "b.pdf")
    assert one.read_bytes() == two.read_bytes()  # rebuilt byte for byte on a rerun
    with pikepdf.open(one) as pdf:
        assert len(pdf.pages) == 2
        img = pdf.pages[0].Resources.XObject[next(iter(pdf.pages[0].Resources.XObject.keys()))]
        assert "/CCITTFaxDecode" in str(img.Filter)
        # 200 dpi A4 stays A4.
        assert abs(float(pdf.pages[0].mediabox[2]) - 595.4) < 2


@pytest.mark.ocr
def test_paper_like_scans_round_trip(tmp_path: Path) -> None:
    """Skewed, upside-down, 200 dpi and bilevel cover sheets, blank backs, real OCR."""
    from tests.scanner import paper
    from tests.synthetic import degrade, render_page, save_multipage_tiff

    data = tmp_path / "data"
    reg = cli(
        data,
        "case",
        "register",
        "--service",
        "Послуга",
        "--output-dir",
        str(tmp_path / "print"),
        "--no-wait",
        "--json",
    )
    first = json.loads(reg.stdout)["number"]
    second = json.loads(
        cli(
            data,
            "case",
            "register",
            "--service",
            "Послуга",
            "--output-dir",
            str(tmp_path / "print"),
            "--no-wait",
            "--json",
        ).stdout
    )["number"]
    covers = tmp_path / "covers"
    covers.mkdir()
    c1 = paper.cover_sheet_image(CoverSheet(first, "input", HOME), covers)
    c2 = paper.cover_sheet_image(CoverSheet(second, "output", HOME), covers)
    text = render_page(
        ["ЗАЯВА", "Прошу видати довідку про склад сім'ї.", "Підпис заявника"], dpi=300
    )
    result = render_page(["РІШЕННЯ", "Довідку про склад сім'ї видано."], dpi=300)
    pages = [
        degrade(paper.at_dpi(c1, 200), skew_deg=3.0, noise=0.02, seed=1),
        degrade(paper.at_dpi(text, 200), skew_deg=-1.0, seed=2),
        degrade(
            paper.at_dpi(paper.with_bleed_through(paper.blank_page(), 3), 200), noise=0.02, seed=3
        ),
        degrade(paper.at_dpi(c2, 200), upside_down=True, bilevel=True, seed=4),
        degrade(paper.at_dpi(result, 200), bilevel=True, seed=5),
    ]
    scan = save_multipage_tiff(pages, tmp_path / "scan.tif", dpi=200)
    run = cli(data, "ingest", str(scan), "--split", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["status"] == "done" and report["blank_pages"] == [3]
    parts = [(p["case"], p["package"], p["pages"], p["status"]) for p in report["parts"]]
    assert parts == [(first, "input", [2], "archived"), (second, "output", [5], "archived")]
    assert len({p["document_id"] for p in report["parts"]}) == 2
    again = cli(data, "ingest", str(scan), "--split", "--json")
    assert json.loads(again.stdout)["status"] == "duplicate"
    found = json.loads(cli(data, "search", "заява", "--json").stdout)
    assert {h["case"] for h in found["hits"]} >= {first}
    found = json.loads(cli(data, "search", "рішення", "--json").stdout)
    assert {h["case"] for h in found["hits"]} >= {second}
