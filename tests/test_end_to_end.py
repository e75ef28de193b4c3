"""The whole path through the command line, on the embedded backends, with real OCR."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from tests import badfiles
from tests.synthetic import born_digital_pdf, degrade, render_page, save_image, save_multipage_tiff

pytestmark = pytest.mark.ocr

SCAN_LINES = [
    "ЗАЯВА",
    "про надання адміністративних послуг у сфері реєстрації місця проживання",
    "Прошу зареєструвати місце проживання моєї сім'ї за адресою:",
    "м. Житомир, вул. Лесі Українки, буд. 12, кв. 5.",
    "До заяви додаю копію паспорта та довідку з місця роботи.",
]
PDF_LINES = [
    "РІШЕННЯ",
    "про відмову у видачі дозволу на розміщення зовнішньої реклами",
    "Підстава: невідповідність поданих документів вимогам законодавства.",
]


def cli(data_dir: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CNAP_DATA_DIR": str(data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "api", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def lines(proc: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    d = tmp_path_factory.mktemp("batch")
    scan = degrade(
        render_page(SCAN_LINES, dpi=300), skew_deg=2.0, noise=0.05, dpi=200, jpeg_quality=70, seed=3
    )
    files = {
        "scan": save_image(scan, d / "scan.jpg", dpi=200),
        "digital": born_digital_pdf([PDF_LINES], d / "decision.pdf"),
        "tiff": save_multipage_tiff(
            [
                render_page(["Довідка про склад сім'ї", "Сторінка перша"], dpi=200),
                render_page(["Сторінка друга", "Печатка та підпис"], dpi=200),
            ],
            d / "two-pages.tiff",
            dpi=200,
        ),
        "empty": badfiles.empty(d / "empty.pdf"),
        "random": badfiles.random_pdf(d / "random.pdf"),
        "bomb": badfiles.png_bomb(d / "bomb.png"),
        "long": badfiles.blank_pdf(d / "long.pdf", 2000),
        "docx": badfiles.docx_like(d / "form.docx"),
    }
    files["encrypted"] = badfiles.encrypted_pdf(d / "encrypted.pdf", files["digital"])
    big = born_digital_pdf([PDF_LINES * 10] * 6, d / "big.pdf")
    files["truncated"] = badfiles.truncated_pdf(d / "truncated.pdf", big)
    return d, files


def test_batch_with_bad_files(tmp_path: Path, batch: tuple[Path, dict[str, Path]]) -> None:
    data = tmp_path / "data"
    _, files = batch
    cli(data, "init", check=True)
    cli(data, "init", check=True)  # idempotent
    # Files go into a registered case only (a typo never makes a new one).
    reg = cli(data, "case", "register", "--service", "Довідка", "--no-wait", "--json", check=True)
    number = json.loads(reg.stdout)["number"]
    proc = cli(data, "ingest", *map(str, files.values()), "--case", number, "--json")
    assert proc.returncode == 1  # something was rejected
    out = {Path(o["file"]).name: o for o in lines(proc)}
    assert len(out) == len(files)
    for key in ("scan", "digital", "tiff"):
        o = out[files[key].name]
        assert o["status"] == "archived", o
        assert o["document_id"]
    for key in ("empty", "random", "bomb", "long", "docx", "encrypted", "truncated"):
        o = out[files[key].name]
        assert o["status"] == "rejected", o
        assert o["reason"] and len(o["reason"]) > 10
        assert o["document_id"], "the original is kept (quarantined) under a document id"

    # Rejected originals are kept, with their reason, and shown like any document.
    shown = json.loads(
        cli(data, "show", out[files["bomb"].name]["document_id"], "--json", check=False).stdout
    )
    assert shown["state"] == "rejected" and shown["pages"] == []

    scan = json.loads(
        cli(data, "show", out[files["scan"].name]["document_id"], "--json", check=True).stdout
    )
    assert scan["case"] == number and scan["package"] == "input"
    assert scan["state"] == "archived" and scan["source"] == "scanner"
    assert "адміністративних" in scan["pages"][0]["text"]
    tiff = json.loads(
        cli(data, "show", out[files["tiff"].name]["document_id"], "--json", check=True).stdout
    )
    assert [p["number"] for p in tiff["pages"]] == [1, 2]
    assert "Сторінка друга" in tiff["pages"][1]["text"]

    # Inflected query finds the scanned page; the snippet marks the match.
    found = json.loads(cli(data, "search", "адміністративна послуга", "--json", check=True).stdout)
    assert found["total"] >= 1
    assert found["hits"][0]["document_id"] == scan["document_id"]
    assert found["hits"][0]["case"] == number
    assert "<mark>" in found["hits"][0]["snippet"]
    phrase = json.loads(cli(data, "search", '"зовнішньої реклами"', "--json", check=True).stdout)
    assert [h["document_id"] for h in phrase["hits"]] == [out[files["digital"].name]["document_id"]]

    # Same files again: nothing is stored twice.
    again = cli(data, "ingest", str(files["scan"]), str(files["digital"]), "--json")
    assert again.returncode == 0
    assert [o["status"] for o in lines(again)] == ["duplicate", "duplicate"]

    # The index is derived: rebuilt from the database, it answers the same.
    cli(data, "reindex", check=True)
    rebuilt = json.loads(
        cli(data, "search", "адміністративна послуга", "--json", check=True).stdout
    )
    assert rebuilt["total"] == found["total"]

    # Exactly one PDF/A rendition per archived document, and it is PDF/A-2B.
    pdfa = sorted((data / "store" / "operational").rglob("*"))
    objects = [p for p in pdfa if p.is_file()]
    # Every original + three renditions, and the registered case's archived inventory
    # copy (original + rendition).
    assert len(objects) == len(files) + 3 + 2
    with pikepdf.open(next(p for p in objects if _is_pdfa(p))) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "2B"


def _is_pdfa(path: Path) -> bool:
    try:
        with pikepdf.open(path) as pdf:
            return bool(pdf.open_metadata().pdfa_status)
    except Exception:
        return False


def test_errors_are_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = cli(data, "show", "does-not-exist")
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    proc = cli(data, "ingest", str(tmp_path / "missing.pdf"), "--json")
    assert proc.returncode == 1
    assert lines(proc)[0]["status"] == "rejected"
