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
from usecases.errors import Conflict, Denied, Invalid, NotFound
from usecases.passwords import WeakPassword, hash_password
from usecases.policy import Capability, Principal
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


def valid_login(login: str) -> bool:
    """Whether a (normalised) login is one an account may have: ASCII letters, digits, ._@-."""
    return bool(_LOGIN.fullmatch(login))


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
    # Waiting for an administrator of the centre to approve it (no access meanwhile).
    pending: bool = False
    # Printed on the forms the person signs.
    full_name: str | None = None
    position: str | None = None
    # Whether the account signs in through OpenID Connect, and with which provider
    # (the pages show it; the subject itself stays out of every answer).
    oidc_bound: bool = False
    oidc_issuer: str | None = None

    @classmethod
    def of(cls, u: User) -> UserView:
        return cls(
            u.login, u.role, u.centre, u.workplace, u.department, u.disabled, u.created_at,
            bool(u.pending), u.full_name, u.position, u.oidc_subject is not None,
            u.oidc_issuer if u.oidc_subject is not None else None,
        )  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {
            "login": self.login,
            "role": self.role.value,
            "centre": self.centre,
            "workplace": self.workplace,
            "department": self.department,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
            "pending": self.pending,
            "full_name": self.full_name,
            "position": self.position,
        }


def _printed(value: str | None, label: str) -> str | None:
    """A name or position as printed on forms: blanks collapsed, at most 200 characters."""
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > 200:
        raise Invalid(f"{label}: до 200 символів", code="too_long")
    return value or None


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
    full_name: str | None = None,
    position: str | None = None,
) -> UserView:
    """Create an account (``centre`` defaults to the archive's own centre).

    Without a password the person signs in only through OpenID Connect.
    An account with a role that reads content (every role but sysadmin) made
    by anyone but the local console starts *pending*: it has no access until
    an administrator of its centre approves it (:func:`approve_user`), so the
    sysadmin alone cannot give anyone, itself included, access to documents.

    ``full_name`` and ``position`` are printed on the forms the person signs.
    """
    _manage(ctx, Action.user_add)
    login = check_login(login)
    full_name, position = _printed(full_name, "ПІБ"), _printed(position, "посада")
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
                    oidc_issuer=ctx.archive.settings.security.oidc_issuer if oidc_subject else None,
                    pending=needs_approval(ctx.principal, role),
                    full_name=full_name,
                    position=position,
                )
            )
    except accounts.UserExists as exc:
        raise Conflict(USER_EXISTS, code="user_exists") from exc
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.user_add,
            details={"login": login, "role": role.value},
        )
    )
    return view


@use_case(Action.user_list)
def list_users(ctx: Context) -> list[UserView]:
    """Every account, by login."""
    _manage(ctx, Action.user_list)
    ctx.events.publish(access.event(ctx.principal, Action.user_list))
    with ctx.archive.db.session() as s:
        return [UserView.of(u) for u in accounts.list_users(s)]


@use_case(Action.user_list)
def pending_users(ctx: Context) -> list[UserView]:
    """Accounts waiting for approval that the caller may approve: those of their centre.

    For the centre's administrators (the second person of :func:`approve_user`);
    the local console sees every centre's. Logged as ``user.list`` (counts only).
    """
    p = ctx.principal
    access.require(ctx.events, p, Capability.approve_users, Action.user_list)
    with ctx.archive.db.session() as s:
        rows = [
            UserView.of(u)
            for u in accounts.list_users(s)
            if u.pending and not u.disabled and (p.local or u.centre == p.centre)
        ]
    ctx.events.publish(
        access.event(p, Action.user_list, details={"pending": True, "count": len(rows)})
    )
    return rows


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


# --- the second person: approval of accounts that read content -----------------------

NOT_PENDING = "Цей обліковий запис не очікує схвалення"
APPROVER_ONLY = "Схвалити обліковий запис може лише адміністратор його ЦНАП"
ALREADY_BOUND = "Обліковий запис уже прив'язано до ідентичності OpenID Connect"
SUBJECT_TAKEN = "Цю ідентичність OpenID Connect уже прив'язано до іншого облікового запису"
_NO_CONTENT = frozenset({Role.sysadmin})


def needs_approval(p: Principal, role: Role) -> bool:
    """Whether an account made (or rebound) by this caller waits for an administrator.

    The local console on the server is trusted to bootstrap (it can read the
    database file anyway); everyone else, the sysadmin first, needs a second
    person for any role that reaches content.
    """
    return role not in _NO_CONTENT and not p.local


def _target(s: Any, login: str) -> User:
    key = normalise_login(login)
    user = accounts.get_user(s, key) if valid_login(key) else None
    if user is None:
        raise NotFound(NO_SUCH_USER, code="unknown_user")
    return user


@use_case(Action.user_approve)
def approve_user(ctx: Context, *, login: str) -> UserView:
    """An administrator of the account's centre approves a pending account (audited).

    The approver must be an approved administrator of the same centre (or the
    local console) and not the account itself.
    """
    from archive.audit import Outcome
    from archive.models import utcnow

    p = ctx.principal
    with ctx.archive.db.session() as s:
        user = _target(s, login)
        ok = p.local or (
            p.approved
            and p.role == Role.administrator
            and p.centre is not None
            and p.centre == user.centre
            and p.login != user.login
        )
        if not ok:
            ctx.events.publish(
                access.event(p, Action.user_approve, Outcome.denied, details={"login": user.login})
            )
            raise Denied(APPROVER_ONLY, code="not_an_approver")
        if not user.pending:
            raise Conflict(NOT_PENDING, code="not_pending")
        user.pending = False
        user.approved_by = p.login
        user.approved_at = utcnow()
        view = UserView.of(user)
    tokencache.forget(ctx.archive.db.url)  # the account's tokens carry the approval at once
    ctx.events.publish(
        access.event(p, Action.user_approve, details={"login": view.login, "role": view.role.value})
    )
    return view


@use_case(Action.user_bind_oidc)
def bind_oidc_subject(
    ctx: Context, *, login: str, subject: str, issuer: str | None = None
) -> UserView:
    """Bind an account to its identity-provider subject (issuer + ``sub``), once.

    A bound account is never rebound (a new subject needs a new account), and
    a subject belongs to one account. Binding a sign-in method to an account
    that reads content is giving access: unless the local console does it,
    the account waits for an administrator's approval again.
    """
    _manage(ctx, Action.user_bind_oidc)
    subject = subject.strip()
    if not subject or len(subject) > 255:
        raise Invalid("Ідентифікатор (sub): 1–255 символів", code="bad_subject")
    iss = issuer or ctx.archive.settings.security.oidc_issuer
    with ctx.archive.db.session() as s:
        user = _target(s, login)
        if user.oidc_subject is not None:
            raise Conflict(ALREADY_BOUND, code="already_bound")
        from sqlalchemy import select

        if s.scalar(select(User.id).where(User.oidc_subject == subject)) is not None:
            raise Conflict(SUBJECT_TAKEN, code="subject_taken")
        user.oidc_subject = subject
        user.oidc_issuer = iss
        if needs_approval(ctx.principal, user.role):
            user.pending = True
        view = UserView.of(user)
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.user_bind_oidc,
            details={"login": view.login, "pending": view.pending},
        )
    )
    return view
