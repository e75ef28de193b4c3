"""Use cases called directly, without HTTP or the command line: a context per role."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli_app
from archive.audit import AuditEntry
from archive.users import Role
from backends import Archive
from usecases.access import events_for
from usecases.context import Context
from usecases.policy import Principal

HOME = "ЦНАП Житомир"

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
