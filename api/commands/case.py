"""``cnap-archive case register|show|send|notify|issue|routing-sheet|cover-sheet|inventory``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.commands.base import fail, open_archive, operator, out, state
from archive import cases as ops
from archive.audit import Events
from archive.journal import JournalError
from backends import Archive
from usecases import access, desk
from usecases.access import Denied
from usecases.policy import Level, Principal

case_app = typer.Typer(
    help="Справи: реєстрація, титульний аркуш і опис, проходження, повідомлення, видача.",
    no_args_is_help=True,
)


class PackageOpt(StrEnum):
    input = "input"
    output = "output"


CaseArg = Annotated[str, typer.Argument(help="Номер справи, напр. 2026/00001.")]
CentreOpt = Annotated[
    str | None, typer.Option("--centre", help="ЦНАП (типово — налаштований).", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")]


@contextmanager
def _session() -> Iterator[tuple[Archive, Events, Principal]]:
    archive = open_archive()
    try:
        yield archive, access.events_for(archive), operator(archive)
    except Denied as exc:
        fail(exc.message, 1)
    except desk.CaseNotFound as exc:
        fail(f"справу № {exc} не знайдено", 1)
    except (ops.CaseError, JournalError) as exc:
        fail(str(exc), 1)
    finally:
        archive.close()


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
    from ingest.dispatch import open_dispatcher

    with _session() as (archive, events, p):
        reg = ops.Registration(
            service=service,
            centre=centre or p.centre or archive.settings.centre,
            applicant=applicant,
            department=department,
            notify=notify,
            contact=contact,
            delivery=delivery,
            items=[ops.Item.parse(x) for x in item or []],
            actor=p.login,
        )
        dispatcher = open_dispatcher(archive)
        try:
            done = desk.register(
                archive,
                events,
                p,
                reg,
                out_dir=output_dir or archive.settings.print_dir,
                dispatcher=dispatcher,
                wait=wait,
            )
        finally:
            dispatcher.close()
        data = done.as_json(archive)
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
    with _session() as (archive, events, p):
        row, decision = desk.open_case(archive, events, p, number=case, centre=centre)
        data = desk.case_json(archive, row, full=decision.level >= Level.FULL)
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
    for row_ in data["routing"]:
        out.print(f"{escape(row_['at_local'].replace('T', ' '))}  {escape(row_['text'])}")


def _step(case: str, centre: str | None, op: str, as_json: bool, **kw: Any) -> None:
    with _session() as (archive, events, p):
        row = desk.open_case_for_desk(archive, events, p, op, number=case, centre=centre)
        data = desk.act(archive, events, p, op, row, **kw)
    _emit(data, as_json, [f"Справа № {escape(data['case'])}: {escape(data['text'])}"])


@case_app.command("send")
def send(
    case: CaseArg,
    to: Annotated[str, typer.Option("--to", help="Суб’єкт надання послуги (підрозділ).")],
    centre: CentreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Передати справу суб’єкту надання послуги (запис у листі проходження)."""
    _step(case, centre, "case.send", as_json, department=to)


@case_app.command("notify")
def notify(
    case: CaseArg,
    method: Annotated[ops.Notify, typer.Option("--method", help="Як повідомлено заявника.")],
    note: Annotated[str | None, typer.Option("--note", help="Примітка.")] = None,
    centre: CentreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Записати, як заявника повідомлено про результат."""
    _step(case, centre, "case.notify", as_json, method=method, note=note)


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
    _step(case, centre, "case.issue", as_json, to=to, document=document, name=name, method=method)


def _pdf_target(output: Path | None, case: str, what: str) -> Path:
    if output is not None:
        return output
    return state.settings.print_dir / f"справа-{desk.safe_name(case)}-{what}.pdf"


@case_app.command("routing-sheet")
def routing_sheet(
    case: CaseArg,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Файл PDF.")] = None,
    centre: CentreOpt = None,
) -> None:
    """Надрукувати лист про проходження справи (PDF)."""
    with _session() as (archive, events, p):
        row, decision = desk.open_case(
            archive, events, p, number=case, centre=centre, op="case.routing_sheet"
        )
        target = _pdf_target(output, row.number, "лист-проходження")
        target.parent.mkdir(parents=True, exist_ok=True)
        desk.render_routing_sheet(archive, row, target, full=decision.level >= Level.FULL)
    out.print(f"Лист про проходження справи: {escape(str(target))}")


@case_app.command("cover-sheet")
def cover_sheet(
    case: CaseArg,
    package: Annotated[
        PackageOpt, typer.Option("--package", help="input (вхідний) або output (результат).")
    ] = PackageOpt.output,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Файл PDF.")] = None,
    centre: CentreOpt = None,
) -> None:
    """Надрукувати титульний аркуш пакета справи (типово — вихідного, для результату)."""
    with _session() as (archive, events, p):
        row = desk.open_case_for_desk(
            archive, events, p, "case.cover_sheet", number=case, centre=centre
        )
        target = _pdf_target(output, row.number, f"титульний-{package.value}")
        target.parent.mkdir(parents=True, exist_ok=True)
        desk.render_cover(archive, row, package.value, target, full=True)
    out.print(f"Титульний аркуш: {escape(str(target))}")


@case_app.command("inventory")
def inventory(
    case: CaseArg,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Файл PDF.")] = None,
    centre: CentreOpt = None,
) -> None:
    """Надрукувати опис вхідного пакета ще раз (два примірники)."""
    with _session() as (archive, events, p):
        row, _ = desk.open_case(
            archive, events, p, number=case, centre=centre, need=Level.FULL, op="case.inventory"
        )
        target = _pdf_target(output, row.number, "опис")
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.db.session() as s:
            live = s.merge(row)
            items = ops.items_of(s, live)
            who = desk.administrator_name(live, ops.registration_of(s, live))
        desk.render_inventory(archive, row, items, who, target)
    out.print(f"Опис вхідного пакета: {escape(str(target))}")
