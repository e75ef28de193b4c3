"""Page text and word boxes from a PDF's text layer (pypdfium2)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from common.pages import PageText, Word
from ingest.ocr import fields

_INVISIBLE = 3  # PDF text render mode 3: neither fill nor stroke — an OCR layer


def _to_page_fraction(
    x: float, y: float, box: tuple[float, float, float, float], rotation: int
) -> tuple[float, float]:
    """PDF user space → fractions of the page as displayed, origin top-left."""
    left, bottom, right, top = box
    u = (x - left) / (right - left)
    v = (top - y) / (top - bottom)
    if rotation == 90:
        u, v = 1.0 - v, u
    elif rotation == 180:
        u, v = 1.0 - u, 1.0 - v
    elif rotation == 270:
        u, v = v, 1.0 - u
    return min(1.0, max(0.0, u)), min(1.0, max(0.0, v))


def _word(
    chars: list[str],
    boxes: list[tuple[float, float, float, float]],
    box: tuple[float, float, float, float],
    rotation: int,
) -> Word:
    xs: list[float] = []
    ys: list[float] = []
    for left, bottom, right, top in boxes:
        for x, y in ((left, bottom), (right, top)):
            u, v = _to_page_fraction(x, y, box, rotation)
            xs.append(u)
            ys.append(v)
    return Word("".join(chars), min(xs), min(ys), max(xs), max(ys))


def page_words(textpage: pdfium.PdfTextPage, page: pdfium.PdfPage) -> list[Word]:
    """Group the characters of a page into whitespace-separated words with boxes."""
    box = tuple(float(v) for v in page.get_cropbox())
    crop: tuple[float, float, float, float] = (box[0], box[1], box[2], box[3])
    rotation = int(page.get_rotation()) % 360
    words: list[Word] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    raw = textpage.raw
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        ch = chr(code) if 0 < code < 0x110000 else ""
        if not ch or ch.isspace() or code == 0xFFFE:
            if chars:
                words.append(_word(chars, boxes, crop, rotation))
                chars, boxes = [], []
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        chars.append(ch)
        if right > left or top > bottom:
            boxes.append((left, bottom, right, top))
    if chars and boxes:
        words.append(_word(chars, boxes, crop, rotation))
    return [w for w in words if w.text]


def _text_is_invisible(textpage: pdfium.PdfTextPage) -> bool:
    raw = textpage.raw
    seen = False
    for i in range(textpage.count_chars()):
        obj = pdfium_c.FPDFText_GetTextObject(raw, i)
        if not obj:
            continue
        seen = True
        if pdfium_c.FPDFTextObj_GetTextRenderMode(obj) != _INVISIBLE:
            return False
    return seen


def extract_pages(
    pdf_path: Path,
    ocr_text: dict[int, str],
    corrections: dict[int, list[fields.Correction]] | None = None,
) -> list[PageText]:
    """One :class:`PageText` per page of ``pdf_path``.

    ``ocr_text`` maps 1-based page numbers that we OCR'd to Tesseract's own
    text of the page; its reading order beats reconstructing lines from a
    deskewed (slightly rotated) text layer. Other pages take the text layer as
    it is; they count as OCR'd only if that layer is invisible (a prior OCR).
    The pages we OCR'd get ``№`` back and the second readings of their Latin
    fields (``corrections``, :mod:`ingest.ocr.fields`), in words and text alike.
    """
    return _read(pdf_path, ocr_text, corrections or {})[0]


def read_text_layer(pdf_path: Path) -> tuple[list[PageText], list[int]]:
    """The pages of ``pdf_path`` from its text layer, and the numbers of pages without any."""
    return _read(pdf_path, {}, {})


def _read(
    pdf_path: Path, ocr_text: dict[int, str], corrections: dict[int, list[fields.Correction]]
) -> tuple[list[PageText], list[int]]:
    pages: list[PageText] = []
    empty: list[int] = []
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        for index in range(len(doc)):
            page = doc[index]
            textpage = page.get_textpage()
            try:
                number = index + 1
                if textpage.count_chars() == 0:
                    empty.append(number)
                words = page_words(textpage, page)
                if number in ocr_text:
                    text, ocr = ocr_text[number], True
                else:
                    text = textpage.get_text_range()
                    ocr = bool(words) and _text_is_invisible(textpage)
                text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n\f ")
                found = PageText(number=number, text=text, words=words, ocr=ocr)
                if number in ocr_text:
                    found = fields.fix_numero(found)
                    found = fields.apply(found, corrections.get(number, []))
                pages.append(found)
            finally:
                textpage.close()
                page.close()
    finally:
        doc.close()
    return pages, empty
