"""The sysadmin's view of the backends, on every door: the page, the JSON API, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import World

NAMES = ["База даних", "Сховище об’єктів", "Повнотекстовий індекс", "Черга обробки",
         "Журнал доступу"]  # fmt: skip


def test_the_sysadmin_reads_the_backends_as_json(world: World) -> None:
    c: TestClient = world.http
    r = c.get("/api/health/backends", headers=world.headers("sysadmin"))
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert [b["name"] for b in body["backends"]] == NAMES
    assert all(b["ok"] and b["ms"] >= 0 and b["detail"] for b in body["backends"])
    for role in ("admin", "official", "archivist", "dpo"):
        assert c.get("/api/health/backends", headers=world.headers(role)).status_code == 403


def test_the_command_prints_the_same_backends(tmp_path: Path) -> None:
    env = {**os.environ, "CNAP_DATA_DIR": str(tmp_path / "data")}
    run = [sys.executable, "-m", "api"]
    done = subprocess.run([*run, "health", "--json"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["status"] == "ok" and [b["name"] for b in body["backends"]] == NAMES
    table = subprocess.run([*run, "health"], env=env, capture_output=True, text=True,
                           timeout=120, check=False)  # fmt: skip
    assert table.returncode == 0
    assert "служба" in table.stdout and "відповідає" in table.stdout
