"""The transfer package and the list of acts and packages through both doors: the command
line (``retention package N --out FILE``, ``retention outputs --json``) and HTTP
(``GET /api/retention/plans/{n}/package``, ``GET /api/retention/outputs``) give the same
bytes, the same answers, the same refusals and the same audit entries."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path

import bagit
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from api.exit_codes import ExitCode
from archive.settings import Settings
from archive.users import Role, add_user
from tests.retention.conftest import CENTRE, Centre, make_case
from usecases import access
from usecases import retention as uc
from usecases.security import hash_password

D = dt.date
PASSWORD = "correct horse battery"


class World:
    def __init__(self, tmp: Path) -> None:
        self.settings = Settings(data_dir=tmp / "data", centre=CENTRE)
        self.app = create_app(self.settings)
        self.http = TestClient(self.app).__enter__()
        archive = self.app.state.archive
        with archive.db.session() as s:
            for login, role in (("arch", Role.archivist), ("adm", Role.administrator)):
                add_user(s, login, role, password_hash=hash_password(PASSWORD), centre=CENTRE)
        self.c = Centre(archive, access.events_for(archive))
        for i in range(2):
            make_case(self.c, i, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None)
        plan = uc.draft_plan(self.c.ctx(), as_of=D(2026, 5, 4))
        uc.approve_plan(self.c.ctx(), number=plan.number, decision="ЕК-9")
        uc.apply_plan(self.c.ctx(), number=plan.number)
        self.number = plan.number
        self.empty = uc.draft_plan(self.c.ctx(), as_of=D(2025, 1, 1)).number

    def headers(self, login: str) -> dict[str, str]:
        r = self.http.post("/api/auth/token", data={"username": login, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def cli(self, login: str, *args: str) -> tuple[int, str]:
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        env = {"CNAP_DATA_DIR": str(self.settings.data_dir), "CNAP_CENTRE": CENTRE}
        try:
            r = CliRunner().invoke(cli_app, ["--as", login, *args], env=env)
        finally:
            root.handlers[:], root.level = handlers, level
        return r.exit_code, r.stdout

    def entries(self, action: str) -> list[tuple[str, str, object]]:
        return [
            (e.actor, e.outcome, (e.details or {}).get("plan"))
            for e in self.c.events.log.entries(actions=[action], limit=1000)
        ]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = World(tmp_path_factory.mktemp("doors"))
    try:
        yield w
    finally:
        w.http.__exit__(None, None, None)


def test_the_same_package_through_both_doors(world: World, tmp_path: Path) -> None:
    n = world.number
    before = world.entries("retention.package")
    r = world.http.get(f"/api/retention/plans/{n}/package", headers=world.headers("arch"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert f'filename="plan-{n}-bagit.zip"' in r.headers["content-disposition"]
    out = tmp_path / "пакет.zip"
    code, text = world.cli("arch", "retention", "package", str(n), "--out", str(out))
    assert code == 0 and "записано" in text
    assert out.read_bytes() == r.content  # the same bag, the same ZIP, byte for byte
    assert not list(tmp_path.glob("*.part"))
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        zf.extractall(tmp_path / "unpacked")
    bagit.Bag(str(tmp_path / "unpacked" / f"plan-{n}")).validate()
    assert world.entries("retention.package")[len(before) :] == [
        ("arch", "allowed", n),
        ("arch", "allowed", n),
    ]


def test_the_same_refusals_through_both_doors(world: World, tmp_path: Path) -> None:
    out = tmp_path / "x.zip"
    # A plan with no package: not found.
    r = world.http.get(f"/api/retention/plans/{world.empty}/package", headers=world.headers("arch"))
    assert r.status_code == 404 and r.json()["code"] == "no_package"
    code, _ = world.cli("arch", "retention", "package", str(world.empty), "--out", str(out))
    assert code == ExitCode.refused and not out.exists()
    # Another role: refused, and the denial logged once per door.
    before = world.entries("retention.package")
    r = world.http.get(f"/api/retention/plans/{world.number}/package", headers=world.headers("adm"))
    assert r.status_code == 403
    code, _ = world.cli("adm", "retention", "package", str(world.number), "--out", str(out))
    assert code == ExitCode.refused and not out.exists()
    assert world.entries("retention.package")[len(before) :] == [
        ("adm", "denied", None),
        ("adm", "denied", None),
    ]


def test_the_same_list_through_both_doors(world: World) -> None:
    api = world.http.get("/api/retention/outputs", headers=world.headers("arch"))
    assert api.status_code == 200
    code, text = world.cli("arch", "retention", "outputs", "--json")
    assert code == 0
    assert json.loads(text) == api.json()
    (row,) = api.json()
    assert row["plan"] == world.number and row["package"]["cases"] == 2 and row["act"] is None
    code, text = world.cli("arch", "retention", "outputs")
    assert code == 0 and f"План № {world.number}" in text and "пакет: справ 2" in text
