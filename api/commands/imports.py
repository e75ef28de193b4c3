"""``cnap-archive import DIR --manifest cases.csv``: a centre's earlier electronic archive.

Parses, calls :func:`usecases.imports.import_archive`, and renders: progress
with a rate and an estimate on stderr (a bar on a terminal, a line every few
seconds otherwise), then the summary with every rejected row on stdout.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from api.commands.base import err, out
from api.commands.context import operator_context
from usecases.imports import ImportProgress, ImportSummary, import_archive

# How often a line of progress is written when stderr is not a terminal (a log, a pipe).
LINE_EVERY = 10.0

COLUMNS_HELP = """Колонки маніфесту (CSV, UTF-8, роздільник «,» або «;»; заголовок
англійською або українською):

\b
  number / номер                  номер справи з попереднього журналу (обов'язково)
  service / послуга               назва послуги (обов'язково)
  applicant / заявник             суб'єкт звернення
  registered / зареєстровано      дата реєстрації (обов'язково)
  sent / передано                 дата передачі суб'єкту надання послуги
  result / результат              дата надходження результату
  closed / закрито                дата закриття (видачі результату)
  department / підрозділ          підрозділ СНАП, якому передано справу
  files / файли                   файли вхідного пакета (обов'язково)
  result_files / файли_результату файли результату (вихідного пакета)

Один рядок — одна справа. Кілька файлів справи — в одній клітинці через «;»
(шляхи відносно каталогу; «\\» теж можна). Дати: РРРР-ММ-ДД або ДД.ММ.РРРР,
можна з часом ГГ:ХХ (час ЦНАП). Докладно: docs/import.md."""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = int(seconds + 0.5)
    if s >= 3600:
        return f"{s // 3600} год {s % 3600 // 60:02d} хв"
    if s >= 60:
        return f"{s // 60} хв {s % 60:02d} с"
    return f"{s} с"


def progress_line(p: ImportProgress) -> str:
    """``документів 120/1000 · 35.2 док/с · залишилось ≈ 25 с``."""
    return (
        f"імпорт: справ {p.rows_done}/{p.rows_total} · документів "
        f"{p.documents_done}/{p.documents_total} · {p.rate:.1f} док/с · "
        f"залишилось ≈ {_duration(p.eta_seconds)}"
    )


class _Reporter:
    """Progress on stderr: a live bar on a terminal, otherwise a line now and then."""

    def __init__(self) -> None:
        self.tty = err.is_terminal
        self.last_line = 0.0
        self.last: ImportProgress | None = None
        self.printed: ImportProgress | None = None
        self.bar = Progress(
            TextColumn("Імпорт"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.1f} док/с · залишилось ≈ {task.fields[eta]}"),
            console=err,
            transient=True,
            disable=not self.tty,
        )
        self.task = self.bar.add_task("import", total=None, rate=0.0, eta="—")

    def __enter__(self) -> _Reporter:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)
        if not self.tty and self.last is not None and self.last != self.printed:
            err.print(progress_line(self.last), markup=False)

    def __call__(self, p: ImportProgress) -> None:
        self.last = p
        if self.tty:
            self.bar.update(
                self.task,
                total=p.documents_total,
                completed=p.documents_done,
                rate=p.rate,
                eta=_duration(p.eta_seconds),
            )
            return
        now = time.monotonic()
        if now - self.last_line >= LINE_EVERY:
            self.last_line, self.printed = now, p
            err.print(progress_line(p), markup=False)


def print_summary(summary: ImportSummary) -> None:
    s = summary
    out.print(f"Маніфест {s.manifest_sha256[:12]}: рядків {s.rows}")
    out.print(f"  справ імпортовано: {s.imported}")
    if s.resumed:
        out.print(f"  справ продовжено після перерваного запуску: {s.resumed}")
    if s.skipped:
        out.print(f"  рядків уже імпортовано раніше (пропущено): {s.skipped}")
    out.print(
        f"  документів: {s.documents} (заархівовано {s.archived}, уже були в архіві "
        f"{s.already}) за {_duration(s.elapsed)}, {s.rate:.1f} док/с"
    )
    if s.recovered:
        out.print(f"  дооброблено документів перерваного запуску: {s.recovered}")
    if s.rejected:
        out.print(f"[red]Відхилено рядків: {len(s.rejected)}[/red]")
        for r in sorted(s.rejected, key=lambda r: r.row):
            number = f" (справа № {escape(r.number)})" if r.number else ""
            out.print(f"  рядок {r.row}{number}: {escape(r.reason)}")
    if s.rejected_documents:
        out.print(f"[red]Не заархівовано документів: {len(s.rejected_documents)}[/red]")
        for d in s.rejected_documents:
            why = escape(d.reason or d.code or "—")
            out.print(f"  рядок {d.row}, файл № {d.index} у колонці {d.column}: {why}")


def import_command(
    folder: Annotated[
        Path,
        typer.Argument(help="Каталог попереднього архіву (шляхи файлів у маніфесті — від нього)."),
    ],
    manifest: Annotated[
        Path, typer.Option("--manifest", help="Маніфест CSV: один рядок — одна справа.")
    ],
    services: Annotated[
        Path | None,
        typer.Option(
            "--services",
            help="Перелік послуг ЦНАП (одна назва в рядку): справа з іншою послугою відхиляється.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Підсумок у JSON.")] = False,
) -> None:
    """Імпортувати попередній електронний архів ЦНАП: справи з їхніми номерами й датами.

    Справи реєструються такими, якими були (власні номери й дати, не нові номери
    журналу), файли архівуються звичайним конвеєром. Перерваний імпорт можна
    запустити знову: зроблене не повторюється. Рядки з помилками відхиляються з
    причиною, решта імпортується (код виходу 1, якщо щось відхилено).
    """
    with operator_context() as ctx, _Reporter() as report:
        summary = import_archive(
            ctx,
            folder=folder,
            manifest=manifest,
            services=services,
            on_progress=report,
        )
    if as_json:
        out.print(json.dumps(summary.as_json(), ensure_ascii=False), markup=False)
    else:
        print_summary(summary)
    raise typer.Exit(0 if summary.ok else 1)
