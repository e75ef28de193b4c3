"""What happens to paper before it reaches the scanner glass.

:mod:`tests.synthetic` simulates the scanner itself (skew, noise, resolution,
JPEG, bilevel); these helpers add the things on the sheet: a cover sheet
rendered from its PDF, the back of a printed page showing through, the dark
edge of the scanner lid, a signature line, a stamp, a QR code painted over.
All work on 300 dpi mode ``L`` pages and are deterministic by seed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import random
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from scanner.cover_sheet import CoverSheet, render_cover_sheet_pdf
from tests.synthetic import render_page, ukrainian_lines

DPI = 300
PX_PER_MM = DPI / 25.4


def mm(value: float) -> int:
    """Millimetres to pixels at 300 dpi."""
    return round(value * PX_PER_MM)


def render_pdf_page(path: Path, index: int = 0, dpi: int = DPI) -> Image.Image:
    """Rasterise one PDF page to mode ``L`` with its resolution recorded."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        image: Image.Image = pdf[index].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()
    image.info["dpi"] = (dpi, dpi)
    return image


def cover_sheet_image(
    sheet: CoverSheet,
    directory: Path,
    *,
    service: str | None = "Реєстрація місця проживання",
    applicant: str | None = "Шевченко Тарас Григорович",
) -> Image.Image:
    """The printed cover sheet for ``sheet`` as a clean 300 dpi page."""
    key = repr((sheet, service, applicant)).encode("utf-8")
    name = f"cover-{hashlib.sha256(key).hexdigest()[:16]}.pdf"
    path = render_cover_sheet_pdf(
        sheet,
        directory / name,
        service=service,
        applicant=applicant,
        printed_at=dt.datetime(2024, 5, 6, 10, 30),
    )
    return render_pdf_page(path)


def document_page(seed: int, lines: int = 38) -> Image.Image:
    """A full page of Ukrainian text (a fresh copy: callers may draw on it)."""
    return _keep_dpi(_document_page(seed, lines).copy())


@functools.lru_cache(maxsize=64)
def _document_page(seed: int, lines: int) -> Image.Image:
    return render_page(ukrainian_lines(seed, lines), dpi=DPI)


def at_dpi(page: Image.Image, dpi: int) -> Image.Image:
    """``page`` sampled down to ``dpi`` before :func:`tests.synthetic.degrade`.

    Sampling first and rotating afterwards is what a scanner does anyway, and
    it keeps the tests fast: rotating a 300 dpi page costs ~0.5 s.
    """
    factor = dpi / DPI
    size = (round(page.width * factor), round(page.height * factor))
    out = page.resize(size, Image.Resampling.BOX)
    out.info["dpi"] = (dpi, dpi)
    return out


def blank_page() -> Image.Image:
    """A white A4 page at 300 dpi."""
    image = Image.new("L", (mm(210), mm(297)), 255)
    image.info["dpi"] = (DPI, DPI)
    return image


def _keep_dpi(image: Image.Image) -> Image.Image:
    image.info["dpi"] = (DPI, DPI)
    return image


@functools.lru_cache(maxsize=16)
def _mirrored_back(seed: int) -> Image.Image:
    return ImageOps.mirror(_document_page(seed, 38)).filter(ImageFilter.GaussianBlur(2.5))


def with_bleed_through(page: Image.Image, seed: int, strength: float = 0.12) -> Image.Image:
    """The mirrored, blurred text of the other side showing faintly through thin paper."""
    back = _mirrored_back(seed)
    if back.size != page.size:  # a PDF page rasterises a pixel wider or narrower
        back = back.resize(page.size)
    ink = (255.0 - np.asarray(back, dtype=np.float32)) * strength
    out = np.asarray(page, dtype=np.float32) - ink
    return _keep_dpi(Image.fromarray(out.clip(0, 255).astype(np.uint8), "L"))


def with_dark_border(page: Image.Image, seed: int, width_mm: float = 4.0) -> Image.Image:
    """Dark strips along the edges: the scanner lid beyond a slightly small sheet."""
    rng = random.Random(seed)
    out = page.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    level = rng.randint(20, 70)
    top, left = mm(width_mm * rng.uniform(0.5, 1.5)), mm(width_mm * rng.uniform(0.3, 1.2))
    right, bottom = mm(width_mm * rng.uniform(0.0, 1.0)), mm(width_mm * rng.uniform(0.5, 1.5))
    draw.rectangle([0, 0, w, top], fill=level)
    draw.rectangle([0, 0, left, h], fill=level)
    draw.rectangle([w - right, 0, w, h], fill=level)
    draw.rectangle([0, h - bottom, w, h], fill=level)
    return _keep_dpi(out)


def with_signature_line(page: Image.Image, seed: int) -> Image.Image:
    """Only a printed line with «(підпис)» under it, somewhere low on the page."""
    rng = random.Random(seed)
    out = page.copy()
    draw = ImageDraw.Draw(out)
    x0 = mm(rng.uniform(30, 110))
    y = mm(rng.uniform(180, 260))
    draw.line([x0, y, x0 + mm(60), y], fill=0, width=max(2, mm(0.25)))
    return _keep_dpi(out)


