"""The ``cnap-archive`` command line (an interface operators and scripts rely on)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.commands import audit_app, user_app
from api.commands.base import err, fail, open_archive, out, parse_date, state
from api.commands.batch import batch_app
from api.commands.case import case_app
from api.commands.context import operator_context
from api.commands.document import document_app
from api.commands.held import held_app
from api.commands.imports import COLUMNS_HELP, import_command
from api.commands.mail import mail as mail_command
from api.commands.metadata import metadata_app
from api.commands.retention import fixity_app, retention_app
from api.commands.scan import scan as desk_scan
from api.commands.sharing import sharing_app
from api.commands.station import station_app
from api.commands.store import store_app
from api.commands.watch import watch as desk_watch
from api.exit_codes import ArchiveGroup, ExitCode
from api.exit_codes import run as run_app
from api.logs import configure_logging
from archive.models import PackageKind, Source
from archive.settings import load_settings
from usecases import documents, health, maintenance
from usecases import search as find
from usecases.ingest import FileOutcome, ingest_files

app = typer.Typer(
    name="cnap-archive",
    help="Цифровий архів ЦНАП: приймання, розпізнавання, зберігання і пошук документів.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Ukrainian help and errors, one exit code per meaning (api.exit_codes).
    cls=ArchiveGroup,
)


app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(case_app, name="case")
app.add_typer(document_app, name="document")
app.add_typer(batch_app, name="batch")
app.add_typer(station_app, name="station")
app.add_typer(metadata_app, name="metadata")
app.add_typer(retention_app, name="retention")
app.add_typer(fixity_app, name="fixity")
app.add_typer(sharing_app, name="sharing")
app.add_typer(held_app, name="held")
app.add_typer(store_app, name="store")
app.command("mail")(mail_command)
app.command("import", epilog=COLUMNS_HELP)(import_command)

__all__ = ["app", "err", "fail", "main", "open_archive", "out", "state"]


@app.callback()
def main_options(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Каталог даних (типово $CNAP_DATA_DIR, інакше ./cnap-data).",
            show_default=False,
        ),
    ] = None,
    as_login: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Діяти від імені користувача LOGIN (його роль і повноваження; "
            "інакше — локальний обліковий запис ОС, local:<ім'я>).",
            show_default=False,
        ),
    ] = None,
) -> None:
    state.settings = load_settings(data_dir)
    state.as_login = as_login
    configure_logging(state.settings)


@app.command()
def init() -> None:
    """Створити або оновити базу, сховище й індекс (можна запускати повторно)."""
    with operator_context() as ctx:
        done = maintenance.init_archive(ctx)
    out.print(f"Архів готовий: {done.data_dir}")


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*") if q.is_file()))
        else:
            files.append(p)
    return files


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Файли або каталоги для архівування.")],
    case: Annotated[str | None, typer.Option("--case", help="Номер справи.")] = None,
    package: Annotated[
        PackageKind, typer.Option("--package", help="Пакет: input (вхідний) або output.")
    ] = PackageKind.input,
    source: Annotated[Source, typer.Option("--source", help="Звідки надійшов файл.")] = (
        Source.scanner
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Рядок JSON на кожен файл.")] = False,
    split: Annotated[
        bool,
        typer.Option(
            "--split",
            help="Кожен файл — скановані пакети з титульними аркушами: розділити й долучити "
            "до справ (код 3 — щось відкладено для перевірки).",
        ),
    ] = False,
) -> None:
    """Заархівувати файли: чекає, доки кожен буде заархівовано або відхилено."""
    if split and case is not None:
        fail("--split бере номери справ із титульних аркушів; --case з ним не поєднується")
    files = _expand(paths)
    if split:
        _ingest_split(files, as_json)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=len(files) < 2,
    )
    with operator_context() as ctx, progress:
        task = progress.add_task("Архівування", total=len(files))

        def report(outcome: FileOutcome) -> None:
            progress.advance(task)
            if as_json:
                out.print(json.dumps(outcome.as_json(), ensure_ascii=False), markup=False)
            else:
                _print_outcome(outcome.as_json())

        result = ingest_files(
            ctx,
            files=files,
            case=case,
            package=package,
            source=source,
            on_outcome=report,
        )
    raise typer.Exit(1 if result.rejected else 0)


def _ingest_split(files: list[Path], as_json: bool) -> NoReturn:
    """``ingest --split``: the batch use case decides, logs and splits each file."""
    from api.commands.batch import split_files

    raise typer.Exit(split_files(files, as_json))


_STATUS_UA = {"archived": "заархівовано", "duplicate": "вже в архіві", "rejected": "відхилено"}


def _print_outcome(o: dict[str, Any]) -> None:
    colour = {"archived": "green", "duplicate": "yellow", "rejected": "red"}[o["status"]]
    line = f"[{colour}]{_STATUS_UA[o['status']]}[/{colour}] {escape(o['file'])}"
    if o["document_id"]:
        line += f" → {o['document_id']}"
    if o["status"] == "rejected" and o["reason"]:
        line += f": {escape(o['reason'])}"
    out.print(line)
    for note in o.get("notes") or []:
        out.print(f"  [yellow]увага:[/yellow] {escape(note)}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Слова в будь-якій формі, "точна фраза".')],
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            min=1,
            max=1000,
            help="Скільки документів показати (1–1000).",
            metavar="ЧИСЛО",
        ),
    ] = 10,
    case: Annotated[
        str | None,
        typer.Option("--case", help="Лише документи справи з цим номером.", metavar="НОМЕР"),
    ] = None,
    package: Annotated[
        PackageKind | None,
        typer.Option("--package", help="Лише пакет: input (вхідний) або output (результат)."),
    ] = None,
    source: Annotated[
        Source | None,
        typer.Option(
            "--source", help="Лише джерело: scanner (сканер), sharing (Дія), upload (завантаження)."
        ),
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="З дати (РРРР-ММ-ДД).", metavar="ДАТА")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="До дати (РРРР-ММ-ДД).", metavar="ДАТА")
    ] = None,
    doc_type: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="Лише документи типу (код, назва або група зі словника; можна кілька).",
            metavar="ТИП",
        ),
    ] = None,
    doc_from: Annotated[
        str | None,
        typer.Option("--doc-from", help="Дата документа (видачі) з (РРРР-ММ-ДД).", metavar="ДАТА"),
    ] = None,
    doc_to: Annotated[
        str | None,
        typer.Option("--doc-to", help="Дата документа (видачі) до (РРРР-ММ-ДД).", metavar="ДАТА"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Повнотекстовий пошук з урахуванням словоформ."""
    since, until = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    doc_since, doc_until = parse_date(doc_from, "--doc-from"), parse_date(doc_to, "--doc-to")
    with operator_context() as ctx:
        result = find.search(
            ctx,
            text=query,
            limit=limit,
            case=case,
            package=package,
            source=source,
            date_from=since,
            date_to=until,
            types=doc_type or (),
            doc_date_from=doc_since,
            doc_date_to=doc_until,
        )
    if as_json:
        out.print(json.dumps(result.as_json(), ensure_ascii=False), markup=False)
        return
    out.print(f"Знайдено документів: {result.total}")
    for hit in result.hits:
        snippet = escape(hit.snippet).replace("&lt;mark&gt;", "[bold yellow]")
        snippet = snippet.replace("&lt;/mark&gt;", "[/bold yellow]")
        snippet = snippet.replace("<mark>", "[bold yellow]").replace("</mark>", "[/bold yellow]")
        out.print(
            f"[bold]{hit.document_id}[/bold]  справа {escape(hit.case or '—')}"
            f"  ({hit.score:.2f})\n  {snippet}"
        )


