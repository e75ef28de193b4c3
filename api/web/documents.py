"""The document viewer: page image, recognised text with matches marked, PDF/A, break-glass.

Everything is read through the use cases of ``usecases.documents``, so the
page image and the text are masked exactly as the API masks them and each
read is logged. A refused document offers break-glass as its own step: a
form that asks for a reason (at least ten letters); the reason is kept in a
signed ``HttpOnly`` cookie scoped to that one document for a quarter of an
hour, so the page image and the PDF it links to are read — and logged —
with the same reason.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from api.web import forms, nav, session
from api.web.render import WebRoute, page
from search.query import parse_query
from usecases import documents, metadata
from usecases.context import Context
from usecases.errors import ArchiveError, Denied, Invalid
from usecases.policy import Principal
from usecases.views import DocumentView, Rendered, Stored

router = APIRouter(route_class=WebRoute, include_in_schema=False)

DocId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
MIN_LETTERS = 10

OUT_OF_SCOPE = "Цей документ поза межами ваших повноважень."
METADATA_ONLY = "Вам доступні лише метадані цього документа."
SHORT_REASON = "Опишіть причину щонайменше десятьма літерами."
ASK_REASON = "Повний доступ до цього документа можливий лише із зазначенням причини."


def _forms(q: str) -> list[str]:
    """Lower-case word forms of the query, to mark in the page text."""
    if not q.strip():
        return []
    parsed = parse_query(q[:1000])
    return sorted({f for w in parsed.all_words() for f in w.forms})


def _viewer(
    request: Request, document_id: str, number: int, q: str = "", glass: bool = False
) -> Response:
    back = f"/documents/{document_id}"
    ctx = forms.page_context(request, back=back)
    reason = session.glass_reason(request, document_id)
    try:
        doc = documents.show_document(ctx, document_id=document_id, reason=reason)
    except Denied:
        # The one error this page answers itself: a refusal offers the break-glass step.
        return _refused(request, document_id, status=403)
    done = TYPE_CORRECTED if request.query_params.get("done") == "type" else None
    return _render(request, ctx, doc, number, q, glass or reason is not None, reason, done=done)


TYPE_CORRECTED = "Тип документа виправлено; виправлення збережено для навчання класифікатора."


def _render(
    request: Request,
    ctx: Context,
    doc: DocumentView,
    number: int,
    q: str,
    glass: bool,
    reason: str | None,
    status: int = 200,
    **extra: object,
) -> Response:
    who = request.state.who
    pages = doc.pages or []
    number = min(max(number, 1), max(len(pages), 1))
    text = next((p.text for p in pages if p.number == number), "")
    try:
        # Its own use case (and its own access-log entry): personal fields masked per policy.
        meta: metadata.MetadataView | None = metadata.show_metadata(
            ctx, document_id=doc.document_id, reason=reason
        )
    except ArchiveError:
        meta = None
    return page(
        request,
        "document.html",
        status,
        title=f"Документ {doc.document_id[:8]}",
        who=who,
        doc=doc,
        number=number,
        text=text,
        forms=_forms(q),
        glass=glass,
        has_pdf=doc.pdfa_sha256 is not None and doc.state == "archived",
        offer_glass=nav.screens(request, who).break_glass,
        meta=meta,
        types=metadata.list_document_types(ctx) if meta is not None else [],
        **extra,
    )


def _refused(
    request: Request,
    document_id: str,
    status: int,
    reason: str = "",
    error: str | None = None,
    notice: str | None = None,
    message: str = OUT_OF_SCOPE,
) -> Response:
    who = request.state.who
    return page(
        request,
        "break_glass.html",
        status,
        title="Доступ обмежено",
        who=who,
        message=message,
        refused=status == 403,
        document_id=document_id,
        offer_glass=nav.screens(request, who).break_glass,
        reason=reason,
        error=error,
        notice=notice,
    )


@router.get("/documents/{document_id}")
def view(request: Request, document_id: DocId, page: PageNo = 1) -> Response:
    return _viewer(request, document_id, page)


@router.post("/documents/{document_id}")
async def view_found(request: Request, document_id: DocId) -> Response:
    """Opened from the search results: the query comes in the body, to mark its words."""
    f = await forms.posted(request)
    try:
        number = int(f.get("page", 10) or 1)
    except ValueError:
        number = 1
    if not f.csrf_ok:
        return RedirectResponse(f"/documents/{document_id}?page={number}", status_code=303)
    return _viewer(request, document_id, number, f.get("q", 1000))


@router.get("/documents/{document_id}/break-glass")
def glass_form(request: Request, document_id: DocId) -> Response:
    forms.signed_in(request, back=f"/documents/{document_id}/break-glass")
    return _refused(request, document_id, 200, message=ASK_REASON)


def glass_form_again(
    request: Request, p: Principal, document_id: str, keep: dict[str, str]
) -> Response:
    request.state.who = p
    return _refused(
        request, document_id, 200, reason=keep.get("reason", ""), message=ASK_REASON,
        notice="Ви знову увійшли. Перевірте причину й надішліть форму ще раз.",
    )  # fmt: skip


@router.post("/documents/{document_id}/break-glass")
async def break_glass(request: Request, document_id: DocId) -> Response:
    f = await forms.posted(request)
    reason = f.get("reason", 1000).strip()
    back = f"/documents/{document_id}/break-glass"
    ctx = forms.page_context(request, keep={"reason": reason}, back=back)
    if not f.csrf_ok:
        return _refused(
            request, document_id, 400, reason=reason, notice=forms.STALE, message=ASK_REASON
        )
    if sum(ch.isalpha() for ch in reason) < MIN_LETTERS:
        return _refused(
            request, document_id, 422, reason=reason, error=SHORT_REASON, message=ASK_REASON
        )
    try:
        doc = documents.show_document(ctx, document_id=document_id, reason=reason)
    except Denied:
        return _refused(request, document_id, 403, reason=reason)
    resp = _render(request, ctx, doc, 1, "", True, reason)
    session.set_cookie(
        request,
        resp,
        session.GLASS_COOKIE,
        session.glass_value(request, document_id, reason),
        session.GLASS_SECONDS,
        path=f"/documents/{document_id}",
    )
    return resp


@router.post("/documents/{document_id}/type")
async def correct_type(request: Request, document_id: DocId) -> Response:
    """A person corrects the document's type; the use case keeps it as training data."""
    f = await forms.posted(request)
    kind = f.get("type", 64).strip()
    back = f"/documents/{document_id}"
    ctx = forms.page_context(request, back=back)
    reason = session.glass_reason(request, document_id)
    if not f.csrf_ok:
        return RedirectResponse(back, status_code=303)
    error = None if kind else "Оберіть тип зі списку."
    if error is None:
        try:
            metadata.correct_document_type(ctx, document_id=document_id, type=kind, reason=reason)
        except Invalid:
            error = "Оберіть тип зі списку."
        except Denied:
            return _refused(request, document_id, status=403)
        else:
            return RedirectResponse(f"{back}?done=type", status_code=303)
    try:
        doc = documents.show_document(ctx, document_id=document_id, reason=reason)
    except Denied:
        return _refused(request, document_id, status=403)
    return _render(
        request, ctx, doc, 1, "", reason is not None, reason, 422,
        errors={"type": error}, chosen=kind,
    )  # fmt: skip


@router.get("/documents/{document_id}/pages/{number}/image")
def page_image(
    request: Request, document_id: DocId, number: Annotated[int, Path(ge=1, le=100_000)]
) -> Response:
    ctx = forms.page_context(request, back=f"/documents/{document_id}")
    reason = session.glass_reason(request, document_id)
    image = documents.page_image(ctx, document_id=document_id, number=number, reason=reason)
    return Response(image.body, media_type=image.media_type)


@router.get("/documents/{document_id}/pdf")
def pdf(request: Request, document_id: DocId) -> Response:
    ctx = forms.page_context(request, back=f"/documents/{document_id}")
    reason = session.glass_reason(request, document_id)
    return _file(documents.document_pdf(ctx, document_id=document_id, reason=reason))


def _file(file: Rendered | Stored) -> Response:
    if isinstance(file, Stored):
        return StreamingResponse(
            file.chunks,
            media_type=file.media_type,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}"},
        )
    name = file.filename or "document.pdf"
    return Response(
        file.body,
        media_type=file.media_type,
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
