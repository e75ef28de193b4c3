"""``cnap-archive case register|show|queue|department|send|notify|issue|routing-sheet|…``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Column, Table

from api.commands.base import out
from api.commands.context import operator_context
from archive import cases as ops
from archive.models import PackageKind
from usecases import cases, forms, queue

case_app = typer.Typer(
    help="Справи: реєстрація, титульний аркуш і опис, проходження, повідомлення, видача.",
    no_args_is_help=True,
)

CaseArg = Annotated[str, typer.Argument(help="Номер справи, напр. 2026/00001.")]
CentreOpt = Annotated[
    str | None, typer.Option("--centre", help="ЦНАП (типово — налаштований).", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Файл PDF.")]


def _emit(data: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
    else:
        for line in lines:
            out.print(line)


@case_app.command("register")
def register(
    service: Annotated[str, typer.Option("--service", help="Адміністративна послуга.")],
    applicant: Annotated[
        str | None, typer.Option("--applicant", help="Суб’єкт звернення (ПІБ або назва).")
    ] = None,
    centre: CentreOpt = None,
    item: Annotated[
        list[str] | None,
        typer.Option(
            "--item",
            help="Документ пакета «Назва:аркушів» (можна кілька разів; типово — заява, 1 арк.).",
        ),
    ] = None,
    notify: Annotated[
        ops.Notify, typer.Option("--notify", help="Як повідомити про результат.")
    ] = ops.Notify.none,
    contact: Annotated[
        str | None, typer.Option("--contact", help="Телефон, e-mail або адреса для повідомлення.")
    ] = None,
    delivery: Annotated[
        ops.Delivery, typer.Option("--delivery", help="Як отримати результат.")
    ] = ops.Delivery.in_person,
    department: Annotated[
        str | None, typer.Option("--department", help="Суб’єкт надання послуги (підрозділ).")
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", help="Куди записати PDF для друку (типово <дані>/print)."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Чекати, доки опис буде заархівовано.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Зареєструвати справу: номер з журналу, титульний аркуш і опис вхідного пакета (PDF)."""
    with operator_context(dispatcher=True) as ctx:
        done = cases.register_case(
            ctx,
            service=service,
            applicant=applicant,
            centre=centre,
            items=item or [],
            notify=notify,
            contact=contact,
            delivery=delivery,
            department=department,
            out_dir=output_dir or ctx.archive.settings.print_dir,
            wait=wait,
        )
    data = done.as_json()
    _emit(
        data,
        as_json,
        [
            f"Зареєстровано справу № [bold]{escape(data['number'])}[/bold] "
            f"({escape(data['centre'])})",
            f"  титульний аркуш: {escape(str(data['cover_sheet']))}",
            f"  опис вхідного пакета (2 примірники): {escape(str(data['inventory']))}",
        ],
    )


_DOC_STATE_UA = {
    "accepted": "прийнято, чекає обробки",
    "processing": "обробляється",
    "archived": "заархівовано",
    "rejected": "відхилено",
}
_PACKAGE_UA = {"input": "вхідний", "output": "вихідний (результат)"}


def ua_time(local_iso: str | None) -> str:
    """``2026-05-06T10:30`` → «6 травня 2026 р., 10:30» (as on the printed forms)."""
    if not local_iso:
        return "—"
    return forms.ukrainian_datetime(dt.datetime.fromisoformat(local_iso))


