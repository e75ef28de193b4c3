"""OCR stage: any accepted scan or PDF in, a searchable PDF/A-2b and page text out.

Contract used by the pipeline (``ingest/pipeline.py``); the implementation
lives in the modules beside this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.pages import PageText

InputKind = Literal["pdf", "image"]


@dataclass(slots=True)
class OcrOptions:
    languages: str = "ukr+eng"
    # Pages OCR'd in parallel inside one document (Tesseract itself single-threaded).
    jobs: int = 1
    # Seconds Tesseract may spend on one page before the page is given up.
    page_timeout: float = 300.0
    # Images above this many megapixels are refused (decompression bombs).
    max_image_mpixels: float = 250.0
    # Re-read and validate each born-digital PDF/A rendition (three times its cost).
    verify_pdfa: bool = False


@dataclass(slots=True)
class OcrResult:
    pdfa_path: Path
    pages: list[PageText] = field(default_factory=list)
    # False only when the archive copy could not be made PDF/A without harm,
    # e.g. a signed PDF kept byte-for-byte so that its signature stays valid.
    is_pdfa: bool = True
    # The input carried a digital signature (КЕП/QES); the copy is the original file.
    signed: bool = False
    # Short Ukrainian remarks for the administrator (no document text).
    notes: list[str] = field(default_factory=list)


class OcrFailed(Exception):
    """OCR could not produce an archive copy; ``reason`` is for a person to read."""

    def __init__(self, reason: str, code: str = "ocr_failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def run_ocr(
    source: Path,
    kind: InputKind,
    output_pdf: Path,
    *,
    options: OcrOptions,
    work_dir: Path,
) -> OcrResult:
    """OCR ``source`` into a PDF/A-2b at ``output_pdf``; see :mod:`ingest.ocr.stage`."""
    # Imported here: the stage pulls in OCRmyPDF, OpenCV and pdfium, which
    # modules that only need the contract types should not pay for.
    from ingest.ocr.stage import run_ocr as _run_ocr

    return _run_ocr(source, kind, output_pdf, options=options, work_dir=work_dir)
