"""``cnap-archive case register|show|send|notify|issue|routing-sheet|cover-sheet|inventory``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.commands._desk_errors import desk_context
from api.commands.base import out
from archive import cases as ops
from archive.models import PackageKind
from usecases import cases, forms

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
    with desk_context(dispatcher=True) as ctx:
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


@case_app.command("show")
def show(case: CaseArg, centre: CentreOpt = None, as_json: JsonOpt = False) -> None:
    """Показати справу та її проходження (у межах ваших повноважень)."""
    with desk_context() as ctx:
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
        ("registered_local", "зареєстровано"),
    ):
        value = ops.STATUS_UA.get(data[key], data[key]) if key == "status" else data[key]
        table.add_row(label, escape(str(value or "—")))
    out.print(table)
    for row in data["routing"]:
        out.print(f"{escape(row['at_local'].replace('T', ' '))}  {escape(row['text'])}")


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
    with desk_context() as ctx:
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
    with desk_context() as ctx:
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
    with desk_context() as ctx:
        step = cases.issue_case(
            ctx, number=case, centre=centre, to=to, document=document, name=name, method=method
        )
    _emit(step.as_json(), as_json, _step_lines(step))


@case_app.command("routing-sheet")
def routing_sheet(case: CaseArg, output: OutputOpt = None, centre: CentreOpt = None) -> None:
    """Надрукувати лист про проходження справи (PDF)."""
    with desk_context() as ctx:
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
    with desk_context() as ctx:
        form = forms.print_cover_sheet(
            ctx, number=case, centre=centre, package=package, dest=output
        )
    out.print(f"Титульний аркуш: {escape(str(form.path))}")


@case_app.command("inventory")
def inventory(case: CaseArg, output: OutputOpt = None, centre: CentreOpt = None) -> None:
    """Надрукувати опис вхідного пакета ще раз (два примірники)."""
    with desk_context() as ctx:
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
    with desk_context() as ctx:
        step = cases.annul_case(ctx, number=case, centre=centre, reason=reason)
    _emit(step.as_json(), as_json, _step_lines(step))
