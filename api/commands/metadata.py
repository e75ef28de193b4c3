"""``cnap-archive metadata show|correct|retrain|types``: what each document is, and its fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from api.commands.base import out
from api.commands.context import operator_context
from usecases import metadata as uc
from usecases.context import Context

metadata_app = typer.Typer(
    help="Метадані документів: тип, реквізити, навчання класифікатора на виправленнях.",
    no_args_is_help=True,
)

T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Вивести JSON.")]
ReasonOpt = Annotated[
    str | None,
    typer.Option(
        "--reason",
        help="Мета доступу; для документа поза повноваженнями — причина екстреного доступу.",
    ),
]


def _run(call: Callable[[Context], T]) -> T:
    """Call one use case as the operator (its error goes to the one command-line handler)."""
    with operator_context() as ctx:
        return call(ctx)


def _print_view(view: uc.MetadataView, as_json: bool) -> None:
    if as_json:
        out.print(json.dumps(view.as_json(), ensure_ascii=False), markup=False)
        return
    if view.type is None:
        out.print("Тип документа ще не визначено.")
    else:
        sure = f"{view.confidence:.2f}" if view.confidence is not None else "—"
        flag = " (потребує перевірки)" if view.needs_review else ""
        out.print(
            f"Тип: {escape(view.type_label or '')} [{view.type}], "
            f"впевненість {sure}, джерело: {view.source}{flag}"
        )
    table = Table("поле", "значення", "сторінка")
    for f in view.fields:
        table.add_row(f.name, escape(f.value), str(f.page or "—"))
    if view.fields:
        out.print(table)
    if view.masked:
        out.print("Персональні дані в реквізитах замасковано.")


@metadata_app.command("show")
def show(
    document_id: Annotated[str, typer.Argument(help="Ідентифікатор документа.")],
    as_json: JsonOpt = False,
    reason: ReasonOpt = None,
) -> None:
    """Показати тип документа і його реквізити (дати, номер, серію, хто видав)."""
    view = _run(lambda ctx: uc.show_metadata(ctx, document_id=document_id, reason=reason))
    _print_view(view, as_json)


@metadata_app.command("correct")
def correct(
    document_id: Annotated[str, typer.Argument(help="Ідентифікатор документа.")],
    doc_type: Annotated[
        str, typer.Argument(metavar="TYPE", help="Тип: код або назва (див. metadata types).")
    ],
    as_json: JsonOpt = False,
    reason: ReasonOpt = None,
) -> None:
    """Виправити тип документа; виправлення стане навчальним прикладом для класифікатора."""
    view = _run(
        lambda ctx: uc.correct_document_type(
            ctx, document_id=document_id, type=doc_type, reason=reason
        )
    )
    _print_view(view, as_json)


@metadata_app.command("retrain")
def retrain(
    reclassify: Annotated[
        bool,
        typer.Option(
            "--reclassify", help="Після навчання заново визначити тип невиправлених документів."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Перенавчити класифікатор на початковому корпусі та виправленнях центру."""
    result = _run(lambda ctx: uc.retrain_classifier(ctx, reclassify_documents=reclassify))
    if as_json:
        out.print(json.dumps(result.as_json(), ensure_ascii=False), markup=False)
        return
    t = result.trained
    out.print(
        f"Класифікатор навчено: {t.samples} прикладів, з них виправлень {t.corrections}; "
        f"типів {t.types}; модель {t.sha256[:12]}"
    )
    if reclassify:
        out.print(f"Заново класифіковано документів: {result.reclassified}")


@metadata_app.command("types")
def types(as_json: JsonOpt = False) -> None:
    """Перелік типів документів."""
    entries = _run(uc.list_document_types)
    if as_json:
        data: list[dict[str, Any]] = [e.as_json() for e in entries]
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    table = Table("код", "назва", "група")
    for e in entries:
        table.add_row(e.code, escape(e.label), e.group)
    out.print(table)
