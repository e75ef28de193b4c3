"""Accounts, for the system administrator: add, list, disable.

The rules for a new account live here once, for the command line and the
HTTP API alike: the login (:func:`check_login`), the department an official
needs, and the password strength (:mod:`usecases.passwords`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive import users as accounts
from archive.audit import Action
from archive.users import Role, User
from usecases import access, tokencache
from usecases.context import Context
from usecases.errors import Conflict, Invalid, NotFound
from usecases.passwords import WeakPassword, hash_password
from usecases.policy import Capability
from usecases.registry import use_case

LOGIN_PATTERN = r"^[A-Za-z0-9._@-]{1,100}$"
"""What a login may contain, after :func:`normalise_login` (also the HTTP schema's pattern).

ASCII only: a Cyrillic "а" or "о" looks exactly like the Latin letter, so a
second account could pass for someone else's in the log and in the UI.
"""
BAD_LOGIN = (
    "Логін: 1–100 латинських літер, цифр або символів . _ @ - (без пропусків і кириличних літер)"
)
NEEDS_DEPARTMENT = "Для посадової особи потрібен підрозділ (department)"
USER_EXISTS = "Користувач з таким логіном уже існує"
NO_SUCH_USER = "Користувача не знайдено"

_LOGIN = re.compile(LOGIN_PATTERN)


def normalise_login(raw: str) -> str:
    """One spelling per login: NFKC, surrounding blanks dropped, lower case.

    NFKC folds compatibility forms (full-width "ａ" → "a"); lower case makes
    "Olena" and "olena" one account. It does not map look-alike letters of
    other scripts — :func:`check_login` refuses those.
    """
    return unicodedata.normalize("NFKC", raw).strip().lower()


def check_login(raw: str) -> str:
    """The normalised login, or :class:`Invalid` with the one Ukrainian message."""
    login = normalise_login(raw)
    # fullmatch: with search, "$" would also accept a trailing newline.
    if not _LOGIN.fullmatch(login):
        raise Invalid(BAD_LOGIN, code="bad_login")
    return login


@dataclass(frozen=True, slots=True)
class UserView:
    """An account as the sysadmin sees it (never the password hash)."""

    login: str
    role: Role
    centre: str | None
    workplace: str | None
    department: str | None
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> UserView:
        return cls(u.login, u.role, u.centre, u.workplace, u.department, u.disabled, u.created_at)

    def as_json(self) -> dict[str, Any]:
        return {
            "login": self.login,
            "role": self.role.value,
            "centre": self.centre,
            "workplace": self.workplace,
            "department": self.department,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
        }


def _manage(ctx: Context, action: Action) -> None:
    access.require(ctx.events, ctx.principal, Capability.manage_users, action)


@use_case(Action.user_add)
def add_user(
    ctx: Context,
    *,
    login: str,
    role: Role,
    password: str | None = None,
    centre: str | None = None,
    workplace: str | None = None,
    department: str | None = None,
    oidc_subject: str | None = None,
) -> UserView:
    """Create an account (``centre`` defaults to the archive's own centre).

    Without a password the person signs in only through OpenID Connect.
    """
    _manage(ctx, Action.user_add)
    login = check_login(login)
    if role == Role.official and not department:
        raise Invalid(NEEDS_DEPARTMENT, code="needs_department")
    try:
        hashed = hash_password(password) if password else None
    except WeakPassword as exc:
        raise Invalid(str(exc), code="weak_password") from exc
    try:
        with ctx.archive.db.session() as s:
            view = UserView.of(
                accounts.add_user(
                    s,
                    login,
                    role,
                    password_hash=hashed,
                    centre=centre or ctx.archive.settings.centre,
                    workplace=workplace,
                    department=department,
                    oidc_subject=oidc_subject,
                )
            )
    except accounts.UserExists as exc:
        raise Conflict(USER_EXISTS, code="user_exists") from exc
    ctx.events.publish(
        access.event(ctx.principal, Action.user_add, details={"login": login, "role": role.value})
    )
    return view


@use_case(Action.user_list)
def list_users(ctx: Context) -> list[UserView]:
    """Every account, by login."""
    _manage(ctx, Action.user_list)
    ctx.events.publish(access.event(ctx.principal, Action.user_list))
    with ctx.archive.db.session() as s:
        return [UserView.of(u) for u in accounts.list_users(s)]


@use_case(Action.user_disable)
def disable_user(ctx: Context, *, login: str) -> UserView:
    """Disable an account; every token it holds is revoked at once."""
    _manage(ctx, Action.user_disable)
    key = normalise_login(login)
    try:
        with ctx.archive.db.session() as s:
            # The literal login too, for accounts made before logins were normalised.
            target = key if accounts.get_user(s, key) is not None else login
            view = UserView.of(accounts.disable_user(s, target))
    except accounts.UnknownUser as exc:
        raise NotFound(NO_SUCH_USER, code="unknown_user") from exc
    tokencache.forget(ctx.archive.db.url)  # this process refuses the tokens at once
    ctx.events.publish(
        access.event(ctx.principal, Action.user_disable, details={"login": view.login})
    )
    return view
