"""The desk's scanning commands: ``watch``, ``scan``, ``batch …`` and the ``station`` agent."""

from __future__ import annotations

import json
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.commands.base import err, fail, open_archive, operator, out, state
from archive.models import PackageKind
from backends import Archive
from usecases import access, desk
from usecases.access import Denied
from usecases.policy import Principal

batch_app = typer.Typer(
    help="Скановані пачки: перевірка відкладених сторінок.", no_args_is_help=True
)
station_app = typer.Typer(
    help="Станція віддаленого робочого місця: локальна черга, доставка до центрального архіву. "
    "Без підкоманди — запустити агента (те саме, що «station run»).",
    invoke_without_command=True,
)


class PackageOpt(StrEnum):
    input = "input"
    output = "output"


# --- printing batch reports -------------------------------------------------------------

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
    import re

    return "\n".join(re.sub(r"\[/?[a-z ]+\]", "", line) for line in lines)


def ingest_split(
    archive: Archive, p: Principal, files: list[Path], as_json: bool, source: str = "cli"
) -> int:
    """``ingest --split``: each file is a batch; returns the exit code."""
    from ingest.batch import BatchUnreadable, ingest_batch
    from ingest.dispatch import open_dispatcher
    from ingest.pipeline import NotAFile

    code = 0
    dispatcher = open_dispatcher(archive)
    try:
        dispatcher.recover()
        for path in files:
            try:
                data = ingest_batch(
                    archive, path, actor=p.login, source=source, dispatcher=dispatcher
                ).as_json()
            except (BatchUnreadable, NotAFile) as exc:
                reason = getattr(exc, "reason", str(exc))
                data = {
                    "file": str(path),
                    "batch_id": None,
                    "sha256": None,
                    "status": "failed",
                    "pages": 0,
                    "blank_pages": [],
                    "cover_pages": [],
                    "parts": [],
                    "problems": [],
                    "reason": reason,
                    "code": getattr(exc, "code", "not_found"),
                }
            if data["status"] == "failed" or any(x["status"] == "rejected" for x in data["parts"]):
                code = 1
            elif data["status"] == "review" and code == 0:
                code = 3
            if as_json:
                out.print(json.dumps(data, ensure_ascii=False), markup=False)
            else:
                for line in report_lines(data):
                    out.print(line)
    finally:
        dispatcher.close()
    return code


