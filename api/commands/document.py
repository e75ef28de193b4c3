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


# The options of a move, shared by ``document move`` and ``batch reassign`` (one shape).
ToCaseOpt = Annotated[str, typer.Option("--case", help="Номер справи, до якої перенести.")]
ReasonOpt = Annotated[
    str, typer.Option("--reason", help="Чому переносите (записується в лист проходження).")
]
PackageOpt = Annotated[
    PackageKind | None,
    typer.Option("--package", help="Пакет: input (вхідний) або output (результат)."),
]
CentreOpt = Annotated[str | None, typer.Option("--centre", help="ЦНАП (типово — налаштований).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")]


def print_moved(moved: cases.Moved, as_json: bool) -> None:
    """What a move did: its JSON, or two lines for the operator."""
    if as_json:
        out.print(json.dumps(moved.as_json(), ensure_ascii=False), markup=False)
        return
    source = f"зі справи № {escape(moved.source)} " if moved.source else ""
    out.print(
        f"Документ {moved.document_id} перенесено {source}до справи № "
        f"[bold]{escape(moved.case)}[/bold]"
    )
    out.print("  записано в листах проходження обох справ і в журналі доступу")


@document_app.command("move")
def move(
    document_id: Annotated[str, typer.Argument(help="Ідентифікатор документа.")],
    case: ToCaseOpt,
    reason: ReasonOpt,
    package: PackageOpt = None,
    centre: CentreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Перенести документ, помилково долучений до іншої справи (адміністратор ЦНАП)."""
    with operator_context() as ctx:
        moved = cases.move_document(
            ctx, document_id=document_id, case=case, reason=reason, centre=centre, package=package
        )
    print_moved(moved, as_json)
