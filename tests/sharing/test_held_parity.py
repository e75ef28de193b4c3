"""``cnap-archive held …`` and ``/api/intake/held…`` give the same answers and audit entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from archive import cases as ops
from archive.audit import AuditEntry
from archive.settings import Settings
from backends import Archive
from ingest.mail.intake import take
from tests.desk.cli import cli
from tests.desk.conftest import HOME
from tests.sharing.test_held import mail_raw
from tests.synthetic import born_digital_pdf
from tests.test_parity import _stable

PASSWORD = "correct horse battery"
REASON = "Лист надіслано помилково, справи немає"


def _seed(data: Path, pdf: bytes) -> str:
    """An administrator, a case and two e-mails with no case reference (held)."""
    run = cli(data, "user", "add", "olena", "--role", "administrator", stdin=PASSWORD + "\n")
    assert run.returncode == 0, run.stderr
    archive = Archive(Settings(data_dir=data, centre=HOME))
    try:
        with archive.db.session() as s:
            number = ops.register(
                s, archive.settings, ops.Registration(service="Послуга", centre=HOME)
            ).case.number
        for n in (1, 2):
            raw = mail_raw("Документи", [(f"kopia-{n}.pdf", pdf)], f"<parity-{n}@test>")
            assert take(archive, raw, submit=lambda _d: None, actor="mail").state == "held"
    finally:
        archive.close()
    return number


def _entries(data: Path) -> list[tuple[str, str, str | None]]:
    archive = Archive(Settings(data_dir=data, centre=HOME))
    try:
        with archive.db.session() as s:
            rows = s.scalars(select(AuditEntry).order_by(AuditEntry.seq))
            return [(e.action, e.outcome, e.case) for e in rows if e.action.startswith("intake.")]
    finally:
        archive.close()


def _json(run: Any) -> Any:
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)


def test_held_review_parity(tmp_path: Path) -> None:
    pdf = born_digital_pdf([["Копія документа з листа"]], tmp_path / "k.pdf").read_bytes()
    cli_data, http_data = tmp_path / "cli", tmp_path / "http"
    number = _seed(cli_data, pdf)
    assert _seed(http_data, pdf) == number
    me = ("--as", "olena")
    by_cli = {
        "list": _json(cli(cli_data, *me, "held", "list", "--json")),
        "attach": _json(
            cli(cli_data, *me, "held", "attach", "mail", "1", "--case", number, "--json")
        ),
        "again": _json(
            cli(cli_data, *me, "held", "attach", "mail", "1", "--case", number, "--json")
        ),
        "reject": _json(
            cli(cli_data, *me, "held", "reject", "mail", "2", "--reason", REASON, "--json")
        ),
        "after": _json(cli(cli_data, *me, "held", "list", "--kind", "mail", "--json")),
    }
    with TestClient(create_app(Settings(data_dir=http_data, centre=HOME))) as client:
        r = client.post("/api/auth/token", data={"username": "olena", "password": PASSWORD})
        h = {"Authorization": f"Bearer {r.json()['access_token']}"}
        url = "/api/intake/held"
        by_http = {
            "list": client.get(url, headers=h).json(),
            "attach": client.post(f"{url}/mail/1/attach", headers=h, json={"case": number}).json(),
            "again": client.post(f"{url}/mail/1/attach", headers=h, json={"case": number}).json(),
            "reject": client.post(
                f"{url}/mail/2/reject", headers=h, json={"reason": REASON}
            ).json(),
            "after": client.get(url, headers=h, params={"kind": "mail"}).json(),
        }
    assert len(by_cli["list"]["items"]) == 2 and by_cli["attach"]["state"] == "archived"
    assert by_cli["again"]["replay"] and by_cli["reject"]["state"] == "rejected"
    assert by_cli["after"]["items"] == []
    for step in by_cli:
        assert _stable(by_cli[step]) == _stable(by_http[step]), step
    assert _entries(cli_data) == _entries(http_data) != []
