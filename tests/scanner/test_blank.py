"""Blank duplex backs versus pages with very little on them."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest
from PIL import Image

from scanner.blank import analyse_blank, is_blank
from tests.scanner import paper
from tests.synthetic import degrade

Page = Callable[[], Image.Image]

BLANK_BACKS: dict[str, Page] = {
    "чиста": paper.blank_page,
    "просвічування": lambda: paper.with_bleed_through(paper.blank_page(), 1, strength=0.2),
    "темна рамка": lambda: paper.with_dark_border(paper.blank_page(), 2, width_mm=8.0),
    "отвори і просвічування": lambda: paper.with_punch_holes(
        paper.with_bleed_through(paper.blank_page(), 3, strength=0.12), right=True
    ),
    "тінь краю аркуша": lambda: paper.with_edge_shadow(paper.blank_page()),
    "сірий папір": lambda: paper.faded(paper.blank_page(), darkest=0).point(lambda v: min(v, 200)),
}

SPARSE_PAGES: dict[str, Page] = {
    "лінія підпису": lambda: paper.with_signature_line(paper.blank_page(), 4),
    "печатка": lambda: paper.with_stamp(paper.blank_page(), 5, diameter_mm=30.0),
    "напис": lambda: paper.with_text_line(paper.blank_page(), "Згідно з оригіналом", 6),
    "номер сторінки": lambda: paper.with_text_line(paper.blank_page(), "12", 7),
    "підпис на просвічуванні з рамкою": lambda: paper.with_dark_border(
        paper.with_signature_line(paper.with_bleed_through(paper.blank_page(), 8, 0.15), 8), 8
    ),
}

SCANS: dict[str, dict[str, object]] = {
    "150dpi-бінарне": dict(
        skew_deg=-4.0, upside_down=True, dpi=150, bilevel=True, noise=0.1, blur=1.0
    ),
    "300dpi-jpeg": dict(skew_deg=0.5, dpi=300, noise=0.05, blur=1.5, jpeg_quality=25),
    "200dpi-бінарне-розмите": dict(dpi=200, bilevel=True, noise=0.1, blur=1.5),
}


@functools.cache
def _clean(kind: str, name: str, dpi: int) -> Image.Image:
    """The clean sheet sampled at ``dpi``: built once, scanned four ways."""
    make = (BLANK_BACKS if kind == "blank" else SPARSE_PAGES)[name]
    return paper.at_dpi(make(), dpi)


def _scan(kind: str, name: str, scan: str) -> Image.Image:
    options = dict(SCANS[scan])
    image = _clean(kind, name, int(options.pop("dpi")))  # type: ignore[call-overload]
    return degrade(image, seed=len(name), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("back", BLANK_BACKS)
def test_blank_back_is_blank(back: str, scan: str) -> None:
    analysis = analyse_blank(_scan("blank", back, scan))
    assert analysis.blank, analysis


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("page", SPARSE_PAGES)
def test_page_with_little_content_is_kept(page: str, scan: str) -> None:
    analysis = analyse_blank(_scan("sparse", page, scan))
    assert not analysis.blank, analysis


def test_full_text_page_and_dark_page_are_not_blank() -> None:
    assert not is_blank(degrade(paper.document_page(9), dpi=200, bilevel=True, seed=1))
    dark = Image.new("L", (1654, 2339), 40)
    assert not is_blank(dark)


def test_any_image_mode_is_accepted() -> None:
    page = degrade(paper.blank_page(), dpi=150, noise=0.05, seed=2)
    for mode in ("1", "L", "RGB", "RGBA", "P", "I;16"):
        converted = (
            page.convert(mode)
            if mode != "I;16"
            else page.convert("I").point(lambda v: v * 257).convert("I;16")
        )
        assert is_blank(converted), mode
    signed = paper.with_signature_line(paper.blank_page(), 1).convert("RGB")
    assert not is_blank(signed)
