"""``fixity check [--sample N]``: re-read stored objects, report corruption, record a PREMIS
fixity event per object; the results list; refused to roles without the capability."""

from __future__ import annotations

import datetime as dt
import json
import logging
import stat

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app
from archive.models import Document, Tier
from archive.retention_models import FixityCheck
from archive.users import Role, add_user
from tests.retention.conftest import CENTRE, Centre, make_case
from usecases import retention as uc
from usecases.errors import Denied

D = dt.date


def _cli(c: Centre, *args: str) -> tuple[int, str]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    env = {"CNAP_DATA_DIR": str(c.archive.settings.data_dir), "CNAP_CENTRE": CENTRE}
    try:
        r = CliRunner().invoke(app, ["--as", "arch", *args], env=env)
    finally:
        root.handlers[:], root.level = handlers, level
    return r.exit_code, r.stdout


def _world(c: Centre) -> list[str]:
    with c.archive.db.session() as s:
        add_user(s, "arch", Role.archivist, password_hash=None, centre=CENTRE)
    for i in range(3):
        make_case(c, i, registered=D(2026, 1, 5), ready=D(2026, 1, 31))
    with c.archive.db.session() as s:
        return list(s.scalars(select(Document.sha256).order_by(Document.id)))


def _corrupt(c: Centre, sha: str) -> None:
    path = c.archive.store.path(sha, Tier.operational)  # type: ignore[attr-defined]
    path.chmod(path.stat().st_mode | stat.S_IWUSR)
    path.write_bytes(b"bit rot")


def test_fixity_check_reports_corruption_and_records_events(centre: Centre) -> None:
    c = centre
    shas = _world(c)
    code, out = _cli(c, "fixity", "check", "--json")
    assert code == 0, out
    assert json.loads(out)["checked"] == 6 and json.loads(out)["ok"] == 6
    _corrupt(c, shas[2])
    c.archive.store.delete(shas[4], Tier.operational)
    code, out = _cli(c, "fixity", "check", "--json")
    rep = json.loads(out)
    assert code == 3
    assert (rep["ok"], rep["corrupt"], rep["missing"]) == (4, 1, 1)
    assert {(p["sha256"], p["outcome"]) for p in rep["problems"]} == {
        (shas[2], "corrupt"),
        (shas[4], "missing"),
    }
    with c.archive.db.session() as s:
        events = [(f.sha256, f.outcome) for f in s.scalars(select(FixityCheck))]
    assert len(events) == 12 and (shas[2], "corrupt") in events
    # The run is in the access log, marked failed; the results list shows the damage.
    entries = c.events.log.entries(actions=["fixity.check"])
    assert [e.outcome for e in entries] == ["allowed", "failed"]
    res = uc.fixity_results(c.ctx())
    assert res.by_outcome == {"ok": 10, "corrupt": 1, "missing": 1}
    assert {p["sha256"] for p in res.problems} == {shas[2], shas[4]}
    # Human output names the counts, not the documents.
    code, out = _cli(c, "fixity", "check")
    assert code == 3 and "пошкоджені 1" in out


def test_fixity_sample(centre: Centre) -> None:
    c = centre
    _world(c)
    code, out = _cli(c, "fixity", "check", "--sample", "2", "--json")
    assert code == 0 and json.loads(out)["checked"] == 2
    with pytest.raises(Denied):
        uc.fixity_check(c.ctx(Role.administrator, "adm"))
    with pytest.raises(Denied):
        uc.fixity_results(c.ctx(Role.official, "off"))


def test_daily_round_counts_what_is_due_and_samples_fixity(centre: Centre) -> None:
    from retention import schedule

    c = centre
    make_case(c, 1, registered=D(2026, 1, 5), ready=D(2026, 1, 31))  # contact: post it
    make_case(c, 2, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None)
    out = schedule.daily(c.archive, D(2026, 5, 4), fixity_sample=1)
    assert out == {
        "due_notify": 1,
        "due_transfer": 1,
        "fixity_checked": 1,
        "fixity_corrupt": 0,
        "fixity_missing": 0,
    }
    assert schedule.daily(c.archive, D(2026, 3, 1), fixity_sample=0) == {}


def test_the_server_runs_the_round(centre: Centre, caplog: pytest.LogCaptureFixture) -> None:
    from usecases import periodic

    job = next(j for j in periodic.jobs(centre.archive.settings) if j.name == "retention-round")
    with caplog.at_level(logging.INFO, logger="usecases.periodic"):
        periodic.run_job(job, centre.archive)
    assert "periodic job retention-round" in caplog.text
