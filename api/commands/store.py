"""``cnap-archive store gc``: abandoned uploads and unreferenced objects in the store."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from api.commands.base import out
from api.commands.context import operator_context
from usecases.store_gc import DEFAULT_GRACE_HOURS, collect_garbage

store_app = typer.Typer(help="Сховище об'єктів: обслуговування.", no_args_is_help=True)


def _size(n: int) -> str:
    size = float(n)
    for unit in ("Б", "КБ", "МБ"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "Б" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} ГБ"


@store_app.command("gc")
def gc(
    apply: Annotated[
        bool, typer.Option("--apply", help="Справді видалити (без нього — лише перелік).")
    ] = False,
    older_than: Annotated[
        int,
        typer.Option(
            "--older-than",
            help="Пільговий строк у годинах: новіші об'єкти й завантаження не чіпаються.",
            metavar="ГОДИН",
        ),
    ] = DEFAULT_GRACE_HOURS,
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Прибрати покинуті завантаження станцій і об'єкти, на які не посилається жоден запис."""
    with operator_context() as ctx:
        report = collect_garbage(ctx, apply=apply, older_than_hours=older_than)
    if as_json:
        out.print(json.dumps(report.as_json(), ensure_ascii=False), markup=False)
        return
    listed = report.deleted if apply else report.candidates
    for g in listed:
        what = "завантаження" if g.kind == "upload" else "об'єкт"
        out.print(f"{what} {g.sha256} {_size(g.size)}", markup=False)
    verb = "Видалено" if apply else "Буде видалено (запустіть з --apply)"
    out.print(f"{verb}: {len(listed)} ({_size(report.bytes)})", markup=False)
