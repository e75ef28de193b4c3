"""Small image helpers shared by the desk modules."""

from __future__ import annotations

import math
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

Gray = npt.NDArray[np.uint8]

A4_SHORT_MM: Final = 210.0
MM_PER_INCH: Final = 25.4


def u8(array: npt.ArrayLike) -> Gray:
    """View an OpenCV result as the uint8 array it is (no copy when it already is)."""
    return np.asarray(array, dtype=np.uint8)


def to_gray(image: Image.Image) -> Gray:
    """8-bit grayscale array of any PIL image (bilevel, palette, RGB, 16-bit…)."""
    if image.mode in {"I;16", "I;16B", "I;16L", "I"}:
        wide = np.asarray(image, dtype=np.uint32)
        # 16-bit scans use the full range; keep the top byte.
        shift = 8 if image.mode.startswith("I;16") or wide.max(initial=0) > 255 else 0
        return np.ascontiguousarray((wide >> shift).clip(0, 255).astype(np.uint8))
    if image.mode == "F":
        return np.ascontiguousarray(np.asarray(image).clip(0, 255).astype(np.uint8))
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas of an exported image are paper, not ink.
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return np.ascontiguousarray(np.asarray(image.convert("L"), dtype=np.uint8))


def percentiles(gray: Gray, *fractions: float) -> list[int]:
    """Grey levels at the given fractions (0..1) of the pixels, from the histogram.

    ``np.percentile`` sorts the whole page; a 256-bin histogram is ~20× faster.
    """
    cumulative = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    levels = np.searchsorted(cumulative, [f * float(cumulative[-1]) for f in fractions])
    return [int(v) for v in levels]


def threshold_below(gray: Gray, level: float) -> Gray:
    """Mask (255) of pixels strictly darker than ``level``."""
    # THRESH_BINARY_INV marks src <= thresh; for integer pixels, src < level
    # is src <= ceil(level) - 1.
    _, mask = cv2.threshold(gray, math.ceil(level) - 1, 255, cv2.THRESH_BINARY_INV)
    return u8(mask)


def page_dpi(gray: Gray) -> float:
    """Resolution estimated from the page size, taking the short side as A4 width.

    Scanner metadata is often missing or wrong (a PDF page rendered at an
    arbitrary scale has none), while desk scans are A4 (or Letter, 3 % off).
    """
    return float(min(gray.shape)) * MM_PER_INCH / A4_SHORT_MM


def resize_to_dpi(gray: Gray, dpi: float, target_dpi: float) -> Gray:
    """Resample ``gray`` from ``dpi`` to ``target_dpi`` (area averaging when shrinking)."""
    factor = target_dpi / dpi
    if abs(factor - 1.0) < 0.02:
        return gray
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return u8(cv2.resize(gray, None, fx=factor, fy=factor, interpolation=interpolation))