_SHOW_LABELS = (
    ("document_id", "ідентифікатор"),
    ("case", "справа"),
    ("package", "пакет"),
    ("source", "джерело"),
    ("state", "стан"),
    ("original_name", "файл"),
    ("sha256", "SHA-256"),
)
_SHOW_VALUES: dict[str, dict[str, str]] = {
    "package": {"input": "вхідний", "output": "вихідний (результат)"},
    "source": {"scanner": "сканер", "sharing": "Дія (шеринг)", "upload": "завантаження"},
    "state": {
        "accepted": "прийнято, чекає обробки",
        "processing": "обробляється",
        "archived": "заархівовано",
        "rejected": "відхилено",
    },
}


@app.command()
def show(
    document_id: Annotated[str, typer.Argument(help="Ідентифікатор документа.")],
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Мета доступу; для документа поза повноваженнями — причина екстреного доступу.",
        ),
    ] = None,
) -> None:
    """Показати документ: метадані, стан і текст сторінок (у межах ваших повноважень)."""
    with operator_context() as ctx:
        view = documents.show_document(ctx, document_id=document_id, reason=reason)
    if view.metadata_only:
        err.print("Вам доступні лише метадані цього документа; текст не показано.")
    elif view.masked:
        err.print("Персональні дані в тексті замасковано.")
    data = view.as_json()
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    table = Table(show_header=False)
    for key, label in _SHOW_LABELS:
        value = data.get(key)
        value = _SHOW_VALUES.get(key, {}).get(str(value), value)
        table.add_row(label, escape(str(value or "—")))
    if data["reason"]:
        table.add_row("мета доступу", escape(data["reason"]))
    out.print(table)
    for page in view.pages or []:
        out.rule(f"сторінка {page.number}")
        out.print(escape(page.text))


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Вивести JSON")] = False,
) -> None:
    """Стан архіву: документи в обробці й оновлення індексу, що ще чекають."""
    with operator_context() as ctx:
        state = maintenance.archive_status(ctx)
    if as_json:
        print(json.dumps(state.as_json(), ensure_ascii=False))
        return
    for name, count in state.documents.items():
        out.print(f"документів ({name}): {count}")
    box = state.index_outbox
    waited = f", найстаріше чекає {box.oldest_seconds:.0f} с" if box.oldest_seconds else ""
    out.print(f"оновлень індексу в черзі: {box.pending}{waited}")


