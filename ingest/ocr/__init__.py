"""OCR stage: any accepted scan or PDF in, a searchable PDF/A-2b and page text out.

Contract used by the pipeline (``ingest/pipeline.py``); the implementation
lives in the modules beside this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from archive.pages import PageText

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


@dataclass(slots=True)
class OcrResult:
    pdfa_path: Path
    pages: list[PageText] = field(default_factory=list)


class OcrFailed(Exception):
    """OCR could not produce an archive copy; ``reason`` is for a person to read."""

    def __init__(self, reason: str, code: str = "ocr_failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
