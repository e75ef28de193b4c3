"""The command line answers in Ukrainian with one exit code per meaning: a parser error is
one sentence and exit code 2, an error of the taxonomy one ``помилка: …`` line and its
code, never a traceback and never the framework's English."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.exit_codes import EXIT_CODES, MEANINGS, ArchiveGroup, ExitCode
from usecases import errors

ROOT = Path(__file__).resolve().parents[1]

# What click/typer would print in English, and its type metavars.
ENGLISH = re.compile(
    r"Traceback|Usage:|Error|Options|Arguments|Commands|Show this message|Try '|No such|"
    r"Missing|Invalid value|Did you mean|Got unexpected|requires an argument|Aborted|"
    r"\b(TEXT|INTEGER|PATH|FLOAT|BOOLEAN)\b|<(int|str|path|bool|float|text)>",
)


def console_script() -> list[str]:
    """The installed ``cnap-archive`` script (running this checkout), else ``python -m api``."""
    script = shutil.which("cnap-archive", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "api"]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CNAP_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),  # this checkout, whichever the venv's editable install names
        "COLUMNS": "100",
    }
    return subprocess.run(
        [*console_script(), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


# The console script itself (a process of its own each: slow, so only these).
SCRIPT_ERRORS = [
    (["foo"], "невідома команда «foo»"),
    (["search"], "ЗАПИТ"),
    (["search", "x", "--limit", "abc"], "--limit"),
    (["ingest", "--bogus"], "--bogus"),
]
# The same parser, in process.
USAGE_ERRORS = [
    *SCRIPT_ERRORS,
    (["serch", "заява"], "можливо, search"),
    (["search", "x", "--limit", "0"], "не менше 1"),
    (["search", "x", "--package", "zzz"], "input, output"),
    (["search", "x", "--limit"], "--limit"),
    (["search", "x", "y"], "зайві аргументи"),
    (["user", "add", "someone"], "--role"),
    (["batch", "attach", "abc"], "ЧАСТИНА"),
    (["audit", "nothing"], "невідома команда"),
    (["case", "register"], "--service"),
    # The lists the web pages show, on the command line too: no arguments, only --json.
    (["case", "queue", "2026/00001"], "зайві аргументи"),
    (["case", "department", "--all"], "--all"),
    (["user", "pending", "--jsn"], "--jsn"),
]


def _check_usage_error(code: int, stdout: str, stderr: str, names: str) -> None:
    assert code == ExitCode.usage, (stdout, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("помилка: "), stderr
    assert names in lines[0], lines[0]
    assert not ENGLISH.search(stderr + stdout), stderr
    assert stdout == ""


@pytest.mark.parametrize(
    ("args", "names"), SCRIPT_ERRORS, ids=[" ".join(a) for a, _ in SCRIPT_ERRORS]
)
def test_console_script_parser_errors(tmp_path: Path, args: list[str], names: str) -> None:
    proc = run(tmp_path, *args)
    _check_usage_error(proc.returncode, proc.stdout, proc.stderr, names)


@pytest.mark.parametrize(
    ("args", "names"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS]
)
def test_parser_errors_are_one_ukrainian_sentence(
    tmp_path: Path, args: list[str], names: str
) -> None:
    from api.cli import app

    result = CliRunner().invoke(app, args, env={"CNAP_DATA_DIR": str(tmp_path / "data")})
    assert result.exception is None or isinstance(result.exception, SystemExit)
    _check_usage_error(result.exit_code, result.stdout, result.stderr, names)


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"]])
def test_help_is_ukrainian(tmp_path: Path, args: list[str]) -> None:
    proc = run(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Використання: cnap-archive") or "Використання:" in proc.stdout
    assert "Показати цю довідку й вийти." in proc.stdout
    assert not ENGLISH.search(proc.stdout + proc.stderr), proc.stdout


def test_top_help_lists_the_exit_codes() -> None:
    from api.cli import app

    out = CliRunner().invoke(app, ["--help"]).stdout
    assert "Коди завершення:" in out
    for code in ExitCode:
        assert re.search(rf"^\s+{int(code)}\s+\S", out, re.M), code


@pytest.mark.parametrize("args", [[], ["user"], ["case"]])
def test_no_command_shows_the_help(args: list[str]) -> None:
    from api.cli import app

    result = CliRunner().invoke(app, args)
    assert result.exit_code == ExitCode.usage
    assert "Використання:" in result.stderr and "Команди:" in result.stderr
    assert not ENGLISH.search(result.stdout + result.stderr)


def test_every_help_page_is_ukrainian() -> None:
    from api.cli import app

    group = typer.main.get_command(app)
    paths: list[list[str]] = [[]]
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        paths.append([name])
        paths.extend([name, sub] for sub in getattr(cmd, "commands", {}))
    for path in paths:
        result = CliRunner().invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.stderr)
        assert "Показати цю довідку й вийти." in result.stdout, path
        assert not ENGLISH.search(result.stdout), (path, result.stdout)


# --- in process: the taxonomy and the last line of defence ----------------------------------


def _app(exc: BaseException) -> typer.Typer:
    app = typer.Typer(cls=ArchiveGroup, add_completion=False)

    @app.command()
    def act() -> None:
        """Дія."""
        raise exc

    @app.command()
    def other() -> None:
        """Інша дія."""

    return app


def _invoke(exc: BaseException) -> tuple[int, str]:
    result = CliRunner().invoke(_app(exc), ["act"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr


@pytest.mark.parametrize("cls", errors.ERRORS, ids=lambda c: c.__name__)
def test_each_error_has_its_code_and_one_line(cls: type[errors.ArchiveError]) -> None:
    exc = cls("Справу не знайдено") if cls is not errors.RateLimited else cls("Зачекайте", 5)
    code, stderr = _invoke(exc)
    assert code == EXIT_CODES[cls]
    assert stderr.strip().splitlines() == [f"помилка: {exc.message}"]


def test_denied_and_not_found_stay_1() -> None:
    # Operators' scripts rely on these (tests/desk, tests/api/test_cli_access).
    assert EXIT_CODES[errors.Denied] == EXIT_CODES[errors.NotFound] == 1
    assert EXIT_CODES[errors.Unavailable] == 4


def test_a_bug_is_one_line_and_code_5() -> None:
    code, stderr = _invoke(RuntimeError("РНОКПП 1234567890"))
    assert code == ExitCode.internal
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("помилка: непередбачена помилка RuntimeError")
    assert "1234567890" not in stderr and "Traceback" not in stderr


def test_interrupt_is_130() -> None:
    code, stderr = _invoke(KeyboardInterrupt())
    assert code == ExitCode.interrupted and stderr.strip() == "помилка: перервано"


def test_every_code_has_a_meaning() -> None:
    assert set(MEANINGS) == set(ExitCode)


def test_commands_use_only_the_documented_codes() -> None:
    # fail(…, N) and typer.Exit(N) with a literal N: each N must be one of ExitCode.
    known = {int(c) for c in ExitCode}
    used: dict[int, list[str]] = {}
    pattern = re.compile(r"(?:fail\([^\n]*,\s*|typer\.Exit\(|else\s+)(\d+)\)")
    for path in (ROOT / "api").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in pattern.finditer(line):
                used.setdefault(int(m.group(1)), []).append(f"{path.relative_to(ROOT)}:{n}")
    unknown = {code: where for code, where in used.items() if code not in known}
    assert not unknown, unknown
