"""Finding and reading cover sheets in scanned pages.

:func:`recognise_page` is the one call the batch splitter needs: it reads the
QR code with a cascade of image clean-ups, verifies the payload's check value
and, when nothing valid was read, says whether the page still *looks* like a
cover sheet (the two black bands, a damaged QR code, a payload that fails its
check), so an unreadable cover sheet is reported and never silently taken for
a document page of the previous case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import cv2
import numpy as np
import zxingcpp
from PIL import Image

from scanner._imaging import (
    Gray,
    page_dpi,
    percentiles,
    resize_to_dpi,
    threshold_below,
    to_gray,
    u8,
)
from scanner.cover_sheet import (
    BAND_HEIGHT_MM,
    BAND_MARGIN_MM,
    BAND_WIDTH_MM,
    PAGE_HEIGHT_MM,
    PAYLOAD_PREFIX,
    CoverSheet,
    CoverSheetPayloadError,
    decode_payload,
)

_QR_FORMATS: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
# The big symbol has ~2 mm modules: 200 dpi gives ~15 px per module, plenty,
# and keeps every pass of the cascade cheap on 300/600 dpi scans.
_WORK_DPI: Final = 200.0
# Band search runs on a ~72 dpi thumbnail: a band is still ~45 px tall there.
_BAND_DPI: Final = 72.0
_CNAP_PREFIX: Final = PAYLOAD_PREFIX[:4].encode("ascii")  # "CNAP", any version


@dataclass(frozen=True, slots=True)
class Band:
    """A solid dark bar of the cover sheet's band size found on a page (millimetres)."""

    centre: tuple[float, float]
    length_mm: float
    height_mm: float
    angle_deg: float
    fill: float


@dataclass(frozen=True, slots=True)
class Recognition:
    """What a page turned out to be.

    ``sheet`` is set when a valid cover-sheet payload was read.  ``suspect`` is
    set when no valid payload was read but the page looks like a cover sheet.
    ``reason`` explains the verdict in Ukrainian for the administrator;
    ``attempt`` names the cascade pass that decoded the code.
    """

    sheet: CoverSheet | None
    suspect: bool
    reason: str
    attempt: str | None = None
    bands: tuple[Band, ...] = field(default=())

    @property
    def is_cover_sheet(self) -> bool:
        """True when a valid cover sheet was read."""
        return self.sheet is not None


@dataclass(slots=True)
class _Evidence:
    sheets: set[CoverSheet] = field(default_factory=set)
    bad_payloads: list[str] = field(default_factory=list)
    damaged_symbols: int = 0


def _otsu(gray: Gray) -> Gray:
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    _, binary = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return u8(binary)


def _stretch(gray: Gray) -> Gray:
    # Faded toner or a light scan: map the 1st..99th percentile to full range.
    low, high = percentiles(gray, 0.01, 0.99)
    if high - low < 8:
        return gray
    table = ((np.arange(256, dtype=np.float32) - low) * (255.0 / (high - low))).clip(0, 255)
    return u8(cv2.LUT(gray, table.astype(np.uint8)))


