"""``cnap-archive audit verify|subject|log|review|seal|purge``: the access log."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.commands.base import fail, out, parse_date
from api.commands.context import operator_context
from usecases import audit
from usecases.audit import ReportFormat

audit_app = typer.Typer(help="Журнал доступу до персональних даних.", no_args_is_help=True)

PDF_TO_FILE = "PDF можна записати лише у файл (--output)"


class ListFormat(StrEnum):
    json = "json"
    csv = "csv"


def _emit(data: str | bytes, output: Path | None) -> None:
    if output is not None:
        output.write_bytes(data if isinstance(data, bytes) else data.encode())
        return
    if isinstance(data, bytes):
        fail(PDF_TO_FILE)
    out.print(data, markup=False, end="" if data.endswith("\n") else "\n")


@audit_app.command("verify")
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
    witness: Annotated[
        str | None,
        typer.Option("--witness", help="Голова журналу з попереднього звіту DPO: НОМЕР:ХЕШ."),
    ] = None,
) -> None:
    """Перевірити ланцюжок хешів і печатки; назвати перший пошкоджений запис."""
    with operator_context() as ctx:
        report = audit.verify_log(ctx, witness=witness)
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
    date_from: Annotated[
        str | None, typer.Option("--from", help="З дати (РРРР-ММ-ДД).", metavar="ДАТА")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="До дати (РРРР-ММ-ДД).", metavar="ДАТА")
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="json, csv або pdf.")
    ] = ReportFormat.json,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Файл звіту.")] = None,
) -> None:
    """Усі звернення до документів з даними особи (відповідь на запит суб'єкта)."""
    since, until = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if fmt == ReportFormat.pdf and output is None:
        fail(PDF_TO_FILE)
    with operator_context() as ctx:
        answer = audit.subject_access(ctx, query=identifier, since=since, until=until, fmt=fmt)
    _emit(answer.body if fmt == ReportFormat.pdf else answer.body.decode(), output)
    if output is not None:
        out.print(f"Звіт записано: {escape(str(output))}")


@audit_app.command("log")
def log(
    user: Annotated[str | None, typer.Option("--user", help="Логін.")] = None,
    document: Annotated[str | None, typer.Option("--document", help="Документ.")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="З дати (РРРР-ММ-ДД).", metavar="ДАТА")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="До дати (РРРР-ММ-ДД).", metavar="ДАТА")
    ] = None,
    action: Annotated[str | None, typer.Option("--action", help="Напр. document.text")] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Скільки записів показати.", metavar="ЧИСЛО")
    ] = 1000,
    fmt: Annotated[
        ListFormat, typer.Option("--format", help="Формат: json або csv.")
    ] = ListFormat.json,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Записати у файл (типово — на екран).", metavar="ФАЙЛ"),
    ] = None,
) -> None:
    """Записи журналу за користувачем, документом і періодом."""
    since, until = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    with operator_context() as ctx:
        found = audit.read_entries(
            ctx, user=user, document=document, since=since, until=until, action=action,
            limit=limit,
        )  # fmt: skip
    if fmt == ListFormat.csv:
        _emit(found.as_csv(), output)
    else:
        _emit(json.dumps(found.entries_json(), ensure_ascii=False), output)


@audit_app.command("review")
def review(
    date_from: Annotated[
        str | None, typer.Option("--from", help="З дати (РРРР-ММ-ДД).", metavar="ДАТА")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="До дати (РРРР-ММ-ДД).", metavar="ДАТА")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Екстрені доступи (break-glass) і відмови — для перевірки."""
    since, until = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    with operator_context() as ctx:
        found = audit.review(ctx, since=since, until=until)
    data = found.as_json()
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    for title, rows in (
        ("Екстрені доступи (break-glass)", data["break_glass"]),
        ("Відмови в доступі", data["denials"]),
    ):
        if not rows:
            out.print(f"{title}: немає.")
            continue
        table = Table("№", "коли", "хто", "роль", "дія", "справа", "документ", "мета", title=title)
        for e in rows:
            table.add_row(
                str(e["seq"]),
                escape(e["at"][:16].replace("T", " ")),
                escape(e["actor"]),
                escape(e["role"] or "—"),
                escape(e["action"]),
                escape(e["case"] or "—"),
                escape(e["document_id"] or "—"),
                escape(e["purpose"] or "—"),
            )
        out.print(table)


@audit_app.command("seal")
def seal() -> None:
    """Запечатати голову журналу в архівному сховищі (для cron)."""
    with operator_context() as ctx:
        made = audit.seal_log(ctx)
    out.print(f"Запечатано запис {made.seq}")


@audit_app.command("purge")
def purge() -> None:
    """Видалити записи, строк зберігання яких минув (після печатки межі)."""
    with operator_context() as ctx:
        removed = audit.purge_log(ctx)
    out.print(f"Видалено записів: {removed}")
