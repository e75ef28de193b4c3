"""A running API over an embedded archive, with a user of every role and documents in
and out of their scopes; ``world.client(role)`` is a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from archive.models import CaseStatus
from archive.settings import Settings
from archive.users import Role, add_user
from backends import Archive
from tests.api.helpers import Made, application, make_document
from usecases.security import hash_password

HOME = "ЦНАП Житомир"
OTHER = "ЦНАП Бердичів"
DEPT = "ДМС"
DEPT_B = "Земельний відділ"
WORKPLACE = "ВРМ Зарічне"
PASSWORD = "correct horse battery"

# login -> (role, centre, workplace, department)
USERS: dict[str, tuple[Role, str, str | None, str | None]] = {
    "admin": (Role.administrator, HOME, None, None),
    "official": (Role.official, HOME, None, DEPT),
    "archivist": (Role.archivist, HOME, None, None),
    "dpo": (Role.dpo, HOME, None, None),
    "sysadmin": (Role.sysadmin, HOME, None, None),
    "admin_wp": (Role.administrator, HOME, WORKPLACE, None),
    "admin_other": (Role.administrator, OTHER, None, None),
    "official_b": (Role.official, HOME, None, DEPT_B),
}
ROLES = ["admin", "official", "archivist", "dpo", "sysadmin"]


@dataclass
class World:
    app: FastAPI
    http: TestClient
    archive: Archive
    docs: dict[str, Made]
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[login]}"}

    def get(self, login: str | None, url: str, **kw: object) -> object:
        headers = self.headers(login) if login else {}
        return self.http.get(url, headers=headers, **kw)  # type: ignore[arg-type]

    def login(self, login: str, password: str = PASSWORD) -> str:
        r = self.http.post("/api/auth/token", data={"username": login, "password": password})
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    def audit_tail(self, after: int) -> list[dict[str, object]]:
        from usecases.subject import entries_json

        rows = self.app.state.events.log.entries(limit=100_000)
        return [e for e in entries_json(rows) if int(e["seq"]) > after]

    def head(self) -> int:
        rows = self.app.state.events.log.entries(limit=100_000)
        return rows[-1].seq if rows else 0


def build_world(tmp: Path) -> Iterator[World]:
    settings = Settings(data_dir=tmp / "data", centre=HOME)
    app = create_app(settings)
    with TestClient(app) as http:
        archive: Archive = app.state.archive
        with archive.db.session() as s:
            hashed = hash_password(PASSWORD)
            for login, (role, centre, workplace, dept) in USERS.items():
                add_user(
                    s, login, role, password_hash=hashed, centre=centre, workplace=workplace,
                    department=dept,
                )  # fmt: skip
        docs = {
            "home": make_document(archive, application("домашня"), case="2026/0001",
                                  department=DEPT),
            "other_centre": make_document(archive, application("бердичівська"), case="2026/0002",
                                          centre=OTHER, department=DEPT),
            "archival": make_document(archive, application("архівна"), case="2019/0003",
                                      department=DEPT_B, status=CaseStatus.archived),
            "workplace": make_document(archive, application("сільська"), case="2026/0004",
                                       department=DEPT, workplace=WORKPLACE),
            "caseless": make_document(archive, application("безсправна")),
        }  # fmt: skip
        world = World(app, http, archive, docs)
        for login in USERS:
            world.tokens[login] = world.login(login)
        yield world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def client(world: World) -> TestClient:
    """A client logged in as the centre's administrator."""
    c = TestClient(world.app)
    c.headers["Authorization"] = f"Bearer {world.tokens['admin']}"
    return c
