"""The archivist's screens: retention plans and their approval, holds, acts, rules, fixity.

Each page calls one use case of :mod:`usecases.retention` — the same ones
``cnap-archive retention …`` and ``/api/retention`` call — which asks the
policy and writes the audit entry. The decisions that change the archive
(approval by the expert commission, agreement of the archival authority,
execution, releasing a hold) are deliberate steps: the form leads to a page
that says what will happen and asks once more. A refusal of a step by the
use case (a plan in the wrong state, a reference left empty) comes back on
the plan's page as one sentence.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, StreamingResponse

from api.web import forms, nav, session
from api.web.render import WebRoute, page
from usecases import retention as uc
from usecases.context import Context
from usecases.errors import Conflict, Invalid, NotFound

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PlanNo = Annotated[int, Path(ge=1, le=10_000_000)]
SHOWN_LINES = 1000
DONE = {
    "drafted": "Проєкт плану складено. Перевірте позиції й подайте його на розгляд ЕК.",
    "approved": "Затвердження ЕК записано.",
    "agreed": "Погодження ЕПК записано.",
    "placed": "Утримання встановлено: справу не буде передано чи знищено, доки його не знято.",
    "released": "Утримання знято.",
}
# The sub-menu of the archivist's screens (the main menu has one entry for them).
TABS = (
    ("/retention", "Плани"),
    ("/retention/due", "Що настало"),
    ("/retention/holds", "Утримання"),
    ("/retention/outputs", "Акти й пакети"),
    ("/retention/rules", "Номенклатура і правила"),
    ("/fixity", "Цілісність"),
)


def _page(
    request: Request, template: str, ctx: Context, status: int = 200, **values: Any
) -> Response:
    # Tabs only to the screens the person's menu has (the sysadmin: fixity alone).
    menu = set(nav.screens(request, ctx.principal).paths())
    tabs = [(p, t) for p, t in TABS if ("/fixity" if p == "/fixity" else "/retention") in menu]
    return page(request, template, status, who=ctx.principal, tabs=tabs, **values)


def _as_of(text: str, errors: dict[str, str], name: str = "as_of") -> date | None:
    try:
        return forms.parse_date(text.strip()[:10])
    except ValueError as exc:
        errors[name] = str(exc)
        return None


# --- plans --------------------------------------------------------------------------------


def _plans_page(request: Request, ctx: Context, status: int = 200, **extra: Any) -> Response:
    plans = uc.list_plans(ctx)
    return _page(
        request,
        "retention_plans.html",
        ctx,
        status,
        title="Плани зберігання",
        plans=list(reversed(plans)),
        v=extra.pop("v", {"as_of": ""}),
        **extra,
    )


@router.get("/retention")
def plans(request: Request) -> Response:
    ctx = forms.page_context(request, back="/retention")
    return _plans_page(request, ctx)


@router.get("/retention/due")
def due(request: Request, as_of: str = "") -> Response:
    """What is due on a date (dates in the address: they name nobody), blocked lines too."""
    ctx = forms.page_context(request, back="/retention/due")
    errors: dict[str, str] = {}
    day = _as_of(as_of, errors)
    report = uc.plan_due(ctx, as_of=None if errors else day)
    ready = [x for x in report.lines if not x.blocked and x.in_plan is None]
    return _page(
        request,
        "retention_due.html",
        ctx,
        422 if errors else 200,
        title="Що настало за правилами",
        r=report,
        ready=ready,
        blocked=[x for x in report.lines if x.blocked],
        planned=[x for x in report.lines if not x.blocked and x.in_plan is not None],
        v={"as_of": as_of[:10]},
        errors=errors,
    )


@router.post("/retention/plans")
async def draft(request: Request) -> Response:
    f = await forms.posted(request)
    v = {"as_of": f.get("as_of", 10).strip()}
    ctx = forms.page_context(request, back="/retention")
    if not f.csrf_ok:
        return _plans_page(request, ctx, 400, v=v, notice=forms.STALE)
    errors: dict[str, str] = {}
    day = _as_of(v["as_of"], errors)
    if errors:
        return _plans_page(request, ctx, 422, v=v, errors=errors)
    made = await run_in_threadpool(uc.draft_plan, ctx, as_of=day)
    return RedirectResponse(f"/retention/plans/{made.number}?done=drafted", status_code=303)


def _plan_page(
    request: Request, ctx: Context, number: int, status: int = 200, **extra: Any
) -> Response:
    plan = uc.show_plan(ctx, number=number, limit=SHOWN_LINES)
    return _page(
        request,
        "retention_plan.html",
        ctx,
        status,
        title=f"План № {plan.number}",
        plan=plan,
        done=DONE.get(request.query_params.get("done", "")),
        v=extra.pop("v", {}),
        shown=SHOWN_LINES,
        **extra,
    )


@router.get("/retention/plans/{number}")
def plan(request: Request, number: PlanNo) -> Response:
    ctx = forms.page_context(request, back=f"/retention/plans/{number}")
    return _plan_page(request, ctx, number)


def _check_ref(v: dict[str, str], name: str, what: str) -> tuple[dict[str, str], date | None]:
    errors: dict[str, str] = {}
    if not v.get(name):
        errors[name] = f"Вкажіть {what}."
    elif len(v[name]) > 200:
        errors[name] = "Не більше 200 символів."
    day = _as_of(v.get("date", ""), errors, "date")
    return errors, day


STEPS = {
    "approve": ("decision", "номер рішення (протоколу) ЕК"),
    "agree": ("reference", "номер протоколу ЕПК"),
}


async def _decision(request: Request, number: int, step: str) -> Response:
    """ЕК approval or ЕПК agreement: the form, a page that asks once more, the use case."""
    f = await forms.posted(request)
    name, what = STEPS[step]
    v = {name: " ".join(f.get(name, 300).split()), "date": f.get("date", 10).strip()}
    ctx = forms.page_context(request, back=f"/retention/plans/{number}")
    if not f.csrf_ok:
        return _plan_page(request, ctx, number, 400, v=v, form=step, notice=forms.STALE)
    errors, day = _check_ref(v, name, what)
    if errors:
        return _plan_page(request, ctx, number, 422, v=v, form=step, errors=errors)
    if f.get("confirm", 10) != "yes":
        plan = uc.show_plan(ctx, number=number, limit=1)
        return _page(
            request, "retention_confirm.html", ctx, title=f"План № {number}: підтвердження",
            plan=plan, step=step, v=v, day=day or date.today(),
        )  # fmt: skip
    try:
        if step == "approve":
            await run_in_threadpool(uc.approve_plan, ctx, number=number, decision=v[name], date=day)
        else:
            await run_in_threadpool(uc.agree_plan, ctx, number=number, reference=v[name], date=day)
    except Conflict as exc:
        return _plan_page(request, ctx, number, 409, problem=exc.message)
    except Invalid as exc:
        return _plan_page(request, ctx, number, 422, v=v, form=step, errors={name: exc.message})
    return RedirectResponse(f"/retention/plans/{number}?done={step}d#decisions", status_code=303)


@router.post("/retention/plans/{number}/approve")
async def approve(request: Request, number: PlanNo) -> Response:
    return await _decision(request, number, "approve")


@router.post("/retention/plans/{number}/agree")
async def agree(request: Request, number: PlanNo) -> Response:
    return await _decision(request, number, "agree")


@router.post("/retention/plans/{number}/apply")
async def apply(request: Request, number: PlanNo) -> Response:
    """Execute the plan (a re-run resumes a run that stopped); the result on its own page."""
    f = await forms.posted(request)
    ctx = forms.page_context(request, back=f"/retention/plans/{number}")
    if not f.csrf_ok:
        return _plan_page(request, ctx, number, 400, notice=forms.STALE)
    if f.get("confirm", 10) != "yes":
        plan = uc.show_plan(ctx, number=number, limit=SHOWN_LINES)
        return _page(
            request, "retention_confirm.html", ctx, title=f"План № {number}: підтвердження",
            plan=plan, step="apply", v={}, day=None,
        )  # fmt: skip
    try:
        result = await run_in_threadpool(uc.apply_plan, ctx, number=number)
    except Conflict as exc:
        return _plan_page(request, ctx, number, 409, problem=exc.message)
    return _page(
        request,
        "retention_applied.html",
        ctx,
        title=f"План № {number}: виконання",
        number=number,
        r=result,
    )


@router.get("/retention/plans/{number}/act")
def act(request: Request, number: PlanNo) -> Response:
    """The act of selection for destruction (PDF) to keep and print."""
    ctx = forms.page_context(request, back=f"/retention/plans/{number}")
    pdf = uc.act_pdf(ctx, number=number)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="act-{number}.pdf"'},
    )


@router.get("/retention/plans/{number}/package")
def package(request: Request, number: PlanNo) -> Response:
    """The plan's transfer package: its BagIt bag as one ZIP, streamed."""
    ctx = forms.page_context(request, back=f"/retention/plans/{number}")
    got = uc.transfer_package(ctx, number=number)
    return StreamingResponse(
        got.chunks,
        media_type=got.media_type,
        headers={"Content-Disposition": f'attachment; filename="{got.filename}"'},
    )


