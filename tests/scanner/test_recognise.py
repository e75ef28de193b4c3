"""Reading cover sheets back from degraded scans, and flagging unreadable ones."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import qrcode
import qrcode.constants
from PIL import Image

from scanner.cover_sheet import CoverSheet, checksum, encode_payload
from scanner.recognise import (
    find_bands,
    looks_like_cover_sheet,
    read_cover_sheet,
    recognise_page,
)
from tests.scanner import paper
from tests.scanner.conftest import SHEET_A, SHEET_B, SHEET_C
from tests.synthetic import degrade

CoverImage = Callable[[CoverSheet], Image.Image]


@pytest.mark.parametrize(
    ("sheet", "scan"),
    [
        (SHEET_A, dict(skew_deg=5.0, dpi=200)),
        (SHEET_B, dict(skew_deg=-5.0, upside_down=True, dpi=200, bilevel=True)),
        (SHEET_C, dict(skew_deg=3.2, dpi=150, noise=0.2, jpeg_quality=20)),
        (SHEET_A, dict(skew_deg=-4.1, upside_down=True, dpi=300, noise=0.12, blur=1.5)),
        (SHEET_B, dict(skew_deg=1.7, dpi=150, bilevel=True, noise=0.1, blur=1.0)),
        (SHEET_C, dict(upside_down=True, dpi=200, noise=0.3, jpeg_quality=50, blur=2.5)),
    ],
    ids=[
        "skew+5",
        "skew-5-180-bilevel",
        "150dpi-noise-jpeg20",
        "300dpi-180-blur",
        "150dpi-bilevel-noise",
        "180-heavy-noise-blur",
    ],
)
def test_degraded_scan_reads_back(
    cover_image: CoverImage, sheet: CoverSheet, scan: dict[str, object]
) -> None:
    options = dict(scan)
    page = paper.at_dpi(cover_image(sheet), int(options.pop("dpi")))  # type: ignore[call-overload]
    image = degrade(page, seed=7, **options)  # type: ignore[arg-type]
    assert read_cover_sheet(image) == sheet
    assert looks_like_cover_sheet(image)


def test_damaged_paper_still_reads(cover_image: CoverImage) -> None:
    page = paper.with_pen_stroke(cover_image(SHEET_A), 3, paper.MAIN_QR_BOX, strokes=2)
    page = paper.with_stamp(page, 4, centre_mm=(140.0, 110.0))
    page = paper.with_dark_border(paper.faded(page, darkest=120), 5)
    assert read_cover_sheet(degrade(page, skew_deg=-2.5, dpi=200, noise=0.05, seed=1)) == SHEET_A


def _page_with_qr(*payloads: str) -> Image.Image:
    page = paper.document_page(11, lines=12)
    for i, payload in enumerate(payloads):
        code = qrcode.make(payload, error_correction=qrcode.constants.ERROR_CORRECT_H)
        symbol = (
            code.get_image()
            .convert("L")
            .resize((paper.mm(60), paper.mm(60)), Image.Resampling.NEAREST)
        )
        page.paste(symbol, (paper.mm(30 + 90 * i), paper.mm(150)))
    page.info["dpi"] = (paper.DPI, paper.DPI)
    return page


def test_payload_with_wrong_check_value_is_not_a_sheet_but_is_flagged() -> None:
    good = encode_payload(SHEET_A)
    page = _page_with_qr(good[:-8] + ("00000000" if not good.endswith("00000000") else "11111111"))
    verdict = recognise_page(degrade(page, dpi=200, seed=2))
    assert verdict.sheet is None
    assert verdict.suspect
    assert "перевірку" in verdict.reason


def test_misread_case_number_is_caught_by_the_check_value() -> None:
    good = encode_payload(SHEET_A)
    verdict = recognise_page(_page_with_qr(good.replace("000123", "000128")))
    assert verdict.sheet is None and verdict.suspect


def test_two_different_sheets_on_one_page_are_not_guessed() -> None:
    verdict = recognise_page(_page_with_qr(encode_payload(SHEET_A), encode_payload(SHEET_C)))
    assert verdict.sheet is None
    assert verdict.suspect
    assert SHEET_A.case_number in verdict.reason and SHEET_C.case_number in verdict.reason


def test_document_with_its_own_qr_code_is_an_ordinary_page() -> None:
    body = "CNAP1|X|1|input"
    page = _page_with_qr("https://diia.gov.ua/verify/00001234", f"NOTCNAP|{body}|{checksum(body)}")
    verdict = recognise_page(degrade(page, skew_deg=2.0, dpi=200, seed=3))
    assert verdict.sheet is None
    assert not verdict.suspect
    assert not looks_like_cover_sheet(page)


@pytest.mark.parametrize("how", ["painted", "blurred", "scribbled"])
def test_destroyed_qr_is_flagged_as_suspect(cover_image: CoverImage, how: str) -> None:
    page = paper.qr_destroyed(cover_image(SHEET_B), how, seed=1)
    image = degrade(
        page,
        skew_deg=-3.0,
        upside_down=how == "blurred",
        dpi=200,
        noise=0.05,
        bilevel=how == "scribbled",
        seed=4,
    )
    verdict = recognise_page(image)
    assert verdict.sheet is None
    assert verdict.suspect, verdict.reason
    assert len(verdict.bands) == 2
    assert looks_like_cover_sheet(image)


def test_bands_are_found_only_on_cover_sheets(cover_image: CoverImage) -> None:
    bands = find_bands(degrade(cover_image(SHEET_C), skew_deg=4.5, dpi=150, seed=5))
    assert len(bands) == 2
    for band in bands:
        assert 170 <= band.length_mm <= 190 and 14 <= band.height_mm <= 18
    document = paper.with_dark_border(paper.document_page(3), 3, width_mm=9.0)
    assert find_bands(degrade(document, skew_deg=-2.0, dpi=200, seed=6)) == []
