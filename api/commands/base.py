"""What every command shares: consoles, the settings, and who the operator is.

The command line acts as a named operator: ``--as LOGIN`` (an existing,
enabled user, with that user's role and scope), or else the OS account
running it, recorded as ``local:<name>``. The local account on the server is
trusted as ``security.local_role`` (default: administrator) of
``security.local_centre`` (default: every centre), and may bootstrap users
and read the log — whoever runs commands there can read the database file
anyway. Either way, every read is decided by ``usecases.policy`` and logged.
"""

from __future__ import annotations

import getpass
import socket
from datetime import date
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from archive.settings import Settings
from archive.users import Role
from backends import Archive
from usecases.auth import principal_for_login
from usecases.errors import NotFound
from usecases.policy import Principal

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, highlight=False)


class State:
    settings: Settings
    as_login: str | None = None


state = State()


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear line, never a traceback."""
    err.print(f"[red]помилка:[/red] {escape(message)}")
    raise typer.Exit(code)


def parse_date(value: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` option, or one clear error line naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: очікується дата у форматі РРРР-ММ-ДД, отримано {value!r}")


def open_archive() -> Archive:
    archive = Archive(state.settings)
    archive.init()
    return archive


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def local_actor() -> str:
    return f"local:{os_user()}"


def operator(archive: Archive) -> Principal:
    """The principal this command acts as (``--as`` or the local OS account)."""
    address = f"cli:{os_user()}@{socket.gethostname()}"
    if state.as_login:
        try:
            return principal_for_login(archive, state.as_login, address)
        except NotFound as exc:
            fail(exc.message, 1)
    cfg = archive.settings.security
    try:
        role = Role(cfg.local_role)
    except ValueError:
        fail(f"CNAP_SECURITY__LOCAL_ROLE: невідома роль {cfg.local_role!r}")
    return Principal(
        login=local_actor(), role=role, centre=cfg.local_centre, local=True, address=address
    )