@contextmanager
def _desk_session(op: str) -> Iterator[tuple[Archive, Principal]]:
    archive = open_archive()
    try:
        p = operator(archive)
        desk.require_desk(archive, access.events_for(archive), p, archive.settings.centre, op)
        yield archive, p
    except Denied as exc:
        fail(exc.message, 1)
    finally:
        archive.close()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(_sig: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


# --- watch ---------------------------------------------------------------------------------


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
    from ingest.batch import BatchUnreadable, ingest_batch
    from ingest.dispatch import open_dispatcher
    from ingest.service import ingest_files
    from scanner.hotfolder import Event, Handled, HotFolder, Retry

    cfg = state.settings.desk
    with _desk_session("hotfolder.watch") as (archive, p):
        dispatcher = open_dispatcher(archive)
        dispatcher.recover()

        def handle(path: Path) -> Handled:
            name = path.name
            if not split:
                outcome = next(
                    iter(ingest_files(archive, [path], actor=p.login, dispatcher=dispatcher))
                )
                if outcome.status == "rejected":
                    return Handled(False, outcome.reason or "відхилено")
                return Handled(True, f"{outcome.status}: {outcome.document_id}")
            try:
                report = ingest_batch(
                    archive,
                    path,
                    actor=p.login,
                    source="hotfolder",
                    original_name=name,
                    dispatcher=dispatcher,
                )
            except BatchUnreadable as exc:
                return Handled(False, f"{exc.reason} (код {exc.code})")
            except OSError as exc:
                raise Retry(str(exc)) from exc
            data = report.as_json()
            rejected = [x for x in data["parts"] if x["status"] == "rejected"]
            text = plain(report_lines(data))
            if rejected:
                return Handled(False, text)
            return Handled(True, text, note=report.status in ("review", "duplicate"))

        def show(ev: Event) -> None:
            labels = {
                "taken": "взято",
                "done": "готово",
                "failed": "[red]помилка[/red]",
                "retry": "[yellow]повтор пізніше[/yellow]",
            }
            out.print(f"{labels.get(ev.kind, ev.kind)}: {escape(ev.name)}")

        folder = HotFolder(
            directory,
            handle,
            settle_seconds=cfg.hotfolder_settle_seconds if settle is None else settle,
            poll_seconds=cfg.hotfolder_poll_seconds if poll is None else poll,
            on_event=show,
        )
        try:
            if once:
                # Files still being written wait for the next run.
                folder.poll()
                if folder.settle > 0:
                    threading.Event().wait(folder.settle)
                    folder.poll()
            else:
                err.print(f"Стежу за текою {escape(str(directory))} (Ctrl+C — зупинити)")
                folder.run(_stop_on_signals())
        finally:
            dispatcher.close()


# --- scan -------------------------------------------------------------------------------------


def scan(
    device: Annotated[
        str | None, typer.Option("--device", "-d", help="Пристрій SANE (scanimage -L).")
    ] = None,
    adf: Annotated[bool, typer.Option("--adf", help="З автоподавача (усі аркуші).")] = False,
    duplex: Annotated[bool, typer.Option("--duplex", help="Двобічне сканування.")] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="Джерело паперу, як його називає драйвер.")
    ] = None,
    resolution: Annotated[int | None, typer.Option("--resolution", help="dpi.")] = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="Gray, Color або Lineart (як у драйвера).")
    ] = None,
    pages: Annotated[
        int | None, typer.Option("--pages", help="Не більше стількох сторінок.")
    ] = None,
    split: Annotated[
        bool, typer.Option("--split/--no-split", help="Ділити за титульними аркушами.")
    ] = True,
    case: Annotated[
        str | None, typer.Option("--case", help="Без поділу: номер справи для всіх сторінок.")
    ] = None,
    package: Annotated[PackageOpt, typer.Option("--package")] = PackageOpt.input,
    to_station: Annotated[
        bool, typer.Option("--to-station", help="Покласти в чергу станції, а не в архів.")
    ] = False,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", help="Додатковий параметр scanimage, напр. «-x=210».", show_default=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    list_devices: Annotated[bool, typer.Option("--list", help="Показати сканери.")] = False,
) -> None:
    """Відсканувати пачку через SANE (scanimage) і заархівувати її."""
    from scanner.sane import SaneError, ScanOptions, join_tiff
    from scanner.sane import list_devices as sane_devices
    from scanner.sane import scan as sane_scan

    cfg = state.settings.desk
    if list_devices:
        for d in sane_devices():
            out.print(f"{escape(d.name)}\t{escape(d.description)}")
        return
    dev = device or cfg.scan_device
    if not dev:
        fail("вкажіть сканер: --device (список — cnap-archive scan --list)")
    if case and split and not to_station:
        split = False
    extra: list[str] = []
    for o in option or []:
        extra.extend(o.split("=", 1) if o.startswith("-") and not o.startswith("--") else [o])
    opts = ScanOptions(
        device=dev,
        resolution=resolution or cfg.scan_resolution,
        mode=mode or cfg.scan_mode,
        adf=adf,
        duplex=duplex,
        source=source,
        pages=pages,
        extra=extra,
    )
    with tempfile.TemporaryDirectory(prefix="cnap-scan-") as tmp:
        try:
            result = sane_scan(opts, Path(tmp) / "pages", timeout=cfg.scan_timeout_seconds)
        except SaneError as exc:
            fail(str(exc), 1)
        if result.message:
            err.print(escape(result.message))
        batch = join_tiff(result.pages, Path(tmp) / "scan.tif")
        err.print(f"Відскановано сторінок: {len(result.pages)}")
        if to_station:
            from scanner.station import Station

            st = Station(state.settings)
            item = st.add_scan(batch, case=case, package=package.value)
            out.print(f"У черзі станції: № {item.id} ({len(result.pages)} стор.)")
            return
        archive = open_archive()
        try:
            p = operator(archive)
            try:
                access.require_upload(archive, access.events_for(archive), p)
            except Denied as exc:
                fail(exc.message, 1)
            if split:
                raise typer.Exit(ingest_split(archive, p, [batch], as_json, source="scan"))
            from ingest.service import ingest_files

            for outcome in ingest_files(
                archive,
                [batch],
                case_number=case,
                package=PackageKind(package.value),
                actor=p.login,
            ):
                if as_json:
                    out.print(json.dumps(outcome.as_json(), ensure_ascii=False), markup=False)
                else:
                    out.print(
                        f"{outcome.status}: {outcome.document_id or ''} "
                        f"{escape(outcome.reason or '')}"
                    )
                if outcome.status == "rejected":
                    raise typer.Exit(1)
        finally:
            archive.close()


# --- batch review -----------------------------------------------------------------------------


