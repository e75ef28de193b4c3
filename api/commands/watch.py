"""``cnap-archive watch``: the hot folder of a network scanner."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from api.commands.base import err, out, state
from api.commands.batch import plain, report_lines
from api.commands.context import operator_context
from usecases import hotfolder


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (the loops stop between files)."""
    stop = threading.Event()

    def handler(_sig: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def watch(
    directory: Annotated[Path, typer.Argument(help="Тека, куди мережевий сканер кладе файли.")],
    split: Annotated[
        bool,
        typer.Option("--split/--no-split", help="Ділити пачки за титульними аркушами."),
    ] = True,
    settle: Annotated[
        float | None,
        typer.Option("--settle", help="Секунд без змін, після яких файл вважається записаним."),
    ] = None,
    poll: Annotated[float | None, typer.Option("--poll", help="Інтервал перевірки, с.")] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Обробити наявне й завершитися (для cron).")
    ] = False,
) -> None:
    """Стежити за текою сканера: кожен записаний файл обробити раз, потім у done/ чи failed/."""
    from scanner.hotfolder import Event, Handled, HotFolder, Retry

    cfg = state.settings.desk
    with operator_context(dispatcher=True, recover=True) as ctx:
        hotfolder.open_hot_folder(ctx)

        went: dict[str, str] = {}

        def handle(path: Path) -> Handled:
            got = hotfolder.take_hot_folder_file(ctx, path=path, split=split)
            if got.retry is not None:
                raise Retry(got.retry)
            went[path.name] = where_it_went(got.report)
            text = got.message if got.report is None else plain(report_lines(got.report))
            return Handled(got.ok, text or "", note=got.note)

        def show(ev: Event) -> None:
            labels = {
                "taken": "взято",
                "done": "готово",
                "failed": "[red]помилка[/red]",
                "retry": "[yellow]повтор пізніше[/yellow]",
            }
            line = f"{labels.get(ev.kind, ev.kind)}: {escape(ev.name)}"
            if ev.kind == "done" and ev.name in went:
                line += f" → {escape(went.pop(ev.name))}"
            out.print(line)

        folder = HotFolder(
            directory,
            handle,
            settle_seconds=cfg.hotfolder_settle_seconds if settle is None else settle,
            poll_seconds=cfg.hotfolder_poll_seconds if poll is None else poll,
            on_event=show,
        )
        if once:
            # Files still being written wait for the next run.
            folder.poll()
            if folder.settle > 0:
                threading.Event().wait(folder.settle)
                folder.poll()
        else:
            err.print(f"Стежу за текою {escape(str(directory))} (Ctrl+C — зупинити)")
            folder.run(stop_on_signals())


def where_it_went(report: dict[str, Any] | None) -> str:
    """Which case(s) a file went to, for the administrator watching the folder."""
    if report is None:
        return "без справи (номер не вказано)"
    parts = report.get("parts") or []
    cases = list(dict.fromkeys(p["case"] for p in parts if p["state"] == "attached" and p["case"]))
    held = sum(1 for p in parts if p["state"] == "held")
    text = (
        ("справа № " if len(cases) == 1 else "справи № ") + ", ".join(cases)
        if cases
        else "до жодної справи"
    )
    if held:
        text += f"; відкладено для перевірки частин: {held} (cnap-archive batch held)"
    return text


__all__ = ["stop_on_signals", "watch", "where_it_went"]
