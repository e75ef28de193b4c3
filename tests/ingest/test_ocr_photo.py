"""Phone photos of paper: the page is found, flattened and evenly lit; desk scans are not touched.

Generated photos (``tests.synthetic.photograph``) are small here (a 150-dpi
page in a 1500 × 2000 frame) so the geometry tests take well under a second each.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw

from ingest.ocr import inputs, photo
from tests.synthetic import (
    Photo,
    degrade,
    photograph,
    render_page,
    save_image,
    save_photo,
    scan,
    ukrainian_lines,
)

FRAME = (1500, 2000)


def _page(seed: int = 1, dpi: int = 150) -> Image.Image:
    return render_page(ukrainian_lines(seed, 30), dpi=dpi)


def _gray(img: Image.Image) -> photo.Gray:
    return np.asarray(img.convert("L"), dtype=np.uint8)


def _corner_error(found: photo.Corners, truth: np.ndarray) -> float:
    return float(np.max(np.linalg.norm(found - truth, axis=1)))


@pytest.mark.parametrize(("seed", "tilt"), [(1, 10.0), (2, 15.0), (3, 20.0), (4, 25.0), (5, None)])
def test_page_corners_are_found_within_tolerance(seed: int, tilt: float | None) -> None:
    shot = photograph(_page(seed), seed=seed, tilt_deg=tilt, frame=FRAME)
    found = photo.find_page(_gray(shot.image))
    assert found is not None
    # 1 % of the frame's long side: a few pixels of the 1000-px analysis image.
    assert _corner_error(found, shot.corners) < 0.01 * max(FRAME), (found, shot.corners)
    assert photo.perspective_deg(found) >= photo.MIN_PERSPECTIVE_DEG


@pytest.mark.parametrize("seed", [41, 42, 47])
@pytest.mark.parametrize("table", [(160.0, 160.0, 160.0), (190.0, 185.0, 180.0)])
def test_light_table_gives_the_page_or_nothing_never_a_wrong_page(
    seed: int, table: tuple[float, float, float]
) -> None:
    # On a light table the shadowed part of the sheet is as dark as the table:
    # the page may be missed (then the photo is left as it is), but a
    # quadrilateral of paper merged with table must never be taken for it.
    shot = photograph(_page(seed), seed=seed, frame=FRAME, table=table)
    found = photo.find_page(_gray(shot.image))
    if found is not None:
        assert _corner_error(found, shot.corners) < 0.01 * max(FRAME)
    if table[0] == 160.0:
        assert found is not None  # a mid-grey table is no problem


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_warped_page_has_the_a4_aspect(seed: int) -> None:
    shot = photograph(_page(seed), seed=seed, frame=FRAME)
    pixels = np.asarray(shot.image)
    plan = photo.assess(_gray(shot.image), camera=False)
    assert plan is not None and plan.reason == "perspective"
    out = photo.warp_page(pixels, plan.corners)  # type: ignore[arg-type]
    h, w = out.shape[:2]
    assert w / h == pytest.approx(1 / math.sqrt(2), rel=0.01)
    # About the resolution the photo had: not shrunk below the page's size in it.
    assert h >= 0.9 * np.linalg.norm(shot.corners[3] - shot.corners[0])


def test_aspect_of_a_non_paper_format_is_recovered_from_the_perspective() -> None:
    # A square-ish sheet (0.9): no paper format to snap to, so the value
    # comes from the perspective geometry alone.
    page = Image.new("L", (1350, 1500), 255)
    draw = ImageDraw.Draw(page)
    for y in range(150, 1350, 60):
        draw.rectangle((150, y, 1200, y + 20), fill=0)
    for seed, tilt in ((11, 12.0), (12, 20.0), (13, 25.0)):
        shot = photograph(page, seed=seed, tilt_deg=tilt, frame=FRAME, shadow=False)
        plain = _mean_sides_aspect(shot.corners)
        recovered = photo.page_aspect(shot.corners, FRAME)
        assert recovered == pytest.approx(0.9, rel=0.015), (tilt, plain, recovered)
        assert abs(plain - 0.9) > abs(recovered - 0.9) or abs(plain - 0.9) < 0.01


def _mean_sides_aspect(c: np.ndarray) -> float:
    tl, tr, br, bl = c
    w = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    h = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(w / h)


def test_corner_order_is_clockwise_from_top_left() -> None:
    pts = [(90, 110), (10, 5), (95, 8), (3, 100)]
    got = photo.order_corners(pts)
    assert got.tolist() == [[10, 5], [95, 8], [90, 110], [3, 100]]


def test_even_light_turns_shadowed_paper_white_and_keeps_the_ink() -> None:
    page = _gray(_page(9))
    h, w = page.shape
    # A gradient from full light to 45 % and a hard-ish shadow over one half.
    light = np.linspace(1.0, 0.45, w, dtype=np.float32)[None, :].repeat(h, axis=0)
    light[: h // 2] *= 0.7
    shaded = (page.astype(np.float32) * light).astype(np.uint8)
    flat = photo.even_light(shaded)
    paper = page > 200
    ink = page < 60
    assert float(np.percentile(flat[paper], 10)) > 225  # the shade is gone
    assert float(np.median(shaded[paper])) < 170  # (it was there)
    assert float(np.median(flat[ink])) < 110  # text still dark


def _jpeg_with_exif(img: Image.Image, path: Path, tags: dict[int, object]) -> Path:
    exif = Image.Exif()
    for k, v in tags.items():
        exif[k] = v
    img.convert("RGB").save(path, "JPEG", quality=85, exif=exif.tobytes())
    return path


def test_camera_exif_is_told_from_a_scanner_s_make_and_model(tmp_path: Path) -> None:
    shot = photograph(_page(), seed=1, frame=FRAME)
    with Image.open(save_photo(shot, tmp_path / "phone.jpg")) as im:
        assert photo.camera_exif(im)
    with Image.open(save_photo(shot, tmp_path / "stripped.jpg", camera=False)) as im:
        assert not photo.camera_exif(im)
    # Scanner drivers write Make/Model too, never exposure data.
    scanner = _jpeg_with_exif(_page(), tmp_path / "scan.jpg", {0x010F: "Canon", 0x0110: "LiDE"})
    with Image.open(scanner) as im:
        assert not photo.camera_exif(im)


@pytest.mark.parametrize("level", ["clean", "jpeg200", "skewed", "upside_down", "bilevel"])
def test_desk_scans_are_not_photos(level: str) -> None:
    _, img = scan(level, seed=21, n_lines=25)
    assert photo.assess(_gray(img), camera=False) is None


def test_a_card_on_the_scanner_glass_is_not_a_photo() -> None:
    # An ID card copied on a flatbed: a darker rectangle on the white lid, a
    # little crooked. Neither bright-on-dark nor in perspective.
    sheet = Image.new("L", (1654, 2339), 255)
    card = Image.new("L", (540, 340), 150)
    sheet.paste(card.rotate(4, expand=True, fillcolor=255), (200, 200))
    assert photo.assess(_gray(sheet), camera=False) is None
    # On a black backing (sheet-fed scanners) a straight page is bright on
    # dark, but its sides are parallel: not a photo either.
    backing = Image.new("L", (1800, 2500), 20)
    backing.paste(_page(), (200, 300))
    assert photo.assess(_gray(backing), camera=False) is None


def _embedded(pdf_path: Path) -> tuple[bytes, tuple[float, float]]:
    with pikepdf.open(pdf_path) as pdf:
        page = pdf.pages[0]
        (image,) = page.get_images().values()
        box = page.mediabox
        return image.read_raw_bytes(), (float(box[2]), float(box[3]))


@pytest.mark.parametrize("level", ["jpeg200", "skewed"])
def test_desk_scan_jpeg_is_still_embedded_byte_for_byte(tmp_path: Path, level: str) -> None:
    _, img = scan(level, seed=22, n_lines=20)
    src = save_image(img, tmp_path / "scan.jpg")
    photos: list[int] = []
    assert inputs.image_to_pdf(src, tmp_path / "scan.pdf", max_mpixels=250, photos=photos) == 1
    assert photos == []
    data, _ = _embedded(tmp_path / "scan.pdf")
    assert data == src.read_bytes()


def test_scan_without_resolution_and_camera_data_is_left_alone(tmp_path: Path) -> None:
    # A straight page on white with no dpi: no quadrilateral to find.
    _, img = scan("clean", seed=23, n_lines=20)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    src = tmp_path / "nodpi.png"
    src.write_bytes(buf.getvalue())
    photos: list[int] = []
    inputs.image_to_pdf(src, tmp_path / "nodpi.pdf", max_mpixels=250, photos=photos)
    assert photos == []


@pytest.mark.parametrize("camera", [True, False])
def test_phone_photo_becomes_a_flat_a4_page_in_the_pdf(tmp_path: Path, camera: bool) -> None:
    shot: Photo = photograph(_page(31), seed=31, frame=FRAME)
    src = save_photo(shot, tmp_path / "photo.jpg", camera=camera)
    photos: list[int] = []
    inputs.image_to_pdf(src, tmp_path / "photo.pdf", max_mpixels=250, photos=photos)
    assert photos == [1]
    data, (w_pt, h_pt) = _embedded(tmp_path / "photo.pdf")
    assert data != src.read_bytes()
    assert w_pt / h_pt == pytest.approx(1 / math.sqrt(2), rel=0.01)
    with Image.open(io.BytesIO(data)) as page:
        assert max(page.size) >= inputs.PHOTO_MIN_LONG_SIDE  # small photos are enlarged
        arr = np.asarray(page.convert("L"))
    # No table left at the corners and even paper: the margins are white.
    margin = arr[: arr.shape[0] // 20, arr.shape[1] // 10 : -arr.shape[1] // 10]
    assert float(np.median(margin)) > 235


def test_photo_with_exif_orientation_is_corrected_upright(tmp_path: Path) -> None:
    # The phone stored the pixels sideways and says so in EXIF (Orientation 6).
    shot = photograph(_page(32), seed=32, frame=FRAME)
    sideways = shot.image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8769] = {0x829A: 1 / 60}
    src = tmp_path / "rotated.jpg"
    sideways.save(src, "JPEG", quality=85, exif=exif.tobytes())
    photos: list[int] = []
    inputs.image_to_pdf(src, tmp_path / "rotated.pdf", max_mpixels=250, photos=photos)
    assert photos == [1]
    _, (w_pt, h_pt) = _embedded(tmp_path / "rotated.pdf")
    assert w_pt < h_pt  # portrait, as the page lies in the upright photo


def test_a_degraded_scan_is_no_photo_either() -> None:
    img = degrade(_page(33, dpi=200), skew_deg=4.0, noise=0.1, seed=3)
    assert photo.assess(_gray(img), camera=False) is None
