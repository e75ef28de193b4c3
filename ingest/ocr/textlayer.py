"""Page text and word boxes from a PDF's text layer (pypdfium2)."""

from __future__ import annotations

from ctypes import byref, c_double
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
    xs: list[float],
    ys: list[float],
    box: tuple[float, float, float, float],
    rotation: int,
) -> Word:
    # Each page coordinate depends on one PDF coordinate only, monotonically (a
    # quarter-turn rotation, a scale, a clamp): the word's box is the transform of
    # its characters' extreme coordinates, two points instead of two per character.
    u0, v0 = _to_page_fraction(min(xs), min(ys), box, rotation)
    u1, v1 = _to_page_fraction(max(xs), max(ys), box, rotation)
    return Word("".join(chars), min(u0, u1), min(v0, v1), max(u0, u1), max(v0, v1))


def page_words(textpage: pdfium.PdfTextPage, page: pdfium.PdfPage) -> list[Word]:
    """Group the characters of a page into whitespace-separated words with boxes."""
    box = tuple(float(v) for v in page.get_cropbox())
    crop: tuple[float, float, float, float] = (box[0], box[1], box[2], box[3])
    rotation = int(page.get_rotation()) % 360
    words: list[Word] = []
    chars: list[str] = []
    # The x (left, right) and y (bottom, top) coordinates of the word's characters
    # that have a box.
    xs: list[float] = []
    ys: list[float] = []
    raw = textpage.raw
    unicode_of = pdfium_c.FPDFText_GetUnicode
    charbox = pdfium_c.FPDFText_GetCharBox
    # pdfium's calls straight, with four reused doubles (the wrapper makes four per char).
    left, right, bottom, top = c_double(), c_double(), c_double(), c_double()
    refs = (byref(left), byref(right), byref(bottom), byref(top))
    for i in range(textpage.count_chars()):
        code = unicode_of(raw, i)
        ch = chr(code) if 0 < code < 0x110000 else ""
        if not ch or ch.isspace() or code == 0xFFFE:
            if chars:
                if xs:
                    words.append(_word(chars, xs, ys, crop, rotation))
                chars, xs, ys = [], [], []
            continue
        if not charbox(raw, i, *refs):
            raise pdfium.PdfiumError("Failed to get charbox.")
        chars.append(ch)
        lv, rv, bv, tv = left.value, right.value, bottom.value, top.value
        if rv > lv or tv > bv:
            xs += (lv, rv)
            ys += (bv, tv)
    if chars and xs:
        words.append(_word(chars, xs, ys, crop, rotation))
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
