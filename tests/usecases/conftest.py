"""Use cases called directly, without HTTP or the command line: an embedded archive with
documents in and out of each caller's scope, and a context per role."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app as cli_app
from archive.audit import AuditEntry, Events
from archive.models import CaseStatus
from archive.settings import Settings
from archive.users import Role
from backends import Archive
from tests.api.helpers import Made, application, make_document
from usecases.access import events_for
from usecases.context import Context
from usecases.policy import Principal
from usecases.subject import entries_json

HOME = "ЦНАП Житомир"
OTHER = "ЦНАП Бердичів"
DEPT = "ДМС"
WORKPLACE = "ВРМ Зарічне"

PRINCIPALS: dict[str, Principal] = {
    "admin": Principal("admin", Role.administrator, HOME, address="test"),
    "admin_wp": Principal("admin_wp", Role.administrator, HOME, WORKPLACE, address="test"),
    "admin_other": Principal("admin_other", Role.administrator, OTHER, address="test"),
    "official": Principal("official", Role.official, HOME, department=DEPT, address="test"),
    "official_b": Principal("official_b", Role.official, HOME, department="Інший", address="test"),
    "archivist": Principal("archivist", Role.archivist, HOME, address="test"),
    "dpo": Principal("dpo", Role.dpo, HOME, address="test"),
    "sysadmin": Principal("sysadmin", Role.sysadmin, HOME, address="test"),
    "local": Principal("local:op", Role.administrator, None, local=True, address="cli:op@host"),
}


@dataclass
class World:
    archive: Archive
    events: Events
    docs: dict[str, Made]

    def ctx(self, who: str, **kw: Any) -> Context:
        return Context(self.archive, PRINCIPALS[who], self.events, **kw)

    def head(self) -> int:
        rows = self.events.log.entries(limit=100_000)
        return rows[-1].seq if rows else 0

    def since(self, seq: int) -> list[dict[str, Any]]:
        rows = self.events.log.entries(limit=100_000)
        return [e for e in entries_json(rows) if int(e["seq"]) > seq]


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data: Path = tmp_path_factory.mktemp("usecases") / "data"
    archive = Archive(Settings(data_dir=data, centre=HOME))
    archive.init()
    docs = {
        "home": make_document(archive, application("домашня"), case="2026/0001",
                              department=DEPT),
        "other_centre": make_document(archive, application("бердичівська"), case="2026/0002",
                                      centre=OTHER, department=DEPT),
        "archival": make_document(archive, application("архівна"), case="2019/0003",
                                  department="Земельний відділ", status=CaseStatus.archived),
    }  # fmt: skip
    try:
        yield World(archive, events_for(archive), docs)
    finally:
        archive.close()


MakeContext = Callable[..., Context]


@pytest.fixture
def ctx_as(archive: Archive) -> MakeContext:
    """``ctx_as(Role.dpo)``: a context acting as a user of that role in the home centre."""
    events = events_for(archive)

    def make(role: Role, login: str | None = None, **scope: str | None) -> Context:
        p = Principal(
            login=login or role.value, role=role, centre=scope.pop("centre", HOME),
            address="test", **scope,
        )  # fmt: skip
        return Context(archive, p, events)

    return make


def tail(ctx: Context, after: int = 0) -> list[AuditEntry]:
    """The log entries written after ``after``."""
    return [e for e in ctx.events.log.entries(limit=100_000) if e.seq > after]


def head(ctx: Context) -> int:
    rows = ctx.events.log.entries(limit=100_000)
    return rows[-1].seq if rows else 0


def run_cli(data: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    """The command line in this process: exit code, and stdout and stderr together.

    The command points the root logger at its data directory's log file; it
    is put back afterwards, so later tests do not write into that file.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    env = {"CNAP_CENTRE": HOME, "CNAP_DATA_DIR": str(data)}
    try:
        result = CliRunner().invoke(cli_app, list(args), input=stdin, env=env)
    finally:
        for h in root.handlers:
            if h not in handlers:
                h.close()
        root.handlers[:], root.level = handlers, level
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout + result.stderr
