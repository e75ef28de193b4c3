"""``cnap-archive document move``: a document filed in the wrong case goes to the right one."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from api.commands.base import out
from api.commands.context import operator_context
from archive.models import PackageKind
from usecases import cases

document_app = typer.Typer(
    help="Документи: виправлення помилок (перенесення до іншої справи).", no_args_is_help=True
)


def moved_lines(moved: cases.Moved) -> list[str]:
    source = f"зі справи № {escape(moved.source)} " if moved.source else ""
    return [
        f"Документ {moved.document_id} перенесено {source}до справи № "
        f"[bold]{escape(moved.case)}[/bold]",
        "  записано в листах проходження обох справ і в журналі доступу",
    ]


@document_app.command("move")
def move(
    document_id: Annotated[str, typer.Argument(help="Ідентифікатор документа.")],
    case: Annotated[str, typer.Option("--case", help="Номер справи, до якої перенести.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Чому переносите (записується в лист проходження).")
    ],
    package: Annotated[
        PackageKind | None,
        typer.Option("--package", help="Пакет: input (вхідний) або output (результат)."),
    ] = None,
    centre: Annotated[
        str | None, typer.Option("--centre", help="ЦНАП (типово — налаштований).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Перенести документ, помилково долучений до іншої справи (адміністратор ЦНАП)."""
    with operator_context() as ctx:
        moved = cases.move_document(
            ctx, document_id=document_id, case=case, reason=reason, centre=centre, package=package
        )
    if as_json:
        out.print(json.dumps(moved.as_json(), ensure_ascii=False), markup=False)
        return
    for line in moved_lines(moved):
        out.print(line)
