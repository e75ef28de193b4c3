"""The lists the web pages show, over the JSON API and the command line too.

``GET /api/users/pending`` (``user pending``), ``GET /api/desk/queue``
(``case queue``) and ``GET /api/department/cases`` (``case department``)
answer with the same use cases as the pages /users/pending, /desk and
/department; the command line's ``--json`` is the HTTP body.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from archive import cases as ops
from archive.users import Role, add_user
from tests.api.conftest import DEPT, DEPT_B, HOME, OTHER, WORKPLACE, World
from tests.api.test_cli_access import cli

_n = itertools.count()


def _get(world: World, login: str, url: str, status: int = 200) -> Any:
    r = world.http.get(url, headers=world.headers(login))
    assert r.status_code == status, r.text
    return r.json()


def _case(world: World, *, department: str | None = None, workplace: str | None = None) -> str:
    """A fresh case of the home centre; its journal number."""
    with world.archive.db.session() as s:
        reg = ops.Registration(service=f"Послуга {next(_n)}", centre=HOME,
                               applicant="Шевченко Тарас Григорович", department=department,
                               workplace=workplace, actor="admin")  # fmt: skip
        return ops.register(s, world.archive.settings, reg).case.number


def _pending(world: World, centre: str, *, disabled: bool = False) -> str:
    login = f"waiting-{next(_n)}"
    with world.archive.db.session() as s:
        user = add_user(s, login, Role.official, password_hash=None, centre=centre,
                        department=DEPT, pending=True, full_name="Коваль Ірина")  # fmt: skip
        user.disabled = disabled
    return login


def _numbers(rows: list[dict[str, Any]]) -> set[str]:
    return {r["number"] for r in rows}


def _cli_json(world: World, login: str, *args: str) -> Any:
    data = Path(world.archive.settings.data_dir)
    return json.loads(cli(data, "--as", login, *args, "--json").stdout)


# --- accounts waiting for approval ---------------------------------------------------------


def test_pending_accounts_of_the_administrators_centre_only(world: World) -> None:
    home, other = _pending(world, HOME), _pending(world, OTHER)
    gone = _pending(world, HOME, disabled=True)
    mine = {u["login"]: u for u in _get(world, "admin", "/api/users/pending")}
    assert home in mine and other not in mine and gone not in mine
    assert mine[home]["pending"] is True and mine[home]["centre"] == HOME
    assert mine[home]["full_name"] == "Коваль Ірина"
    theirs = {u["login"] for u in _get(world, "admin_other", "/api/users/pending")}
    assert other in theirs and home not in theirs


def test_pending_accounts_are_the_administrators_list(world: World) -> None:
    for login in ("official", "archivist", "dpo", "sysadmin"):
        problem = _get(world, login, "/api/users/pending", 403)
        assert problem["status"] == 403
    assert world.http.get("/api/users/pending").status_code == 401


def test_pending_accounts_cli_json_is_the_http_body(world: World) -> None:
    _pending(world, HOME)
    assert _cli_json(world, "admin", "user", "pending") == _get(
        world, "admin", "/api/users/pending"
    )


# --- the desk's queue ----------------------------------------------------------------------


def test_the_desk_queue_lists_the_waiting_cases_of_the_workplace(world: World) -> None:
    here = _case(world, workplace=WORKPLACE, department=DEPT)
    elsewhere = _case(world)
    day = _get(world, "admin_wp", "/api/desk/queue")
    assert set(day) == {"day", "today", "waiting", "ready", "uncollected"}
    assert here in _numbers(day["today"]) and here in _numbers(day["waiting"])
    assert elsewhere not in _numbers(day["today"]) | _numbers(day["waiting"])
    row = next(r for r in day["waiting"] if r["number"] == here)
    assert row["status"] == "registered" and row["department"] == DEPT
    assert row["applicant"] == "Шевченко Тарас Григорович"  # the centre's own administrator
    assert row["result_at"] is None and row["overdue"] is None


def test_the_desk_queue_is_the_centres_administrators(world: World) -> None:
    assert _get(world, "admin", "/api/desk/queue")["day"]
    _get(world, "admin_other", "/api/desk/queue", 403)  # another centre's desk
    for login in ("official", "archivist", "dpo", "sysadmin"):
        _get(world, login, "/api/desk/queue", 403)


def test_the_desk_queue_cli_json_is_the_http_body(world: World) -> None:
    _case(world, workplace=WORKPLACE)
    assert _cli_json(world, "admin_wp", "case", "queue") == _get(
        world, "admin_wp", "/api/desk/queue"
    )


# --- the official's cases of the department ------------------------------------------------


def test_the_official_sees_the_cases_routed_to_their_department_only(world: World) -> None:
    ours, theirs = _case(world, department=DEPT), _case(world, department=DEPT_B)
    mine = _get(world, "official", "/api/department/cases")
    assert mine["department"] == DEPT
    assert ours in _numbers(mine["open"]) and theirs not in _numbers(mine["open"] + mine["done"])
    assert {r["department"] for r in mine["open"] + mine["done"]} == {DEPT}
    other = _get(world, "official_b", "/api/department/cases")
    assert other["department"] == DEPT_B
    assert theirs in _numbers(other["open"]) and ours not in _numbers(other["open"])


def test_the_department_list_is_the_officials(world: World) -> None:
    for login in ("admin", "archivist", "dpo", "sysadmin"):
        _get(world, login, "/api/department/cases", 403)


def test_the_department_cli_json_is_the_http_body(world: World) -> None:
    _case(world, department=DEPT)
    assert _cli_json(world, "official", "case", "department") == _get(
        world, "official", "/api/department/cases"
    )


def test_the_cli_tables_are_ukrainian(world: World) -> None:
    data = Path(world.archive.settings.data_dir)
    number = _case(world, workplace=WORKPLACE)
    queue = cli(data, "--as", "admin_wp", "case", "queue").stdout
    assert "Черга дня" in queue and "Чекають на результат" in queue and number in queue
    dept = cli(data, "--as", "official", "case", "department").stdout
    assert "Справи мого відділу" in dept and "На розгляді" in dept
    login = _pending(world, HOME)
    assert login in cli(data, "--as", "admin", "user", "pending").stdout
    denied = cli(data, "--as", "official", "user", "pending", code=1)
    assert denied.stderr.startswith("помилка: ")


def test_the_openapi_document_describes_the_lists(world: World) -> None:
    paths = world.app.openapi()["paths"]
    for path, model in (
        ("/api/users/pending", None),
        ("/api/desk/queue", "DeskQueueOut"),
        ("/api/department/cases", "DepartmentCasesOut"),
    ):
        op = paths[path]["get"]
        assert op["summary"] and op["summary"][0] in "ОЧС", op["summary"]
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        if model:
            assert schema["$ref"].endswith(model)
        else:
            assert schema["items"]["$ref"].endswith("UserOut")
