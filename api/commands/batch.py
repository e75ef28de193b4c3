"""Scanned batches on the command line: ``ingest --split``, ``batch held``, ``batch attach``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from api.commands.base import out
from api.commands.context import context_for, operator_context
from api.commands.document import (
    CentreOpt,
    JsonOpt,
    PackageOpt,
    ReasonOpt,
    ToCaseOpt,
    print_moved,
)
from api.exit_codes import ExitCode
from archive.models import PackageKind
from backends import Archive
from ingest.dispatch import open_dispatcher
from usecases import batches
from usecases.context import Context
from usecases.policy import Principal

batch_app = typer.Typer(
    help="Скановані пачки: перевірка відкладених сторінок.", no_args_is_help=True
)

_STATUS_UA = {
    "done": "[green]розкладено[/green]",
    "review": "[yellow]потребує перевірки[/yellow]",
    "duplicate": "[yellow]уже оброблено[/yellow]",
    "failed": "[red]не прочитано[/red]",
}


def report_lines(report: dict[str, Any]) -> list[str]:
    """A batch report for the administrator (Ukrainian, no personal data)."""
    lines = [
        f"{_STATUS_UA.get(report['status'], report['status'])} {escape(report['file'])}"
        f" — сторінок {report['pages']}"
    ]
    if report.get("blank_pages"):
        lines.append(f"  порожніх сторінок вилучено: {len(report['blank_pages'])}")
    for part in report.get("parts", []):
        pages = part["pages"]
        span = (
            f"с. {pages[0]}–{pages[-1]}" if len(pages) > 1 else (f"с. {pages[0]}" if pages else "—")
        )
        if part["state"] == "attached":
            lines.append(
                f"  справа № {escape(part['case'])} ({part['package']}): {span} → "
                f"{part['document_id']} [{part['status']}]"
            )
        elif part["state"] == "held":
            lines.append(
                f"  [yellow]відкладено[/yellow] (частина {part['part_id']}): {span}: "
                f"{escape(part['reason'] or '')}"
            )
    for problem in report.get("problems", []):
        lines.append(f"  [yellow]![/yellow] {escape(problem)}")
    if report.get("reason") and report["status"] == "failed":
        lines.append(f"  {escape(report['reason'])}")
    return lines


def plain(lines: list[str]) -> str:
    """Console markup removed (for the reason files next to hot-folder files)."""
    return "\n".join(re.sub(r"\[/?[a-z ]+\]", "", line) for line in lines)


def print_batch(outcome: batches.BatchOutcome, as_json: bool) -> None:
    if as_json:
        out.print(json.dumps(outcome.as_json(), ensure_ascii=False), markup=False)
    else:
        for line in report_lines(outcome.as_json()):
            out.print(line)


def batch_exit_code(outcomes: list[batches.BatchOutcome]) -> int:
    """1 — something unreadable or rejected; 3 — something held for review; else 0."""
    if any(o.rejected for o in outcomes):
        return 1
    if any(o.status == "review" for o in outcomes):
        return ExitCode.held
    return 0


def _split(ctx: Context, files: list[Path], as_json: bool, source: str) -> int:
    done: list[batches.BatchOutcome] = []
    for path in files:
        done.append(batches.upload_batch(ctx, path=path, source=source))
        print_batch(done[-1], as_json)
    return batch_exit_code(done)


def ingest_split(
    archive: Archive, p: Principal, files: list[Path], as_json: bool, source: str = "cli"
) -> int:
    """``ingest --split`` over an archive the command opened: returns the exit code."""
    dispatcher = open_dispatcher(archive)
    try:
        dispatcher.recover()
        return _split(context_for(archive, p, dispatcher), files, as_json, source)
    finally:
        dispatcher.close()


def split_files(files: list[Path], as_json: bool, source: str = "cli") -> int:
    """``ingest --split``: each file is a batch; opens the archive itself, returns the exit code."""
    with operator_context(dispatcher=True, recover=True) as ctx:
        return _split(ctx, files, as_json, source)


@batch_app.command("held")
def held(
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Відкладені частини пачок: сторінки до першого титульного аркуша, нерозпізнані
    титульні аркуші, справи, яких немає в журналі."""
    with operator_context() as ctx:
        rows = batches.list_held_parts(ctx)
    if as_json:
        out.print(json.dumps(rows, ensure_ascii=False), markup=False)
        return
    if not rows:
        out.print("Відкладених сторінок немає.")
        return
    from api.commands.case import ua_time

    # One block per part (not a table): file names are long and must stay whole.
    for r in rows:
        pages = ", ".join(map(str, r["pages"])) or "—"
        out.print(
            f"[bold]Частина {r['part_id']}[/bold]: файл {escape(r.get('file') or '—')}, "
            f"надійшов {ua_time(r.get('received_local'))}, сторінки {pages}",
            soft_wrap=True,
        )
        out.print(f"  справа: {escape(r['case'] or '—')}; причина: {escape(r['reason'] or '—')}")
    out.print(
        "Перевірте ці сторінки в паперовій пачці й долучіть: "
        "cnap-archive batch attach ЧАСТИНА --case НОМЕР"
    )


@batch_app.command("attach")
def attach(
    part: Annotated[int, typer.Argument(help="Номер частини (batch held).")],
    case: Annotated[
        str | None, typer.Option("--case", help="Номер справи (типово — з титульного аркуша).")
    ] = None,
    package: Annotated[
        PackageKind | None,
        typer.Option(
            "--package",
            help="Пакет: input (вхідний) або output (результат); типово — з титульного аркуша.",
        ),
    ] = None,
    centre: Annotated[
        str | None, typer.Option("--centre", help="ЦНАП справи (типово — з титульного аркуша).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Долучити відкладену частину пачки до справи."""
    with operator_context() as ctx:
        data = batches.attach_held_part(
            ctx, part_id=part, case=case, centre=centre, package=package, wait=True
        )
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
    else:
        out.print(
            f"Частину {part} долучено до справи № {escape(data['case'])}: "
            f"{data['document_id']} [{data['status']}]"
        )


@batch_app.command("reassign")
def reassign(
    part: Annotated[int, typer.Argument(help="Номер частини пачки (зі звіту розкладання).")],
    case: ToCaseOpt,
    reason: ReasonOpt,
    package: PackageOpt = None,
    centre: CentreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Перенести частину пачки, помилково розкладену до іншої справи."""
    with operator_context() as ctx:
        moved = batches.reassign_part(
            ctx, part_id=part, case=case, reason=reason, centre=centre, package=package
        )
    print_moved(moved, as_json)


__all__ = [
    "batch_app",
    "batch_exit_code",
    "ingest_split",
    "plain",
    "print_batch",
    "report_lines",
    "split_files",
]
