"""``cnap-archive station``: the agent of a remote workplace and its queue.

The commands drive :class:`station.agent.Station` (a network client of the
central archive); exit code 4 means no connection to it (try again later),
3 from ``station sync`` that something still waits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from api.commands.base import err, fail, out, state
from api.commands.watch import stop_on_signals
from api.exit_codes import ExitCode
from archive.models import PackageKind
from station.agent import Station

station_app = typer.Typer(
    help="Станція віддаленого робочого місця: локальна черга, доставка до центрального архіву. "
    "Без підкоманди — запустити агента (те саме, що «station run»).",
    invoke_without_command=True,
)


@contextmanager
def station_errors() -> Iterator[None]:
    """The agent's own errors (it talks to the central archive over HTTP): one line, a code."""
    from archive.cases import CaseError
    from station.agent import LinkDown, NotConfigured, Refused
    from station.spool import NoNumbers

    try:
        yield
    except NotConfigured as exc:
        fail(str(exc))
    except LinkDown as exc:
        fail(
            f"немає зв’язку з центральним архівом ({exc}); спробуйте пізніше", ExitCode.unavailable
        )
    except (Refused, NoNumbers, CaseError) as exc:
        fail(str(exc), ExitCode.refused)


def _station() -> Station:
    return Station(state.settings)


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
    with station_errors():
        try:
            st.run(stop_on_signals(), watch=watch, on_report=show)
        finally:
            st.close()


@station_app.command("status")
def station_status(
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
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
def station_sync(
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Один прохід доставки; код 0 — усе доставлено, 3 — щось чекає."""
    st = _station()
    with station_errors():
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
    year: Annotated[
        int | None, typer.Option("--year", help="Рік номерів (типово — поточний).", metavar="РІК")
    ] = None,
) -> None:
    """Зарезервувати номери справ для роботи без зв’язку."""
    st = _station()
    with station_errors():
        block = st.reserve(size, year)
    st.close()
    out.print(f"Зарезервовано {escape(block['first_number'])} … {escape(block['last_number'])}")


@station_app.command("register")
def station_register(
    service: Annotated[str, typer.Option("--service", help="Адміністративна послуга.")],
    applicant: Annotated[
        str | None, typer.Option("--applicant", help="Суб’єкт звернення (ПІБ або назва).")
    ] = None,
    item: Annotated[list[str] | None, typer.Option("--item", help="«Назва:аркушів».")] = None,
    notify: Annotated[
        str,
        typer.Option(
            "--notify",
            help="Як повідомити про результат: sms, email, phone, post, diia, in_person, none.",
        ),
    ] = "none",
    contact: Annotated[
        str | None, typer.Option("--contact", help="Телефон, e-mail або адреса для повідомлення.")
    ] = None,
    delivery: Annotated[
        str, typer.Option("--delivery", help="Як отримати результат: in_person, post, email, diia.")
    ] = "in_person",
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Зареєструвати справу на станції (без зв’язку — номер із резерву)."""
    from archive.cases import Item

    st = _station()
    with station_errors():
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
    package: Annotated[
        PackageKind,
        typer.Option("--package", help="Пакет: input (вхідний) або output (результат)."),
    ] = PackageKind.input,
) -> None:
    """Покласти скановані пачки (або документ справи) в чергу станції."""
    st = _station()
    for f in files:
        if not f.is_file():
            fail(f"{f}: файл не знайдено", 1)
        item = st.add_scan(f, case=case, package=package.value)
        out.print(f"у черзі: № {item.id} {escape(f.name)}")


__all__ = ["station_app"]
