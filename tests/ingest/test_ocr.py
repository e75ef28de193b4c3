"""OCR stage with real Tesseract and OCRmyPDF (a few pages; about a minute on 2 cores)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest

from ingest.ocr import OcrFailed, OcrOptions, OcrResult, run_ocr
from tests.synthetic import (
    born_digital_pdf,
    cer,
    images_to_pdf,
    save_image,
    save_multipage_tiff,
    scan,
    ukrainian_lines,
)

pytestmark = [
    pytest.mark.ocr,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Tesseract"),
]


def _ocr(source: Path, kind: str, tmp_path: Path, **opts: object) -> OcrResult:
    out = tmp_path / "out" / "archive.pdf"
    return run_ocr(
        source,
        kind,  # type: ignore[arg-type]
        out,
        options=OcrOptions(**opts),  # type: ignore[arg-type]
        work_dir=tmp_path / "work",
    )


def _check_words(result: OcrResult) -> None:
    for page in result.pages:
        for w in page.words:
            assert 0.0 <= w.x0 <= w.x1 <= 1.0
            assert 0.0 <= w.y0 <= w.y1 <= 1.0


def test_clean_page_reads_with_low_cer(tmp_path: Path) -> None:
    reference, img = scan("clean", seed=11, n_lines=20)
    source = save_image(img, tmp_path / "clean.png")
    result = _ocr(source, "image", tmp_path)
    assert len(result.pages) == 1
    page = result.pages[0]
    assert page.ocr is True
    assert cer(reference, page.text) < 0.015
    assert len(page.words) > 50
    _check_words(result)
    # Nothing left behind outside work_dir and the output.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["archive.pdf"]


def test_bad_desk_scan_noisy_skewed_upside_down_200dpi_jpeg(tmp_path: Path) -> None:
    reference, img = scan("noisy_skewed_upside_down", seed=12)
    source = save_image(img, tmp_path / "bad.jpg")
    result = _ocr(source, "image", tmp_path)
    page = result.pages[0]
    assert cer(reference, page.text) < 0.02
    # The title line is at the top of the page as displayed: the page was
    # turned upright (and the word boxes follow the displayed page).
    first = reference.splitlines()[0].split()[0]
    title = [w for w in page.words if w.text == first]
    assert title and title[0].y0 < 0.2
    _check_words(result)
    with pikepdf.open(result.pdfa_path) as pdf:
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) % 360 == 180


def test_output_is_pdfa_2b(tmp_path: Path) -> None:
    _, img = scan("jpeg200", seed=13, n_lines=8)
    result = _ocr(save_image(img, tmp_path / "p.jpg"), "image", tmp_path)
    assert result.is_pdfa
    with pikepdf.open(result.pdfa_path) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "B"


def test_born_digital_pdf_keeps_text_and_is_not_ocred(tmp_path: Path) -> None:
    lines = [ukrainian_lines(21, 12), ukrainian_lines(22, 12)]
    source = born_digital_pdf(lines, tmp_path / "digital.pdf")
    result = _ocr(source, "pdf", tmp_path)
    assert [p.number for p in result.pages] == [1, 2]
    for page, expected in zip(result.pages, lines, strict=True):
        assert page.ocr is False
        assert cer("\n".join(expected), page.text) < 0.005
    _check_words(result)
    assert result.is_pdfa


def test_mixed_pdf_ocrs_only_the_scanned_page(tmp_path: Path) -> None:
    reference, img = scan("jpeg200", seed=23, n_lines=10)
    scanned = images_to_pdf([img], tmp_path / "scan.pdf", dpi=200)
    digital = born_digital_pdf([ukrainian_lines(24, 6)], tmp_path / "digital.pdf")
    with pikepdf.open(digital) as pdf, pikepdf.open(scanned) as other:
        pdf.pages.extend(other.pages)
        pdf.save(tmp_path / "mixed.pdf")
    result = _ocr(tmp_path / "mixed.pdf", "pdf", tmp_path)
    assert [p.ocr for p in result.pages] == [False, True]
    assert cer(reference, result.pages[1].text) < 0.02


def test_multipage_tiff_yields_all_pages(tmp_path: Path) -> None:
    pages = [scan("bilevel", seed=31 + i, n_lines=6) for i in range(3)]
    source = save_multipage_tiff([img for _, img in pages], tmp_path / "batch.tif", dpi=300)
    result = _ocr(source, "image", tmp_path, jobs=2)
    assert [p.number for p in result.pages] == [1, 2, 3]
    for page, (reference, _) in zip(result.pages, pages, strict=True):
        assert page.ocr is True
        # Six short lines: one misread РНОКПП is already 3 % of the page.
        assert cer(reference, page.text) < 0.06


def test_encrypted_pdf_fails_with_code(tmp_path: Path) -> None:
    source = born_digital_pdf([["Таємний документ"]], tmp_path / "plain.pdf")
    with pikepdf.open(source) as pdf:
        pdf.save(
            tmp_path / "locked.pdf",
            encryption=pikepdf.Encryption(user="secret", owner="owner"),
        )
    with pytest.raises(OcrFailed) as info:
        _ocr(tmp_path / "locked.pdf", "pdf", tmp_path)
    assert info.value.code == "encrypted"
    assert info.value.reason == "PDF захищено паролем"
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, Exception)


def test_corrupt_input_fails_with_ukrainian_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 definitely not a JPEG")
    with pytest.raises(OcrFailed) as info:
        _ocr(broken, "image", tmp_path)
    assert info.value.code in {"bad_image", "corrupt"}


def test_page_timeout_is_reported_with_page_number(tmp_path: Path) -> None:
    _, img = scan("jpeg200", seed=41, n_lines=30)
    source = save_image(img, tmp_path / "slow.jpg")
    with pytest.raises(OcrFailed) as info:
        _ocr(source, "image", tmp_path, page_timeout=0.2)
    assert info.value.code == "page_timeout"
    assert info.value.reason == "Розпізнавання сторінки 1 перевищило ліміт часу"


def test_signed_pdf_is_kept_byte_for_byte(tmp_path: Path) -> None:
    lines = ukrainian_lines(51, 8)
    source = born_digital_pdf([lines], tmp_path / "unsigned.pdf")
    # The structure a signing tool leaves (signature field with a value); the
    # stage must not rewrite such a file, whatever the signature bytes are.
    with pikepdf.open(source) as pdf:
        sig = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Sig, Filter=pikepdf.Name("/Adobe.PPKLite"))
        )
        field = pdf.make_indirect(
            pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=pikepdf.String("Signature1"), V=sig)
        )
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]), SigFlags=3)
        pdf.save(tmp_path / "signed.pdf")
    result = _ocr(tmp_path / "signed.pdf", "pdf", tmp_path)
    assert result.signed
    assert result.pdfa_path.read_bytes() == (tmp_path / "signed.pdf").read_bytes()
    assert not result.is_pdfa
    assert result.notes
    assert result.pages[0].ocr is False
    assert cer("\n".join(lines), result.pages[0].text) < 0.005


def test_orientation_probes_through_pytesseract() -> None:
    import numpy as np

    from ingest.ocr import imaging, orientation, tesseract

    _, img = scan("upside_down", seed=61, n_lines=20)
    gray = np.asarray(img.convert("L"), dtype=np.uint8)
    small, dpi = imaging.resize_to_dpi(gray, float(img.info["dpi"][0]), imaging.ANALYSIS_DPI)
    clean = ((1 - imaging.binarise(small, dpi).ink) * 255).astype(np.uint8)

    found = tesseract.osd(clean, dpi, timeout=60)
    assert found is not None
    assert found.angle == 180
    assert found.confidence >= orientation.OSD_MIN_CONFIDENCE

    strip = orientation._text_strip(clean)
    assert strip is not None
    big = np.kron(strip, np.ones((2, 2), dtype=np.uint8))
    as_is = tesseract.recognition_confidence(big, 2 * dpi, ["ukr", "eng"], timeout=60)
    turned = tesseract.recognition_confidence(
        np.ascontiguousarray(big[::-1, ::-1]), 2 * dpi, ["ukr", "eng"], timeout=60
    )
    assert turned - as_is > orientation.RECOGNITION_MARGIN
    assert 0 < as_is < turned <= 100
