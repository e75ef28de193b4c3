"""Cutting pages out of a scanned batch without re-encoding them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image


def _is_pdf(path: Path) -> bool:
    with path.open("rb") as f:
        return b"%PDF-" in f.read(1024)


def write_part(source: Path, indexes: Sequence[int], dest: Path) -> Path:
    """A PDF of the given pages (0-based) of ``source``, byte-identical on every run.

    PDF pages are copied as they are (the scanner's compression, any text
    layer); image frames are embedded losslessly, bilevel ones as CCITT G4.
    """
    if _is_pdf(source):
        with pikepdf.open(source) as src, pikepdf.new() as out:
            for i in indexes:
                out.pages.append(src.pages[i])
            out.save(dest, deterministic_id=True, compress_streams=True)
        return dest
    blobs: list[bytes] = []
    with Image.open(source) as container:
        for i in indexes:
            # Frames share one file object: seek to each and encode it before the next.
            container.seek(i)
            blobs.append(_frame_bytes(container))
    raw = img2pdf.convert(blobs, nodate=True)
    # img2pdf writes a random /ID; rewrite it from the content so a rerun gives the same bytes.
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        if "/ID" in pdf.trailer:
            del pdf.trailer["/ID"]  # qpdf keeps an existing first half
        pdf.save(dest, deterministic_id=True)
    return dest


def _frame_bytes(frame: Image.Image) -> bytes:
    from ingest.ocr.inputs import plausible_dpi

    image = frame.copy()
    dpi = plausible_dpi(frame.info.get("dpi"), image.width, image.height)
    rounded = (round(dpi[0]), round(dpi[1]))
    buf = io.BytesIO()
    if image.mode == "1":
        image.save(buf, "TIFF", compression="group4", dpi=rounded)
        return buf.getvalue()
    if image.mode not in ("L", "RGB"):
        # Palettes, alpha, 16-bit and CMYK: what PDF/A and Tesseract take.
        image = image.convert("RGB" if "A" in image.mode or image.mode in ("P", "CMYK") else "L")
    image.save(buf, "PNG", dpi=rounded)
    return buf.getvalue()


def part_name(stem: str, indexes: Sequence[int]) -> str:
    pages = [i + 1 for i in indexes]
    span = f"{pages[0]}" if len(pages) == 1 else f"{pages[0]}–{pages[-1]}"
    return f"{stem} (с. {span}).pdf"[:500]
