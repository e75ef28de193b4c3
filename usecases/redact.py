"""Redacted renditions: page images with black boxes over personal data.

The PDF/A is rendered with pdfium, boxes are painted into the pixels, and a
new image-only PDF is built from the JPEGs: no text layer, fonts, metadata
or attachments of the original survive, so nothing hidden under a box can be
copied out.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence

import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageDraw

Box = Sequence[float]  # x0, y0, x1, y1 in page fractions, origin top-left

# pdfium is not thread-safe; requests are served from a thread pool.
_PDFIUM = threading.Lock()
# A box grows by this fraction of the page so anti-aliased edges of glyphs are covered.
_PAD = 0.002


def _paint(img: Image.Image, boxes: Sequence[Box]) -> Image.Image:
    if not boxes:
        return img
    draw = ImageDraw.Draw(img)
    w, h = img.size
    for b in boxes:
        x0, y0, x1, y1 = (float(v) for v in b[:4])
        draw.rectangle(
            (
                max(0, int((min(x0, x1) - _PAD) * w)),
                max(0, int((min(y0, y1) - _PAD) * h)),
                min(w, int((max(x0, x1) + _PAD) * w + 1)),
                min(h, int((max(y0, y1) + _PAD) * h + 1)),
            ),
            fill=(0, 0, 0),
        )
    return img


def _render(doc: pdfium.PdfDocument, index: int, dpi: int) -> Image.Image:
    page = doc[index]
    try:
        bitmap = page.render(scale=dpi / 72)
        img: Image.Image = bitmap.to_pil().convert("RGB")
    finally:
        page.close()
    return img


def page_count(pdf: bytes) -> int:
    with _PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            return len(doc)
        finally:
            doc.close()


def page_png(pdf: bytes, number: int, boxes: Sequence[Box] | None, dpi: int = 110) -> bytes:
    """One page (1-based) as PNG; ``boxes`` painted black when given."""
    with _PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            if not 1 <= number <= len(doc):
                raise IndexError(number)
            img = _render(doc, number - 1, dpi)
        finally:
            doc.close()
    out = io.BytesIO()
    _paint(img, boxes or []).save(out, "PNG", optimize=True)
    return out.getvalue()


def redacted_pdf(pdf: bytes, boxes: Mapping[int, Sequence[Box]], dpi: int = 150) -> bytes:
    """An image-only PDF of every page with ``boxes[page_number]`` painted black."""
    out = pikepdf.new()
    with _PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            for index in range(len(doc)):
                img = _paint(_render(doc, index, dpi), boxes.get(index + 1, []))
                _append_image_page(out, img, dpi)
                img.close()
        finally:
            doc.close()
    buf = io.BytesIO()
    out.save(buf, deterministic_id=True)
    return buf.getvalue()


def _append_image_page(out: pikepdf.Pdf, img: Image.Image, dpi: int) -> None:
    jpeg = io.BytesIO()
    img.save(jpeg, "JPEG", quality=80, optimize=True)
    w_pt = img.width * 72 / dpi
    h_pt = img.height * 72 / dpi
    image = pikepdf.Stream(out, jpeg.getvalue())
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width = img.width
    image.Height = img.height
    image.ColorSpace = pikepdf.Name.DeviceRGB
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name.DCTDecode
    content = pikepdf.Stream(out, f"q {w_pt:.3f} 0 0 {h_pt:.3f} 0 0 cm /Im0 Do Q".encode())
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, w_pt, h_pt]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=content,
    )
    out.pages.append(pikepdf.Page(page))
