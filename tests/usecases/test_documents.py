"""The document use cases called directly: what each caller gets, and one audit entry per call."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from tests.api.helpers import IBAN, RNOKPP
from tests.usecases.conftest import World
from usecases import documents
from usecases.errors import Conflict, Denied, NotFound
from usecases.registry import USE_CASES
from usecases.views import Rendered, Stored


def one_entry(world: World, start: int) -> dict[str, Any]:
    tail = world.since(start)
    assert len(tail) == 1, tail
    return tail[0]


def test_every_document_use_case_is_registered() -> None:
    names = {n for n in USE_CASES if n.startswith("documents.")}
    assert names == {
        "documents.read_document", "documents.read_metadata", "documents.show_document",
        "documents.read_pages", "documents.read_page", "documents.page_image",
        "documents.document_pdf", "documents.redacted_pdf", "documents.original_file",
        "documents.document_findings",
    }  # fmt: skip
    audited = {n: u.audit for n, u in USE_CASES.items() if n.startswith("documents.")}
    assert audited["documents.show_document"] is None
    assert all(a is not None for n, a in audited.items() if n != "documents.show_document")


def test_full_read_shows_identifiers_and_logs_them(world: World) -> None:
    doc = world.docs["home"]
    start = world.head()
    view = documents.read_document(world.ctx("admin"), document_id=doc.id)
    assert view.pages is not None and RNOKPP in view.pages[0].text
    assert not view.masked and view.as_json()["case"] == "2026/0001"
    entry = one_entry(world, start)
    assert (entry["action"], entry["outcome"], entry["document_id"]) == (
        "document.text", "allowed", doc.id,
    )  # fmt: skip
    assert entry["identifiers"] and entry["details"]["level"] == "full"


def test_other_workplace_reads_masked_text(world: World) -> None:
    start = world.head()
    view = documents.read_document(world.ctx("admin_wp"), document_id=world.docs["home"].id)
    assert view.masked and view.pages is not None
    text = "\n".join(p.text for p in view.pages)
    assert RNOKPP not in text and IBAN not in text
    entry = one_entry(world, start)
    assert entry["details"]["level"] == "masked" and entry["identifiers"] == []


@pytest.mark.parametrize("who", ["sysadmin", "official_b", "admin_other"])
def test_denied_read_is_logged_once(world: World, who: str) -> None:
    start = world.head()
    with pytest.raises(Denied):
        documents.read_document(world.ctx(who), document_id=world.docs["home"].id)
    entry = one_entry(world, start)
    assert (entry["action"], entry["outcome"], entry["actor"]) == ("document.text", "denied", who)


def test_missing_document_is_not_found_and_not_logged(world: World) -> None:
    start = world.head()
    with pytest.raises(NotFound):
        documents.read_document(world.ctx("admin"), document_id="no-such-document")
    assert world.since(start) == []


def test_break_glass_gives_full_access_flagged(world: World) -> None:
    doc = world.docs["home"]
    with pytest.raises(Denied) as short:
        documents.read_document(world.ctx("official_b"), document_id=doc.id, reason="треба")
    assert "10" in short.value.message
    start = world.head()
    view = documents.read_document(
        world.ctx("official_b"), document_id=doc.id, reason="Запит прокуратури № 77/1"
    )
    assert view.pages is not None and RNOKPP in view.pages[0].text
    entry = one_entry(world, start)
    assert entry["break_glass"] is True and entry["purpose"] == "Запит прокуратури № 77/1"


def test_show_falls_back_to_metadata(world: World) -> None:
    doc = world.docs["home"]
    start = world.head()
    view = documents.show_document(world.ctx("dpo"), document_id=doc.id)
    assert view.metadata_only and view.as_json()["pages"] == []
    assert one_entry(world, start)["action"] == "document.metadata"
    start = world.head()
    full = documents.show_document(world.ctx("official"), document_id=doc.id)
    assert not full.metadata_only and full.pages
    assert one_entry(world, start)["action"] == "document.text"
    start = world.head()
    with pytest.raises(Denied):
        documents.show_document(world.ctx("sysadmin"), document_id=doc.id)
    assert one_entry(world, start)["outcome"] == "denied"


def test_metadata_has_no_pages(world: World) -> None:
    start = world.head()
    view = documents.read_metadata(world.ctx("archivist"), document_id=world.docs["home"].id)
    assert "pages" not in view.as_json()
    assert one_entry(world, start)["action"] == "document.metadata"


def test_pages_and_one_page(world: World) -> None:
    doc = world.docs["home"]
    ctx = world.ctx("admin")
    pages = documents.read_pages(ctx, document_id=doc.id)
    assert [p.number for p in pages] == [1, 2]
    start = world.head()
    page = documents.read_page(ctx, document_id=doc.id, number=2)
    assert IBAN in page.text
    entry = one_entry(world, start)
    assert entry["details"]["page"] == 2
    with pytest.raises(NotFound):
        documents.read_page(ctx, document_id=doc.id, number=9)


def test_page_image_is_redacted_when_masked(world: World) -> None:
    doc = world.docs["home"]
    full = documents.page_image(world.ctx("admin"), document_id=doc.id, number=1)
    start = world.head()
    masked = documents.page_image(world.ctx("admin_wp"), document_id=doc.id, number=1)
    assert one_entry(world, start)["action"] == "document.page_image"
    assert isinstance(masked, Rendered) and masked.media_type == "image/png"
    dark = [_dark_pixels(r.body) for r in (full, masked)]
    assert dark[1] > dark[0]  # black boxes over the identifiers


def _dark_pixels(png: bytes) -> int:
    img = Image.open(io.BytesIO(png)).convert("L")
    return sum(img.histogram()[:40])


def test_pdf_full_is_the_stored_copy_and_masked_is_redacted(world: World) -> None:
    doc = world.docs["home"]
    start = world.head()
    full = documents.document_pdf(world.ctx("admin"), document_id=doc.id)
    assert one_entry(world, start)["action"] == "document.pdf"
    assert isinstance(full, Stored) and b"".join(full.chunks) == doc.pdf
    masked = documents.document_pdf(world.ctx("admin_wp"), document_id=doc.id)
    assert isinstance(masked, Rendered) and masked.filename == f"{doc.id}-redacted.pdf"
    assert masked.body.startswith(b"%PDF") and RNOKPP.encode() not in masked.body


def test_redacted_original_and_findings(world: World) -> None:
    doc = world.docs["home"]
    calls: list[tuple[Callable[..., Any], str]] = [
        (documents.redacted_pdf, "document.redacted"),
        (documents.original_file, "document.download"),
        (documents.document_findings, "document.findings"),
    ]
    for use_case, action in calls:
        start = world.head()
        result = use_case(world.ctx("admin"), document_id=doc.id)
        assert one_entry(world, start)["action"] == action
        assert result
    found = documents.document_findings(world.ctx("admin"), document_id=doc.id)
    assert RNOKPP in {f.value for f in found}
    original = documents.original_file(world.ctx("admin"), document_id=doc.id)
    assert b"".join(original.chunks) == doc.pdf
    # Below full access the original and the findings are refused, and that is logged.
    for use_case, action in calls[1:]:
        start = world.head()
        with pytest.raises(Denied):
            use_case(world.ctx("admin_wp"), document_id=doc.id)
        entry = one_entry(world, start)
        assert (entry["action"], entry["outcome"]) == (action, "denied")


def test_archivist_reads_archival_cases_masked(world: World) -> None:
    view = documents.read_document(world.ctx("archivist"), document_id=world.docs["archival"].id)
    assert view.masked
    with pytest.raises(Denied):
        documents.read_document(world.ctx("archivist"), document_id=world.docs["home"].id)


def test_no_pdfa_is_a_conflict(world: World) -> None:
    from archive.models import DocState, Document

    doc = world.docs["other_centre"]
    with world.archive.db.session() as s:
        row = s.get(Document, doc.id)
        assert row is not None
        row.state = DocState.processing
    try:
        with pytest.raises(Conflict):
            documents.document_pdf(world.ctx("local"), document_id=doc.id)
    finally:
        with world.archive.db.session() as s:
            row = s.get(Document, doc.id)
            assert row is not None
            row.state = DocState.archived
