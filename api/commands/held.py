"""``cnap-archive held``: Diia deliveries and e-mail messages waiting for the desk's review.

One group for both kinds (``delivery``, ``mail``): ``held list``, ``held attach``,
``held reject``; see :mod:`usecases.held`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from api.commands.base import out
from api.commands.context import operator_context
from usecases import held
from usecases.held import Reviewed

held_app = typer.Typer(
    help="Доставки з Дії та листи, що чекають на перевірку (без справи).", no_args_is_help=True
)

KindArg = Annotated[str, typer.Argument(help="Вид: delivery (Дія) або mail (пошта).")]
IdArg = Annotated[int, typer.Argument(help="Номер доставки чи листа (held list).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")]
_KIND_UA = {"delivery": "Доставка з Дії", "mail": "Лист"}


@held_app.command("list")
def list_(
    kind: Annotated[
        str | None, typer.Option("--kind", help="Лише delivery (Дія) або mail (пошта).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Відкладені доставки й листи: коли, звідки, вкладення (імена масковано), причина."""
    if kind not in (None, *held.KINDS):
        from api.commands.base import fail

        fail("Вид має бути delivery (Дія) або mail (пошта)", 2)
    with operator_context() as ctx:
        result = held.list_held(ctx, kind=kind)  # type: ignore[arg-type]
    if as_json:
        out.print(json.dumps(result.as_json(), ensure_ascii=False), markup=False)
        return
    if not result.items:
        out.print("Відкладених доставок і листів немає.")
        return
    from api.commands.case import ua_time

    for i in result.items:
        out.print(
            f"[bold]{_KIND_UA[i.kind]} {i.id}[/bold]: надійшла {ua_time(i.received_local)}, "
            f"звідки: {escape(i.source or '—')}",
            soft_wrap=True,
        )
        out.print(f"  причина: {escape(i.reason or '—')}", soft_wrap=True)
        for f in i.files:
            name = " ".join(x for x in (f.get("type"), f.get("name")) if x) or "—"
            out.print(f"  • {escape(name)} [{escape(str(f.get('status')))}]", soft_wrap=True)
    out.print(
        "Долучіть до справи: cnap-archive held attach ВИД НОМЕР --case СПРАВА; "
        "або відхиліть: cnap-archive held reject ВИД НОМЕР --reason ПРИЧИНА"
    )


def _print(r: Reviewed, as_json: bool, verb: str) -> None:
    if as_json:
        out.print(json.dumps(r.as_json(), ensure_ascii=False), markup=False)
        return
    where = f" до справи № {escape(r.case)}" if r.case and verb == "долучено" else ""
    again = " (уже було зроблено раніше)" if r.replay else ""
    out.print(f"{_KIND_UA[r.kind]} {r.id}: {verb}{where}{again}")
    for doc in r.documents:
        out.print(f"  {doc}")


@held_app.command("attach")
def attach(
    kind: KindArg,
    item: IdArg,
    case: Annotated[str, typer.Option("--case", help="Номер справи.")],
    as_json: JsonOpt = False,
) -> None:
    """Долучити відкладену доставку чи лист до справи (файли стануть документами справи)."""
    with operator_context() as ctx:
        result = held.attach_held(ctx, kind=kind, item_id=item, case=case)
    _print(result, as_json, "долучено")


@held_app.command("reject")
def reject(
    kind: KindArg,
    item: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Чому відхиляєте (не менше 10 літер).")],
    as_json: JsonOpt = False,
) -> None:
    """Відхилити відкладену доставку чи лист із причиною (їх збережено, не видалено)."""
    with operator_context() as ctx:
        result = held.reject_held(ctx, kind=kind, item_id=item, reason=reason)
    _print(result, as_json, "відхилено")