@batch_app.command("held")
def held(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Відкладені частини пачок: сторінки до першого титульного аркуша, нерозпізнані
    титульні аркуші, справи, яких немає в журналі."""
    from ingest.batch import held_part_json, held_parts

    with _desk_session("batch.held") as (archive, p):
        rows: list[dict[str, Any]] = [held_part_json(r) for r in held_parts(archive, p.centre)]
    if as_json:
        out.print(json.dumps(rows, ensure_ascii=False), markup=False)
        return
    if not rows:
        out.print("Відкладених сторінок немає.")
        return
    table = Table("частина", "сторінки", "справа", "причина")
    for r in rows:
        table.add_row(
            str(r["part_id"]),
            ",".join(map(str, r["pages"])),
            escape(r["case"] or "—"),
            escape(r["reason"] or ""),
        )
    out.print(table)


@batch_app.command("attach")
def attach(
    part: Annotated[int, typer.Argument(help="Номер частини (batch held).")],
    case: Annotated[
        str | None, typer.Option("--case", help="Номер справи (типово — з титульного аркуша).")
    ] = None,
    package: Annotated[PackageOpt | None, typer.Option("--package")] = None,
    centre: Annotated[str | None, typer.Option("--centre")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Долучити відкладену частину пачки до справи."""
    from archive import cases as ops
    from ingest.batch import PartError, attach_part, held_parts

    with _desk_session("batch.attach") as (archive, p):
        events = access.events_for(archive)
        rows = {r.id: r for r in held_parts(archive)}
        row = rows.get(part)
        number = case or (row.case_number if row else None)
        if row is None or not number:
            fail("частину не знайдено або вже розглянуто" if row is None else "вкажіть --case", 1)
        try:
            target = desk.open_case_for_desk(
                archive, events, p, "batch.attach", number=number, centre=centre or row.centre
            )
            result = attach_part(
                archive,
                part,
                case_number=target.number,
                centre=target.centre,
                package=PackageKind(package.value) if package else None,
                actor=p.login,
            )
        except (PartError, ops.CaseError) as exc:
            fail(str(exc), 1)
        except desk.CaseNotFound:
            fail(f"справу № {number} не знайдено", 1)
        events.publish(
            access.event(
                p, desk.WRITE, case=target.number, details={"op": "batch.attach", "part": part}
            )
        )
    data = result.as_json()
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
    else:
        out.print(
            f"Частину {part} долучено до справи № {escape(target.number)}: "
            f"{data['document_id']} [{data['status']}]"
        )


# --- station ----------------------------------------------------------------------------------


def _station() -> Any:
    from scanner.station import Station

    return Station(state.settings)


@contextmanager
def _station_errors() -> Iterator[None]:
    from archive.cases import CaseError
    from scanner.spool import NoNumbers
    from scanner.station import LinkDown, NotConfigured, Refused

    try:
        yield
    except NotConfigured as exc:
        fail(str(exc))
    except LinkDown as exc:
        fail(f"немає зв’язку з центральним архівом ({exc}); спробуйте пізніше", 3)
    except (Refused, NoNumbers, CaseError) as exc:
        fail(str(exc), 1)


@station_app.callback()
def station_main(
    ctx: typer.Context,
    server: Annotated[
        str | None, typer.Option("--server", help="Адреса центрального архіву.")
    ] = None,
    login: Annotated[str | None, typer.Option("--login", help="Користувач станції.")] = None,
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="Файл із паролем користувача.")
    ] = None,
    spool: Annotated[Path | None, typer.Option("--spool", help="Тека черги станції.")] = None,
    workplace: Annotated[
        str | None, typer.Option("--workplace", help="Код робочого місця (префікс номерів).")
    ] = None,
) -> None:
    cfg = state.settings.station
    updates: dict[str, Any] = {}
    if server:
        updates["server_url"] = server
    if login:
        updates["login"] = login
    if password_file:
        from pydantic import SecretStr

        updates["password"] = SecretStr(password_file.read_text(encoding="utf-8").strip())
    if spool:
        updates["spool_dir"] = spool
    if workplace:
        updates["workplace_code"] = workplace
    if updates:
        state.settings.station = cfg.model_copy(update=updates)
    if ctx.invoked_subcommand is None:
        run(watch=None)


@station_app.command("run")
def run(
    watch: Annotated[
        Path | None, typer.Option("--watch", help="Тека сканера, з якої брати файли.")
    ] = None,
) -> None:
    """Агент: брати скани з теки, доставляти чергу, показувати, що чекає."""
    st = _station()
    last: tuple[str, int] | None = None

    def show(rep: Any) -> None:
        nonlocal last
        now = (rep.link, rep.waiting)
        if now != last or rep.sent:
            link = "[green]є зв’язок[/green]" if rep.link == "up" else "[red]немає зв’язку[/red]"
            if rep.error:
                link += f" ({escape(rep.error)})"
            out.print(
                f"{link}; надіслано {rep.sent}, чекає {rep.waiting}"
                + (f", помилок {rep.failed}" if rep.failed else "")
            )
            last = now

    err.print("Станцію запущено (Ctrl+C — зупинити)")
    with _station_errors():
        try:
            st.run(_stop_on_signals(), watch=watch, on_report=show)
        finally:
            st.close()