@router.get("/retention/outputs")
def outputs(request: Request) -> Response:
    """Acts of destruction and transfer packages of every applied plan, to download."""
    ctx = forms.page_context(request, back="/retention/outputs")
    rows = uc.list_outputs(ctx)
    return _page(request, "retention_outputs.html", ctx, title="Акти й пакети передавання",
                 rows=rows)  # fmt: skip


# --- holds --------------------------------------------------------------------------------


def _holds_page(request: Request, ctx: Context, status: int = 200, **extra: Any) -> Response:
    holds = uc.list_holds(ctx)
    return _page(
        request,
        "retention_holds.html",
        ctx,
        status,
        title="Утримання",
        holds=holds,
        done=DONE.get(request.query_params.get("done", "")),
        v=extra.pop("v", {"target": "", "reason": ""}),
        **extra,
    )


@router.get("/retention/holds")
def holds(request: Request) -> Response:
    ctx = forms.page_context(request, back="/retention/holds")
    return _holds_page(request, ctx)


def _check_reason(v: dict[str, str], errors: dict[str, str], name: str = "reason") -> None:
    if len(v.get(name, "")) < 10:
        errors[name] = "Поясніть причину: щонайменше 10 символів (підстава, номер листа чи справи)."
    elif len(v[name]) > 2000:
        errors[name] = "Не більше 2000 символів."


