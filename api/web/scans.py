"""Scanned batches and single files from the desk; parts held for review and attaching them.

The form is a plain multipart upload (a file input, several files at once)
that works without JavaScript. ``/static/upload.js`` enhances it under the
CSP: files dropped on the zone, then sent one by one with a progress bar
each; the server answers such a request (header ``X-Cnap-Fragment``) with
the result of that one file only, which the script appends.

A batch goes to :func:`usecases.batches.upload_batch` (split at its cover
sheets, parts placed in their cases or held); single files to
:func:`usecases.ingest.ingest_files` into the case and package named.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from api.web import forms
from api.web.render import WebRoute, page
from archive.models import PackageKind, Source
from usecases import batches, held, ingest
from usecases.context import Context
from usecases.errors import Conflict, Invalid, NotFound

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PartId = Annotated[int, PathParam(ge=1, le=2**62)]
FRAGMENT = "x-cnap-fragment"
MAX_FILES = 50
DONE = {
    "attached": "Частину долучено до справи.",
    "intake-attached": "Доставку чи лист долучено до справи.",
    "intake-rejected": "Доставку чи лист відхилено; їх збережено.",
}
KIND_UA = {"delivery": "Доставка з Дії", "mail": "Лист"}


def _values(raw: dict[str, str]) -> dict[str, str]:
    v = {k: raw.get(k, "").strip() for k in ("kind", "case", "package")}
    v["kind"] = v["kind"] or "batch"
    v["package"] = v["package"] or "input"
    return v


def _page(request: Request, ctx: Context, status: int = 200, **extra: Any) -> Response:
    held = batches.list_held_parts(ctx)
    intake = held_items(ctx)
    done = DONE.get(request.query_params.get("done", ""))
    return page(
        request,
        "scans.html",
        status,
        title="Скановані пачки",
        who=ctx.principal,
        held=held,
        intake=intake,
        kind_ua=KIND_UA,
        done=done,
        v=extra.pop("v", _values({})),
        **extra,
    )


def held_items(ctx: Context) -> list[dict[str, Any]]:
    """Held Diia deliveries and e-mail (metadata, names masked), as the page lists them."""
    return [i.as_json() for i in held.list_held(ctx).items]


@router.get("/scans")
def scans_page(request: Request) -> Response:
    ctx = forms.page_context(request, back="/scans")
    return _page(request, ctx)


def _check(v: dict[str, str], files: list[UploadFile]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if v["kind"] not in ("batch", "files"):
        errors["kind"] = "Оберіть, що завантажуєте."
    if not files:
        errors["files"] = "Оберіть файл (або перетягніть його сюди)."
    elif len(files) > MAX_FILES:
        errors["files"] = f"Не більше {MAX_FILES} файлів за раз."
    if v["kind"] == "files":
        if not v["case"]:
            errors["case"] = "Для окремих файлів вкажіть номер справи."
        elif len(v["case"]) > 64:
            errors["case"] = "Номер справи задовгий."
        if v["package"] not in ("input", "output"):
            errors["package"] = "Оберіть пакет."
    return errors


def _batch(ctx: Context, upload: UploadFile) -> dict[str, Any]:
    name = upload.filename or "пачка.pdf"
    with tempfile.TemporaryDirectory(dir=ctx.archive.settings.work_dir) as tmp:
        path = Path(tmp) / "batch"
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1024 * 1024)
        outcome = batches.upload_batch(ctx, path=path, source="web", original_name=name)
    report = outcome.as_json()
    return {"kind": "batch", "name": name, "report": report}


def _files(ctx: Context, uploads: list[UploadFile], v: dict[str, str]) -> dict[str, Any]:
    incoming = [ingest.Incoming(u.filename or "файл", u.file) for u in uploads]
    result = ingest.ingest_files(
        ctx,
        files=incoming,
        source=Source.upload,
        case=v["case"],
        package=PackageKind(v["package"]),
        wait=False,
    )
    return {"kind": "files", "case": v["case"], "outcomes": [o.as_json() for o in result.outcomes]}


@router.post("/scans")
async def upload(request: Request) -> Response:
    f = await forms.posted(request)
    v = _values(f.values)
    ctx = forms.page_context(request, back="/scans")
    fragment = request.headers.get(FRAGMENT) == "1"
    if not f.csrf_ok:
        return _answer(request, ctx, fragment, 400, v=v, notice=forms.STALE)
    errors = _check(v, f.files)
    if errors:
        return _answer(request, ctx, fragment, 422, v=v, errors=errors)
    results: list[dict[str, Any]] = []
    try:
        if v["kind"] == "batch":
            for u in f.files:
                results.append(await run_in_threadpool(_batch, ctx, u))
        else:
            results.append(await run_in_threadpool(_files, ctx, f.files, v))
    except Invalid as exc:
        return _answer(request, ctx, fragment, 422, v=v, problem=exc.message)
    return _answer(request, ctx, fragment, 200, v=v, results=results)


def _answer(request: Request, ctx: Context, fragment: bool, status: int, **values: Any) -> Response:
    if fragment:
        # Only this file's result: the page around it is already in the browser.
        return page(request, "_scan_result.html", status, who=ctx.principal, **values)
    return _page(request, ctx, status, **values)


@router.post("/scans/parts/{part_id}/attach")
async def attach(request: Request, part_id: PartId) -> Response:
    f = await forms.posted(request)
    ctx = forms.page_context(request, back="/scans")
    case = f.get("case", 64).strip() or None
    package = f.get("package", 10)
    if not f.csrf_ok:
        return _page(request, ctx, 400, notice=forms.STALE)
    if package not in ("", "input", "output"):
        return _page(request, ctx, 422, part=part_id, part_error="Оберіть пакет.")
    try:
        await run_in_threadpool(
            batches.attach_held_part,
            ctx,
            part_id=part_id,
            case=case,
            package=PackageKind(package) if package else None,
            wait=False,
        )
    except (Invalid, Conflict, NotFound) as exc:
        return _page(request, ctx, 422, part=part_id, part_error=exc.message, part_case=case)
    return RedirectResponse("/scans?done=attached", status_code=303)


ItemId = Annotated[int, PathParam(ge=1, le=2**62)]


@router.post("/scans/intake/{kind}/{item_id}/{verb}")
async def review(request: Request, kind: str, item_id: ItemId, verb: str) -> Response:
    """Attach a held delivery or message to a case, or reject it with a reason."""
    f = await forms.posted(request)
    ctx = forms.page_context(request, back="/scans")
    if kind not in held.KINDS or verb not in ("attach", "reject"):
        raise NotFound("Сторінку не знайдено")
    if not f.csrf_ok:
        return _page(request, ctx, 400, notice=forms.STALE)
    key = f"{kind}-{item_id}"
    case = f.get("case", 64).strip()
    reason = f.get("reason", 1000).strip()
    try:
        if verb == "attach":
            if not case:
                raise Invalid("Вкажіть номер справи.")
            await run_in_threadpool(held.attach_held, ctx, kind=kind, item_id=item_id, case=case)
        else:
            await run_in_threadpool(
                held.reject_held, ctx, kind=kind, item_id=item_id, reason=reason
            )
    except (Invalid, Conflict, NotFound) as exc:
        return _page(
            request, ctx, 422, item=key, item_error=exc.message, item_case=case,
            item_reason=reason,
        )  # fmt: skip
    done = "intake-attached" if verb == "attach" else "intake-rejected"
    return RedirectResponse(f"/scans?done={done}", status_code=303)
