"""Redacted renditions: black boxes over identifiers, and no text left to copy."""

from __future__ import annotations

import io

import pikepdf
import pypdfium2 as pdfium
from PIL import Image

from tests.api.conftest import World
from tests.api.helpers import IBAN, RNOKPP


def _render(pdf: bytes, index: int) -> Image.Image:
    doc = pdfium.PdfDocument(pdf)
    try:
        img: Image.Image = doc[index].render(scale=150 / 72).to_pil().convert("L")
        return img
    finally:
        doc.close()


def _text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def _box(world: World, doc_id: str, kind: str) -> tuple[int, list[float]]:
    rows = world.http.get(
        f"/api/documents/{doc_id}/findings", headers=world.headers("admin")
    ).json()
    row = next(r for r in rows if r["kind"] == kind)
    return row["page"], row["boxes"][0]


def _darkness(img: Image.Image, box: list[float]) -> float:
    w, h = img.size
    crop = img.crop((int(box[0] * w) + 2, int(box[1] * h) + 2, int(box[2] * w) - 2,
                     int(box[3] * h) - 2))  # fmt: skip
    hist = crop.histogram()
    return sum(hist[:40]) / sum(hist)


def test_masked_user_gets_redacted_pdf_without_text(world: World) -> None:
    doc = world.docs["home"]
    assert RNOKPP in _text(doc.pdf)  # the archive copy has a text layer
    r = world.http.get(f"/api/documents/{doc.id}/pdf", headers=world.headers("admin_wp"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = r.content
    assert _text(pdf).strip() == ""
    with pikepdf.open(io.BytesIO(pdf)) as p:
        assert len(p.pages) == 2
        for page in p.pages:
            assert "/Font" not in page.Resources
    for kind in ("rnokpp", "iban"):
        number, box = _box(world, doc.id, kind)
        assert _darkness(_render(pdf, number - 1), box) > 0.95
        assert _darkness(_render(doc.pdf, number - 1), box) < 0.5  # it was text before


def test_full_user_gets_the_original_pdf(world: World) -> None:
    doc = world.docs["home"]
    r = world.http.get(f"/api/documents/{doc.id}/pdf", headers=world.headers("official"))
    assert r.content == doc.pdf
    red = world.http.get(f"/api/documents/{doc.id}/redacted", headers=world.headers("official"))
    assert red.status_code == 200 and IBAN not in _text(red.content)


def test_page_image_is_redacted_below_full_access(world: World) -> None:
    doc = world.docs["home"]
    number, box = _box(world, doc.id, "rnokpp")
    url = f"/api/documents/{doc.id}/pages/{number}/image"
    masked = world.http.get(url, headers=world.headers("admin_wp"))
    full = world.http.get(url, headers=world.headers("admin"))
    assert masked.headers["content-type"] == "image/png"
    assert _darkness(Image.open(io.BytesIO(masked.content)).convert("L"), box) > 0.95
    assert _darkness(Image.open(io.BytesIO(full.content)).convert("L"), box) < 0.5


def test_original_needs_full_access(world: World) -> None:
    doc = world.docs["home"]
    r = world.http.get(f"/api/documents/{doc.id}/original", headers=world.headers("admin_wp"))
    assert r.status_code == 403
    r = world.http.get(f"/api/documents/{doc.id}/original", headers=world.headers("admin"))
    assert r.status_code == 200 and r.content == doc.pdf