@station_app.command("status")
def station_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Що чекає на відправлення, що не прийнято і скільки номерів лишилося."""
    st = _station()
    data = st.status()
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    w = data["waiting"]
    out.print(f"Зв’язок: {data['link']}; остання доставка: {data['last_sync'] or '—'}")
    out.print(
        f"Чекає: реєстрацій {w.get('registration', 0)}, пачок {w.get('batch', 0)}, "
        f"документів {w.get('document', 0)} ({data['waiting_bytes']} байт)"
    )
    out.print(f"Вільних номерів справ на цей рік: {data['numbers_left']}")
    for item in data["items"]:
        colour = "red" if item["state"] == "failed" else "yellow"
        out.print(
            f"  [{colour}]{item['state']}[/{colour}] № {item['id']} {item['kind']} "
            f"{escape(item['name'])} {item['sent']}/{item['size']} "
            f"{escape(item['error'] or '')}"
        )


@station_app.command("sync")
def station_sync(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Один прохід доставки; код 0 — усе доставлено, 3 — щось чекає."""
    st = _station()
    with _station_errors():
        rep = st.sync_once()
    st.close()
    data = {
        "link": rep.link,
        "sent": rep.sent,
        "failed": rep.failed,
        "waiting": rep.waiting,
        "error": rep.error,
    }
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
    else:
        out.print(
            f"зв’язок: {rep.link}; надіслано {rep.sent}; чекає {rep.waiting}"
            + (f"; помилка: {escape(rep.error)}" if rep.error else "")
        )
    raise typer.Exit(0 if rep.waiting == 0 and rep.failed == 0 else 3)


@station_app.command("reserve")
def station_reserve(
    size: Annotated[int | None, typer.Option("--size", help="Скільки номерів.")] = None,
    year: Annotated[int | None, typer.Option("--year")] = None,
) -> None:
    """Зарезервувати номери справ для роботи без зв’язку."""
    st = _station()
    with _station_errors():
        block = st.reserve(size, year)
    st.close()
    out.print(f"Зарезервовано {escape(block['first_number'])} … {escape(block['last_number'])}")


@station_app.command("register")
def station_register(
    service: Annotated[str, typer.Option("--service", help="Адміністративна послуга.")],
    applicant: Annotated[str | None, typer.Option("--applicant")] = None,
    item: Annotated[list[str] | None, typer.Option("--item", help="«Назва:аркушів».")] = None,
    notify: Annotated[str, typer.Option("--notify")] = "none",
    contact: Annotated[str | None, typer.Option("--contact")] = None,
    delivery: Annotated[str, typer.Option("--delivery")] = "in_person",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Зареєструвати справу на станції (без зв’язку — номер із резерву)."""
    from archive.cases import Item

    st = _station()
    with _station_errors():
        rows = [Item.parse(x) for x in item or []]
        try:
            data = st.register_offline(
                service=service,
                applicant=applicant,
                items=[(r.title, r.sheets) for r in rows] or None,
                notify=notify,
                contact=contact,
                delivery=delivery,
            )
        except ValueError as exc:
            fail(f"недопустиме значення: {exc}")
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    out.print(
        f"Зареєстровано справу № [bold]{escape(data['number'])}[/bold] (буде передано "
        "до центрального архіву)"
    )
    out.print(f"  титульний аркуш: {escape(data['cover_sheet'])}")
    out.print(f"  опис: {escape(data['inventory'])}")


@station_app.command("add")
def station_add(
    files: Annotated[list[Path], typer.Argument(help="Скановані файли.")],
    case: Annotated[
        str | None, typer.Option("--case", help="Документ справи (без поділу).")
    ] = None,
    package: Annotated[PackageOpt, typer.Option("--package")] = PackageOpt.input,
) -> None:
    """Покласти скановані пачки (або документ справи) в чергу станції."""
    st = _station()
    for f in files:
        if not f.is_file():
            fail(f"{f}: файл не знайдено", 1)
        item = st.add_scan(f, case=case, package=package.value)
        out.print(f"у черзі: № {item.id} {escape(f.name)}")


__all__ = ["batch_app", "ingest_split", "scan", "station_app", "watch"]