def _variants(gray: Gray) -> Iterator[tuple[str, Gray]]:
    """Versions of the page to try in turn, cheapest and most likely first."""
    dpi = page_dpi(gray)
    work = resize_to_dpi(gray, dpi, _WORK_DPI) if dpi > _WORK_DPI * 1.15 else gray
    yield "як є", work
    # Median filters remove scanner speckle and the salt-and-pepper of a
    # thresholded noisy scan without rounding the QR modules' corners much.
    yield "медіанний фільтр 3", u8(cv2.medianBlur(work, 3))
    yield "медіанний фільтр 5", u8(cv2.medianBlur(work, 5))
    binary = _otsu(work)
    yield "бінаризація Оцу", binary
    yield "розтяг контрасту", _stretch(u8(cv2.medianBlur(work, 3)))
    if page_dpi(work) < 180:
        # Low-resolution or bilevel scans: jagged module edges decode better
        # after smooth upsampling.
        upscaled = u8(cv2.resize(work, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC))
        yield "збільшення ×2", u8(cv2.medianBlur(upscaled, 3))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    # Closing the ink fills white pinholes in dark modules; opening clears
    # dark specks from light ones.  Ink is black here, so the operations are
    # mirrored: closing the ink is a morphological opening of the page.
    yield "морфологічне закриття", u8(cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel))
    yield "морфологічне відкриття", u8(cv2.morphologyEx(binary, cv2.MORPH_CLOSE, kernel))
    # A pen stroke or a signature across the code, thinner than a module of
    # the big symbol (≥ 1.6 mm for payloads up to version 10), is cleared by
    # opening the ink with a 1.3 mm square; the modules survive it.
    stroke = max(3, round(1.3 * page_dpi(work) / 25.4))
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (stroke, stroke))
    yield "зняття тонких штрихів", u8(cv2.morphologyEx(binary, cv2.MORPH_CLOSE, square))
    half = cv2.resize(work, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    yield "зменшення ×0.5", u8(half)
    if work is not gray:
        yield "повна роздільність", gray


def _read(gray: Gray, evidence: _Evidence) -> None:
    barcodes = zxingcpp.read_barcodes(
        gray,
        formats=_QR_FORMATS,
        try_rotate=True,
        try_downscale=True,
        # Cover sheets are printed dark on light; skipping the inverted pass
        # saves a third of the time on every document page.
        try_invert=False,
        return_errors=True,
    )
    for barcode in barcodes:
        if not barcode.valid:
            evidence.damaged_symbols += 1
            continue
        raw = barcode.bytes
        if not raw.startswith(_CNAP_PREFIX):
            continue  # the document's own QR code (a register extract, Diia…)
        try:
            evidence.sheets.add(decode_payload(raw.decode("utf-8")))
        except (UnicodeDecodeError, CoverSheetPayloadError) as exc:
            evidence.bad_payloads.append(str(exc))


def find_bands(image: Image.Image | Gray) -> list[Band]:
    """Solid dark bars shaped like the cover sheet's top and bottom bands."""
    gray = to_gray(image) if isinstance(image, Image.Image) else image
    small = resize_to_dpi(gray, page_dpi(gray), _BAND_DPI)
    px_per_mm = page_dpi(small) / 25.4
    # The band is 16 mm tall: a 0.6 mm blur leaves it intact and flattens
    # scanner noise that would otherwise fray its outline.
    smooth = u8(cv2.GaussianBlur(small, (0, 0), 0.6 * px_per_mm))
    threshold, _ = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu on a nearly empty page picks a meaningless level; the band is
    # black, so a fixed ceiling is safe.
    threshold = float(np.clip(threshold, 60, 170))
    ink = threshold_below(smooth, threshold)
    size = max(3, round(1.5 * px_per_mm) | 1)
    # Close the white lettering inside the band so it counts as solid.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    ink = u8(cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel))
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area = 0.4 * BAND_WIDTH_MM * BAND_HEIGHT_MM * px_per_mm**2
    bands: list[Band] = []
    for contour in contours:
        area = float(cv2.contourArea(contour))
        if area < min_area:
            continue
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        length, height = max(w, h) / px_per_mm, min(w, h) / px_per_mm
        # A skewed page loses a band's corners past the scan area, hence the
        # generous lower bound on length; a full-width dark scanner border
        # (~210 mm) stays above the upper one.
        if not (0.7 * BAND_WIDTH_MM <= length <= 1.08 * BAND_WIDTH_MM):
            continue
        if not (0.6 * BAND_HEIGHT_MM <= height <= 1.5 * BAND_HEIGHT_MM):
            continue
        fill = area / max(w * h, 1.0)
        if fill < 0.8:
            continue
        long_angle = angle if w >= h else angle + 90.0
        centre = (cx / px_per_mm, cy / px_per_mm)
        bands.append(Band(centre, length, height, long_angle % 180.0, fill))
    return bands


def _band_pair(bands: list[Band]) -> bool:
    """Two parallel bands about a page apart: the cover sheet's frame."""
    expected_gap = PAGE_HEIGHT_MM - 2 * BAND_MARGIN_MM - BAND_HEIGHT_MM
    for i, first in enumerate(bands):
        for second in bands[i + 1 :]:
            turn = abs(first.angle_deg - second.angle_deg) % 180.0
            if min(turn, 180.0 - turn) > 4.0:
                continue
            gap = float(
                np.hypot(first.centre[0] - second.centre[0], first.centre[1] - second.centre[1])
            )
            if 0.7 * expected_gap <= gap <= 1.15 * expected_gap:
                return True
    return False


def _suspect_reason(evidence: _Evidence, bands: list[Band], pair: bool) -> str | None:
    if evidence.bad_payloads:
        return f"QR-код титульного аркуша не пройшов перевірку: {evidence.bad_payloads[0]}"
    if pair:
        return "схоже на титульний аркуш (дві чорні смуги), але QR-код не прочитано"
    if bands and evidence.damaged_symbols:
        return "схоже на титульний аркуш (чорна смуга і пошкоджений QR-код), QR-код не прочитано"
    return None


def recognise_page(image: Image.Image) -> Recognition:
    """Read a cover sheet from a scanned page, or tell why it could not be read."""
    gray = to_gray(image)
    evidence = _Evidence()
    for name, variant in _variants(gray):
        _read(variant, evidence)
        if len(evidence.sheets) == 1:
            sheet = next(iter(evidence.sheets))
            return Recognition(sheet, False, f"титульний аркуш прочитано ({name})", name)
        if len(evidence.sheets) > 1:
            numbers = ", ".join(sorted(s.case_number for s in evidence.sheets))
            return Recognition(None, True, f"на сторінці різні титульні QR-коди (справи {numbers})")
    bands = find_bands(gray)
    reason = _suspect_reason(evidence, bands, _band_pair(bands))
    if reason is not None:
        return Recognition(None, True, reason, bands=tuple(bands))
    return Recognition(None, False, "не титульний аркуш", bands=tuple(bands))


def read_cover_sheet(image: Image.Image) -> CoverSheet | None:
    """The cover sheet on ``image`` if its QR code reads and verifies, else None."""
    return recognise_page(image).sheet


def looks_like_cover_sheet(image: Image.Image) -> bool:
    """True when the page looks like a cover sheet, whether or not its QR code reads.

    A page for which this is true but :func:`read_cover_sheet` gives None is a
    damaged cover sheet: the splitter reports it and stops attaching pages to
    the previous case.
    """
    verdict = recognise_page(image)
    return verdict.is_cover_sheet or verdict.suspect