@router.post("/retention/holds")
async def place(request: Request) -> Response:
    f = await forms.posted(request)
    # The target may be a search for a name: posted, never in the address.
    v = {"target": f.get("target", 500).strip(), "reason": f.get("reason", 2000).strip()}
    ctx = forms.page_context(request, keep=v, back="/retention/holds")
    if not f.csrf_ok:
        return _holds_page(request, ctx, 400, v=v, notice=forms.STALE)
    errors: dict[str, str] = {}
    if not v["target"]:
        errors["target"] = "Вкажіть номер справи або слова для пошуку справ."
    _check_reason(v, errors)
    if errors:
        return _holds_page(request, ctx, 422, v=v, errors=errors)
    try:
        await run_in_threadpool(uc.place_hold, ctx, target=v["target"], reason=v["reason"])
    except NotFound as exc:
        return _holds_page(request, ctx, 404, v=v, errors={"target": exc.message})
    except Invalid as exc:
        return _holds_page(request, ctx, 422, v=v, errors={"reason": exc.message})
    return RedirectResponse("/retention/holds?done=placed", status_code=303)


def holds_again(request: Request, keep: dict[str, str]) -> Response:
    """The hold form as the person left it before signing in again (nothing placed yet)."""
    # Just signed in: the person is on the request, the new cookie not yet.
    ctx = session.context(request, request.state.who)
    return _holds_page(
        request,
        ctx,
        v={"target": keep.get("target", ""), "reason": keep.get("reason", "")},
        notice="Ви знову увійшли. Перевірте дані й натисніть «Установити утримання».",
    )


@router.post("/retention/holds/release")
async def release(request: Request) -> Response:
    """Releasing asks why, on its own page; then the use case releases and logs."""
    f = await forms.posted(request)
    v = {"case": f.get("case", 64).strip(), "reason": f.get("reason", 2000).strip()}
    ctx = forms.page_context(request, back="/retention/holds")
    if not f.csrf_ok:
        return _holds_page(request, ctx, 400, notice=forms.STALE)
    errors: dict[str, str] = {}
    if f.get("confirm", 10) == "yes":
        _check_reason(v, errors)
        if not errors:
            try:
                await run_in_threadpool(uc.release_hold, ctx, case=v["case"], reason=v["reason"])
            except (NotFound, Conflict) as exc:
                return _holds_page(request, ctx, 409, problem=exc.message)
            return RedirectResponse("/retention/holds?done=released", status_code=303)
    return _page(
        request,
        "retention_release.html",
        ctx,
        422 if errors else 200,
        title=f"Зняти утримання зі справи № {v['case']}",
        v=v,
        errors=errors,
    )


# --- rules and fixity ---------------------------------------------------------------------


@router.get("/retention/rules")
def rules(request: Request, as_of: str = "") -> Response:
    ctx = forms.page_context(request, back="/retention/rules")
    errors: dict[str, str] = {}
    day = _as_of(as_of, errors)
    view = uc.show_rules(ctx, as_of=None if errors else day)
    return _page(
        request,
        "retention_rules.html",
        ctx,
        422 if errors else 200,
        title="Номенклатура справ і правила зберігання",
        r=view,
        v={"as_of": as_of[:10]},
        errors=errors,
    )


def _fixity_page(request: Request, ctx: Context, status: int = 200, **extra: Any) -> Response:
    results = uc.fixity_results(ctx, limit=100)
    return _page(
        request,
        "fixity.html",
        ctx,
        status,
        title="Цілісність сховища",
        r=results,
        v=extra.pop("v", {"sample": "200"}),
        **extra,
    )


@router.get("/fixity")
def fixity(request: Request) -> Response:
    ctx = forms.page_context(request, back="/fixity")
    return _fixity_page(request, ctx)


@router.post("/fixity")
async def fixity_run(request: Request) -> Response:
    f = await forms.posted(request)
    v = {"sample": f.get("sample", 10).strip()}
    ctx = forms.page_context(request, back="/fixity")
    if not f.csrf_ok:
        return _fixity_page(request, ctx, 400, v=v, notice=forms.STALE)
    sample: int | None = None
    if v["sample"]:
        if not v["sample"].isdigit() or not 1 <= int(v["sample"]) <= 1_000_000:
            return _fixity_page(
                request, ctx, 422, v=v,
                errors={"sample": "Вкажіть число від 1 до 1 000 000 або залиште порожнім (усі)."},
            )  # fmt: skip
        sample = int(v["sample"])
    report = await run_in_threadpool(uc.fixity_check, ctx, sample=sample)
    # The run is shown on the results page; those come from the second use case (the list).
    return _fixity_page(request, ctx, v=v, run=report)
