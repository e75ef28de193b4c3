"""Users: the system administrator lists, adds, disables; the centre's administrator approves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from api.deps import ContextDep as UserContext
from api.schemas import UserOut
from archive.users import Role
from usecases import users as accounts
from usecases.passwords import MAX_PASSWORD, MIN_PASSWORD

router = APIRouter(prefix="/api/users", tags=["users"])


class UserIn(BaseModel):
    login: str = Field(pattern=accounts.LOGIN_PATTERN)
    role: Role
    password: str | None = Field(default=None, min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)
    centre: str | None = Field(default=None, max_length=200)
    workplace: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    oidc_subject: str | None = Field(default=None, max_length=255)
    # Printed on the forms the person signs (inventory, routing sheet, hand-over).
    full_name: str | None = Field(default=None, max_length=200)
    position: str | None = Field(default=None, max_length=200)

    @field_validator("login", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        # The pattern applies to the login as the command line sees it too.
        return accounts.normalise_login(value) if isinstance(value, str) else value


@router.get("", response_model=list[UserOut], summary="Користувачі")
def users(ctx: UserContext) -> Any:
    return [u.as_json() for u in accounts.list_users(ctx)]


@router.get(
    "/pending",
    response_model=list[UserOut],
    summary="Облікові записи, що очікують схвалення адміністратора ЦНАП",
)
def pending(ctx: UserContext) -> Any:
    return [u.as_json() for u in accounts.pending_users(ctx)]


@router.post("", response_model=UserOut, status_code=201, summary="Додати користувача")
def create(body: UserIn, ctx: UserContext) -> Any:
    return accounts.add_user(ctx, **body.model_dump()).as_json()


@router.post("/{login}/disable", response_model=UserOut, summary="Вимкнути користувача")
def disable(login: str, ctx: UserContext) -> Any:
    return accounts.disable_user(ctx, login=login).as_json()


class SubjectIn(BaseModel):
    subject: str = Field(min_length=1, max_length=255)
    issuer: str | None = Field(default=None, max_length=500)


@router.post(
    "/{login}/approve",
    response_model=UserOut,
    summary="Схвалити обліковий запис (адміністратор ЦНАП — друга особа)",
)
def approve(login: str, ctx: UserContext) -> Any:
    return accounts.approve_user(ctx, login=login).as_json()


@router.post(
    "/{login}/oidc-subject",
    response_model=UserOut,
    summary="Прив'язати обліковий запис до ідентичності OpenID Connect (один раз)",
)
def bind_oidc(login: str, body: SubjectIn, ctx: UserContext) -> Any:
    return accounts.bind_oidc_subject(
        ctx, login=login, subject=body.subject, issuer=body.issuer
    ).as_json()
