"""Page image analysis for bad desk scans: binarisation, skew, upside-down detection.

Pure NumPy/OpenCV, no Tesseract: every function here costs milliseconds, so it
can run on every page without hurting throughput. Conventions:

- ``gray`` images are ``uint8`` arrays, 255 = paper;
- ``ink`` masks are ``uint8`` arrays, 1 = ink;
- angles are degrees counter-clockwise as seen on screen (OpenCV's convention),
  and ``skew_deg`` is the rotation that makes the text lines horizontal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]

# Resolution at which whole-page decisions (skew, orientation) are made: enough
# for i-dots of 10 pt text to survive, small enough to cost a few milliseconds.
ANALYSIS_DPI = 150.0
# Skew search range; desk scans are within a few degrees, and Tesseract's own
# layout analysis copes with the rest.
MAX_SKEW_DEG = 6.0


@dataclass(frozen=True, slots=True)
class Binarised:
    ink: Gray  # 1 = ink
    threshold: float
    paper_sigma: float  # robust noise estimate of the paper, before smoothing


@dataclass(frozen=True, slots=True)
class PageAnalysis:
    """What the cheap analysis found out about one page image."""

    skew_deg: float
    # +1 … -1: evidence that the page is upright (positive) or upside down.
    upright_score: float
    # Whether the evidence is strong enough to act on without Tesseract.
    decided: bool
    # Text lines run vertically: the page lies on its side (90°/270°).
    sideways: bool
    text_lines: int
    # Noise of the paper at the analysis resolution (0..255).
    paper_sigma: float

    @property
    def upside_down(self) -> bool:
        return self.upright_score < 0


def resize_to_dpi(gray: Gray, dpi: float, target_dpi: float) -> tuple[Gray, float]:
    """Downscale with area averaging (which also averages sensor noise away)."""
    if dpi <= target_dpi * 1.05:
        return gray, dpi
    scale = target_dpi / dpi
    out = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.asarray(out, dtype=np.uint8), target_dpi


def _hist_median(hist: npt.NDArray[np.int64]) -> int:
    return int(np.searchsorted(np.cumsum(hist), (int(hist.sum()) + 1) // 2))


def paper_noise(gray: Gray) -> tuple[float, float]:
    """Median paper level and robust sigma (1.4826 × MAD), from the histogram."""
    hist = np.bincount(gray[::2, ::2].ravel(), minlength=256).astype(np.int64)
    median = _hist_median(hist)
    # Histogram of |v - median|: fold the histogram around the median.
    dev = np.zeros(256, dtype=np.int64)
    levels = np.arange(256)
    np.add.at(dev, np.abs(levels - median), hist)
    return float(median), 1.4826 * _hist_median(dev)


def binarise(gray: Gray, dpi: float, *, smooth: bool = True) -> Binarised:
    """Denoise and threshold a scan.

    A Gaussian blur scaled to the resolution removes sensor noise and dust
    specks (a one-pixel speck fades below the threshold) while strokes survive.
    Otsu alone fails on a mostly empty noisy page: the histogram is then one
    wide paper peak and Otsu splits it, turning noise into ink; the threshold is
    therefore capped at five robust sigmas below the paper level.
    """
    _, sigma = paper_noise(gray)
    if smooth:
        radius = 1.2 * dpi / 300.0
        blurred = cv2.GaussianBlur(gray, (0, 0), radius) if radius > 0.3 else gray
    else:
        blurred = gray
    otsu, _ = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    threshold = float(otsu)
    smoothed_paper, smoothed_sigma = paper_noise(np.asarray(blurred, dtype=np.uint8))
    if smoothed_sigma > 0:
        threshold = min(threshold, smoothed_paper - 5.0 * smoothed_sigma)
    ink = (np.asarray(blurred) <= threshold).astype(np.uint8)
    return Binarised(ink=ink, threshold=threshold, paper_sigma=sigma)


def _min_mark_area(dpi: float) -> int:
    """Area in pixels below which a blob is too small to be a full stop or i-dot."""
    return max(2, round(8.0 * (dpi / 300.0) ** 2))


#: Below this a page is not turned: the turn would cost more than the skew does.
MIN_SKEW_DEG = 0.15


def rotate(img: Gray, angle_deg: float, *, fill: int, nearest: bool = False) -> Gray:
    """Rotate about the centre, same canvas size (like a sheet turned on the glass)."""
    h, w = img.shape
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, 1.0)
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    out = cv2.warpAffine(img, matrix, (w, h), flags=flags, borderValue=fill)
    return np.asarray(out, dtype=np.uint8)


def _line_score(ys: npt.NDArray[np.float64], xs: npt.NDArray[np.float64], angle: float) -> float:
    # Sharp transitions between text lines and gaps give a spiky horizontal
    # projection; the sum of squared differences peaks at the right angle. For
    # a few degrees a shear is as good as a rotation and needs no new image.
    rows = ys - xs * math.tan(math.radians(angle))
    profile = np.bincount((rows - rows.min()).astype(np.int64)).astype(np.float64)
    return float(np.square(np.diff(profile)).sum())


def estimate_skew(ink: Gray) -> tuple[float, float]:
    """Return (angle that makes lines horizontal, line score at that angle).

    Coarse-to-fine search over the projection profile of the ink pixels;
    precision is about 0.1° on a mask at 150 dpi.
    """
    ys_i, xs_i = np.nonzero(ink)
    if ys_i.size < 50:
        return 0.0, 0.0
    ys, xs = ys_i.astype(np.float64), xs_i.astype(np.float64)
    # The coarse pass sees every fourth ink pixel: the profile shape survives.
    coarse = np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 0.01, 0.5)
    scores = [_line_score(ys[::4], xs[::4], float(a)) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 0.4, best + 0.41, 0.1)
    fine_scores = [_line_score(ys, xs, float(a)) for a in fine]
    i = int(np.argmax(fine_scores))
    return round(float(fine[i]), 2), fine_scores[i]


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


@dataclass(frozen=True, slots=True)
class _Evidence:
    dots_above: int
    dots_below: int
    ink_above: float
    ink_below: float
    starts_aligned: float
    ends_aligned: float
    lines: int


def _orientation_evidence(ink: Gray, dpi: float) -> _Evidence:
    """Collect up/down cues from a deskewed ink mask.

    For each text line the x-height band is where the row profile is dense.
    Small marks outside the band are mostly above it in upright Cyrillic and
    Latin text (dots of і/ї/i/j, й breve, apostrophes, accents), and below it
    when the page is upside down; full stops and commas sit on the baseline
    inside the band. Ascenders/capitals/digits versus descenders and the
    aligned left margin give two weaker cues.
    """
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    # Specks smaller than a full stop are noise, not dots.
    stats = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= _min_mark_area(dpi)]
    tops = stats[:, cv2.CC_STAT_TOP]
    heights = stats[:, cv2.CC_STAT_HEIGHT]
    widths = stats[:, cv2.CC_STAT_WIDTH]
    profile = ink.sum(axis=1)
    peak = int(profile.max()) if profile.size else 0
    dots_above = dots_below = 0
    ink_above = ink_below = 0.0
    starts: list[int] = []
    ends: list[int] = []
    lines = 0
    for a, b in _runs(profile > max(2, 0.02 * peak)):
        if b - a < 4:
            continue
        band = profile[a:b].astype(np.float64)
        core = np.flatnonzero(band >= 0.5 * band.max())
        top, bottom = a + int(core[0]), a + int(core[-1])
        x_height = bottom - top + 1
        if x_height < 3:
            continue
        lines += 1
        ink_above += float(band[: core[0]].sum())
        ink_below += float(band[core[-1] + 1 :].sum())
        cols = np.flatnonzero(ink[a:b].any(axis=0))
        starts.append(int(cols[0]))
        ends.append(int(cols[-1]))
        inside = (tops >= a) & (tops + heights <= b)
        small = inside & (heights <= 0.6 * x_height) & (widths <= 0.6 * x_height)
        dots_above += int(np.count_nonzero(small & (tops + heights <= top + 1)))
        dots_below += int(np.count_nonzero(small & (tops >= bottom - 1)))
    width = ink.shape[1]

    def aligned(xs: list[int]) -> float:
        if not xs:
            return 0.0
        arr = np.asarray(xs)
        return float(np.mean(np.abs(arr - np.median(arr)) < 0.01 * width))

    return _Evidence(
        dots_above, dots_below, ink_above, ink_below, aligned(starts), aligned(ends), lines
    )


def measure_skew(gray: Gray, dpi: float) -> float:
    """The page's skew in degrees (what :func:`prepare_for_ocr` turns it back by)."""
    small, small_dpi = resize_to_dpi(gray, dpi, ANALYSIS_DPI)
    return estimate_skew(binarise(small, small_dpi).ink)[0]


