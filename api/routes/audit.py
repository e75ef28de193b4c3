"""The access log, for the data-protection officer: subject requests, queries, review."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import ArchiveDep, EventsDep, capable
from api.schemas import VerifyOut
from archive.audit import Action, Outcome
from usecases import access
from usecases.policy import Capability, Principal
from usecases.subject import (
    day_end,
    day_start,
    entries_csv,
    entries_json,
    report_json,
    report_pdf,
)

router = APIRouter(prefix="/api/audit", tags=["audit"])

Dpo = Annotated[Principal, Depends(capable(Capability.read_audit, Action.audit_read))]
DpoSubject = Annotated[Principal, Depends(capable(Capability.read_audit, Action.audit_subject))]
Verifier = Annotated[Principal, Depends(capable(Capability.verify_audit, Action.audit_verify))]
Sealer = Annotated[Principal, Depends(capable(Capability.verify_audit, Action.audit_seal))]


class Format(StrEnum):
    json = "json"
    csv = "csv"
    pdf = "pdf"


class ListFormat(StrEnum):
    json = "json"
    csv = "csv"


REPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {},
            "text/csv": {},
            "application/pdf": {},
        }
    }
}
LISTING: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}}}
}


@router.get(
    "/subject",
    responses=REPORT,
    summary="Хто звертався до документів з персональними даними особи (запит суб'єкта)",
)
def subject(
    archive: ArchiveDep,
    events: EventsDep,
    p: DpoSubject,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Ідентифікатор або ПІБ")],
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    format: Format = Format.json,
) -> Response:
    report = access.subject_access_report(
        archive, events, p, q, since=date_from, until=date_to, fmt=format.value
    )
    if format == Format.csv:
        return Response(entries_csv(report.entries), media_type="text/csv; charset=utf-8")
    if format == Format.pdf:
        return Response(
            report_pdf(report, archive.settings.centre),
            media_type="application/pdf",
            headers={"Content-Disposition": "attachment; filename=subject-access.pdf"},
        )
    return _json(report_json(report))


@router.get(
    "/entries", responses=LISTING, summary="Журнал доступу: за користувачем, документом, періодом"
)
def entries(
    events: EventsDep,
    p: Dpo,
    actor: Annotated[str | None, Query(max_length=200, alias="user")] = None,
    document_id: Annotated[str | None, Query(max_length=32, alias="document")] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Outcome | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: ListFormat = ListFormat.json,
) -> Response:
    rows = events.log.entries(
        actor=actor,
        document_id=document_id,
        since=day_start(date_from),
        until=day_end(date_to),
        actions=[action] if action else None,
        outcome=outcome.value if outcome else None,
        limit=limit,
        offset=offset,
    )
    filters = {
        "user": actor,
        "document": document_id,
        "action": action,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
    }
    events.publish(
        access.event(
            p,
            Action.audit_read,
            details={"filters": {k: v for k, v in filters.items() if v}, "entries": len(rows)},
        )
    )
    if format == ListFormat.csv:
        return Response(entries_csv(rows), media_type="text/csv; charset=utf-8")
    return _json({"count": len(rows), "entries": entries_json(rows)})


@router.get("/review", summary="Екстрені доступи (break-glass) і відмови для перевірки")
def review(
    events: EventsDep,
    p: Dpo,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Any:
    since, until = day_start(date_from), day_end(date_to)
    glass = events.log.entries(break_glass=True, since=since, until=until, limit=limit)
    denied = events.log.entries(outcome=Outcome.denied.value, since=since, until=until, limit=limit)
    events.publish(access.event(p, Action.audit_read, details={"review": True}))
    return {"break_glass": entries_json(glass), "denials": entries_json(denied)}


@router.get("/verify", response_model=VerifyOut, summary="Перевірити цілісність журналу")
def verify(archive: ArchiveDep, events: EventsDep, p: Verifier) -> Any:
    report = events.log.verify(archive.store)
    events.publish(access.event(p, Action.audit_verify, details=report.as_json()))
    return report.as_json()


@router.post("/seal", summary="Запечатати поточну голову журналу в архівному сховищі")
def seal(archive: ArchiveDep, events: EventsDep, p: Sealer) -> Any:
    events.publish(access.event(p, Action.audit_seal))
    made = events.log.seal(archive.store)
    return {"seq": made.seq if made else 0, "head_hash": made.head_hash if made else None}


def _json(data: Any) -> Response:
    import json

    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")
