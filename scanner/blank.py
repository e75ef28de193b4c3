"""Blank-page detection for duplex scans.

A duplex scanner captures the empty back of every single-sided sheet.  Those
backs carry scanner noise, the faint mirrored print of the front showing
through, dark strips where the lid shows past the sheet and punch holes — but
no ink of their own.  A page with very little ink (a signature line, a stamp,
a handwritten note) is *not* blank.

The rule errs towards keeping a page: dropping a page that holds a signature
loses a document, keeping an empty back costs one image.

Method, on a copy of the page at no more than 200 dpi:

1. paper level = a high percentile of brightness (grey recycled paper and a
   dim lamp shift it, so thresholds are relative to it);
2. ink = pixels darker than the paper by more than a fraction of it, after a
   slight Gaussian blur that tames sensor noise (a median filter would wipe
   out a thin signature line); faint bleed-through stays under the threshold;
3. connected ink blobs that touch the image edge (lid, border) or look like
   punch holes near an edge are set aside;
4. the page is blank when the remaining blobs of a readable size add up to
   less than a few square millimetres of ink.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from scanner._imaging import (
    MM_PER_INCH,
    page_dpi,
    percentiles,
    resize_to_dpi,
    threshold_below,
    to_gray,
    u8,
)

# A 0.25 mm printed line is 2 px wide at 200 dpi; less would thin it into the
# noise.  Higher resolutions only cost time.
_MAX_WORK_DPI: Final = 200.0
# Ink must be darker than the paper by this fraction of the paper level:
# ~70 levels on white paper.  Bleed-through of ordinary office paper stays at
# 20–50 levels; a light pencil line is ~100.
_INK_CONTRAST: Final = 0.28
# Blobs smaller than this in both directions are dust, toner specks or noise.
_MIN_BLOB_MM: Final = 1.0
# A page keeps its content when its readable blobs cover this much ink; a
# 60 mm signature line is ~15 mm², a handwritten digit ~3 mm².
_MIN_INK_MM2: Final = 2.5
# Above this share of isolated dark pixels a page counts as speckled.
_NOISY_SPECK_SHARE: Final = 0.002
# The sheet's edge shadow: a straight line at least this long, within this
# distance of the image border.  5° of skew about the centre brings a long
# edge up to 13 mm into the scan and a short one 9 mm, plus a few mm of
# placement; text margins (ДСТУ 4163) start at 20 mm top and bottom.
_EDGE_LINE_MM: Final = 40.0
_EDGE_BAND_MM: Final = 25.0  # left and right (the long edges)
_EDGE_BAND_SHORT_MM: Final = 18.0  # top and bottom
# Dark areas touching the edge larger than this share of the page are not a
# border but content (a photograph, a full-bleed form).
_MAX_BORDER_SHARE: Final = 0.12


@dataclass(frozen=True, slots=True)
class BlankAnalysis:
    """Measurements behind :func:`is_blank`, for diagnostics and tuning."""

    blank: bool
    paper_level: int
    ink_mm2: float
    blobs: int
    largest_mm: float
    border_share: float
    reason: str


def _speck_share(ink: npt.NDArray[np.uint8]) -> float:
    """Share of the page covered by isolated ink pixels (those a 2×2 opening removes)."""
    opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return float(np.count_nonzero(ink) - np.count_nonzero(opened)) / ink.size


@dataclass(frozen=True, slots=True)
class _Ink:
    """Ink blobs of a page after setting aside border strips, specks and punch holes."""

    mm2: float
    blobs: int
    largest_mm: float
    border_share: float
    margin_mm2: float  # the part of ``mm2`` in blobs that reach into the border band
    strips: npt.NDArray[np.bool_]  # per label: a thick blob touching the image border
    labels: npt.NDArray[np.int32]


def _measure(ink: npt.NDArray[np.uint8], px_per_mm: float) -> _Ink:
    height, width = ink.shape
    _, raw_labels, raw_stats, raw_centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    labels = np.asarray(raw_labels, dtype=np.int32)
    stats = np.asarray(raw_stats, dtype=np.int64)
    centroids = np.asarray(raw_centroids, dtype=np.float64)
    x, y, w, h, area = (stats[:, i] for i in range(5))
    touching = (x <= 1) | (y <= 1) | (x + w >= width - 1) | (y + h >= height - 1)
    touching[0] = False  # label 0 is the paper
    w_mm, h_mm = w / px_per_mm, h / px_per_mm
    cx, cy = centroids[:, 0], centroids[:, 1]
    edge_mm = np.minimum(np.minimum(cx, width - cx), np.minimum(cy, height - cy)) / px_per_mm
    # Office punches make 5.5–8 mm holes whose centres are ~12 mm from the
    # edge; they scan as dark discs.
    punch_hole = (
        (w_mm >= 4.0)
        & (w_mm <= 9.5)
        & (h_mm >= 4.0)
        & (h_mm <= 9.5)
        & (area >= 0.6 * w * h)
        & (edge_mm <= 22.0)
    )
    keep = ~touching & (np.maximum(w_mm, h_mm) >= _MIN_BLOB_MM) & ~punch_hole
    keep[0] = False
    band = _EDGE_BAND_MM * px_per_mm
    in_band = (x < band) | (y < band) | (x + w > width - band) | (y + h > height - band)
    return _Ink(
        mm2=float(area[keep].sum()) / px_per_mm**2,
        blobs=int(keep.sum()),
        largest_mm=float(np.maximum(w_mm, h_mm)[keep].max(initial=0.0)),
        border_share=float(area[touching].sum()) / (width * height),
        margin_mm2=float(area[keep & in_band].sum()) / px_per_mm**2,
        # Thickness = area / length; the sheet's edge line is ~0.5 mm thick.
        strips=touching & (area > 2.0 * px_per_mm * np.maximum(w, h)),
        labels=labels,
    )


def _erase_sheet_edges(ink: npt.NDArray[np.uint8], measured: _Ink, px_per_mm: float) -> bool:
    """Erase the shadow line of the sheet's own edge from ``ink``; True if any was found.

    A skewed sheet's edge runs as a thin, nearly axis-parallel line across the
    scan near the image border, often broken into dashes.  Long straight
    lines close to a border and within a few degrees of it are that edge; a
    signature line sits well inside the page margins.
    """
    height, width = ink.shape
    band = round(_EDGE_BAND_MM * px_per_mm)
    short_band = round(_EDGE_BAND_SHORT_MM * px_per_mm)
    candidates = ink.copy()
    candidates[band : height - band, band : width - band] = 0
    # Thick strips touching the border are border already, and a Hough
    # transform over their thousands of pixels would only be slow.
    candidates[measured.strips[measured.labels]] = 0
    lines = cv2.HoughLinesP(
        candidates,
        rho=1,
        theta=np.pi / 720,
        threshold=round(20 * px_per_mm),
        minLineLength=round(_EDGE_LINE_MM * px_per_mm),
        maxLineGap=round(4 * px_per_mm),
    )
    if lines is None:
        return False
    max_slope = np.tan(np.radians(7.0))
    found = False
    for x1, y1, x2, y2 in (tuple(int(v) for v in line) for line in np.reshape(lines, (-1, 4))):
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        vertical = dy > dx
        if (dx if vertical else dy) > max_slope * max(dx, dy):
            continue
        if vertical:
            near = max(x1, x2) < band or min(x1, x2) >= width - band
        else:
            near = max(y1, y2) < short_band or min(y1, y2) >= height - short_band
        if near:
            # The edge is straight across the whole scan: erase the full line,
            # so the dashes Hough did not join go too.
            reach = 2 * (width + height)
            length = float(np.hypot(dx, dy))
            ux, uy = (x2 - x1) / length, (y2 - y1) / length
            start = (round(x1 - ux * reach), round(y1 - uy * reach))
            end = (round(x2 + ux * reach), round(y2 + uy * reach))
            cv2.line(ink, start, end, 0, thickness=max(3, round(1.5 * px_per_mm)))
            found = True
    return found


def analyse_blank(image: Image.Image) -> BlankAnalysis:
    """Measure the ink on a page and decide whether it is blank."""
    gray = to_gray(image)
    dpi = page_dpi(gray)
    work_dpi = min(dpi, _MAX_WORK_DPI)
    px_per_mm = work_dpi / MM_PER_INCH
    small = resize_to_dpi(gray, dpi, work_dpi)
    smooth = u8(cv2.GaussianBlur(small, (0, 0), 0.12 * px_per_mm))
    (paper,) = percentiles(smooth, 0.90)
    if paper < 90:
        return BlankAnalysis(False, paper, 0.0, 0, 0.0, 1.0, "сторінка здебільшого темна")
    threshold = paper * (1.0 - _INK_CONTRAST)
    ink = threshold_below(smooth, threshold)
    if _speck_share(ink) > _NOISY_SPECK_SHARE:
        # Heavy speckle (grey paper thresholded by a bilevel scanner, a dirty
        # sensor): a median filter removes it; on a clean page it would also
        # remove one-pixel lines, hence only here.
        smooth = u8(cv2.medianBlur(smooth, 3))
        ink = threshold_below(smooth, threshold)
    # Rejoin a thin line that thresholding broke into dashes.
    ink = u8(cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)))
    measured = _measure(ink, px_per_mm)
    # Only when the ink near the border is what makes the page non-blank is it
    # worth looking for the sheet's edge line there.
    if (
        measured.mm2 >= _MIN_INK_MM2
        and measured.mm2 - measured.margin_mm2 < _MIN_INK_MM2
        and _erase_sheet_edges(ink, measured, px_per_mm)
    ):
        measured = _measure(ink, px_per_mm)
    args = (paper, measured.mm2, measured.blobs, measured.largest_mm, measured.border_share)
    if measured.border_share > _MAX_BORDER_SHARE:
        reason = f"темні області біля краю займають {measured.border_share:.0%} сторінки"
        return BlankAnalysis(False, *args, reason)
    if measured.mm2 < _MIN_INK_MM2:
        return BlankAnalysis(True, *args, "порожня сторінка")
    reason = (
        f"є вміст: {measured.blobs} об'єкт(ів), {measured.mm2:.1f} мм² чорнила, "
        f"найбільший {measured.largest_mm:.0f} мм"
    )
    return BlankAnalysis(False, *args, reason)


def is_blank(image: Image.Image) -> bool:
    """True for an empty page (a duplex back); any real mark makes it non-blank."""
    return analyse_blank(image).blank