@case_app.command("show")
def show(case: CaseArg, centre: CentreOpt = None, as_json: JsonOpt = False) -> None:
    """Показати справу: відомості, документи, сторінки для перевірки і проходження."""
    with operator_context() as ctx:
        data = cases.show_case(ctx, number=case, centre=centre).as_json()
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    table = Table(show_header=False)
    for key, label in (
        ("number", "номер"),
        ("centre", "ЦНАП"),
        ("service", "послуга"),
        ("applicant", "суб’єкт звернення"),
        ("status", "стан"),
        ("department", "суб’єкт надання"),
        ("notify", "повідомлення"),
        ("delivery", "отримання результату"),
    ):
        value = data[key]
        if key == "status":
            value = ops.STATUS_UA.get(value, value)
        elif key == "notify":
            value = ops.NOTIFY_UA.get(value or "", value)
        elif key == "delivery":
            value = ops.DELIVERY_UA.get(value or "", value)
        table.add_row(label, escape(str(value or "—")))
    table.add_row("зареєстровано", ua_time(data["registered_local"]))
    out.print(table)
    # One line each (not a table): the id must stay whole to be copied into a command.
    out.rule("Документи справи")
    for d in data["documents"]:
        kind = f" [{escape(d['type'])}]" if d.get("type") else ""
        out.print(
            f"{escape(d['title'] or '—')}{kind} — "
            f"{_PACKAGE_UA.get(d['package'] or '', 'пакет —')}, "
            f"сторінок {d['pages'] or '—'}, {_DOC_STATE_UA.get(d['state'], d['state'])}, "
            f"{ua_time(d['received_local'])}\n  ідентифікатор: {d['id']}",
            soft_wrap=True,
        )
    if not data["documents"]:
        out.print("Документів у справі ще немає.")
    if data["pages_to_check"]:
        out.print(
            "[yellow]Перевірте сторінки без розпізнаного тексту[/yellow] (фото, порожні "
            "або надто темні — порівняйте з паперовим оригіналом):"
        )
        for row in data["pages_to_check"]:
            pages = ", ".join(map(str, row["pages"]))
            out.print(f"  документ {row['document_id']}: сторінки {pages}")
    check = data.get("inventory_check")
    if check and (check["missing"] or check["extra"]):
        out.print("[yellow]Звірка з описом пакета[/yellow] (за типами документів):")
        for row in check["missing"]:
            out.print(f"  немає в скані: {escape(row['title'])}")
        for row in check["extra"]:
            out.print(f"  немає в описі: {escape(row['type'])} ({row['document_id']})")
    out.rule("Проходження справи")
    for row in data["routing"]:
        out.print(f"{ua_time(row['at_local'])}  {escape(row['text'])}")


def _queue_table(title: str, rows: list[dict[str, Any]], empty: str, tz: str) -> None:
    """One list of the queue as a table (the applicant comes masked below full access)."""
    out.rule(title)
    if not rows:
        out.print(empty)
        return
    table = Table(*_QUEUE_COLUMNS)
    for r in rows:
        at = dt.datetime.fromisoformat(r["registered_at"])
        # Stored in UTC; the desk reads the centre's wall clock.
        local = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(ZoneInfo(tz))
        status = ops.STATUS_UA.get(r["status"], r["status"])
        if r.get("overdue"):
            status += " — " + _OVERDUE_UA.get(r["overdue"], r["overdue"])
        table.add_row(
            r["number"],
            escape(r["service"] or "—"),
            escape(r["applicant"] or "—"),
            escape(status),
            escape(r["department"] or "—"),
            local.strftime("%d.%m.%Y %H:%M"),
        )
    out.print(table)


_QUEUE_COLUMNS = (
    Column("номер", no_wrap=True),  # whole, to be copied into ``case show``
    "послуга",
    "суб’єкт звернення",
    "стан",
    "суб’єкт надання",
    "зареєстровано",
)
_OVERDUE_UA = {"post": "надіслати поштою", "archive": "передати на архівне зберігання"}


# The desk page's groups (api/web/templates/desk.html): key, title, what an empty one says.
_DESK_GROUPS = (
    ("today", "Зареєстровано сьогодні", "Сьогодні ще нічого не зареєстровано."),
    ("waiting", "Чекають на результат", "Немає справ, що чекають на результат."),
    ("ready", "Результати до видачі", "Немає результатів до видачі."),
    ("uncollected", "Не забрані понад два місяці", ""),
)


@case_app.command("queue")
def queue_(as_json: JsonOpt = False) -> None:
    """Черга дня стійки: зареєстровані сьогодні, очікують результату, готові до видачі."""
    with operator_context() as ctx:
        data = queue.desk_queue(ctx).as_json()
        tz = ctx.archive.settings.desk.timezone
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    day = dt.date.fromisoformat(data["day"]).strftime("%d.%m.%Y")
    out.print(f"[bold]Черга дня · {day}[/bold]")
    for key, title, empty in _DESK_GROUPS:
        if key != "uncollected" or data[key]:
            _queue_table(title, data[key], empty, tz)


