"""Which way up is a page? Cheap evidence first, Tesseract only when unsure.

1. :func:`ingest.ocr.imaging.analyse` on a denoised 150-dpi copy (a few tens
   of milliseconds) settles nearly every upright or upside-down text page.
2. Otherwise Tesseract's OSD runs on the denoised copy; noise is what makes OSD
   unsure on raw scans, so it is confident far more often here.
3. If OSD is unsure too, a strip of text is recognised at 0° and at 180° and
   the orientation with the higher word confidence wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.ocr import imaging, tesseract
from ingest.ocr.imaging import Gray

# OCRmyPDF rotates when confidence >= its threshold (14 by default); these are
# on the same 0..~40 scale.
CONFIDENT = 30.0
OSD_MIN_CONFIDENCE = 4.0
# Minimum gap in mean word confidence between 0° and 180° to rotate.
RECOGNITION_MARGIN = 8.0


@dataclass(frozen=True, slots=True)
class Orientation:
    angle: int  # clockwise rotation the page has; the correction undoes it
    confidence: float
    skew_deg: float
    method: str  # "analysis", "osd", "recognition" or "none"


def detect(
    gray: Gray, dpi: float, languages: Sequence[str], *, timeout: float = 60.0
) -> Orientation:
    """Decide the orientation of a page image (any resolution)."""
    small, small_dpi = imaging.resize_to_dpi(gray, dpi, imaging.ANALYSIS_DPI)
    found = imaging.analyse(small, small_dpi)
    if found.decided:
        return Orientation(180 if found.upside_down else 0, CONFIDENT, found.skew_deg, "analysis")
    ink = imaging.binarise(small, small_dpi).ink
    clean = ((1 - ink) * 255).astype(np.uint8)
    osd = tesseract.osd(clean, small_dpi, timeout=timeout)
    if (
        osd is not None
        and osd.confidence >= OSD_MIN_CONFIDENCE
        and (not found.sideways or osd.angle in (90, 270))
    ):
        return Orientation(osd.angle, CONFIDENT, found.skew_deg, "osd")
    if found.sideways:
        return Orientation(0, 0.0, 0.0, "none")
    return _by_recognition(clean, small_dpi, found.skew_deg, languages, timeout)


def _text_strip(clean: Gray, max_lines: int = 8) -> Gray | None:
    """A horizontal strip with the densest few text lines of a deskewed page."""
    ink_rows = (clean < 128).sum(axis=1)
    if ink_rows.max(initial=0) == 0:
        return None
    on = ink_rows > max(2, 0.02 * int(ink_rows.max()))
    rows = np.flatnonzero(on)
    if rows.size == 0:
        return None
    # Line pitch from the run starts; a window of ``max_lines`` pitches around
    # the row with most ink in its neighbourhood.
    starts = np.flatnonzero(on[1:] & ~on[:-1])
    pitch = int(np.median(np.diff(starts))) if starts.size > 2 else 30
    window = max(pitch * max_lines, 40)
    density = np.convolve(ink_rows.astype(np.float64), np.ones(window), mode="same")
    centre = int(np.argmax(density))
    top = max(0, centre - window // 2)
    strip = clean[top : top + window]
    cols = np.flatnonzero((strip < 128).any(axis=0))
    if cols.size == 0:
        return None
    return strip[:, max(0, cols[0] - 10) : cols[-1] + 10]


def _by_recognition(
    clean: Gray, dpi: float, skew_deg: float, languages: Sequence[str], timeout: float
) -> Orientation:
    strip = _text_strip(imaging.rotate(clean, skew_deg, fill=255, nearest=True))
    if strip is None:
        return Orientation(0, 0.0, skew_deg, "none")
    # Upscale to 300 dpi: Tesseract's recogniser wants x-heights of ~20 px.
    big = np.kron(strip, np.ones((2, 2), dtype=np.uint8)) if dpi < 200 else strip
    big_dpi = dpi * 2 if dpi < 200 else dpi
    try:
        up = tesseract.recognition_confidence(big, big_dpi, languages, timeout=timeout)
        down = tesseract.recognition_confidence(
            np.ascontiguousarray(big[::-1, ::-1]), big_dpi, languages, timeout=timeout
        )
    except (tesseract.TesseractError, tesseract.TesseractTimeout):
        return Orientation(0, 0.0, skew_deg, "none")
    if abs(up - down) < RECOGNITION_MARGIN:
        return Orientation(0, 0.0, skew_deg, "recognition")
    return Orientation(180 if down > up else 0, CONFIDENT, skew_deg, "recognition")
