"""Image analysis, inputs and Tesseract plumbing of the OCR stage (no Tesseract; fast)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from ingest.ocr import OcrFailed, imaging, inputs
from tests.synthetic import cer, levenshtein, save_multipage_tiff, scan


def _gray(img: Image.Image) -> tuple[imaging.Gray, float]:
    dpi = float(img.info["dpi"][0])
    return np.asarray(img.convert("L"), dtype=np.uint8), dpi


@pytest.mark.parametrize(
    ("level", "seed"),
    [
        ("clean", 1),
        ("skewed", 2),
        ("upside_down", 3),
        ("noisy_skewed", 4),
        ("noisy_skewed_upside_down", 5),
    ],
)
def test_analysis_finds_skew_and_orientation(level: str, seed: int) -> None:
    from tests.synthetic import SCAN_LEVELS

    _, img = scan(level, seed=seed)
    gray, dpi = _gray(img)
    found = imaging.analyse(*imaging.resize_to_dpi(gray, dpi, imaging.ANALYSIS_DPI))
    params = SCAN_LEVELS[level]
    # degrade() turns the sheet counter-clockwise by skew_deg; undoing it is
    # the opposite turn.
    assert found.skew_deg == pytest.approx(-float(params.get("skew_deg", 0.0)), abs=0.3)
    assert found.decided
    assert found.upside_down is bool(params.get("upside_down", False))
    assert not found.sideways


def test_sideways_page_is_recognised() -> None:
    _, img = scan("clean", seed=6)
    gray, dpi = _gray(img)
    turned = np.ascontiguousarray(np.rot90(gray))
    found = imaging.analyse(*imaging.resize_to_dpi(turned, dpi, imaging.ANALYSIS_DPI))
    assert found.sideways
    assert not found.decided


def test_binarise_keeps_text_and_drops_noise_on_empty_noisy_page() -> None:
    rng = np.random.default_rng(0)
    page = np.clip(235 + rng.normal(0, 50, (800, 600)), 0, 255).astype(np.uint8)
    page[400:410, 100:500] = 20  # one dark rule
    ink = imaging.binarise(page, 200).ink
    assert ink[400:410, 120:480].mean() > 0.9
    noise = ink.copy()
    noise[395:415, :] = 0
    assert noise.mean() < 0.01


def test_prepare_for_ocr_keeps_size() -> None:
    _, img = scan("noisy_skewed", seed=7, n_lines=10)
    gray, dpi = _gray(img)
    out = imaging.prepare_for_ocr(gray, dpi, skew_deg=-3.5, bilevel=False)
    assert out.shape == gray.shape
    assert set(np.unique(out)) <= {0, 255}


@pytest.mark.parametrize(
    ("dpi", "size", "expected"),
    [
        ((300, 300), (2480, 3508), 300.0),
        (None, (1654, 2339), 200.0),  # no resolution written: an A4 page
        ((72, 72), (2480, 3508), 300.0),  # phone/screenshot default, implausible
        ((1, 1), (1654, 2339), 200.0),
        ((200, 200), (1700, 2200), 200.0),  # letter-size scan, believable
    ],
)
def test_plausible_dpi(dpi: tuple[int, int] | None, size: tuple[int, int], expected: float) -> None:
    assert inputs.plausible_dpi(dpi, *size) == (expected, expected)


@pytest.mark.parametrize(
    "mode", ["RGBA", "LA", "P", "P+transparency", "I;16", "I", "F", "CMYK", "1", "L"]
)
def test_odd_pixel_formats_become_pdf_pages(mode: str, tmp_path: Path) -> None:
    base = Image.new("RGB", (827, 1170), "white")
    base.paste((0, 0, 0), (100, 100, 700, 140))
    if mode == "I;16":
        img = Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257)
        assert img.mode == "I;16"
    elif mode == "P+transparency":
        img = base.convert("P")
        img.info["transparency"] = 0
    else:
        img = base.convert(mode)
    suffix = ".tif" if mode in {"I;16", "I", "F", "CMYK", "1"} else ".png"
    src = tmp_path / f"page{suffix}"
    img.save(src)
    out = tmp_path / "page.pdf"
    assert inputs.image_to_pdf(src, out, max_mpixels=250) == 1
    with pikepdf.open(out) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.ColorSpace in ("/DeviceGray", "/DeviceRGB")
        # No resolution in the file: assumed to be an A4 page (about 100 dpi here).
        width_in = float(pdf.pages[0].mediabox[2]) / 72
        assert width_in == pytest.approx(8.27, abs=0.1)


def test_multipage_tiff_becomes_multipage_pdf(tmp_path: Path) -> None:
    pages = [scan("bilevel", seed=40 + i, n_lines=3)[1] for i in range(3)]
    src = save_multipage_tiff(pages, tmp_path / "batch.tif", dpi=300)
    assert inputs.image_to_pdf(src, tmp_path / "batch.pdf", max_mpixels=250) == 3


def test_huge_image_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "huge.png"
    Image.new("L", (4000, 4000), 255).save(src)
    with pytest.raises(OcrFailed) as info:
        inputs.image_to_pdf(src, tmp_path / "huge.pdf", max_mpixels=10)
    assert info.value.code == "image_too_large"


def test_cer_and_levenshtein() -> None:
    assert levenshtein("сім'я", "сімя") == 1
    assert cer("заява  про\nреєстрацію", "заява про реєстрацію") == 0.0
    assert cer("сім'я", "сім’я") == 0.0  # apostrophe variants are one letter
    assert cer("abc", "") == 1.0


# Our Tesseract calls go through pytesseract; a stand-in ``tesseract`` command
# shows what reaches the process without needing Tesseract itself.


def _fake_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    import pytesseract

    script = tmp_path / "fake-tesseract"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(script))


def _page() -> imaging.Gray:
    page = np.full((200, 300), 255, dtype=np.uint8)
    page[90:110, 50:250] = 0
    return page


def test_tesseract_runs_single_threaded_without_changing_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.ocr import tesseract

    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    monkeypatch.setenv("CNAP_PROBE", "seen")
    _fake_tesseract(
        tmp_path, monkeypatch, 'echo "limit=$OMP_THREAD_LIMIT probe=$CNAP_PROBE" >&2; exit 1'
    )
    with pytest.raises(tesseract.TesseractError) as info:
        tesseract.recognise(_page(), 300, tmp_path / "out", ["txt"], ["ukr"], timeout=30)
    # The limit reaches Tesseract, the rest of the live environment too, and
    # the process environment (which OCRmyPDF reads) stays as it was.
    assert "limit=1 probe=seen" in str(info.value)
    assert "OMP_THREAD_LIMIT" not in os.environ
    assert tesseract.tesseract_env()["OMP_THREAD_LIMIT"] == "1"


def test_tesseract_timeout_becomes_a_page_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.ocr import errors, tesseract

    _fake_tesseract(tmp_path, monkeypatch, "sleep 10")
    with pytest.raises(tesseract.TesseractTimeout) as info:
        tesseract.recognise(_page(), 300, tmp_path / "out", ["txt"], ["ukr"], timeout=0.3)
    failed = errors.translate(info.value)
    assert failed.code == "page_timeout"
    assert failed.reason == "Розпізнавання сторінки перевищило ліміт часу"
    # OSD gives no opinion on an error, but a timeout is not an opinion.
    with pytest.raises(tesseract.TesseractTimeout):
        tesseract.osd(_page(), 150, timeout=0.3)


def test_tesseract_failures_become_engine_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pytesseract

    from ingest.ocr import errors, tesseract

    _fake_tesseract(
        tmp_path, monkeypatch, "echo 'Too few characters. Skipping this page' >&2; exit 1"
    )
    assert tesseract.osd(_page(), 150, timeout=30) is None
    with pytest.raises(tesseract.TesseractError) as info:
        tesseract.recognise(_page(), 300, tmp_path / "out", ["txt"], ["ukr"], timeout=30)
    assert errors.translate(info.value).code == "engine_error"

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "missing"))
    with pytest.raises(tesseract.TesseractError, match="not installed"):
        tesseract.recognise(_page(), 300, tmp_path / "out", ["txt"], ["ukr"], timeout=30)
