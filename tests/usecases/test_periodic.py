"""Periodic jobs: the beat schedule holds the jobs at the configured intervals, each
job works against the embedded backends as the system principal, and a real Celery
worker with beat (over Redis) runs a scheduled job."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.audit import Action
from archive.doctypes import DocType
from archive.settings import Settings
from backends import Archive
from ingest.dispatch.base import PeriodicJob
from ingest.dispatch.celery_dispatch import PERIODIC_TASK, QUEUE, beat_schedule
from ingest.metadata.seed import specimen
from tests.metadata.helpers import ctx_for, put_document
from usecases import metadata as metadata_uc
from usecases import periodic
from usecases.context import events_for

ROOT = Path(__file__).resolve().parents[2]


def _entries(archive: Archive, action: Action) -> list[object]:
    return [
        e
        for e in events_for(archive).log.entries(limit=10_000)
        if e.action == action.value and e.actor == periodic.SYSTEM_LOGIN
    ]


def test_the_schedule_has_the_jobs_at_their_intervals(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        schedule={"retention_hours": 12, "retrain_hours": 6},
        audit={"seal_minutes": 30},
        mail={"imap_url": "imap://u:p@localhost:1143/", "poll_seconds": 90},
    )
    sched = beat_schedule(periodic.jobs(settings))
    assert {k: v["schedule"] for k, v in sched.items()} == {
        "retention-round": 12 * 3600.0,
        "classifier-retrain": 6 * 3600.0,
        "audit-seal": 30 * 60.0,
        "mail-intake": 90.0,
    }
    assert sched["audit-seal"]["task"] == PERIODIC_TASK.format("audit-seal")
    assert all(v["options"]["queue"] == QUEUE for v in sched.values())
    # No mailbox configured: no mail job. The embedded server seals on its own timer.
    names = [j.name for j in periodic.jobs(Settings(data_dir=tmp_path), seal=False)]
    assert names == ["retention-round", "classifier-retrain"]


def test_the_jobs_run_as_the_system_principal(archive: Archive) -> None:
    assert periodic.run_job(_job(archive, "retention-round"), archive) is not None
    assert len(_entries(archive, Action.retention_round)) == 1
    put_document(archive, "перший документ")  # something in the log to seal
    out = periodic.seal_audit(archive)
    assert out["sealed_seq"] > 0 and len(_entries(archive, Action.audit_seal)) == 1
    # Mail intake is off without a mailbox: nothing is read, nothing logged.
    assert periodic.read_mail(archive) == {"messages": 0}
    assert _entries(archive, Action.mail_intake) == []


def test_retraining_only_after_new_corrections(archive: Archive) -> None:
    assert periodic.retrain_classifier(archive) == {"new_corrections": 0, "retrained": 0}
    doc = put_document(archive, specimen(DocType.contract, 1).text)
    metadata_uc.correct_document_type(ctx_for(archive), document_id=doc, type="decision")
    assert periodic.retrain_classifier(archive) == {"new_corrections": 1, "retrained": 1}
    assert len(_entries(archive, Action.metadata_retrain)) == 1
    # The model now includes that correction: the next round has nothing to do.
    assert periodic.retrain_classifier(archive)["retrained"] == 0


def _job(archive: Archive, name: str) -> PeriodicJob:
    return next(j for j in periodic.jobs(archive.settings) if j.name == name)


@pytest.mark.services
@pytest.mark.slow
def test_a_celery_worker_with_beat_runs_a_scheduled_job(tmp_path: Path) -> None:
    import redis

    from tests.services import service_urls

    broker = service_urls()["CNAP_BROKER_URL"].rsplit("/", 1)[0] + "/5"
    redis.Redis.from_url(broker).flushdb()
    data = tmp_path / "data"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CNAP_")},
        "CNAP_DATA_DIR": str(data),
        "CNAP_BROKER_URL": broker,
        # Sealing every 6 s (the shortest interval the job allows).
        "CNAP_AUDIT__SEAL_MINUTES": "0.1",
    }
    archive = Archive(Settings(data_dir=data))
    archive.init()
    put_document(archive, "документ до печатки")
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "api", "worker", "--concurrency", "2", "--beat"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not _entries(archive, Action.audit_seal):
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(1)
        assert _entries(archive, Action.audit_seal), (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        archive.close()
