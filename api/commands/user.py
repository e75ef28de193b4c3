"""``cnap-archive user add|list|pending|disable|approve|bind-oidc``: accounts, roles, scopes."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Column, Table

from api.commands.base import fail, out
from api.commands.context import operator_context
from archive.users import Role
from usecases import users

user_app = typer.Typer(help="Користувачі: додати, переглянути, вимкнути.", no_args_is_help=True)

# ``user list --json`` predates ``created_at`` in the API's shape and keeps its own.
LIST_FIELDS = ("login", "role", "centre", "workplace", "department", "disabled")


def _password() -> str:
    """The password from standard input (one line), or asked twice on a terminal."""
    if sys.stdin.isatty():
        first = getpass.getpass("Пароль: ")
        if getpass.getpass("Повторіть пароль: ") != first:
            fail("паролі не збігаються")
        return first
    return sys.stdin.readline().rstrip("\r\n")


@user_app.command("add")
def add(
    login: Annotated[str, typer.Argument(help="Логін.")],
    role: Annotated[Role, typer.Option("--role", help="Роль.")],
    centre: Annotated[
        str | None, typer.Option("--centre", help="ЦНАП (типово — налаштований).")
    ] = None,
    workplace: Annotated[str | None, typer.Option("--workplace", help="ТП або ВРМ.")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="Підрозділ (суб'єкт надання послуги).")
    ] = None,
    oidc_subject: Annotated[
        str | None, typer.Option("--oidc-subject", help="Ідентифікатор (sub) в OpenID Connect.")
    ] = None,
    full_name: Annotated[
        str | None,
        typer.Option("--name", help="Прізвище, ім’я, по батькові (друкується на формах)."),
    ] = None,
    position: Annotated[
        str | None,
        typer.Option("--position", help="Посада (друкується на формах), напр. «адміністратор»."),
    ] = None,
) -> None:
    """Додати користувача; пароль читається зі стандартного входу."""
    password = _password()
    if not password and not oidc_subject:
        fail("пароль не задано (подайте його на стандартний вхід)")
    with operator_context() as ctx:
        made = users.add_user(
            ctx,
            login=login,
            role=role,
            password=password or None,
            centre=centre,
            workplace=workplace,
            department=department,
            oidc_subject=oidc_subject,
            full_name=full_name,
            position=position,
        )
    state = " — очікує схвалення адміністратора ЦНАП" if made.pending else ""
    out.print(f"Додано користувача {escape(made.login)} ({made.role.value}){state}")


# An account's login, role and scope, as every list of accounts shows them.
_ACCOUNT_COLUMNS = ("логін", "роль", "ЦНАП", "робоче місце", "підрозділ")


def _account_cells(u: users.UserView) -> list[str]:
    return [
        escape(u.login),
        u.role.value,
        escape(u.centre or "—"),
        escape(u.workplace or "—"),
        escape(u.department or "—"),
    ]


@user_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Перелік користувачів."""
    with operator_context() as ctx:
        found = users.list_users(ctx)
    if as_json:
        rows = [{k: u.as_json()[k] for k in LIST_FIELDS} for u in found]
        out.print(json.dumps(rows, ensure_ascii=False), markup=False)
        return
    table = Table(*_ACCOUNT_COLUMNS, "стан")
    for u in found:
        table.add_row(*_account_cells(u), "вимкнено" if u.disabled else "активний")
    out.print(table)


@user_app.command("pending")
def pending(
    as_json: Annotated[bool, typer.Option("--json", help="Відповідь у JSON.")] = False,
) -> None:
    """Облікові записи, що очікують схвалення (адміністратор ЦНАП бачить записи свого ЦНАП)."""
    with operator_context() as ctx:
        found = users.pending_users(ctx)
    if as_json:
        rows = [u.as_json() for u in found]
        out.print(json.dumps(rows, ensure_ascii=False), markup=False)
        return
    if not found:
        out.print("Немає облікових записів, що очікують схвалення.")
        return
    # The login whole, to be copied into ``user approve``.
    table = Table(Column("логін", no_wrap=True), *_ACCOUNT_COLUMNS[1:], "ПІБ, посада", "створено")
    for u in found:
        who = ", ".join(x for x in (u.full_name, u.position) if x) or "—"
        table.add_row(*_account_cells(u), escape(who), u.created_at.date().isoformat())
    out.print(table)


@user_app.command("disable")
def disable(login: Annotated[str, typer.Argument(help="Логін.")]) -> None:
    """Вимкнути користувача (його токени відкликаються одразу)."""
    with operator_context() as ctx:
        gone = users.disable_user(ctx, login=login)
    out.print(f"Користувача {escape(gone.login)} вимкнено")


@user_app.command("approve")
def approve(login: Annotated[str, typer.Argument(help="Логін.")]) -> None:
    """Схвалити обліковий запис, створений сисадміном (лише адміністратор того ЦНАП)."""
    with operator_context() as ctx:
        done = users.approve_user(ctx, login=login)
    out.print(f"Обліковий запис {escape(done.login)} схвалено")


@user_app.command("bind-oidc")
def bind_oidc(
    login: Annotated[str, typer.Argument(help="Логін.")],
    subject: Annotated[str, typer.Argument(help="Ідентифікатор (sub) в OpenID Connect.")],
    issuer: Annotated[
        str | None, typer.Option("--issuer", help="Постачальник (типово — налаштований).")
    ] = None,
) -> None:
    """Прив'язати обліковий запис до ідентичності OpenID Connect (лише один раз)."""
    with operator_context() as ctx:
        done = users.bind_oidc_subject(ctx, login=login, subject=subject, issuer=issuer)
    state = " (очікує схвалення адміністратора)" if done.pending else ""
    out.print(f"Обліковий запис {escape(done.login)} прив'язано{state}")
