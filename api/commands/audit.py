"""``cnap-archive audit verify|subject|log|review|seal|purge``: the access log."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.commands.base import fail, open_archive, operator, out, parse_date
from archive.audit import Action, ChainBroken, Events
from backends import Archive
from usecases import access
from usecases.access import Denied
from usecases.policy import Capability, Principal
from usecases.subject import (
    day_end,
    day_start,
    entries_csv,
    entries_json,
    report_json,
    report_pdf,
)

audit_app = typer.Typer(help="Журнал доступу до персональних даних.", no_args_is_help=True)


class Format(StrEnum):
    json = "json"
    csv = "csv"
    pdf = "pdf"


class ListFormat(StrEnum):
    json = "json"
    csv = "csv"


def _start(cap: Capability, action: Action) -> tuple[Archive, Events, Principal]:
    archive = open_archive()
    events = access.events_for(archive)
    p = operator(archive)
    try:
        access.require(events, p, cap, action)
    except Denied as exc:
        archive.close()
        fail(exc.message, 1)
    return archive, events, p


def _emit(data: str | bytes, output: Path | None) -> None:
    if output is not None:
        output.write_bytes(data if isinstance(data, bytes) else data.encode())
        return
    if isinstance(data, bytes):
        fail("PDF можна записати лише у файл (--output)")
    out.print(data, markup=False, end="" if data.endswith("\n") else "\n")


@audit_app.command("verify")
def verify(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Перевірити ланцюжок хешів і печатки; назвати перший пошкоджений запис."""
    archive, events, p = _start(Capability.verify_audit, Action.audit_verify)
    try:
        report = events.log.verify(archive.store)
        if report.ok:
            # Logged after checking, so the check itself cannot be what breaks it.
            events.publish(access.event(p, Action.audit_verify, details=report.as_json()))
    finally:
        archive.close()
    if as_json:
        out.print(json.dumps(report.as_json(), ensure_ascii=False), markup=False)
    elif report.ok:
        out.print(
            f"[green]Журнал цілий[/green]: записів {report.entries}, печаток {report.seals}, "
            f"останній запис {report.head_seq}"
        )
    else:
        out.print(
            f"[red]Журнал пошкоджено[/red]: перший пошкоджений запис {report.first_broken} — "
            f"{escape(report.problem or '')}"
        )
    raise typer.Exit(0 if report.ok else 1)


@audit_app.command("subject")
def subject(
    identifier: Annotated[str, typer.Argument(help="Ідентифікатор (РНОКПП, паспорт…) або ПІБ.")],
    date_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json, csv або pdf.")] = Format.json,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Файл звіту.")] = None,
) -> None:
    """Усі звернення до документів з даними особи (відповідь на запит суб'єкта)."""
    since, until = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    archive, events, p = _start(Capability.read_audit, Action.audit_subject)
    try:
        report = access.subject_access_report(
            archive, events, p, identifier, since=since, until=until, fmt=fmt.value
        )
        if fmt == Format.pdf:
            if output is None:
                fail("PDF можна записати лише у файл (--output)")
            _emit(report_pdf(report, archive.settings.centre), output)
        elif fmt == Format.csv:
            _emit(entries_csv(report.entries), output)
        else:
            _emit(json.dumps(report_json(report), ensure_ascii=False), output)
    finally:
        archive.close()
    if output is not None:
        out.print(f"Звіт записано: {escape(str(output))}")


@audit_app.command("log")
def log(
    user: Annotated[str | None, typer.Option("--user", help="Логін.")] = None,
    document: Annotated[str | None, typer.Option("--document", help="Документ.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Напр. document.text")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 1000,
    fmt: Annotated[ListFormat, typer.Option("--format")] = ListFormat.json,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Записи журналу за користувачем, документом і періодом."""
    since, until = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    archive, events, p = _start(Capability.read_audit, Action.audit_read)
    try:
        rows = events.log.entries(
            actor=user,
            document_id=document,
            since=day_start(since),
            until=day_end(until),
            actions=[action] if action else None,
            limit=limit,
        )
        filters = {"user": user, "document": document, "action": action,
                   "from": date_from, "to": date_to}  # fmt: skip
        events.publish(
            access.event(
                p,
                Action.audit_read,
                details={"filters": {k: v for k, v in filters.items() if v}, "entries": len(rows)},
            )
        )
    finally:
        archive.close()
    if fmt == ListFormat.csv:
        _emit(entries_csv(rows), output)
    else:
        _emit(json.dumps(entries_json(rows), ensure_ascii=False), output)


@audit_app.command("review")
def review(
    date_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
) -> None:
    """Екстрені доступи (break-glass) і відмови — для перевірки."""
    since, until = day_start(parse_date(date_from, "--from")), day_end(parse_date(date_to, "--to"))
    archive, events, p = _start(Capability.read_audit, Action.audit_read)
    try:
        glass = events.log.entries(break_glass=True, since=since, until=until)
        denied = events.log.entries(outcome="denied", since=since, until=until)
        events.publish(access.event(p, Action.audit_read, details={"review": True}))
    finally:
        archive.close()
    data = {"break_glass": entries_json(glass), "denials": entries_json(denied)}
    out.print(json.dumps(data, ensure_ascii=False), markup=False)


@audit_app.command("seal")
def seal() -> None:
    """Запечатати голову журналу в архівному сховищі (для cron)."""
    archive, events, p = _start(Capability.verify_audit, Action.audit_seal)
    try:
        events.publish(access.event(p, Action.audit_seal))
        made = events.log.seal(archive.store)
    finally:
        archive.close()
    out.print(f"Запечатано запис {made.seq if made else 0}")


@audit_app.command("purge")
def purge() -> None:
    """Видалити записи, строк зберігання яких минув (після печатки межі)."""
    archive, events, p = _start(Capability.verify_audit, Action.audit_purge)
    try:
        try:
            removed = events.log.purge(archive.store)
        except ChainBroken as exc:
            fail(f"журнал пошкоджено, очищення скасовано: {exc}", 1)
        events.publish(access.event(p, Action.audit_purge, details={"removed": removed}))
    finally:
        archive.close()
    out.print(f"Видалено записів: {removed}")
