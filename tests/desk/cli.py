"""The command line in this process (fast), restoring the logging it reconfigures."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.desk.conftest import HOME


@dataclass
class Run:
    stdout: str
    stderr: str
    returncode: int


def cli(data: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> Run:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    full_env = {"CNAP_CENTRE": HOME, "CNAP_DATA_DIR": str(data), **(env or {})}
    try:
        result = CliRunner().invoke(app, list(args), input=stdin, env=full_env)
    finally:
        for h in root.handlers:
            if h not in handlers:
                h.close()
        root.handlers[:], root.level = handlers, level
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return Run(result.stdout, result.stderr, result.exit_code)
