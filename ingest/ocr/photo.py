"""Phone photographs of paper: find the page, undo the perspective, even out the light.

Citizens e-mail copies of documents photographed with a phone: the sheet lies
on a table at an angle, there is background around it, and a shadow or a light
gradient runs across it. Before OCR such a picture is turned into a flat page:

1. :func:`find_page` looks for the sheet at a small analysis size: text is
   wiped out by a morphological closing (the paper becomes a plain bright
   area), then the outline of the largest bright convex quadrilateral is taken
   from the edges (Canny) or, failing that, from an Otsu mask;
2. :func:`warp_page` maps those four corners onto a rectangle with the page's
   own proportions (:func:`page_aspect` recovers them from the perspective;
   a value close to a paper format snaps to it);
3. :func:`even_light` divides the page by an estimate of its background (a
   large closing, which removes the ink, then a blur): shadows and gradients
   become white paper, the ink keeps its contrast.

:func:`assess` decides whether an image is such a photo at all. Desk scans
must come through untouched, so a page is corrected only when a camera wrote
the file (exposure data in EXIF), or when a bright sheet on a darker
surround is seen *in perspective* (its opposite sides clearly not parallel:
a flatbed or sheet-fed scanner never produces that).

Conventions as in :mod:`ingest.ocr.imaging`: ``uint8`` arrays, 255 = paper;
corners are ``float64`` (4, 2) arrays of (x, y) in the order top-left,
top-right, bottom-right, bottom-left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

Gray = npt.NDArray[np.uint8]
Pixels = npt.NDArray[np.uint8]  # (h, w) grey or (h, w, 3) colour
Corners = npt.NDArray[np.float64]

# Long side of the image the page is looked for in: enough for corners within
# a few pixels of the full-size photo, small enough to cost milliseconds.
ANALYSIS_LONG_SIDE = 1000
# The sheet must cover at least this share of the frame to be "the page".
MIN_PAGE_AREA = 0.15
# Paper must be this much brighter (0..255) than what surrounds it.
MIN_CONTRAST = 25.0
# Share of each side of the page that must lie on a detected edge.
MIN_SUPPORT = 0.5
# Without camera EXIF: how far from parallel (degrees) a pair of opposite
# sides must be for the picture to count as taken at an angle.
MIN_PERSPECTIVE_DEG = 1.5
# Paper formats a recovered aspect ratio snaps to (long side / short side):
# ISO A series, US Letter, and the ID-1 card (passport card, taxpayer card).
PAPER_ASPECTS = (math.sqrt(2.0), 11.0 / 8.5, 85.6 / 53.98)
SNAP_TOLERANCE = 0.03
# Focal lengths (in image diagonals) believed from the geometry, and the guess
# when it cannot tell: ~26 mm equivalent, the main camera of most phones.
PHONE_FOCAL = (0.35, 2.5)
PHONE_FOCAL_GUESS = 0.6
# EXIF tags only a camera writes (scanner drivers write Make/Model too).
_EXIF_IFD = 0x8769
_CAMERA_TAGS = (0x829A, 0x829D, 0x8827, 0x920A, 0xA405)  # exposure, f-number, ISO, focal


@dataclass(frozen=True, slots=True)
class PhotoPlan:
    """What to do to one image before OCR."""

    corners: Corners | None  # the page in the image's pixel coordinates, or None
    even_light: bool
    reason: str  # "camera", "perspective" (for logs and tests; no document data)

    def scaled(self, factor: float) -> PhotoPlan:
        """The same plan for the image enlarged by ``factor``."""
        corners = None if self.corners is None else self.corners * factor
        return PhotoPlan(corners=corners, even_light=self.even_light, reason=self.reason)


def camera_exif(img: Image.Image) -> bool:
    """Whether the image carries exposure data that only a camera writes."""
    try:
        exif = img.getexif()
        ifd = exif.get_ifd(_EXIF_IFD)
    except Exception:  # broken EXIF is no evidence either way
        return False
    return any(tag in ifd for tag in _CAMERA_TAGS)


def _analysis_scale(shape: tuple[int, ...]) -> float:
    return min(1.0, ANALYSIS_LONG_SIDE / max(shape[0], shape[1]))


def _to_gray(pixels: Pixels) -> Gray:
    if pixels.ndim == 2:
        return pixels
    return np.asarray(cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def order_corners(points: npt.ArrayLike) -> Corners:
    """Four points in the order top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(points, dtype=np.float64).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    # Clockwise on screen (y down) starting from the point up and to the left.
    pts = pts[np.argsort(angles)]
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    return np.roll(pts, -start, axis=0)


