"""Born-digital PDFs skip OCR entirely: PDF/A from the file itself, text from its layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pytest

from ingest.ocr import OcrOptions, run_ocr
from ingest.ocr import stage as ocr_stage
from tests.synthetic import born_digital_pdf, cer, ukrainian_lines


def test_text_only_pdf_never_reaches_ocrmypdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_ocr(*_a: Any, **_k: Any) -> None:
        raise AssertionError("OCRmyPDF was called for a born-digital PDF")

    monkeypatch.setattr(ocr_stage, "_ocrmypdf", no_ocr)
    lines = [ukrainian_lines(31, 10), ukrainian_lines(32, 10)]
    source = born_digital_pdf(lines, tmp_path / "digital.pdf")
    result = run_ocr(
        source, "pdf", tmp_path / "out.pdf", options=OcrOptions(), work_dir=tmp_path / "w"
    )
    assert [p.number for p in result.pages] == [1, 2]
    for page, expected in zip(result.pages, lines, strict=True):
        assert page.ocr is False and page.words
        assert cer("\n".join(expected), page.text) < 0.005
    assert result.is_pdfa
    with pikepdf.open(result.pdfa_path) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"


def test_light_rendition_passes_pdfa_validation(tmp_path: Path) -> None:
    """The rendition written without re-reading it is what the validator would approve."""
    from pikepdf.pdfa import validate_written

    source = born_digital_pdf([ukrainian_lines(33, 12)], tmp_path / "digital.pdf")
    result = run_ocr(
        source, "pdf", tmp_path / "out.pdf", options=OcrOptions(), work_dir=tmp_path / "w"
    )
    assert result.is_pdfa
    report = validate_written(result.pdfa_path, "2b")
    assert report.passed, report


def test_fonts_not_embedded_take_the_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without their font programs a PDF cannot be PDF/A by repairs: the shortcut is not taken."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "helvetica.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(72, 720, "Not embedded Helvetica")
    c.showPage()
    c.save()
    called: list[Path] = []

    def full_path(input_pdf: Path, output_pdf: Path, *_a: Any, **_k: Any) -> None:
        called.append(input_pdf)
        raise RuntimeError("stop here")

    monkeypatch.setattr(ocr_stage, "_ocrmypdf", full_path)
    with pytest.raises(Exception):  # noqa: B017 - whatever the stub's failure becomes
        run_ocr(path, "pdf", tmp_path / "out.pdf", options=OcrOptions(), work_dir=tmp_path / "w")
    assert called


def test_the_shortcut_uses_no_working_directory(tmp_path: Path) -> None:
    """Nothing is made in ``work_dir`` and only the output is written."""
    source = born_digital_pdf([ukrainian_lines(34, 8)], tmp_path / "digital.pdf")
    out = tmp_path / "out" / "archive.pdf"
    result = run_ocr(source, "pdf", out, options=OcrOptions(), work_dir=tmp_path / "w")
    assert result.pdfa_path == out and out.exists()
    assert not (tmp_path / "w").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["archive.pdf"]


def test_born_digital_ingest_reads_and_stores_in_place(archive: Any, tmp_path: Path) -> None:
    """End to end through the worker process: the original is read where it is stored,
    the rendition adopted by the store — no working directory or staged file is left,
    and the stored rendition is a valid PDF/A-2b with the document's text searchable."""
    from pikepdf.pdfa import validate_written

    from archive.models import DocState, Document
    from ingest.service import ingest_files
    from search.base import SearchQuery

    source = born_digital_pdf([["Рішення № 77 про надання послуги", *ukrainian_lines(35, 8)]],
                              tmp_path / "digital.pdf")  # fmt: skip
    [outcome] = ingest_files(archive, [source])
    assert outcome.status == "archived", outcome
    with archive.db.session() as s:
        doc = s.get(Document, outcome.document_id)
        assert doc is not None and doc.state == DocState.archived
        assert doc.pdfa_sha256 and doc.pdfa_sha256 != doc.sha256
        pdfa_sha = doc.pdfa_sha256
    rendition = archive.store.local_path(pdfa_sha)
    assert validate_written(rendition, "2b").passed
    assert not (archive.settings.work_dir / outcome.document_id).exists()
    assert list(archive.store.root.joinpath("tmp").iterdir()) == []
    assert archive.index.search(SearchQuery(text="рішення", limit=1)).total == 1


def test_a_failed_job_leaves_no_staged_rendition(archive: Any, tmp_path: Path) -> None:
    """A worker that dies after writing the rendition: nothing staged is left, the
    document goes back to be retried, and the retry archives it."""
    from archive.models import DocState, Document
    from ingest.job import run_job
    from ingest.pipeline import accept_file, process_batch

    source = born_digital_pdf([ukrainian_lines(36, 6)], tmp_path / "digital.pdf")
    doc_id = accept_file(archive, source).document_id

    def dies(src: Path, output: Path, *_a: Any) -> Any:
        output.write_bytes(b"%PDF-1.7 half a rendition")
        raise RuntimeError("worker process killed")

    assert process_batch(archive, [doc_id], dies, "w:1:1") == [doc_id]
    assert list(archive.store.root.joinpath("tmp").iterdir()) == []
    with archive.db.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.state == DocState.accepted and doc.attempts == 0
    assert process_batch(archive, [doc_id], run_job, "w:1:1") == []
    with archive.db.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.state == DocState.archived
    assert list(archive.store.root.joinpath("tmp").iterdir()) == []


def test_one_element_filter_arrays_become_names(tmp_path: Path) -> None:
    """``[/FlateDecode]`` is written ``/FlateDecode`` (the same stream), so qpdf copies the
    compressed data instead of inflating and deflating it; chains are left alone."""
    import zlib

    from ingest.ocr.inputs import single_filters_as_names

    source = born_digital_pdf([ukrainian_lines(34, 8)], tmp_path / "digital.pdf")
    with pikepdf.open(source) as pdf:
        chained = pdf.make_stream(zlib.compress(b"q Q"))
        chained.Filter = pikepdf.Array([pikepdf.Name.FlateDecode, pikepdf.Name.FlateDecode])
        chained.write(zlib.compress(zlib.compress(b"q Q")), filter=chained.Filter)
        nulled = pdf.make_stream(b"")
        nulled.write(zlib.compress(b"0 0 m"), filter=pikepdf.Name.FlateDecode)
        nulled.Filter = pikepdf.Array([pikepdf.Name.FlateDecode])
        nulled.DecodeParms = pikepdf.Array([None])
        before = {
            o.objgen: (o.read_raw_bytes(), o.read_bytes())
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream)
        }
        arrays = sum(
            1
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream)
            and isinstance(o.get("/Filter"), pikepdf.Array)
            and len(o.Filter) == 1
        )
        assert arrays >= 2  # ReportLab writes arrays; the font and the page at least

        assert single_filters_as_names(pdf) == arrays
        for o in pdf.objects:
            if isinstance(o, pikepdf.Stream):
                # Not a byte of any stream changed, raw or decoded.
                assert (o.read_raw_bytes(), o.read_bytes()) == before[o.objgen]
        assert nulled.Filter == pikepdf.Name.FlateDecode and "/DecodeParms" not in nulled
        assert isinstance(chained.Filter, pikepdf.Array) and len(chained.Filter) == 2
        assert single_filters_as_names(pdf) == 0
