"""Splitting a scanned batch into cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from scanner.cover_sheet import CoverSheet
from scanner.split import (
    BatchSplit,
    PageVerdict,
    assemble,
    classify_page,
    load_batch_pages,
    split_batch,
)
from tests.scanner import paper
from tests.scanner.conftest import SHEET_A, SHEET_B, SHEET_C
from tests.synthetic import degrade, images_to_pdf, save_image, save_multipage_tiff

CoverImage = Callable[[CoverSheet], Image.Image]

COVER_A = PageVerdict("cover", SHEET_A)
COVER_B = PageVerdict("cover", SHEET_B)
PAGE = PageVerdict("page")
BLANK = PageVerdict("blank")
SUSPECT = PageVerdict("suspect", reason="QR-код не прочитано")


def _every_page_once(split: BatchSplit, total: int) -> None:
    placed = (
        split.leading_pages
        + split.suspect_pages
        + split.blank_pages
        + [s.cover_page_index for s in split.segments]
        + [i for s in split.segments for i in s.page_indexes]
        + [i for g in split.unassigned for i in g.page_indexes]
    )
    assert sorted(placed) == list(range(total))


def test_assemble_rules() -> None:
    verdicts = [
        PAGE,
        BLANK,
        COVER_A,
        BLANK,
        PAGE,
        PAGE,
        BLANK,
        COVER_B,
        PAGE,
        SUSPECT,
        PAGE,
        BLANK,
        PAGE,
        COVER_A,
        PAGE,
    ]
    split = assemble(verdicts)
    assert split.leading_pages == [0]
    assert split.blank_pages == [1, 3, 6, 11]
    assert [(s.sheet, s.cover_page_index, s.page_indexes) for s in split.segments] == [
        (SHEET_A, 2, [4, 5]),
        (SHEET_B, 7, [8]),
        (SHEET_A, 13, [14]),
    ]
    assert split.suspect_pages == [9]
    assert [(g.suspect_page_index, g.page_indexes) for g in split.unassigned] == [(9, [10, 12])]
    assert not split.is_clean
    _every_page_once(split, len(verdicts))
    problems = "\n".join(split.problems())
    assert "Сторінка 1 відскановано до першого титульного аркуша" in problems
    assert "Сторінка 10 схожа на титульний аркуш" in problems
    assert "сторінки 11, 13 після неї не додано до жодної справи" in problems
    assert "трапляється кілька разів: сторінки 3, 14" in problems


def test_assemble_keeps_blank_pages_on_request() -> None:
    split = assemble([COVER_A, PAGE, BLANK, PAGE], drop_blank=False)
    assert split.segments[0].page_indexes == [1, 2, 3]
    assert split.blank_pages == [2]
    assert split.is_clean


def test_empty_segment_and_clean_batch_are_reported() -> None:
    split = assemble([COVER_A, BLANK, COVER_B, PAGE])
    assert not split.is_clean
    assert split.problems() == [
        "Справа № 01-23/2024-000123 (вхідний пакет документів): після титульного аркуша "
        "(сторінка 1) немає жодної сторінки."
    ]
    assert assemble([COVER_A, PAGE, PAGE, BLANK]).problems() == []


def _duplex(page: Image.Image, back: Image.Image, seed: int, dpi: int = 200) -> list[Image.Image]:
    """Both sides of one sheet as a duplex scanner delivers them (the back turned over)."""
    skew = (seed % 7) - 3.0
    front = degrade(paper.at_dpi(page, dpi), skew_deg=skew, noise=0.05, seed=seed)
    rear = degrade(
        paper.at_dpi(back, dpi),
        skew_deg=-skew,
        upside_down=seed % 2 == 0,
        noise=0.05,
        seed=seed + 1000,
    )
    return [front, rear]


def _back(seed: int) -> Image.Image:
    return paper.with_dark_border(paper.with_bleed_through(paper.blank_page(), seed, 0.12), seed)


def test_batch_of_three_packages(cover_image: CoverImage) -> None:
    sheets = [
        (paper.document_page(1, lines=8), _back(1)),  # leading page, before any cover sheet
        (cover_image(SHEET_A), _back(2)),
        (paper.document_page(2), _back(3)),
        (paper.document_page(3), paper.document_page(4)),  # printed on both sides
        (cover_image(SHEET_B), _back(5)),
        (paper.with_signature_line(paper.blank_page(), 6), _back(6)),  # only a signature
        (cover_image(SHEET_C), _back(7)),
        (paper.document_page(8), _back(8)),
        (paper.with_stamp(paper.blank_page(), 9), _back(9)),  # only a stamp
    ]
    pages = [image for i, (front, back) in enumerate(sheets) for image in _duplex(front, back, i)]
    split = split_batch(pages)
    assert split.leading_pages == [0]
    assert [(s.sheet, s.cover_page_index, s.page_indexes) for s in split.segments] == [
        (SHEET_A, 2, [4, 6, 7]),
        (SHEET_B, 8, [10]),
        (SHEET_C, 12, [14, 16]),
    ]
    assert split.blank_pages == [1, 3, 5, 9, 11, 13, 15, 17]
    assert split.suspect_pages == [] and split.unassigned == []
    _every_page_once(split, len(pages))


@pytest.mark.parametrize("how", ["painted", "blurred"])
def test_unreadable_cover_sheet_stops_attaching(cover_image: CoverImage, how: str) -> None:
    destroyed = paper.qr_destroyed(cover_image(SHEET_B), how, seed=3)
    fronts = [
        cover_image(SHEET_A),
        paper.document_page(21),
        destroyed,
        paper.document_page(22),
        paper.document_page(23),
        cover_image(SHEET_C),
        paper.document_page(24),
    ]
    pages = [
        degrade(paper.at_dpi(p, 200), skew_deg=1.5 * (i % 3 - 1), bilevel=i % 2 == 1, seed=i)
        for i, p in enumerate(fronts)
    ]
    split = split_batch(pages)
    assert [(s.sheet, s.page_indexes) for s in split.segments] == [
        (SHEET_A, [1]),
        (SHEET_C, [6]),
    ]
    assert split.suspect_pages == [2]
    assert [(g.suspect_page_index, g.page_indexes) for g in split.unassigned] == [(2, [3, 4])]
    assert "сторінки 4–5 після неї не додано до жодної справи" in split.problems()[0]


def test_classify_page_kinds(cover_image: CoverImage) -> None:
    cover = classify_page(degrade(cover_image(SHEET_C), dpi=150, bilevel=True, seed=1))
    assert cover.kind == "cover" and cover.sheet == SHEET_C
    assert classify_page(degrade(paper.blank_page(), dpi=150, seed=1)).kind == "blank"
    assert classify_page(degrade(paper.document_page(5), dpi=150, seed=1)).kind == "page"


def test_load_pdf_tiff_image_and_bytes(cover_image: CoverImage, tmp_path: Path) -> None:
    pages = [
        degrade(cover_image(SHEET_A), dpi=200, seed=1),
        degrade(paper.document_page(31), dpi=200, seed=2),
        degrade(paper.blank_page(), dpi=200, noise=0.05, seed=3),
    ]
    pdf = images_to_pdf(pages, tmp_path / "batch.pdf", dpi=200)
    loaded = load_batch_pages(pdf)
    assert len(loaded) == 3
    assert all(p.mode == "L" and p.info["dpi"] == (200, 200) for p in loaded)
    assert abs(loaded[0].width - pages[0].width) <= 2
    split = split_batch(loaded)
    assert [(s.sheet, s.page_indexes) for s in split.segments] == [(SHEET_A, [1])]
    assert split.blank_pages == [2]

    assert len(load_batch_pages(pdf.read_bytes(), dpi=100)) == 3
    tiff = save_multipage_tiff([p.convert("1") for p in pages], tmp_path / "batch.tif", dpi=200)
    from_tiff = load_batch_pages(tiff)
    assert [p.size for p in from_tiff] == [p.size for p in pages]
    assert split_batch(from_tiff).segments[0].page_indexes == [1]
    single = load_batch_pages(save_image(pages[0], tmp_path / "cover.png"))
    assert len(single) == 1 and split_batch(single).segments[0].sheet == SHEET_A
