"""Batches for the desk tests: cover sheets, born-digital pages and blanks, stacked as scanned.

Born-digital pages carry a text layer, so archiving them needs no Tesseract
run; the cover sheets are the real printed PDFs, which the splitter renders
and reads like any scan. ``image_batch`` builds the paper-like variant
(skew, upside down, 200 dpi, bilevel, blank backs) for the one test that
runs real OCR.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pikepdf

from scanner.cover_sheet import CoverSheet, render_cover_sheet_pdf
from tests.synthetic import born_digital_pdf

# A page of a batch: a cover sheet, a page of text lines, or a blank page.
Page = CoverSheet | list[str] | None


def batch_pdf(layout: Sequence[Page], dest: Path) -> Path:
    """A multi-page PDF stacking ``layout`` in order."""
    work = dest.parent / f".{dest.stem}-parts"
    work.mkdir(parents=True, exist_ok=True)
    with pikepdf.new() as out:
        for i, item in enumerate(layout):
            if item is None:
                out.add_blank_page(page_size=(595.28, 841.89))
                continue
            part = work / f"{i}.pdf"
            if isinstance(item, CoverSheet):
                render_cover_sheet_pdf(
                    item,
                    part,
                    service="Реєстрація місця проживання",
                    printed_at=dt.datetime(2026, 5, 6, 10, 30),
                )
            else:
                born_digital_pdf([item], part)
            with pikepdf.open(part) as src:
                out.pages.extend(src.pages)
        out.save(dest, deterministic_id=True)
    return dest


def doc(word: str, n: int = 1) -> list[str]:
    """A short page of an application with a word to search for."""
    return [
        "ЗАЯВА",
        f"Прошу зареєструвати місце проживання. Позначка {word}, аркуш {n}.",
        "До заяви додаю копію паспорта.",
    ]
