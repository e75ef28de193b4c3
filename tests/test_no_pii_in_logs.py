"""The application log (not the access log) never holds identifiers or document text.

A real server and the command line are driven through everything that touches
personal data — with identifiers in query strings, in a failed login, in a
break-glass reason, in command arguments — at DEBUG level; then the log files
written by this test and by the rest of the suite are scanned. The server runs
two worker processes with its HTTP access log on, so the workers' own lines are
in the file, and what the server printed on stderr is scanned too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from archive.settings import Settings
from archive.users import Role, add_user
from backends import Archive
from tests.api.helpers import IBAN, NAME, PHONE, RNOKPP, RNOKPP_2, application, make_document
from usecases.security import hash_password

PASSWORD = "correct horse battery"
SECRETS = [RNOKPP, RNOKPP_2, IBAN, PHONE, NAME, PHONE[4:], RNOKPP_2[:5] + " " + RNOKPP_2[5:]]
TEXT = [line for page in application("") for line in page if len(line) > 25]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, str]]]:
    data = tmp_path_factory.mktemp("logs") / "data"
    archive = Archive(Settings(data_dir=data, centre="ЦНАП"))
    archive.init()
    docs = {
        "a": make_document(archive, application("журнальна"), case="2026/7", department="ДМС").id,
        "b": make_document(archive, application("інша"), case="2026/8", department="ЖКГ").id,
    }
    with archive.db.session() as s:
        for login, role, dept in (("adm", Role.administrator, None), ("off", Role.official, "ДМС"),
                                  ("dpo", Role.dpo, None)):  # fmt: skip
            add_user(s, login, role, password_hash=hash_password(PASSWORD), centre="ЦНАП",
                     department=dept)  # fmt: skip
    archive.close()
    port = _free_port()
    env = {**os.environ, "CNAP_DATA_DIR": str(data), "CNAP_CENTRE": "ЦНАП",
           "CNAP_LOG_LEVEL": "DEBUG", "CNAP_SERVER__ACCESS_LOG": "true"}  # fmt: skip
    stderr = (data.parent / "server.stderr").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=stderr,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield base, data, docs
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        stderr.close()


def _token(base: str, login: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/token", data={"username": login, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _scan(paths: list[Path]) -> list[str]:
    leaks = []
    for path in paths:
        content = path.read_text(encoding="utf-8", errors="replace")
        for secret in [*SECRETS, *TEXT]:
            if secret in content:
                leaks.append(f"{path}: {secret[:4]}…")
    return leaks


def test_server_and_cli_logs_hold_no_personal_data(
    server: tuple[str, Path, dict[str, str]],
) -> None:
    base, data, docs = server
    with httpx.Client(base_url=base, timeout=30) as c:
        c.post("/api/auth/token", data={"username": RNOKPP, "password": PHONE})  # failed login
        adm, off, dpo = _token(base, "adm"), _token(base, "off"), _token(base, "dpo")
        assert c.get(f"/api/documents/{docs['a']}", headers=off).status_code == 200
        c.get(f"/api/documents/{docs['b']}", headers=off)  # denied
        c.get(f"/api/documents/{docs['b']}", params={"reason": f"дзвінок {PHONE} {NAME}"},
              headers=off)  # fmt: skip
        c.get(f"/api/documents/{docs['a']}/pdf", headers=adm)
        c.get(f"/api/documents/{docs['a']}/redacted", headers=adm)
        c.get(f"/api/documents/{docs['a']}/pages/1/image", headers=adm)
        assert c.get("/api/search", params={"q": RNOKPP}, headers=adm).json()["total"] >= 1
        c.get("/api/search", params={"q": f'"{NAME}"'}, headers=off)
        c.get("/api/search/identifier", params={"value": IBAN}, headers=adm)
        c.get("/api/audit/subject", params={"q": RNOKPP_2, "format": "pdf"}, headers=dpo)
        c.get(f"/api/documents/{RNOKPP}", headers=adm)  # not found, identifier in the path
    env = {**os.environ, "CNAP_DATA_DIR": str(data), "CNAP_LOG_LEVEL": "DEBUG"}
    for args in (
        ["search", RNOKPP, "--json"],
        ["show", RNOKPP],
        ["--as", RNOKPP, "audit", "subject", NAME],
    ):
        proc = subprocess.run([sys.executable, "-m", "api", *args], env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert "Traceback" not in proc.stderr
    logs = sorted((data / "logs").glob("*.log*"))
    assert logs and sum(p.stat().st_size for p in logs) > 0
    # The workers wrote their request lines to the file, the query strings dropped.
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)
    assert "uvicorn.access: 127.0.0.1:" in text and '"GET /api/search?… HTTP/1.1" 200' in text
    assert _scan([*logs, data.parent / "server.stderr"]) == []


def test_logs_written_during_the_suite_hold_no_personal_data(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = tmp_path_factory.getbasetemp()
    logs = [p for p in root.rglob("*.log*") if p.is_file() and "logs" in p.parts]
    assert _scan(logs) == []
