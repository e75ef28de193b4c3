"""The desk administrator's day: the queue, registering a case, its page, forms and steps.

Every page calls one use case of :mod:`usecases.queue`, :mod:`usecases.cases`,
:mod:`usecases.forms` or :mod:`usecases.ingest`; the printed forms are the
PDFs those use cases render, served inline so the browser's own viewer
prints them. A step that breaks a rule of the desk comes back to the case
page with the sentence beside the form and what was typed kept.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from api.web import forms, nav
from api.web.render import WebRoute, page
from archive import cases as ops
from archive.models import PackageKind, Source
from usecases import cases, ingest, queue
from usecases import forms as printed
from usecases.context import Context
from usecases.errors import Denied, Invalid, NotFound
from usecases.forms import PrintedForm

router = APIRouter(route_class=WebRoute, include_in_schema=False)

CaseId = Annotated[int, PathParam(ge=1, le=2**62)]
ITEM_ROWS = 8
NOT_YOURS = "Ця дія недоступна для вашої ролі"
DONE = {
    "registered": "Справу зареєстровано. Надрукуйте титульний аркуш і опис.",
    "send": "Справу передано суб’єкту надання послуги.",
    "notify": "Записано, як повідомлено заявника.",
    "issue": "Видачу результату записано.",
    "files": "Файли долучено до справи.",
}


def _choices(labels: dict[str, str], skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(k, v) for k, v in labels.items() if k not in skip]


NOTIFY = _choices(ops.NOTIFY_UA)
DELIVERY = _choices(ops.DELIVERY_UA)


# --- the queue --------------------------------------------------------------------------


@router.get("/desk")
def desk_page(request: Request) -> Response:
    ctx = forms.page_context(request, back="/desk")
    return _desk(request, ctx)


def _desk(request: Request, ctx: Context, status: int = 200, **extra: Any) -> Response:
    day = queue.desk_queue(ctx)
    return page(request, "desk.html", status, title="Черга дня", who=ctx.principal, q=day, **extra)


@router.get("/cases/find")
def find(request: Request, number: Annotated[str, Query(max_length=64)] = "") -> Response:
    """A case by its journal number (numbers are not personal data: a GET is fine)."""
    ctx = forms.page_context(request, back="/desk")
    number = number.strip()
    if not number:
        return _desk(request, ctx, 422, find_error="Введіть номер справи.", number=number)
    try:
        view = cases.find_case(ctx, number=number)
    except NotFound:
        return _desk(
            request, ctx, 404, find_error="Справу з таким номером не знайдено.", number=number
        )
    return RedirectResponse(f"/cases/{view.case_id}", status_code=303)


# --- registering a case -----------------------------------------------------------------

REG_FIELDS = ("service", "applicant", "notify", "contact", "delivery", "department")


def _reg_values(raw: dict[str, str]) -> dict[str, str]:
    v = {k: raw.get(k, "").strip() for k in REG_FIELDS}
    v["notify"] = v["notify"] or "sms"
    v["delivery"] = v["delivery"] or "in_person"
    for i in range(ITEM_ROWS):
        v[f"title{i}"] = raw.get(f"title{i}", "").strip()
        v[f"sheets{i}"] = raw.get(f"sheets{i}", "").strip()
    return v


def _register_form(
    request: Request, who: Any, v: dict[str, str], status: int = 200, **extra: Any
) -> Response:
    return page(
        request,
        "register.html",
        status,
        title="Реєстрація справи",
        who=who,
        v=v,
        rows=range(ITEM_ROWS),
        notify=NOTIFY,
        delivery=DELIVERY,
        **extra,
    )


@router.get("/cases/new")
def register_page(request: Request) -> Response:
    ctx = forms.page_context(request, back="/cases/new")
    # The form is offered to whoever the use-case layer gives the screen (the
    # registration itself is decided again, and logged, by register_case).
    if "register" not in {s.code for s in nav.screens(request, ctx.principal).menu}:
        raise Denied(NOT_YOURS)
    return _register_form(request, ctx.principal, _reg_values({}))


def register_again(request: Request, keep: dict[str, str]) -> Response:
    """The form as the person left it before signing in again (not yet registered)."""
    notice = "Ви знову увійшли. Перевірте дані й натисніть «Зареєструвати»."
    return _register_form(request, request.state.who, _reg_values(keep), notice=notice)


def _check_registration(v: dict[str, str]) -> tuple[dict[str, str], list[ops.Item]]:
    errors: dict[str, str] = {}
    if not v["service"]:
        errors["service"] = "Вкажіть послугу."
    elif len(v["service"]) > 500:
        errors["service"] = "Назва послуги задовга: не більше 500 символів."
    for name, limit in (("applicant", 500), ("contact", 500), ("department", 200)):
        if len(v[name]) > limit:
            errors[name] = f"Не більше {limit} символів."
    if v["notify"] not in ops.NOTIFY_UA:
        errors["notify"] = "Оберіть спосіб повідомлення зі списку."
    if v["delivery"] not in ops.DELIVERY_UA:
        errors["delivery"] = "Оберіть спосіб отримання зі списку."
    if v["notify"] in ("sms", "email", "phone", "post") and not v["contact"]:
        errors["contact"] = "Для цього способу повідомлення потрібен контакт."
    items: list[ops.Item] = []
    for i in range(ITEM_ROWS):
        title, sheets = v[f"title{i}"], v[f"sheets{i}"]
        if not title:
            if sheets and sheets != "1":
                errors[f"title{i}"] = "Вкажіть назву документа."
            continue
        if len(title) > 300:
            errors[f"title{i}"] = "Назва задовга: не більше 300 символів."
            continue
        try:
            n = int(sheets or "1")
        except ValueError:
            n = 0
        if not 1 <= n <= 10_000:
            errors[f"sheets{i}"] = "Кількість аркушів: ціле число від 1 до 10 000."
            continue
        items.append(ops.Item(title, n))
    if not items and not any(k.startswith("title") for k in errors):
        errors["title0"] = "Внесіть до опису хоча б один документ."
    return errors, items


@router.post("/cases/new")
async def register(request: Request) -> Response:
    f = await forms.posted(request)
    v = _reg_values(f.values)
    ctx = forms.page_context(request, keep=v, back="/cases/new")
    if not f.csrf_ok:
        return _register_form(request, ctx.principal, v, 400, notice=forms.STALE)
    errors, items = _check_registration(v)
    if errors:
        return _register_form(request, ctx.principal, v, 422, errors=errors)
    try:
        done = await run_in_threadpool(
            cases.register_case,
            ctx,
            service=v["service"],
            applicant=v["applicant"] or None,
            items=items,
            notify=ops.Notify(v["notify"]),
            contact=v["contact"] or None,
            delivery=ops.Delivery(v["delivery"]),
            department=v["department"] or None,
        )
    except Invalid as exc:
        return _register_form(request, ctx.principal, v, 422, problem=exc.message)
    return RedirectResponse(f"/cases/{done.case.id}?done=registered", status_code=303)


# --- the case page ------------------------------------------------------------------------


def _case_page(
    request: Request, ctx: Context, case_id: int, status: int = 200, **extra: Any
) -> Response:
    view = cases.show_case(ctx, case_id=case_id)
    who = ctx.principal
    desk = "desk" in {s.code for s in nav.screens(request, who).menu}
    done = request.query_params.get("done", "")
    return page(
        request,
        "case.html",
        status,
        title=f"Справа № {view.number}",
        who=who,
        c=view.data,
        case_id=view.case_id,
        full=view.full,
        desk=desk and view.full,
        done=DONE.get(done),
        notify=_choices(ops.NOTIFY_UA, ("none",)),
        delivery=_choices(ops.DELIVERY_UA, ("none",)),
        recipients=list(nav.LABELS["recipient"].items()),
        v=extra.pop("v", {}),
        **extra,
    )


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: CaseId) -> Response:
    ctx = forms.page_context(request, back=f"/cases/{case_id}")
    return _case_page(request, ctx, case_id)


def _pdf(make: Callable[[Path], PrintedForm], name: str) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        form = make(Path(tmp) / "form.pdf")
        body = form.path.read_bytes()
    # Inline: the browser's PDF viewer opens it, and its print button prints it.
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get("/cases/{case_id}/cover-sheet")
def cover_sheet(
    request: Request,
    case_id: CaseId,
    package: Annotated[PackageKind, Query()] = PackageKind.input,
) -> Response:
    ctx = forms.page_context(request, back=f"/cases/{case_id}")
    return _pdf(
        lambda dest: printed.print_cover_sheet(ctx, case_id=case_id, package=package, dest=dest),
        f"cover-{case_id}-{package.value}.pdf",
    )


@router.get("/cases/{case_id}/inventory")
def inventory(request: Request, case_id: CaseId) -> Response:
    ctx = forms.page_context(request, back=f"/cases/{case_id}")
    return _pdf(
        lambda dest: printed.print_inventory(ctx, case_id=case_id, dest=dest),
        f"inventory-{case_id}.pdf",
    )


@router.get("/cases/{case_id}/routing-sheet")
def routing_sheet(request: Request, case_id: CaseId) -> Response:
    ctx = forms.page_context(request, back=f"/cases/{case_id}")
    return _pdf(
        lambda dest: printed.print_routing_sheet(ctx, case_id=case_id, dest=dest),
        f"routing-sheet-{case_id}.pdf",
    )


# --- the desk's steps on a case ---------------------------------------------------------------


async def _step(
    request: Request,
    case_id: int,
    form: str,
    check: Callable[[dict[str, str]], dict[str, str]],
    run: Callable[[Context, dict[str, str]], object],
) -> Response:
    f = await forms.posted(request)
    v = {k: val.strip() for k, val in f.values.items()}
    ctx = forms.page_context(request, back=f"/cases/{case_id}")
    if not f.csrf_ok:
        return _case_page(request, ctx, case_id, 400, v=v, form=form, notice=forms.STALE)
    errors = check(v)
    if errors:
        return _case_page(request, ctx, case_id, 422, v=v, form=form, errors=errors)
    try:
        await run_in_threadpool(run, ctx, v)
    except Invalid as exc:
        return _case_page(request, ctx, case_id, 422, v=v, form=form, problem=exc.message)
    return RedirectResponse(f"/cases/{case_id}?done={form}#steps", status_code=303)


def _check_send(v: dict[str, str]) -> dict[str, str]:
    d = v.get("department", "")
    if not d:
        return {"department": "Вкажіть підрозділ, якому передано справу."}
    if len(d) > 200:
        return {"department": "Не більше 200 символів."}
    return {}


@router.post("/cases/{case_id}/send")
async def send(request: Request, case_id: CaseId) -> Response:
    return await _step(
        request,
        case_id,
        "send",
        _check_send,
        lambda ctx, v: cases.send_case(ctx, case_id=case_id, department=v["department"]),
    )


def _check_notify(v: dict[str, str]) -> dict[str, str]:
    if v.get("method", "") not in ops.NOTIFY_UA or v.get("method") == "none":
        return {"method": "Оберіть, як повідомлено заявника."}
    if len(v.get("note", "")) > 500:
        return {"note": "Не більше 500 символів."}
    return {}


@router.post("/cases/{case_id}/notify")
async def notify(request: Request, case_id: CaseId) -> Response:
    return await _step(
        request,
        case_id,
        "notify",
        _check_notify,
        lambda ctx, v: cases.notify_case(
            ctx, case_id=case_id, method=ops.Notify(v["method"]), note=v.get("note") or None
        ),
    )


def _check_issue(v: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if v.get("to", "") not in ops.RECIPIENT_UA:
        errors["to"] = "Оберіть, кому видано результат."
    method = v.get("method", "")
    if method not in ops.DELIVERY_UA or method == "none":
        errors["method"] = "Оберіть спосіб видачі."
    if v.get("to") == "representative" and not v.get("name"):
        errors["name"] = "Для представника вкажіть прізвище та ініціали."
    if method == "in_person" and not v.get("document"):
        errors["document"] = "Вкажіть документ, який пред’явлено при видачі."
    for name in ("name", "document"):
        if len(v.get(name, "")) > 200:
            errors[name] = "Не більше 200 символів."
    return errors


@router.post("/cases/{case_id}/issue")
async def issue(request: Request, case_id: CaseId) -> Response:
    return await _step(
        request,
        case_id,
        "issue",
        _check_issue,
        lambda ctx, v: cases.issue_case(
            ctx,
            case_id=case_id,
            to=ops.Recipient(v["to"]),
            document=v.get("document") or None,
            name=v.get("name") or None,
            method=ops.Delivery(v["method"]),
        ),
    )


@router.post("/cases/{case_id}/files")
async def add_files(request: Request, case_id: CaseId) -> Response:
    """Files of a package (the result, usually): archived into the case through ingest."""
    f = await forms.posted(request)
    ctx = forms.page_context(request, back=f"/cases/{case_id}")
    v = {"package": f.get("package", 10)}
    if not f.csrf_ok:
        return _case_page(request, ctx, case_id, 400, v=v, form="files", notice=forms.STALE)
    if v["package"] not in ("input", "output"):
        return _case_page(
            request, ctx, case_id, 422, v=v, form="files", errors={"package": "Оберіть пакет."}
        )
    if not f.files:
        return _case_page(
            request,
            ctx,
            case_id,
            422,
            v=v,
            form="files",
            errors={"files": "Оберіть хоча б один файл."},
        )
    view = cases.show_case(ctx, case_id=case_id)
    if not view.full:
        raise Denied(NOT_YOURS)
    incoming = [ingest.Incoming(u.filename or "файл", u.file) for u in f.files]
    result = await run_in_threadpool(
        ingest.ingest_files,
        ctx,
        files=incoming,
        source=Source.upload,
        case=view.number,
        package=PackageKind(v["package"]),
        wait=False,
    )
    if result.rejected:
        return _case_page(
            request,
            ctx,
            case_id,
            422,
            v=v,
            form="files",
            outcomes=result.outcomes,
            problem="Частину файлів не прийнято; причину вказано нижче.",
        )
    return RedirectResponse(f"/cases/{case_id}?done=files#packages", status_code=303)
