"""Reading one document: its text, metadata, pages, page images, PDF/A, original, findings.

Every use case here opens the document through :func:`usecases.access.open_document`
with the action it performs: the policy decides the level (masked text,
redacted PDF, or full), the access is logged, and only then is anything
read from the store. A document that does not exist is :class:`NotFound`;
one the caller may not open at the needed level is :class:`Denied` (with
the denial logged), as the API has always answered (404 and 403).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import chain

from archive.audit import Action
from archive.models import DocState, Tier
from archive.store import ObjectNotFound
from usecases import access, disclosure, redact
from usecases.access import Granted, page_findings
from usecases.context import Context
from usecases.errors import Conflict, NotFound
from usecases.policy import REQUIRED
from usecases.registry import use_case
from usecases.views import DocumentView, FindingView, PageView, Rendered, Stored, page_view

PAGE_NOT_FOUND = "Сторінку не знайдено"
NO_PDFA = "Документ ще не має архівної копії PDF/A"
NOT_IN_STORE = "Файл відсутній у сховищі"


@use_case(Action.document_text)
def read_document(ctx: Context, *, document_id: str, reason: str | None = None) -> DocumentView:
    """Metadata, state and the text of every page (masked below full access)."""
    g = access.open_document(ctx, document_id, Action.document_text, reason=reason)
    return DocumentView.of(g.doc, masked=g.masked, findings=g.masking, case=g.scope.case)


@use_case(Action.document_metadata)
def read_metadata(ctx: Context, *, document_id: str, reason: str | None = None) -> DocumentView:
    """Metadata and state only (no text): what the DPO and the archivist see of any case."""
    g = access.open_document(ctx, document_id, Action.document_metadata, reason=reason)
    return DocumentView.of(
        g.doc, with_pages=False, masked=g.masked, findings=g.masking, case=g.scope.case
    )


@use_case(
    None,
    why_unaudited="picks read_document or read_metadata by the caller's level; "
    "the one it calls writes the entry",
)
def show_document(ctx: Context, *, document_id: str, reason: str | None = None) -> DocumentView:
    """``show``: the text when the caller may read it, else the metadata alone.

    A caller who may see only metadata gets a view with no pages and
    ``metadata_only`` set (logged as a metadata read); anyone else gets
    :func:`read_document` (logged as a text read, or denied).
    """
    decision = access.peek(ctx, document_id, reason)
    if not decision.allows(REQUIRED[Action.document_text]) and decision.allows(
        REQUIRED[Action.document_metadata]
    ):
        view = read_metadata(ctx, document_id=document_id, reason=reason)
        return replace(view, pages=[], metadata_only=True)
    return read_document(ctx, document_id=document_id, reason=reason)


@use_case(Action.document_text)
def read_pages(ctx: Context, *, document_id: str, reason: str | None = None) -> list[PageView]:
    """The text of every page."""
    g = access.open_document(ctx, document_id, Action.document_text, reason=reason)
    return [page_view(p, g.masked, page_findings(g, p.number)) for p in g.doc.pages]


@use_case(Action.document_text)
def read_page(
    ctx: Context, *, document_id: str, number: int, reason: str | None = None
) -> PageView:
    """The text of one page (the log names the page)."""
    g = access.open_document(ctx, document_id, Action.document_text, reason=reason, page=number)
    for p in g.doc.pages:
        if p.number == number:
            return page_view(p, g.masked, page_findings(g, number))
    raise NotFound(PAGE_NOT_FOUND)


@use_case(Action.page_image)
def page_image(
    ctx: Context, *, document_id: str, number: int, reason: str | None = None
) -> Rendered:
    """One page of the PDF/A as PNG, with black boxes over identifiers below full access."""
    g = access.open_document(ctx, document_id, Action.page_image, reason=reason, page=number)
    pdf = _pdfa(ctx, g)
    page = next((p for p in g.doc.pages if p.number == number), None)
    if page is None:
        raise NotFound(PAGE_NOT_FOUND)
    boxes = None
    if g.masked:
        boxes = disclosure.redaction_boxes([page], page_findings(g, number)).get(number, [])
    try:
        png = redact.page_png(pdf, number, boxes)
    except IndexError as exc:
        raise NotFound(PAGE_NOT_FOUND) from exc
    return Rendered(png, "image/png")


@use_case(Action.document_pdf)
def document_pdf(ctx: Context, *, document_id: str, reason: str | None = None) -> Stored | Rendered:
    """The PDF/A as archived; below full access, the redacted image-only copy instead."""
    g = access.open_document(ctx, document_id, Action.document_pdf, reason=reason)
    if g.masked:
        return _redacted(ctx, g)
    _require_pdfa(g)
    assert g.doc.pdfa_sha256 is not None
    return _stored(ctx, g.doc.pdfa_sha256, g.doc.pdfa_tier, "application/pdf", f"{g.doc.id}.pdf")


@use_case(Action.document_redacted)
def redacted_pdf(ctx: Context, *, document_id: str, reason: str | None = None) -> Rendered:
    """An image-only PDF with every identifier painted over (whatever the caller's level)."""
    g = access.open_document(ctx, document_id, Action.document_redacted, reason=reason)
    return _redacted(ctx, g)


@use_case(Action.download)
def original_file(ctx: Context, *, document_id: str, reason: str | None = None) -> Stored:
    """The file as it was received (full access only)."""
    g = access.open_document(ctx, document_id, Action.download, reason=reason)
    doc = g.doc
    return _stored(
        ctx,
        doc.sha256,
        doc.original_tier,
        doc.media_type or "application/octet-stream",
        doc.original_name,
    )


@use_case(Action.document_findings)
def document_findings(
    ctx: Context, *, document_id: str, reason: str | None = None
) -> list[FindingView]:
    """The identifiers detected in the document, unmasked (full access only)."""
    g = access.open_document(ctx, document_id, Action.document_findings, reason=reason)
    return [FindingView.of(f) for f in g.findings]


# --- reading renditions (after the access was decided and logged) ------------------


def _require_pdfa(g: Granted) -> None:
    if g.doc.state != DocState.archived or not g.doc.pdfa_sha256:
        raise Conflict(NO_PDFA, code="no_pdfa")


def _pdfa(ctx: Context, g: Granted) -> bytes:
    _require_pdfa(g)
    assert g.doc.pdfa_sha256 is not None
    try:
        return ctx.archive.store.read_bytes(g.doc.pdfa_sha256, g.doc.pdfa_tier)
    except ObjectNotFound as exc:
        raise NotFound(NOT_IN_STORE, code="not_in_store") from exc


def _redacted(ctx: Context, g: Granted) -> Rendered:
    pdf = _pdfa(ctx, g)
    boxes = disclosure.redaction_boxes(g.doc.pages, g.masking)
    return Rendered(redact.redacted_pdf(pdf, boxes), "application/pdf", f"{g.doc.id}-redacted.pdf")


def _stored(ctx: Context, sha: str, tier: Tier, media: str, name: str) -> Stored:
    try:
        # The first chunk is read here so a missing object is NotFound, not a broken stream.
        chunks = ctx.archive.store.iter_chunks(sha, tier)
        first = next(chunks, b"")
    except ObjectNotFound as exc:
        raise NotFound(NOT_IN_STORE, code="not_in_store") from exc
    return Stored(sha, media, name, chain([first], chunks))
