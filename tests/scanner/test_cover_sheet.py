"""Cover-sheet payload and PDF."""

from __future__ import annotations

import zlib
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from scanner.cover_sheet import (
    CoverSheet,
    CoverSheetPayloadError,
    checksum,
    decode_payload,
    encode_payload,
    qr_matrix,
    render_cover_sheet_pdf,
)
from tests.scanner import paper
from tests.scanner.conftest import SHEET_A, SHEET_B


def test_payload_format_is_documented_one() -> None:
    payload = encode_payload(SHEET_A)
    assert payload == "CNAP1|LV-CNAP-01|01-23/2024-000123|input|B674459D"
    body, check = payload.rsplit("|", 1)
    assert check == f"{zlib.crc32(body.encode()) & 0xFFFFFFFF:08X}" == checksum(body)


@pytest.mark.parametrize("sheet", [SHEET_A, SHEET_B, CoverSheet("1", "output", "X")])
def test_payload_round_trip(sheet: CoverSheet) -> None:
    assert decode_payload(encode_payload(sheet)) == sheet


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p[:-1] + ("0" if p[-1] != "0" else "1"),  # check value off by one digit
        lambda p: p.replace("000123", "000124"),  # case number misread, old check
        lambda p: p.replace("|input|", "|output|"),  # package flipped, old check
        lambda p: p.replace("CNAP1", "CNAP2"),  # unknown version
        lambda p: p.rsplit("|", 1)[0],  # check value missing
        lambda p: p + "|extra",  # extra field
        lambda p: "https://diia.gov.ua/x",  # somebody else's QR code
    ],
)
def test_corrupted_payload_is_rejected(mangle: object) -> None:
    assert callable(mangle)
    with pytest.raises(CoverSheetPayloadError):
        decode_payload(mangle(encode_payload(SHEET_A)))


def test_bad_package_with_valid_check_is_rejected() -> None:
    body = "CNAP1|LV-CNAP-01|17|archive"
    with pytest.raises(CoverSheetPayloadError):
        decode_payload(f"{body}|{checksum(body)}")


@pytest.mark.parametrize(
    ("case_number", "package", "centre"),
    [
        ("", "input", "C"),
        (" 12", "input", "C"),
        ("12|3", "input", "C"),
        ("12", "in", "C"),
        ("12", "input", "a\nb"),
        ("1" * 65, "input", "C"),
    ],
)
def test_invalid_sheet_is_refused(case_number: str, package: str, centre: str) -> None:
    with pytest.raises(ValueError):
        CoverSheet(case_number, package, centre)  # type: ignore[arg-type]


def test_qr_uses_high_error_correction() -> None:
    # Version 6 at level H for this payload; level L would fit in version 3.
    assert len(qr_matrix(encode_payload(SHEET_A))) == 41


def test_pdf_is_one_a4_page_in_ukrainian_with_embedded_fonts(tmp_path: Path) -> None:
    path = render_cover_sheet_pdf(
        SHEET_B,
        tmp_path / "cover.pdf",
        service="Видача довідки про склад сім'ї",
        applicant="Гнатюк Олена Петрівна",
    )
    pdf = pdfium.PdfDocument(str(path))
    assert len(pdf) == 1
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (595, 842)
    text = pdf[0].get_textpage().get_text_range()
    pdf.close()
    for expected in (
        "Титульний аркуш",
        "Вихідний пакет (результат)",
        "Вх-7781/25",
        "ЦНАП Стрийської міської ради",
        "Покладіть цей аркуш поверх пакета перед скануванням",
        "Гнатюк Олена Петрівна",
        "Видача довідки про склад сім'ї",
        encode_payload(SHEET_B),
    ):
        assert expected in text, expected
    with pikepdf.open(path) as doc:
        resources = doc.pages[0].Resources.Font
        fonts = [resources[name] for name in resources.keys()]  # noqa: SIM118  # str keys
        # reportlab embeds TrueType subsets; every font on the page must be one.
        assert fonts and all("/FontFile2" in font.FontDescriptor for font in fonts)
        assert {str(font.BaseFont).split("+")[-1] for font in fonts} == {
            "DejaVuSans",
            "DejaVuSans-Bold",
            "DejaVuSansMono",
        }


def test_both_printed_codes_carry_the_payload(cover_image: object) -> None:
    assert callable(cover_image)
    page = cover_image(SHEET_B)
    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    codes = zxingcpp.read_barcodes(page, formats=qr)
    assert [c.bytes.decode() for c in codes] == [encode_payload(SHEET_B)] * 2
    assert page.size == (paper.mm(210) + 1, paper.mm(297))
