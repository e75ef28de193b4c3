"""The command line as a named operator: users, ``--as``, and the access log commands."""

from __future__ import annotations

import getpass
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app
from archive.settings import Settings
from backends import Archive
from tests.api.helpers import RNOKPP, application, make_document

PASSWORD = "correct horse battery"


ENV = {"CNAP_CENTRE": "ЦНАП Житомир"}


@dataclass
class Run:
    stdout: str
    stderr: str
    returncode: int


def cli(data: Path, *args: str, stdin: str = "", code: int | None = 0) -> Run:
    """The command line, in this process (the entry point itself is run below as a process)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    env = {**ENV, "CNAP_DATA_DIR": str(data)}
    try:
        result = CliRunner().invoke(app, list(args), input=stdin, env=env)
    finally:
        for h in root.handlers:
            if h not in handlers:
                h.close()
        root.handlers[:], root.level = handlers, level
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    run = Run(result.stdout, result.stderr, result.exit_code)
    if code is not None:
        assert run.returncode == code, (run.stdout, run.stderr)
    return run


def cli_process(data: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENV, "CNAP_DATA_DIR": str(data)}
    proc = subprocess.run(
        [sys.executable, "-m", "api", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    d = tmp_path_factory.mktemp("cli") / "data"
    archive = Archive(Settings(data_dir=d, centre="ЦНАП Житомир"))
    archive.init()
    docs = {
        "dms": make_document(archive, application("перша"), case="2026/1", department="ДМС").id,
        "land": make_document(archive, application("друга"), case="2026/2",
                              department="Земельний відділ").id,
        "caseless": make_document(archive, application("третя")).id,
    }  # fmt: skip
    archive.close()
    yield d, docs


def test_user_commands_and_as(data: tuple[Path, dict[str, str]]) -> None:
    d, docs = data
    cli(d, "user", "add", "olena", "--role", "official", "--department", "ДМС",
        stdin=PASSWORD + "\n")  # fmt: skip
    cli(d, "user", "add", "ira", "--role", "dpo", stdin=PASSWORD + "\n")
    cli(d, "user", "add", "sys", "--role", "sysadmin", stdin=PASSWORD + "\n")
    dup = cli(d, "user", "add", "ira", "--role", "dpo", stdin=PASSWORD + "\n", code=1)
    assert "уже існує" in dup.stderr
    # A weak password is refused by the rule of the archive (exit 1), not a usage error (2).
    short = cli(d, "user", "add", "x", "--role", "dpo", stdin="123\n", code=1)
    assert "8" in short.stderr
    users = json.loads(cli(d, "user", "list", "--json").stdout)
    olena = next(u for u in users if u["login"] == "olena")
    assert olena == {"login": "olena", "role": "official", "centre": "ЦНАП Житомир",
                     "workplace": None, "department": "ДМС", "disabled": False}  # fmt: skip
    # The official sees their department's case, and not the other one.
    shown = json.loads(cli(d, "--as", "olena", "show", docs["dms"], "--json").stdout)
    assert RNOKPP in shown["pages"][0]["text"]
    denied = cli(d, "--as", "olena", "show", docs["land"], "--json", code=1)
    assert "причини" in denied.stderr
    glass = cli(d, "--as", "olena", "show", docs["land"], "--json",
                "--reason", "Запит прокуратури № 77/1")  # fmt: skip
    assert RNOKPP in json.loads(glass.stdout)["pages"][0]["text"]
    found = json.loads(cli(d, "--as", "olena", "search", "заява", "--json").stdout)
    assert [h["document_id"] for h in found["hits"]] == [docs["dms"]]
    # The DPO sees metadata only; the sysadmin manages users but reads no documents.
    meta = json.loads(cli(d, "--as", "ira", "show", docs["dms"], "--json").stdout)
    assert meta["pages"] == [] and meta["case"] == "2026/1"
    cli(d, "--as", "sys", "show", docs["dms"], code=1)
    cli(d, "--as", "sys", "audit", "subject", RNOKPP, code=1)
    cli(d, "--as", "olena", "user", "list", code=1)
    cli(d, "--as", "nobody", "search", "заява", code=1)
    # Disabling takes effect at once.
    cli(d, "--as", "sys", "user", "disable", "olena")
    cli(d, "--as", "olena", "search", "заява", code=1)


def test_local_operator_is_audited_as_os_user(data: tuple[Path, dict[str, str]]) -> None:
    d, docs = data
    shown = json.loads(cli_process(d, "show", docs["caseless"], "--json").stdout)
    assert set(shown) >= {"document_id", "sha256", "case", "package", "source", "state", "pages"}
    assert RNOKPP in shown["pages"][0]["text"]
    result = json.loads(cli(d, "search", "заява", "--json").stdout)
    assert result["total"] == 3 and set(result["hits"][0]) >= {"document_id", "case", "score",
                                                               "snippet"}  # fmt: skip
    log = json.loads(cli(d, "audit", "log", "--document", docs["caseless"]).stdout)
    me = f"local:{getpass.getuser()}"
    assert any(e["actor"] == me and e["action"] == "document.text" for e in log)
    assert any(e["actor"] == me and e["action"] == "search" for e in log)
    assert all(e["address"].startswith("cli:") for e in log if e["actor"] == me)


def test_subject_report_pdf_from_the_command_line(
    data: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    d, _ = data
    out = tmp_path / "vidpovid.pdf"
    cli(d, "audit", "subject", RNOKPP, "--format", "pdf", "--output", str(out))
    assert out.read_bytes().startswith(b"%PDF")
    rows = json.loads(cli(d, "audit", "subject", RNOKPP).stdout)
    assert rows["entries"] and all(e["action"] != "audit.subject" for e in rows["entries"])
    csv_out = cli(d, "audit", "subject", RNOKPP, "--format", "csv").stdout
    assert csv_out.startswith("seq,at,actor")


def test_audit_verify_names_the_tampered_entry(data: tuple[Path, dict[str, str]]) -> None:
    d, _ = data
    cli(d, "audit", "seal")
    ok = json.loads(cli(d, "audit", "verify", "--json").stdout)
    assert ok["ok"] is True
    archive = Archive(Settings(data_dir=d))
    with archive.db.session() as s:
        s.execute(text("DROP TRIGGER audit_log_no_update"))
        s.execute(text("UPDATE audit_log SET purpose = 'підчищено' WHERE seq = 4"))
    archive.close()
    bad = cli_process(d, "audit", "verify", code=1)
    assert "перший пошкоджений запис 4" in bad.stdout
    report = json.loads(cli(d, "audit", "verify", "--json", code=1).stdout)
    assert report["first_broken"] == 4