def _quad_candidates(small: Gray) -> tuple[list[npt.NDArray[np.int32]], Gray]:
    """Convex quadrilaterals that may be the page, and the edge map they came from."""
    h, w = small.shape
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    # Closing fills the dark strokes of text with the paper around them.
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, iterations=2)
    closed = cv2.GaussianBlur(closed, (5, 5), 0)
    edges = cv2.Canny(closed, 40, 120)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    _, bright = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    found: list[npt.NDArray[np.int32]] = []
    for mask, mode in ((edges, cv2.RETR_LIST), (bright, cv2.RETR_EXTERNAL)):
        contours, _ = cv2.findContours(mask, mode, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            # The hull, not the contour: a side broken where a shadow meets
            # the table leaves an open chain of edge pixels with no area.
            hull = cv2.convexHull(contour)
            if cv2.contourArea(hull) < MIN_PAGE_AREA * h * w:
                continue
            perimeter = cv2.arcLength(hull, True)
            for eps in (0.02, 0.03, 0.05):
                approx = cv2.approxPolyDP(hull, eps * perimeter, True)
                if len(approx) == 4:
                    found.append(np.asarray(approx, dtype=np.int32))
                    break
    return found, np.asarray(edges, dtype=np.uint8)


def side_support(edges: Gray, quad: Corners) -> float:
    """The weakest side's share of points lying on an edge (0..1).

    A real sheet has an edge all along each side; a quadrilateral forced onto
    the paper merged with a bright patch of table has a side across nothing.
    """
    h, w = edges.shape
    near = cv2.dilate(edges, np.ones((5, 5), np.uint8)) > 0
    weakest = 1.0
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        t = np.linspace(0.05, 0.95, 64)[:, None]
        pts = np.round(a + t * (b - a)).astype(np.int64)
        xs = np.clip(pts[:, 0], 0, w - 1)
        ys = np.clip(pts[:, 1], 0, h - 1)
        weakest = min(weakest, float(near[ys, xs].mean()))
    return weakest


def _contrast(small: Gray, quad: Corners) -> float:
    """Median brightness inside the quadrilateral minus the median in a band around it."""
    inside = np.zeros(small.shape, np.uint8)
    cv2.fillConvexPoly(inside, np.round(quad).astype(np.int32), 1)
    band = cv2.dilate(inside, np.ones((31, 31), np.uint8)) - inside
    # Erode the inside so the edge's own blur does not count as paper.
    core = cv2.erode(inside, np.ones((15, 15), np.uint8))
    if not core.any() or not band.any():
        return 0.0
    return float(np.median(small[core > 0])) - float(np.median(small[band > 0]))


def find_page(gray: Gray) -> Corners | None:
    """The corners of the sheet of paper in ``gray`` (same coordinates), or None.

    The sheet is the largest convex quadrilateral covering at least
    :data:`MIN_PAGE_AREA` of the frame whose inside is clearly brighter than
    its surround. ``gray`` may be of any size; it is looked at with a long
    side of :data:`ANALYSIS_LONG_SIDE` pixels.
    """
    scale = _analysis_scale(gray.shape)
    small = gray
    if scale < 1.0:
        small = np.asarray(
            cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA),
            dtype=np.uint8,
        )
    best: Corners | None = None
    best_area = 0.0
    frame_area = float(small.shape[0] * small.shape[1])
    candidates, edges = _quad_candidates(small)
    for approx in candidates:
        quad = order_corners(approx)
        area = float(cv2.contourArea(quad.astype(np.float32)))
        # The frame itself (a scan's border) is not a page inside the frame.
        if area > 0.98 * frame_area or area <= best_area:
            continue
        if _contrast(small, quad) < MIN_CONTRAST or side_support(edges, quad) < MIN_SUPPORT:
            continue
        best, best_area = quad, area
    if best is None:
        return None
    return best / scale


def _angle_deg(v1: npt.NDArray[np.float64], v2: npt.NDArray[np.float64]) -> float:
    cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-12))
    return math.degrees(math.acos(max(-1.0, min(1.0, abs(cos)))))


def perspective_deg(corners: Corners) -> float:
    """How far from parallel the opposite sides are (the larger of the two pairs), degrees."""
    tl, tr, br, bl = corners
    return max(_angle_deg(tr - tl, br - bl), _angle_deg(bl - tl, br - tr))


def assess(gray: Gray, *, camera: bool) -> PhotoPlan | None:
    """Whether ``gray`` (the upright image, any size) is a photo to correct, and how.

    ``camera``: the file carries camera EXIF (:func:`camera_exif`). Corners
    are in ``gray``'s coordinates (see :meth:`PhotoPlan.scaled`).
    """
    corners = find_page(gray)
    if camera:
        return PhotoPlan(corners=corners, even_light=True, reason="camera")
    if corners is not None and perspective_deg(corners) >= MIN_PERSPECTIVE_DEG:
        return PhotoPlan(corners=corners, even_light=True, reason="perspective")
    return None


