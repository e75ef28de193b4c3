"""The command line and the HTTP API are two doors to the same use cases.

One scenario — a sysadmin adds a desk administrator, an official and a DPO;
the administrator registers a case, sends it, records the notice and the
hand-over, reads the case, the day's queue and the accounts waiting for
approval, searches and opens the archived inventory; the official reads the
cases of the department; the DPO verifies the log — runs once through the
command line and once through HTTP, each on an archive of its own. The
answers must be the same, and so must the audit entries the two archives
wrote (the same actions, outcomes and cases, in the same order), apart from
who the bootstrap actor is and the address each door records.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from archive.audit import AuditEntry
from archive.settings import Settings
from backends import Archive
from tests.api.helpers import build_pdf
from tests.desk.cli import cli
from tests.desk.conftest import HOME

pytestmark = pytest.mark.ocr

PASSWORD = "correct horse battery"
SERVICE = "Реєстрація місця проживання"
APPLICANT = "Шевченко Тарас Григорович"

# Values that differ between two runs by nature (ids, times, file paths, addresses).
VOLATILE = {
    "id",
    "at",
    "at_local",
    "registered_at",
    "registered_local",
    "received_at",
    "cover_sheet",
    "inventory",
    "cover_sheet_url",
    "inventory_url",
    "inventory_document_id",
    "document_id",
    "documents",
    "sha256",
    "score",
    "pdfa_sha256",
    "created_at",
    "processed_at",
    "archived_at",
    "accepted_at",
    "updated_at",
}


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _stable(v)
            for k, v in value.items()
            if k not in VOLATILE and not k.endswith(("_at", "_local"))
        }
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str):
        # Printed forms carry the date and time they were made.
        return re.sub(r"\d{1,2}[.:]\d{2}([.:]\d{2,4})?", "#", value)
    return value


def _diff(step: str, a: Any, b: Any) -> str:
    import difflib

    lines = difflib.unified_diff(
        json.dumps(a, ensure_ascii=False, indent=1, sort_keys=True).splitlines(),
        json.dumps(b, ensure_ascii=False, indent=1, sort_keys=True).splitlines(),
        "cli",
        "http",
        lineterm="",
    )
    return f"{step}:\n" + "\n".join(lines)


def _entries(data_dir: Path) -> list[tuple[str, str, str | None]]:
    """(action, outcome, case) of every entry the non-bootstrap users wrote."""
    archive = Archive(Settings(data_dir=data_dir, centre=HOME))
    try:
        with archive.db.session() as s:
            rows = s.query(AuditEntry).order_by(AuditEntry.seq).all()
            return [
                (e.action, e.outcome, e.case)
                for e in rows
                # Sign-ins are HTTP's own; metadata reads are the HTTP client's polling.
                if e.actor in ("olena", "ivan", "dpo1")
                and not e.action.startswith("auth.")
                and e.action != "document.metadata"
            ]
    finally:
        archive.close()


def _json(run: Any) -> Any:
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)


def _scan(folder: Path) -> Path:
    """A born-digital application, the same bytes for both doors."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf, _ = build_pdf([["Заява про реєстрацію місця проживання", "Прошу зареєструвати"]])
    path = folder / "заява.pdf"
    path.write_bytes(pdf)
    return path


def _through_cli(data: Path) -> dict[str, Any]:
    for login, role in (("olena", "administrator"), ("ivan", "official"), ("dpo1", "dpo")):
        extra = ("--department", "ДМС") if role == "official" else ()
        run = cli(data, "user", "add", login, "--role", role, *extra, stdin=PASSWORD + "\n")
        assert run.returncode == 0, run.stderr
    me = ("--as", "olena")
    reg = _json(
        cli(
            data,
            *me,
            "case",
            "register",
            "--service",
            SERVICE,
            "--applicant",
            APPLICANT,
            "--item",
            "Заява:1",
            "--notify",
            "email",
            "--contact",
            "taras@example.com",
            "--json",
        )
    )
    number = reg["number"]
    scan = _scan(data.parent / "cli-scan")
    ingested = json.loads(
        cli(data, *me, "ingest", str(scan), "--case", number, "--json").stdout.splitlines()[0]
    )
    ingested["file"] = Path(ingested["file"]).name
    sent = _json(cli(data, *me, "case", "send", number, "--to", "ДМС", "--json"))
    told = _json(cli(data, *me, "case", "notify", number, "--method", "email", "--json"))
    issued = _json(
        cli(data, *me, "case", "issue", number, "--to", "applicant", "--document", "ID", "--json")
    )
    shown = _json(cli(data, *me, "case", "show", number, "--json"))
    day = _json(cli(data, *me, "case", "queue", "--json"))
    pending = _json(cli(data, *me, "user", "pending", "--json"))
    department = _json(cli(data, "--as", "ivan", "case", "department", "--json"))
    found = _json(cli(data, *me, "search", "опис", "--json"))
    doc = _json(cli(data, *me, "show", reg["inventory_document_id"], "--json"))
    verified = _json(cli(data, "--as", "dpo1", "audit", "verify", "--json"))
    return {
        "register": reg,
        "ingest": ingested,
        "send": sent,
        "notify": told,
        "issue": issued,
        "show_case": shown,
        "desk_queue": day,
        "pending_users": pending,
        "department_cases": department,
        "search": found,
        "show_document": doc,
        "verify": verified,
    }


