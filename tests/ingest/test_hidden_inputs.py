"""Issue 9, item 9: inputs are what they claim — a ZIP is not taken for a PDF because
``%PDF-`` appears in its first kilobyte, and files embedded in a PDF never reach the
PDF/A rendition unscanned (they are removed from it, with a reason)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pikepdf
import pytest

from ingest.errors import Rejected
from ingest.job import run_job
from ingest.ocr import OcrOptions
from ingest.preflight import Limits, check
from tests.synthetic import born_digital_pdf

LIMITS = Limits(max_file_mb=50, max_pages=100, max_image_mpixels=100)


def test_zip_with_a_pdf_header_inside_is_not_a_pdf(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("a.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")
    path = tmp_path / "archive.pdf"
    path.write_bytes(buf.getvalue())
    assert b"%PDF-" in path.read_bytes()[:1024]
    with pytest.raises(Rejected) as exc:
        check(path, LIMITS)
    assert exc.value.code == "unsupported_type"
    assert "ZIP" in exc.value.reason


@pytest.mark.ocr
def test_embedded_files_are_removed_from_the_rendition(tmp_path: Path) -> None:
    src = born_digital_pdf([["Заява про надання довідки"]], tmp_path / "plain.pdf")
    with pikepdf.open(src) as pdf:
        pdf.attachments["hidden.txt"] = pikepdf.AttachedFileSpec(
            pdf, b"RNOKPP 3012345678 hidden", mime_type="text/plain"
        )
        pdf.save(tmp_path / "with-attachment.pdf")
    out = tmp_path / "out.pdf"
    options = OcrOptions(languages="ukr+eng", jobs=1, page_timeout=120, max_image_mpixels=100)
    result = run_job(tmp_path / "with-attachment.pdf", out, tmp_path / "work", LIMITS, options)
    assert result.ok, result.reason
    assert result.pdfa_path is not None
    with pikepdf.open(result.pdfa_path) as pdf:
        assert len(pdf.attachments) == 0
    assert b"3012345678" not in result.pdfa_path.read_bytes()
    assert any("вкладен" in n for n in result.notes), result.notes
