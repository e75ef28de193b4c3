"""The access-log use cases without HTTP: who may, one entry each, and ``audit verify``
logged alike on the command line and over HTTP (whole chain or broken)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from archive.audit import AccessEvent, Action, AuditLog, Outcome
from archive.settings import Settings
from archive.users import Role, add_user
from backends import Archive
from tests.usecases.conftest import MakeContext, head, run_cli, tail
from usecases import audit
from usecases.audit import ReportFormat
from usecases.errors import Conflict, Denied
from usecases.passwords import hash_password
from usecases.registry import USE_CASES

PASSWORD = "correct horse battery"

CALLS: dict[str, tuple[Callable[..., Any], set[Role]]] = {
    "audit.verify": (audit.verify_log, {Role.dpo, Role.sysadmin}),
    "audit.seal": (audit.seal_log, {Role.dpo, Role.sysadmin}),
    "audit.purge": (audit.purge_log, {Role.dpo, Role.sysadmin}),
    "audit.read": (audit.read_entries, {Role.dpo}),
    "audit.review": (audit.review, {Role.dpo}),
    "audit.subject": (lambda ctx: audit.subject_access(ctx, query="3300912353"), {Role.dpo}),
}


@pytest.mark.parametrize("action", sorted(CALLS))
@pytest.mark.parametrize("role", list(Role))
def test_each_call_is_allowed_or_denied_and_logged_once(
    ctx_as: MakeContext, action: str, role: Role
) -> None:
    call, allowed = CALLS[action]
    ctx = ctx_as(role, department="ДМС")
    start = head(ctx)
    if role in allowed:
        call(ctx)
        assert [(e.action, e.outcome) for e in tail(ctx, start)] == [(action, "allowed")]
    else:
        with pytest.raises(Denied):
            call(ctx)
        assert [(e.action, e.outcome) for e in tail(ctx, start)] == [(action, "denied")]


def test_registered_actions() -> None:
    assert {n: USE_CASES[n].audit for n in USE_CASES if n.startswith("audit.")} == {
        "audit.verify_log": Action.audit_verify,
        "audit.seal_log": Action.audit_seal,
        "audit.purge_log": Action.audit_purge,
        "audit.read_entries": Action.audit_read,
        "audit.review": Action.audit_review,
        "audit.subject_access": Action.audit_subject,
    }


def test_entries_and_review_find_what_was_logged(ctx_as: MakeContext) -> None:
    ctx = ctx_as(Role.dpo)
    ctx.events.publish(AccessEvent(actor="olena", action=Action.document_text, document_id="d1",
                                   break_glass=True, purpose="Запит суду"))  # fmt: skip
    ctx.events.publish(AccessEvent(actor="ira", action=Action.document_pdf, outcome=Outcome.denied))
    found = audit.read_entries(ctx, user="olena")
    assert [e.action for e in found.entries] == ["document.text"]
    assert found.as_json()["count"] == 1 and found.as_csv().startswith("seq,at,actor")
    assert audit.read_entries(ctx, document="d1").entries_json()[0]["documents"] == ["d1"]
    seen = audit.review(ctx)
    assert [e.actor for e in seen.break_glass] == ["olena"]
    assert [e.actor for e in seen.denials] == ["ira"]
    assert tail(ctx)[-3].details == {"filters": {"user": "olena"}, "entries": 1}


@pytest.mark.parametrize(
    ("fmt", "media", "start"),
    [
        (ReportFormat.json, "application/json", b"{"),
        (ReportFormat.csv, "text/csv; charset=utf-8", b"seq,at,actor"),
        (ReportFormat.pdf, "application/pdf", b"%PDF"),
    ],
)
def test_subject_answer_in_each_format(
    ctx_as: MakeContext, fmt: ReportFormat, media: str, start: bytes
) -> None:
    ctx = ctx_as(Role.dpo)
    answer = audit.subject_access(ctx, query="3300912353", fmt=fmt)
    assert answer.media_type == media and answer.body.startswith(start)
    assert (answer.report.integrity is not None) == (fmt == ReportFormat.pdf)
    assert tail(ctx)[-1].details == {"format": fmt.value, "entries": 0}


def _break(archive: Archive, seq: int) -> None:
    with archive.db.session() as s:
        s.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        s.execute(text(f"UPDATE audit_log SET purpose = 'підчищено' WHERE seq = {seq}"))


def test_broken_chain_is_reported_logged_and_never_purged(ctx_as: MakeContext) -> None:
    ctx = ctx_as(Role.dpo)
    for _ in range(3):
        ctx.events.publish(AccessEvent(actor="x", action=Action.search))
    _break(ctx.archive, 2)
    start = head(ctx)
    report = audit.verify_log(ctx)
    assert not report.ok and report.first_broken == 2
    assert [e.action for e in tail(ctx, start)] == ["audit.verify"]
    with pytest.raises(Conflict):
        audit.purge_log(ctx)


# --- audit verify: one entry on the command line and over HTTP -------------------------


def _verify_entries(data: Path) -> list[tuple[str, str]]:
    archive = Archive(Settings(data_dir=data))
    try:
        rows = AuditLog(archive.db).entries(actions=["audit.verify"], limit=100_000)
        return [(e.actor, e.outcome) for e in rows]
    finally:
        archive.close()


def test_verify_is_audited_on_the_command_line_whole_or_broken(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli(data, "audit", "seal")[0] == 0
    assert run_cli(data, "audit", "verify")[0] == 0
    assert len(_verify_entries(data)) == 1
    archive = Archive(Settings(data_dir=data))
    _break(archive, 1)
    archive.close()
    assert run_cli(data, "audit", "verify", "--json")[0] == 1
    assert len(_verify_entries(data)) == 2  # the broken check is logged too (it was not)


@pytest.fixture
def http(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    data = tmp_path / "http"
    with TestClient(create_app(Settings(data_dir=data))) as client:
        with client.app.state.archive.db.session() as s:  # type: ignore[attr-defined]
            add_user(s, "ira", Role.dpo, password_hash=hash_password(PASSWORD))
        r = client.post("/api/auth/token", data={"username": "ira", "password": PASSWORD})
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield client, data


def test_verify_is_audited_over_http(http: tuple[TestClient, Path]) -> None:
    client, data = http
    r = client.get("/api/audit/verify")
    assert r.status_code == 200 and r.json()["ok"] is True
    assert _verify_entries(data) == [("ira", "allowed")]