def upright(gray: Gray, skew_deg: float) -> Gray:
    """The grey page turned like :func:`prepare_for_ocr` turns it, for crops that fit its boxes."""
    return rotate(gray, skew_deg, fill=255) if abs(skew_deg) >= MIN_SKEW_DEG else gray


def analyse(gray: Gray, dpi: float) -> PageAnalysis:
    """Skew and up/down evidence for one page (any resolution; works at 150 dpi)."""
    small, small_dpi = resize_to_dpi(gray, dpi, ANALYSIS_DPI)
    binarised = binarise(small, small_dpi)
    ink = binarised.ink
    skew, _ = estimate_skew(ink)
    # A page on its side has its "lines" in columns: compare the best line
    # score of the transposed mask.
    sub = ink[::2, ::2]
    sideways = estimate_skew(np.ascontiguousarray(sub.T))[1] > 1.5 * estimate_skew(sub)[1]
    evidence = _orientation_evidence(rotate(ink, skew, fill=0, nearest=True), small_dpi)
    dots = evidence.dots_above + evidence.dots_below
    dot_vote = (evidence.dots_above - evidence.dots_below) / (dots + 1)
    asym = math.log((evidence.ink_above + 1) / (evidence.ink_below + 1))
    align = evidence.starts_aligned - evidence.ends_aligned
    # Dots are by far the strongest cue on real text (see docs/ocr.md); the two
    # weaker cues can tip a page only together with them.
    score_total = 2.0 * dot_vote + max(-1.0, min(1.0, asym)) + 0.5 * align
    upright_score = max(-1.0, min(1.0, score_total / 3.5))
    agree = (dot_vote > 0) == (score_total > 0)
    decided = (
        not sideways
        and evidence.lines >= 3
        and dots >= 6
        and abs(dot_vote) >= 0.5
        and abs(score_total) >= 1.2
        and agree
    )
    return PageAnalysis(
        skew_deg=skew,
        upright_score=upright_score,
        decided=decided,
        sideways=sideways,
        text_lines=evidence.lines,
        paper_sigma=binarised.paper_sigma,
    )


def prepare_for_ocr(gray: Gray, dpi: float, *, skew_deg: float, bilevel: bool) -> Gray:
    """The image Tesseract sees: denoised, thresholded, deskewed; same size and dpi.

    Binarising here rather than inside Tesseract matters on noisy pages: noise
    specks that survive Tesseract's global Otsu make its layout analysis drop
    whole text blocks. A bilevel scan is already thresholded; a 3×3 median
    removes its salt-and-pepper specks without thickening strokes, and it is
    rotated smoothly and thresholded again (a nearest-neighbour turn of a
    1-bit image leaves jagged glyph edges that cost Tesseract accuracy).
    """
    if bilevel:
        page = np.asarray(cv2.medianBlur(gray, 3), dtype=np.uint8) if dpi >= 200 else gray
        if abs(skew_deg) >= MIN_SKEW_DEG:
            page = rotate(page, skew_deg, fill=255)
        return np.where(page >= 128, 255, 0).astype(np.uint8)
    ink = binarise(gray, dpi).ink
    page = ((1 - ink) * 255).astype(np.uint8)
    if abs(skew_deg) >= MIN_SKEW_DEG:
        page = rotate(page, skew_deg, fill=255, nearest=True)
    return page