@case_app.command("department")
def department(as_json: JsonOpt = False) -> None:
    """Справи мого відділу: передані до підрозділу посадової особи (за листом проходження)."""
    with operator_context() as ctx:
        data = queue.department_cases(ctx).as_json()
        tz = ctx.archive.settings.desk.timezone
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    name = f" · {escape(data['department'])}" if data["department"] else ""
    out.print(f"[bold]Справи мого відділу{name}[/bold]")
    _queue_table("На розгляді", data["open"], "Немає справ на розгляді.", tz)
    _queue_table("Розглянуті", data["done"], "Розглянутих справ ще немає.", tz)


def _step_lines(step: cases.Step) -> list[str]:
    return [f"Справа № {escape(step.case)}: {escape(step.text)}"]


@case_app.command("send")
def send(
    case: CaseArg,
    to: Annotated[str, typer.Option("--to", help="Суб’єкт надання послуги (підрозділ).")],
    centre: CentreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Передати справу суб’єкту надання послуги (запис у листі проходження)."""
    with operator_context() as ctx:
        step = cases.send_case(ctx, number=case, centre=centre, department=to)
    _emit(step.as_json(), as_json, _step_lines(step))


@case_app.command("notify")
def notify(
    case: CaseArg,
    method: Annotated[ops.Notify, typer.Option("--method", help="Як повідомлено заявника.")],
    note: Annotated[str | None, typer.Option("--note", help="Примітка.")] = None,
    centre: CentreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Записати, як заявника повідомлено про результат."""
    with operator_context() as ctx:
        step = cases.notify_case(ctx, number=case, centre=centre, method=method, note=note)
    _emit(step.as_json(), as_json, _step_lines(step))


@case_app.command("issue")
def issue(
    case: CaseArg,
    to: Annotated[ops.Recipient, typer.Option("--to", help="Кому видано результат.")],
    document: Annotated[
        str | None,
        typer.Option("--document", help="Пред’явлений документ, що посвідчує особу."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="ПІБ представника (для --to representative).")
    ] = None,
    method: Annotated[
        ops.Delivery, typer.Option("--method", help="Спосіб видачі.")
    ] = ops.Delivery.in_person,
    centre: CentreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Записати видачу результату: кому, коли, за яким документом."""
    with operator_context() as ctx:
        step = cases.issue_case(
            ctx, number=case, centre=centre, to=to, document=document, name=name, method=method
        )
    _emit(step.as_json(), as_json, _step_lines(step))


@case_app.command("routing-sheet")
def routing_sheet(case: CaseArg, output: OutputOpt = None, centre: CentreOpt = None) -> None:
    """Надрукувати лист про проходження справи (PDF)."""
    with operator_context() as ctx:
        form = forms.print_routing_sheet(ctx, number=case, centre=centre, dest=output)
    out.print(f"Лист про проходження справи: {escape(str(form.path))}")


@case_app.command("cover-sheet")
def cover_sheet(
    case: CaseArg,
    package: Annotated[
        PackageKind, typer.Option("--package", help="input (вхідний) або output (результат).")
    ] = PackageKind.output,
    output: OutputOpt = None,
    centre: CentreOpt = None,
) -> None:
    """Надрукувати титульний аркуш пакета справи (типово — вихідного, для результату)."""
    with operator_context() as ctx:
        form = forms.print_cover_sheet(
            ctx, number=case, centre=centre, package=package, dest=output
        )
    out.print(f"Титульний аркуш: {escape(str(form.path))}")


@case_app.command("inventory")
def inventory(case: CaseArg, output: OutputOpt = None, centre: CentreOpt = None) -> None:
    """Надрукувати опис вхідного пакета ще раз (два примірники)."""
    with operator_context() as ctx:
        form = forms.print_inventory(ctx, number=case, centre=centre, dest=output)
    out.print(f"Опис вхідного пакета: {escape(str(form.path))}")


@case_app.command("annul")
def annul(
    case: CaseArg,
    reason: Annotated[
        str, typer.Option("--reason", help="Чому анулюєте (записується в лист проходження).")
    ],
    centre: CentreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Анулювати справу, зареєстровану помилково (номер у журналі лишається використаним)."""
    with operator_context() as ctx:
        step = cases.annul_case(ctx, number=case, centre=centre, reason=reason)
    _emit(step.as_json(), as_json, _step_lines(step))