@pytest.fixture
def http(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    data = tmp_path / "http"
    # The local console bootstraps a sysadmin and an administrator; accounts the
    # sysadmin then makes over HTTP wait for the administrator's approval.
    for login, role in (("root", "sysadmin"), ("boss", "administrator")):
        run = cli(data, "user", "add", login, "--role", role, stdin=PASSWORD + "\n")
        assert run.returncode == 0, run.stderr
    with TestClient(create_app(Settings(data_dir=data, centre=HOME))) as client:
        yield client, data


def _token(client: TestClient, login: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": login, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _ok(r: Any) -> Any:
    assert r.status_code in (200, 201), r.text
    return r.json()


def _through_http(client: TestClient) -> dict[str, Any]:
    root = _token(client, "root")
    for login, role in (("olena", "administrator"), ("ivan", "official"), ("dpo1", "dpo")):
        body = {"login": login, "role": role, "password": PASSWORD, "centre": HOME}
        if role == "official":
            body["department"] = "ДМС"
        _ok(client.post("/api/users", headers=root, json=body))
    boss = _token(client, "boss")
    for login in ("olena", "ivan", "dpo1"):
        _ok(client.post(f"/api/users/{login}/approve", headers=boss))
    me = _token(client, "olena")
    reg = _ok(
        client.post(
            "/api/cases",
            headers=me,
            json={
                "service": SERVICE,
                "applicant": APPLICANT,
                "items": [{"title": "Заява", "sheets": 1}],
                "notify": "email",
                "contact": "taras@example.com",
            },
        )
    )
    cid = reg["id"]
    # The command line waits for the archived inventory copy (``--wait``); HTTP answers
    # at once, so the client waits for it as the station agent does.
    deadline = time.monotonic() + 120
    url = f"/api/documents/{reg['inventory_document_id']}/metadata"
    while _ok(client.get(url, headers=me))["state"] != "archived":
        assert time.monotonic() < deadline, "the inventory copy was never archived"
        time.sleep(0.2)
    scan = _scan(Path(client.app.state.archive.settings.data_dir).parent / "http-scan")  # type: ignore[attr-defined]
    ingested = _ok(
        client.post(
            "/api/documents",
            headers=me,
            files={"file": (scan.name, scan.read_bytes(), "application/pdf")},
            data={"case": reg["number"], "source": "scanner"},
        )
    )
    sent = _ok(client.post(f"/api/cases/{cid}/send", headers=me, json={"department": "ДМС"}))
    told = _ok(client.post(f"/api/cases/{cid}/notify", headers=me, json={"method": "email"}))
    issued = _ok(
        client.post(
            f"/api/cases/{cid}/issue", headers=me, json={"to": "applicant", "document": "ID"}
        )
    )
    shown = _ok(client.get(f"/api/cases/{cid}", headers=me))
    day = _ok(client.get("/api/desk/queue", headers=me))
    pending = _ok(client.get("/api/users/pending", headers=me))
    department = _ok(client.get("/api/department/cases", headers=_token(client, "ivan")))
    found = _ok(client.get("/api/search", headers=me, params={"q": "опис"}))
    doc = _ok(client.get(f"/api/documents/{reg['inventory_document_id']}", headers=me))
    verified = _ok(client.get("/api/audit/verify", headers=_token(client, "dpo1")))
    return {
        "register": reg,
        "ingest": ingested,
        "send": sent,
        "notify": told,
        "issue": issued,
        "show_case": shown,
        "desk_queue": day,
        "pending_users": pending,
        "department_cases": department,
        "search": found,
        "show_document": doc,
        "verify": verified,
    }


def test_the_command_line_and_http_give_the_same_answers_and_audit_entries(
    tmp_path: Path, http: tuple[TestClient, Path]
) -> None:
    by_cli = _through_cli(tmp_path / "cli")
    client, http_data = http
    by_http = _through_http(client)
    for step in by_cli:
        a, b = _stable(by_cli[step]), _stable(by_http[step])
        if step == "register":
            # Only HTTP answers with URLs of the forms, only the CLI with their paths.
            shared = a.keys() & b.keys()
            a, b = {k: a[k] for k in shared}, {k: b[k] for k in shared}
        if step == "verify":
            a, b = a["ok"], b["ok"]
        if step == "show_document":
            # The document shown is the printed inventory: its bytes carry the time it was
            # made, so their count varies by a byte or so like their SHA-256 (volatile above).
            a, b = ({k: v for k, v in x.items() if k != "size"} for x in (a, b))
        assert a == b, _diff(step, a, b)
    assert len(by_cli["search"]["hits"]) == len(by_http["search"]["hits"]) >= 1
    # The lists are not empty: the case is today's, and done in the official's department.
    assert [r["number"] for r in by_cli["desk_queue"]["today"]] == [by_cli["register"]["number"]]
    assert [r["number"] for r in by_cli["department_cases"]["done"]] == [
        by_cli["register"]["number"]
    ]
    assert by_cli["pending_users"] == by_http["pending_users"] == []  # both approved
    cli_entries = _entries(tmp_path / "cli")
    http_entries = _entries(http_data)
    assert cli_entries == http_entries
    assert cli_entries, "the scenario wrote no audit entries"