def page_aspect(corners: Corners, image_size: tuple[int, int]) -> float:
    """Width / height of the real page seen through ``corners`` in an image of ``image_size``.

    Zhang & He, "Whiteboard scanning and image enhancement" (2007): with the
    principal point at the image centre, the quadrilateral determines the focal
    length and from it the true aspect ratio. When the view is nearly frontal
    (the focal length is then undetermined) the mean side lengths are used.
    Values within :data:`SNAP_TOLERANCE` of a paper format snap to it.
    """
    tl, tr, br, bl = corners
    width_px = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2.0
    height_px = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2.0
    ratio = float(width_px / height_px)
    u0, v0 = image_size[0] / 2.0, image_size[1] / 2.0
    diagonal = math.hypot(*image_size)
    m1, m2, m3, m4 = (np.array([p[0], p[1], 1.0]) for p in (tl, tr, bl, br))
    try:
        k2 = np.dot(np.cross(m1, m4), m3) / np.dot(np.cross(m2, m4), m3)
        k3 = np.dot(np.cross(m1, m4), m2) / np.dot(np.cross(m3, m4), m2)
        n2 = k2 * m2 - m1
        n3 = k3 * m3 - m1
        f2 = 0.0
        if abs(n2[2] * n3[2]) > 1e-12:
            f2 = -(
                (n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + n2[2] * n3[2] * u0 * u0)
                + (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + n2[2] * n3[2] * v0 * v0)
            ) / (n2[2] * n3[2])
        f = math.sqrt(f2) if f2 > 0 else 0.0
        # With one pair of sides (nearly) parallel the focal length is
        # undetermined; a phone's main camera (~26 mm equivalent) is then assumed.
        if not PHONE_FOCAL[0] * diagonal <= f <= PHONE_FOCAL[1] * diagonal:
            f = PHONE_FOCAL_GUESS * diagonal
        a_inv = np.linalg.inv(np.array([[f, 0.0, u0], [0.0, f, v0], [0.0, 0.0, 1.0]]))
        q = a_inv.T @ a_inv
        est = math.sqrt(float(n2 @ q @ n2) / float(n3 @ q @ n3))
        # A wild estimate (corners slightly off on a near-frontal view) is
        # worse than the plain one.
        if 0.7 * ratio <= est <= 1.4 * ratio:
            ratio = est
    except (ZeroDivisionError, FloatingPointError, ValueError, np.linalg.LinAlgError):
        pass
    long_short = max(ratio, 1.0 / ratio)
    for paper in PAPER_ASPECTS:
        if abs(long_short - paper) <= SNAP_TOLERANCE * paper:
            long_short = paper
            break
    return long_short if ratio >= 1.0 else 1.0 / long_short


def warp_page(pixels: Pixels, corners: Corners, *, min_long_side: int = 0) -> Pixels:
    """The page inside ``corners`` mapped to an upright rectangle of its own aspect.

    The output keeps about the resolution the photo had at the page's nearest
    side (nothing is thrown away); ``min_long_side`` enlarges small pages.
    """
    h, w = pixels.shape[:2]
    tl, tr, br, bl = corners
    aspect = page_aspect(corners, (w, h))
    width_px = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height_px = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    # Keep the larger measured side and derive the other from the aspect.
    if width_px / aspect >= height_px:
        out_w, out_h = float(width_px), float(width_px / aspect)
    else:
        out_w, out_h = float(height_px * aspect), float(height_px)
    long_side = max(out_w, out_h)
    if min_long_side and long_side < min_long_side:
        grow = min(2.0, min_long_side / long_side)
        out_w, out_h = out_w * grow, out_h * grow
    size = (max(1, round(out_w)), max(1, round(out_h)))
    target = np.array(
        [[0, 0], [size[0] - 1, 0], [size[0] - 1, size[1] - 1], [0, size[1] - 1]],
        dtype=np.float32,
    )
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    out = cv2.warpPerspective(
        pixels, matrix, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(out, dtype=np.uint8)


def _background(channel: Gray) -> npt.NDArray[np.float32]:
    """The paper's brightness without the ink, at full size (float32)."""
    h, w = channel.shape
    scale = min(1.0, ANALYSIS_LONG_SIDE / max(h, w))
    small = cv2.resize(channel, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # At 1000 px for an A4 long side the kernel is about 7 mm: wider than
    # any letter of body text or a heading, narrower than a shadow.
    size = max(3, round(25 * max(small.shape) / ANALYSIS_LONG_SIDE)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    smooth = cv2.GaussianBlur(closed, (0, 0), size / 2.0)
    full = cv2.resize(smooth, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.maximum(np.asarray(full, dtype=np.float32), 1.0)


def even_light(pixels: Pixels) -> Pixels:
    """Divide out the lighting: shadows and gradients become white paper.

    Each colour channel is divided by its own background, so coloured ink
    (blue seals and signatures) keeps its colour.
    """
    channels = [pixels] if pixels.ndim == 2 else [pixels[..., c] for c in range(pixels.shape[2])]
    out = []
    for channel in channels:
        background = _background(np.ascontiguousarray(channel))
        ratio = channel.astype(np.float32) / background
        out.append(np.clip(ratio * 255.0, 0, 255).astype(np.uint8))
    return out[0] if pixels.ndim == 2 else np.dstack(out)


def correct(pixels: Pixels, plan: PhotoPlan, *, min_long_side: int = 0) -> Pixels:
    """Apply ``plan``: the flat, evenly lit page."""
    page = pixels
    if plan.corners is not None:
        page = warp_page(page, plan.corners, min_long_side=min_long_side)
    if plan.even_light:
        page = even_light(page)
    return page
