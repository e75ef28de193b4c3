"""The HTTP API end to end with real OCR: upload, metadata, page text, PDF/A,
original, search — the same JSON shapes as the command line."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.synthetic import born_digital_pdf, degrade, render_page, save_image

pytestmark = pytest.mark.ocr


def test_upload_read_search(world: World, client: TestClient, tmp_path: Path) -> None:
    scan = degrade(
        render_page(["Довідка про реєстрацію місця проживання", "Видана для ЦНАП"], dpi=300),
        skew_deg=1.5, noise=0.03, dpi=200, jpeg_quality=75, seed=5,
    )  # fmt: skip
    scan_path = save_image(scan, tmp_path / "dovidka.jpg", dpi=200)
    pdf_path = born_digital_pdf(
        [["Рішення про надання дозволу на будівництво"]], tmp_path / "rishennia.pdf"
    )

    r = client.post(
        "/api/documents",
        files={"file": ("dovidka.jpg", scan_path.read_bytes(), "image/jpeg")},
        data={"case": "2026/0001", "package": "output"},
    )
    assert r.status_code == 200, r.text
    up = r.json()
    assert set(up) >= {"file", "status", "document_id", "reason"}
    assert up["status"] == "archived" and up["file"] == "dovidka.jpg"
    doc_id = up["document_id"]

    again = client.post(
        "/api/documents", files={"file": ("copy.jpg", scan_path.read_bytes(), "image/jpeg")}
    )
    assert again.json()["status"] == "duplicate"
    assert again.json()["document_id"] == doc_id

    meta = client.get(f"/api/documents/{doc_id}").json()
    assert {k: meta[k] for k in ("document_id", "case", "package", "source", "state")} == {
        "document_id": doc_id, "case": "2026/0001", "package": "output", "source": "upload",
        "state": "archived",
    }  # fmt: skip
    assert meta["pages"][0]["number"] == 1
    assert "реєстрацію" in meta["pages"][0]["text"]
    page = client.get(f"/api/documents/{doc_id}/pages/1").json()
    assert page == meta["pages"][0]
    assert client.get(f"/api/documents/{doc_id}/pages/9").status_code == 404

    pdf = client.get(f"/api/documents/{doc_id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(pdf.content)) as doc:
        assert doc.open_metadata().pdfa_status == "2B"
    original = client.get(f"/api/documents/{doc_id}/original")
    assert original.content == scan_path.read_bytes()

    bad = client.post(
        "/api/documents", files={"file": ("broken.pdf", b"%PDF-1.7\n\x00junk", "application/pdf")}
    )
    assert bad.status_code == 200
    assert bad.json()["status"] == "rejected" and bad.json()["reason"]

    r = client.post(
        "/api/documents",
        files={"file": ("rishennia.pdf", pdf_path.read_bytes(), "application/pdf")},
        data={"case": "2026/0001"},
    )
    assert r.json()["status"] == "archived"

    found = client.get("/api/search", params={"q": "довідки реєстрації", "limit": 5}).json()
    assert set(found) == {"total", "hits"}
    assert found["total"] >= 1
    hit = next(h for h in found["hits"] if h["document_id"] == doc_id)
    assert {"document_id", "case", "score", "snippet"} <= set(hit)
    assert "<mark>" in hit["snippet"]
    filtered = client.get("/api/search", params={"q": "рішення дозвіл", "package": "output"}).json()
    assert all(h["document_id"] != r.json()["document_id"] for h in filtered["hits"])


def test_openapi_is_served(world: World) -> None:
    spec = world.http.get("/openapi.json").json()
    paths = spec["paths"]
    for route in (
        "/api/documents",
        "/api/documents/{document_id}",
        "/api/search",
        "/api/documents/{document_id}/pdf",
        "/api/documents/{document_id}/original",
        "/api/auth/token",
    ):
        assert route in paths, route
    assert world.http.get("/docs").status_code == 200
