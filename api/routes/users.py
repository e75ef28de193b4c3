"""Users, for the system administrator: list, add, disable."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from api.deps import ArchiveDep, EventsDep, capable
from api.schemas import UserOut
from archive.audit import Action
from archive.users import Role, UnknownUser, User, UserExists, add_user, disable_user, list_users
from usecases import access
from usecases.policy import Capability, Principal
from usecases.security import WeakPassword, hash_password

router = APIRouter(prefix="/api/users", tags=["users"])

Admin = Annotated[Principal, Depends(capable(Capability.manage_users, Action.user_list))]
Adder = Annotated[Principal, Depends(capable(Capability.manage_users, Action.user_add))]
Disabler = Annotated[Principal, Depends(capable(Capability.manage_users, Action.user_disable))]

LOGIN = r"^[A-Za-z0-9._@-]{1,100}$"


class UserIn(BaseModel):
    login: str = Field(pattern=LOGIN)
    role: Role
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    centre: str | None = Field(default=None, max_length=200)
    workplace: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    oidc_subject: str | None = Field(default=None, max_length=255)


def user_json(u: User) -> dict[str, Any]:
    return {
        "login": u.login,
        "role": u.role.value,
        "centre": u.centre,
        "workplace": u.workplace,
        "department": u.department,
        "disabled": u.disabled,
        "created_at": u.created_at.isoformat(),
    }


@router.get("", response_model=list[UserOut], summary="Користувачі")
def users(archive: ArchiveDep, events: EventsDep, p: Admin) -> Any:
    events.publish(access.event(p, Action.user_list))
    with archive.db.session() as s:
        return [user_json(u) for u in list_users(s)]


@router.post("", response_model=UserOut, status_code=201, summary="Додати користувача")
def create(body: UserIn, archive: ArchiveDep, events: EventsDep, p: Adder) -> Any:
    if body.role == Role.official and not body.department:
        raise HTTPException(422, "Для посадової особи потрібен підрозділ (department)")
    try:
        hashed = hash_password(body.password) if body.password else None
        with archive.db.session() as s:
            u = add_user(
                s,
                body.login,
                body.role,
                password_hash=hashed,
                centre=body.centre or archive.settings.centre,
                workplace=body.workplace,
                department=body.department,
                oidc_subject=body.oidc_subject,
            )
            out = user_json(u)
    except UserExists as exc:
        raise HTTPException(409, "Користувач з таким логіном уже існує") from exc
    except WeakPassword as exc:
        raise HTTPException(422, str(exc)) from exc
    events.publish(
        access.event(p, Action.user_add, details={"login": body.login, "role": body.role.value})
    )
    return out


@router.post("/{login}/disable", response_model=UserOut, summary="Вимкнути користувача")
def disable(login: str, archive: ArchiveDep, events: EventsDep, p: Disabler) -> Any:
    try:
        with archive.db.session() as s:
            out = user_json(disable_user(s, login))
    except UnknownUser as exc:
        raise HTTPException(404, "Користувача не знайдено") from exc
    events.publish(access.event(p, Action.user_disable, details={"login": login}))
    return out
