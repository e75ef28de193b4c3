"""SIGKILL ``retention apply`` at many points and re-run: the end state equals an
uninterrupted run, and every step has exactly one audit entry."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive.models import Case, CaseEvent, Document, Tier
from archive.retention_models import PlanItem, Tombstone
from archive.settings import Settings
from archive.users import Role, add_user
from backends import Archive
from tests.retention.conftest import CENTRE, Centre, make_case, objects
from usecases import access
from usecases import retention as uc

D = dt.date
ROOT = Path(__file__).resolve().parents[2]


def _centre(tmp: Path, db: str | None = None) -> Centre:
    archive = Archive(Settings(data_dir=tmp, centre=CENTRE, database_url=db))
    archive.init()
    c = Centre(archive, access.events_for(archive))
    with archive.db.session() as s:
        add_user(s, "arch", Role.archivist, password_hash=None, centre=CENTRE)
    for i in range(4):
        make_case(c, i, registered=D(2024, 1, 5), ready=D(2024, 1, 20), collected=D(2024, 2, 1))
        make_case(c, 10 + i, registered=D(2027, 9, 5), ready=D(2027, 9, 30), contact=None)
    plan = uc.draft_plan(c.ctx(), as_of=D(2028, 2, 1))
    uc.approve_plan(c.ctx(), number=plan.number, decision="ЕК-1", date=D(2028, 1, 20))
    uc.agree_plan(c.ctx(), number=plan.number, reference="ЕПК-1", date=D(2028, 1, 25))
    return c


def _state(c: Centre) -> dict[str, Any]:
    with c.archive.db.session() as s:
        return {
            "items": sorted(
                (i.case_number, i.action, i.state) for i in s.scalars(select(PlanItem))
            ),
            "docs": sorted((d.sha256, str(d.original_tier)) for d in s.scalars(select(Document))),
            "tombs": sorted(t.case_number for t in s.scalars(select(Tombstone))),
            "events": sorted(
                (e.case_id, e.kind)
                for e in s.scalars(select(CaseEvent).where(CaseEvent.kind.like("retention.%")))
            ),
            "status": sorted((x.number, str(x.status)) for x in s.scalars(select(Case))),
            "op": len(objects(c, Tier.operational)),
            "audit": sorted(
                # The step key without the plan id (each world has its own).
                (e.action, str((e.details or {}).get("step")).split(":", 1)[1])
                for e in c.events.log.entries(
                    actions=[
                        "retention.transfer",
                        "retention.destroy",
                        "retention.act",
                        "retention.export",
                    ]
                )
            ),
        }


def _apply(data: Path, crash_at: int | None, db: str | None = None) -> int:
    env = {**os.environ, "CNAP_DATA_DIR": str(data)}
    env.pop("CNAP_RETENTION_CRASH_AT", None)
    if crash_at is not None:
        env["CNAP_RETENTION_CRASH_AT"] = str(crash_at)
    env.pop("CNAP_DATABASE_URL", None)
    env.pop("CNAP_STORAGE_URL", None)
    if db is not None:
        env["CNAP_DATABASE_URL"] = db
    r = subprocess.run(
        [sys.executable, "-m", "api", "--as", "arch", "retention", "apply", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    return r.returncode


def test_killed_apply_resumes_to_the_same_end(tmp_path: Path) -> None:
    _kill_and_resume(tmp_path, None, None)


@pytest.mark.services
def test_killed_apply_resumes_on_postgresql(tmp_path: Path) -> None:
    from tests.services import isolated_pg_url

    _kill_and_resume(tmp_path, isolated_pg_url(), isolated_pg_url())


def _kill_and_resume(tmp_path: Path, db_clean: str | None, db_killed: str | None) -> None:
    clean = _centre(tmp_path / "clean", db_clean)
    assert _apply(tmp_path / "clean", None, db_clean) == 0
    want = _state(clean)
    clean.archive.close()
    killed = _centre(tmp_path / "killed", db_killed)
    rng = random.Random(12)
    kills = 0
    for _ in range(30):
        code = _apply(tmp_path / "killed", rng.randint(1, 12), db_killed)
        if code == 0:
            break
        assert code == -9
        kills += 1
    else:
        raise AssertionError("apply never completed")
    assert _apply(tmp_path / "killed", None, db_killed) == 0
    assert kills >= 2
    got = _state(killed)
    killed.archive.close()
    # Same items, same tiers, same tombstones, same events, one audit entry per step.
    assert got["items"] == want["items"]
    assert got["docs"] == want["docs"]
    assert got["tombs"] == want["tombs"]
    assert got["status"] == want["status"]
    assert got["op"] == want["op"]
    assert got["audit"] == want["audit"] and len(set(got["audit"])) == len(got["audit"])
    assert [k for _c, k in got["events"]] == [k for _c, k in want["events"]]
    # The transfer package was built once, completely, whatever the kills interrupted.
    import bagit

    bagit.Bag(str(tmp_path / "killed" / "exports" / "plan-1")).validate()
    assert not (tmp_path / "killed" / "exports" / "plan-1.part").exists()
