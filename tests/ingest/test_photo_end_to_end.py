"""A phone photo of a paper application, e-mailed as a JPEG, through the whole ingest path.

Command line, embedded backends, real OCRmyPDF and Tesseract: the original photo is
kept byte for byte, the PDF/A rendition holds the flattened page, and the words
of the page are found in its text and by search.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pikepdf
import pytest

from tests.synthetic import photograph, render_page, save_photo
from tests.test_end_to_end import cli, lines

pytestmark = [
    pytest.mark.ocr,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Tesseract"),
]

LINES = [
    "ЗАЯВА",
    "про реєстрацію місця проживання",
    "Прошу зареєструвати місце проживання за адресою:",
    "м. Вінниця, вул. Соборна, буд. 14, кв. 9.",
    "До заяви додаю копію паспорта та довідку про склад сім'ї.",
    "Результат прошу надіслати на електронну пошту.",
]
WORDS = ["ЗАЯВА", "зареєструвати", "Вінниця", "Соборна", "паспорта", "довідку"]


def test_phone_photo_jpeg_is_flattened_read_and_found(tmp_path: Path) -> None:
    page = render_page(LINES, dpi=300, font_size_pt=12)
    shot = photograph(page, seed=2026, tilt_deg=20.0)
    src = save_photo(shot, tmp_path / "IMG_20261202_101500.jpg", camera=True)
    data = tmp_path / "data"
    cli(data, "init", check=True)
    proc = cli(data, "ingest", str(src), "--json", check=True)
    (outcome,) = lines(proc)
    assert outcome["status"] == "archived", outcome
    shown = json.loads(cli(data, "show", outcome["document_id"], "--json", check=True).stdout)
    text = shown["pages"][0]["text"]
    missing = [w for w in WORDS if w not in text]
    assert not missing, (missing, text)

    found = json.loads(cli(data, "search", "Соборна", "--json", check=True).stdout)
    assert [h["document_id"] for h in found["hits"]] == [outcome["document_id"]]

    # The photo is kept as it came; the rendition is an A4-shaped PDF/A page.
    objects = [p for p in (data / "store" / "operational").rglob("*") if p.is_file()]
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert any(hashlib.sha256(p.read_bytes()).hexdigest() == digest for p in objects)
    renditions = [p for p in objects if p.read_bytes()[:5] == b"%PDF-"]
    (rendition,) = renditions
    with pikepdf.open(rendition) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        box = pdf.pages[0].mediabox
        assert float(box[2]) / float(box[3]) == pytest.approx(1 / 2**0.5, rel=0.01)
