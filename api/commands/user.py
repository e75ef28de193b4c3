"""``cnap-archive user add|list|disable``: accounts, roles and scopes."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.commands.base import fail, open_archive, operator, out, state
from archive.audit import Action
from archive.users import Role, UnknownUser, UserExists, add_user, disable_user, list_users
from usecases import access
from usecases.access import Denied
from usecases.policy import Capability
from usecases.security import WeakPassword, hash_password

user_app = typer.Typer(help="Користувачі: додати, переглянути, вимкнути.", no_args_is_help=True)


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
) -> None:
    """Додати користувача; пароль читається зі стандартного входу."""
    if not 1 <= len(login) <= 100 or any(c.isspace() for c in login):
        fail("логін: 1–100 символів без пропусків")
    if role == Role.official and not department:
        fail("для посадової особи потрібен --department")
    password = _password()
    if not password and not oidc_subject:
        fail("пароль не задано (подайте його на стандартний вхід)")
    archive = open_archive()
    try:
        events = access.events_for(archive)
        p = operator(archive)
        try:
            access.require(events, p, Capability.manage_users, Action.user_add)
        except Denied as exc:
            fail(exc.message, 1)
        try:
            hashed = hash_password(password) if password else None
            with archive.db.session() as s:
                add_user(
                    s,
                    login,
                    role,
                    password_hash=hashed,
                    centre=centre or state.settings.centre,
                    workplace=workplace,
                    department=department,
                    oidc_subject=oidc_subject,
                )
        except UserExists:
            fail(f"користувач {login} уже існує", 1)
        except WeakPassword as exc:
            fail(str(exc))
        events.publish(access.event(p, Action.user_add, details={"login": login, "role": role}))
    finally:
        archive.close()
    out.print(f"Додано користувача {escape(login)} ({role.value})")


@user_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Перелік користувачів."""
    archive = open_archive()
    try:
        events = access.events_for(archive)
        p = operator(archive)
        try:
            access.require(events, p, Capability.manage_users, Action.user_list)
        except Denied as exc:
            fail(exc.message, 1)
        events.publish(access.event(p, Action.user_list))
        with archive.db.session() as s:
            rows: list[dict[str, Any]] = [
                {
                    "login": u.login,
                    "role": u.role.value,
                    "centre": u.centre,
                    "workplace": u.workplace,
                    "department": u.department,
                    "disabled": u.disabled,
                }
                for u in list_users(s)
            ]
    finally:
        archive.close()
    if as_json:
        out.print(json.dumps(rows, ensure_ascii=False), markup=False)
        return
    table = Table("логін", "роль", "ЦНАП", "робоче місце", "підрозділ", "стан")
    for r in rows:
        table.add_row(
            escape(r["login"]),
            r["role"],
            escape(r["centre"] or "—"),
            escape(r["workplace"] or "—"),
            escape(r["department"] or "—"),
            "вимкнено" if r["disabled"] else "активний",
        )
    out.print(table)


@user_app.command("disable")
def disable(login: Annotated[str, typer.Argument(help="Логін.")]) -> None:
    """Вимкнути користувача (його токени відкликаються одразу)."""
    archive = open_archive()
    try:
        events = access.events_for(archive)
        p = operator(archive)
        try:
            access.require(events, p, Capability.manage_users, Action.user_disable)
        except Denied as exc:
            fail(exc.message, 1)
        try:
            with archive.db.session() as s:
                disable_user(s, login)
        except UnknownUser:
            fail(f"користувача {login} не знайдено", 1)
        events.publish(access.event(p, Action.user_disable, details={"login": login}))
    finally:
        archive.close()
    out.print(f"Користувача {escape(login)} вимкнено")