@app.command("health")
def health_(
    as_json: Annotated[bool, typer.Option("--json", help="Вивести JSON")] = False,
) -> None:
    """Стан сховищ і служб: база даних, сховище, індекс, черга, журнал доступу."""
    with operator_context() as ctx:
        state = health.backends_health(ctx).as_json()
    if as_json:
        print(json.dumps(state, ensure_ascii=False))
        return
    table = Table("служба", "тип", "стан", "мс", "відомості")
    for b in state["backends"]:
        table.add_row(
            escape(b["name"]),
            escape(b["kind"]),
            "відповідає" if b["ok"] else "[red]не відповідає[/red]",
            f"{b['ms']:.1f}",
            escape(b["detail"]),
        )
    out.print(table)
    if state["status"] != "ok":
        # A backend that does not answer: the exit code of an unavailable service.
        raise typer.Exit(ExitCode.unavailable)


@app.command()
def reindex() -> None:
    """Перебудувати пошуковий індекс з бази даних і сховища."""
    with operator_context() as ctx:
        done = maintenance.rebuild_index(ctx)
    out.print(f"Проіндексовано документів: {done.documents}")


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Адреса, на якій слухати.", metavar="АДРЕСА")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Порт.", metavar="ПОРТ")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            metavar="N",
            help="Робочих процесів (типово: CNAP_SERVER__WORKERS або кількість ядер).",
        ),
    ] = None,
) -> None:
    """Запустити HTTP API (і веб-документацію OpenAPI на /docs)."""
    import uvicorn

    from api.app import create_app

    count = workers or state.settings.server.worker_count
    if count <= 1:
        alone = state.settings.server.model_copy(update={"workers": 1})
        settings = state.settings.model_copy(update={"server": alone})
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_config=None,
            access_log=settings.server.access_log,
        )
        return
    # Each worker process builds its own app from the environment: pass on the
    # data directory chosen on the command line.
    os.environ["CNAP_DATA_DIR"] = str(state.settings.data_dir)
    # ... and the number of workers, so each knows it has peers (api/balance.py).
    os.environ["CNAP_SERVER__WORKERS"] = str(count)
    # Each worker sets up its own logging (to the same file, scrubbed) before its app.
    uvicorn.run(
        "api.app:create_worker_app",
        factory=True,
        workers=count,
        host=host,
        port=port,
        log_config=None,
        access_log=state.settings.server.access_log,
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", help="Документів одночасно (типово: ядра).")
    ] = None,
    beat: Annotated[
        bool,
        typer.Option(
            "--beat",
            help="Також запускати періодичні завдання (Celery beat): лише на одному обробнику; "
            "те саме, що CNAP_SCHEDULE__BEAT=true.",
        ),
    ] = False,
) -> None:
    """Запустити обробник Celery (потрібен CNAP_BROKER_URL=redis://…)."""
    if not state.settings.broker_url:
        fail("CNAP_BROKER_URL не задано: обробник Celery потребує брокера redis://…")
    from ingest.dispatch.celery_dispatch import run_worker
    from usecases import periodic

    run_worker(
        state.settings,
        concurrency,
        periodic=periodic.jobs(state.settings),
        run_periodic=periodic.run_job,
        beat=beat or state.settings.schedule.beat,
    )


app.command("watch")(desk_watch)
app.command("scan")(desk_scan)


def main() -> None:
    """Console entry point: exit codes and the one error line come from ``api.exit_codes``."""
    sys.exit(run_app(app))
