"""Users, their roles and scopes, and API tokens.

Passwords are hashed (Argon2) by ``usecases.security`` before they reach this
module; tokens are stored only as their SHA-256, so a copy of the database
does not let anyone act as a user.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.models import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    """The roles of DESIGN.md; what each may do is decided in ``usecases.policy``."""

    administrator = "administrator"
    official = "official"
    archivist = "archivist"
    dpo = "dpo"
    sysadmin = "sysadmin"


class User(Base):
    """A person who signs in, scoped to a centre/workplace and, for officials, a department."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    # None for users who only sign in through the council's identity provider.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=32))
    centre: Mapped[str | None] = mapped_column(String(200))
    workplace: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The identity provider the subject belongs to (a subject is issuer + ``sub``).
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    # Made by a sysadmin with a role that reads content: no access until an
    # administrator of the centre approves (``usecases.users.approve_user``).
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Printed on the forms the user signs (inventory, routing sheet, hand-over).
    full_name: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """An opaque bearer token; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    via: Mapped[str] = mapped_column(String(16), default="password")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class UserExists(Exception):
    """A user with that login already exists."""


class UnknownUser(Exception):
    """No user with that login."""


def get_user(s: Session, login: str) -> User | None:
    return s.scalar(select(User).where(User.login == login))


def add_user(
    s: Session,
    login: str,
    role: Role,
    *,
    password_hash: str | None,
    centre: str | None = None,
    workplace: str | None = None,
    department: str | None = None,
    oidc_subject: str | None = None,
    oidc_issuer: str | None = None,
    pending: bool = False,
    full_name: str | None = None,
    position: str | None = None,
) -> User:
    """Create a user; raises UserExists for a taken login."""
    if get_user(s, login) is not None:
        raise UserExists(login)
    user = User(
        login=login,
        role=role,
        password_hash=password_hash,
        centre=centre,
        workplace=workplace,
        department=department,
        oidc_subject=oidc_subject,
        oidc_issuer=oidc_issuer,
        pending=pending,
        disabled=False,
        full_name=full_name,
        position=position,
    )
    s.add(user)
    s.flush()
    return user


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.login)))


def disable_user(s: Session, login: str) -> User:
    """Disable a user and revoke every token they hold (takes effect at once)."""
    user = get_user(s, login)
    if user is None:
        raise UnknownUser(login)
    if not user.disabled:
        user.disabled = True
        user.disabled_at = utcnow()
    s.execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked=True))
    return user


class LoginThrottle(Base):
    """Failed sign-ins under one key (``account:<login>`` or ``address:<ip>``)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