def with_stamp(
    page: Image.Image,
    seed: int,
    diameter_mm: float = 40.0,
    centre_mm: tuple[float, float] | None = None,
) -> Image.Image:
    """A round stamp (two rings and lines of text inside) in a mid grey, as blue ink scans."""
    rng = random.Random(seed)
    out = page.copy()
    draw = ImageDraw.Draw(out)
    x, y = centre_mm or (rng.uniform(60, 150), rng.uniform(150, 240))
    cx, cy = mm(x), mm(y)
    r = mm(diameter_mm / 2)
    level = rng.randint(60, 120)
    for radius, width in ((r, mm(0.8)), (r - mm(5), mm(0.5))):
        box = [cx - radius, cy - radius, cx + radius, cy + radius]
        draw.ellipse(box, outline=level, width=width)
    for i in range(5):
        y = cy - mm(8) + i * mm(4)
        draw.line([cx - mm(9), y, cx + mm(9), y], fill=level, width=mm(0.6))
    return _keep_dpi(out)


def with_pen_stroke(
    page: Image.Image, seed: int, box_mm: tuple[float, float, float, float], strokes: int = 2
) -> Image.Image:
    """Thick ballpoint strokes across a box (x0, y0, x1, y1 in mm from the top left)."""
    rng = random.Random(seed)
    out = page.copy()
    draw = ImageDraw.Draw(out)
    x0, y0, x1, y1 = box_mm
    for _ in range(strokes):
        start = (mm(x0), mm(rng.uniform(y0, y1)))
        end = (mm(x1), mm(rng.uniform(y0, y1)))
        draw.line([start, end], fill=30, width=mm(1.2))
    return _keep_dpi(out)


def faded(page: Image.Image, darkest: int = 110) -> Image.Image:
    """Toner-saving or a worn cartridge: black prints as ``darkest`` grey."""
    lut = [round(darkest + (255 - darkest) * v / 255) for v in range(256)]
    return _keep_dpi(page.point(lut))


# Where the two QR codes of a cover sheet are, in mm from the top left
# (see scanner.cover_sheet.render_cover_sheet_pdf).
MAIN_QR_BOX = (59.0, 99.0, 151.0, 191.0)
SMALL_QR_BOX = (165.0, 204.0, 195.0, 234.0)


def qr_destroyed(page: Image.Image, how: str, seed: int = 0) -> Image.Image:
    """Both QR codes made unreadable: ``painted`` over, ``blurred`` out or ``scribbled``."""
    out = page.copy()
    rng = random.Random(seed)
    for x0, y0, x1, y1 in (MAIN_QR_BOX, SMALL_QR_BOX):
        box = (mm(x0) - 10, mm(y0) - 10, mm(x1) + 10, mm(y1) + 10)
        if how == "painted":
            ImageDraw.Draw(out).rectangle(box, fill=rng.randint(0, 60))
        elif how == "blurred":
            region = out.crop(box).filter(ImageFilter.BoxBlur(mm(4)))
            out.paste(region, box[:2])
        elif how == "scribbled":
            draw = ImageDraw.Draw(out)
            step = mm(1.5)
            for k in range(0, box[3] - box[1], step):
                angle = rng.uniform(-0.3, 0.3)
                dy = math.tan(angle) * (box[2] - box[0])
                draw.line([box[0], box[1] + k, box[2], box[1] + k + dy], fill=20, width=mm(0.9))
        else:
            raise ValueError(how)
    return _keep_dpi(out)


def with_punch_holes(page: Image.Image, right: bool = False) -> Image.Image:
    """Two 6 mm filing holes 12 mm from the edge, 80 mm apart, dark as the lid behind them."""
    out = page.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    cx = w - mm(12) if right else mm(12)
    for cy in (h // 2 - mm(40), h // 2 + mm(40)):
        draw.ellipse([cx - mm(3), cy - mm(3), cx + mm(3), cy + mm(3)], fill=35)
    return _keep_dpi(out)


def with_text_line(page: Image.Image, text: str, seed: int) -> Image.Image:
    """One short line of text (a handwritten-size note such as «Згідно з оригіналом»)."""
    from PIL import ImageFont

    from tests.synthetic import FONTS

    rng = random.Random(seed)
    out = page.copy()
    face = ImageFont.truetype(str(FONTS["sans"]), mm(3.5))
    ImageDraw.Draw(out).text(
        (mm(rng.uniform(30, 100)), mm(rng.uniform(40, 250))),
        text,
        font=face,
        fill=rng.randint(0, 80),
    )
    return _keep_dpi(out)


def with_edge_shadow(page: Image.Image) -> Image.Image:
    """The thin shadow line of the sheet's own edge along the left and right sides."""
    out = page.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    for x in (mm(0.5), w - mm(0.5)):
        draw.line([x, 0, x, h], fill=60, width=2)
    return _keep_dpi(out)
