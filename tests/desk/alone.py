"""One archive for the desk-alone tests: the command line and the HTTP API on the same data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.settings import DeskSettings, Settings
from archive.users import Role, add_user
from tests.desk.cli import Run, cli
from tests.desk.conftest import HOME
from usecases.security import hash_password

PASSWORD = "correct horse battery"
# The centre as printed on the forms, set alike for the API and the command line.
CENTRE_DETAILS = {
    "centre_full_name": "Центр надання адміністративних послуг Житомирської міської ради",
    "centre_address": "м. Житомир, майдан Соборний, 4/2",
    "centre_phone": "+380 412 48 12 00",
    "centre_code": "ЦНАП-1801",
}
ENV = {f"CNAP_DESK__{k.upper()}": v for k, v in CENTRE_DETAILS.items()}
OLENA = ("Іваненко Олена Петрівна", "адміністратор ЦНАП")


@dataclass
class Desk:
    data: Path
    http: TestClient

    def cli(self, *args: str, login: str = "olena", **kw: Any) -> Run:
        return cli(self.data, "--as", login, *args, env=ENV, **kw)

    def json(self, *args: str, login: str = "olena") -> Any:
        r = self.cli(*args, "--json", login=login)
        assert r.returncode == 0, (r.stdout, r.stderr)
        return json.loads(r.stdout)

    def auth(self, login: str = "olena") -> dict[str, str]:
        r = self.http.post("/api/auth/token", data={"username": login, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def register(self, service: str = "Реєстрація місця проживання", **kw: Any) -> dict[str, Any]:
        body = {"service": service, "applicant": "Шевченко Тарас Григорович", **kw}
        r = self.http.post("/api/cases", headers=self.auth(), json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())


def desk_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    data = tmp_path_factory.mktemp("alone") / "data"
    app = create_app(
        Settings(data_dir=data, centre=HOME, desk=DeskSettings(**CENTRE_DETAILS))  # type: ignore[arg-type]
    )
    with TestClient(app) as client:
        with app.state.archive.db.session() as s:
            hashed = hash_password(PASSWORD)
            add_user(
                s, "olena", Role.administrator, password_hash=hashed, centre=HOME,
                full_name=OLENA[0], position=OLENA[1],
            )  # fmt: skip
            add_user(
                s, "ira", Role.administrator, password_hash=hashed, centre=HOME,
                workplace="ВРМ Зарічне",
            )  # fmt: skip
            add_user(
                s, "oksana", Role.official, password_hash=hashed, centre=HOME, department="ДМС"
            )
            add_user(s, "petro", Role.administrator, password_hash=hashed, centre="ЦНАП Бердичів")
        yield Desk(data, client)
