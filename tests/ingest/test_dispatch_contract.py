"""Contract tests of work dispatch, run unchanged against the in-process pool and
against Celery workers over the real Redis (same embedded database and store,
so the dispatcher is the only thing that changes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.models import DocState, Document, IndexOutbox, Page
from archive.settings import Settings
from backends import Archive
from ingest.dispatch import Dispatcher, LocalDispatcher, open_dispatcher
from ingest.pipeline import accept_file
from search.base import SearchQuery
from tests.synthetic import born_digital_pdf, degrade, render_page, ukrainian_lines


@dataclass
class Rig:
    archive: Archive
    dispatcher: Dispatcher
    settings: Settings
    env: dict[str, str]
    kind: str


@contextmanager
def celery_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api", "worker", "--concurrency", "1"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


@pytest.fixture(params=["local", pytest.param("celery", marks=pytest.mark.services)])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    data = tmp_path / "data"
    env = {**os.environ, "CNAP_DATA_DIR": str(data)}
    if request.param == "celery":
        import redis

        from tests.services import service_urls

        broker = service_urls()["CNAP_BROKER_URL"].rsplit("/", 1)[0] + "/4"
        redis.Redis.from_url(broker).flushdb()
        env["CNAP_BROKER_URL"] = broker
    settings = Settings(data_dir=data, broker_url=env.get("CNAP_BROKER_URL"))
    archive = Archive(settings)
    archive.init()
    dispatcher = open_dispatcher(archive)
    rig = Rig(archive, dispatcher, settings, env, request.param)
    if request.param == "celery":
        with celery_worker(env, tmp_path / "worker.log"):
            yield rig
    else:
        yield rig
    dispatcher.close()
    archive.close()


def pdfs(folder: Path, n: int) -> list[Path]:
    folder.mkdir(exist_ok=True)
    return [born_digital_pdf([[f"Документ {i}", *ukrainian_lines(i, 5)]], folder / f"d{i}.pdf")
            for i in range(n)]  # fmt: skip


def states(archive: Archive) -> dict[str, tuple[DocState, int]]:
    with archive.db.session() as s:
        return {d.id: (d.state, d.attempts) for d in s.scalars(select(Document))}


def test_submitted_work_is_done_once(rig: Rig, tmp_path: Path) -> None:
    ids = [accept_file(rig.archive, p).document_id for p in pdfs(tmp_path / "in", 3)]
    for doc_id in ids + ids:  # submitting twice is harmless
        rig.dispatcher.submit(doc_id)
    rig.dispatcher.wait(ids, timeout=300)
    got = states(rig.archive)
    assert all(got[i] == (DocState.archived, 1) for i in ids), got
    with rig.archive.db.session() as s:
        rows = s.execute(select(Page.document_id, func.count()).group_by(Page.document_id))
        per_doc = {doc: n for doc, n in rows}
    assert all(per_doc[i] == 1 for i in ids)


def test_recover_picks_up_accepted_but_unfinished_work(rig: Rig, tmp_path: Path) -> None:
    # Accepted and recorded, then the process "died" before dispatching anything.
    ids = [accept_file(rig.archive, p).document_id for p in pdfs(tmp_path / "in", 2)]
    assert set(rig.dispatcher.recover()) == set(ids)
    rig.dispatcher.wait(ids, timeout=300)
    assert {states(rig.archive)[i][0] for i in ids} == {DocState.archived}


def test_wait_times_out_rather_than_hanging(rig: Rig, tmp_path: Path) -> None:
    doc_id = accept_file(rig.archive, pdfs(tmp_path / "in", 1)[0]).document_id
    with pytest.raises(TimeoutError):
        # Not submitted, and a deadline already past when the first look finds it unfinished
        # (born-digital work on a warm pool can finish within the first poll: 0.2 s).
        rig.dispatcher.wait([doc_id], timeout=0)
    rig.dispatcher.submit(doc_id)
    rig.dispatcher.wait([doc_id], timeout=300)


def outbox_emptied_by_flush(rig: Rig) -> bool:
    """Flush; True once nothing is pending. In-process: at once. With Celery the
    worker may hold the embedded index's writer lock, so the client's flush is
    postponed (logged, not raised) and the worker's own flush lands a moment later."""
    deadline = time.monotonic() + (0 if rig.kind == "local" else 60)
    while True:
        rig.dispatcher.flush_index()
        with rig.archive.db.session() as s:
            if s.scalar(select(func.count()).select_from(IndexOutbox)) == 0:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def test_flush_index_makes_finished_work_searchable(rig: Rig, tmp_path: Path) -> None:
    ids = [accept_file(rig.archive, p).document_id for p in pdfs(tmp_path / "in", 2)]
    for doc_id in ids:
        rig.dispatcher.submit(doc_id)
    rig.dispatcher.wait(ids, timeout=300)
    assert outbox_emptied_by_flush(rig)
    found = rig.archive.index.search(SearchQuery("документ", limit=10))
    assert {hit.document_id for hit in found.hits} == set(ids)
    rig.dispatcher.flush_index()  # nothing pending: harmless


def test_flush_index_survives_an_index_outage(rig: Rig, tmp_path: Path) -> None:
    doc_id = accept_file(rig.archive, pdfs(tmp_path / "in", 1)[0]).document_id
    rig.dispatcher.submit(doc_id)
    rig.dispatcher.wait([doc_id], timeout=300)
    rig.archive.index.close()  # every index call now fails
    rig.dispatcher.flush_index()  # postponed, not raised
    del rig.archive.__dict__["index"]  # reopened on next use
    assert outbox_emptied_by_flush(rig)


def test_open_dispatcher_dispatches_on_the_broker_scheme(tmp_path: Path) -> None:
    from ingest.dispatch.celery_dispatch import CeleryDispatcher

    for url, kind in [(None, LocalDispatcher), ("", LocalDispatcher),
                      ("redis://127.0.0.1:1/0", CeleryDispatcher),
                      ("rediss://127.0.0.1:1/0", CeleryDispatcher)]:  # fmt: skip
        archive = Archive(Settings(data_dir=tmp_path / "d", broker_url=url))
        dispatcher = open_dispatcher(archive)  # nothing is sent before the first submit
        assert type(dispatcher) is kind
        dispatcher.close()
        archive.close()
    for bad in ["amqp://host/", "REDIS:no-slashes", "127.0.0.1:6379"]:
        archive = Archive(Settings(data_dir=tmp_path / "d", broker_url=bad))
        with pytest.raises(ValueError, match="unsupported broker URL"):
            open_dispatcher(archive)
        archive.close()


@pytest.mark.services
@pytest.mark.ocr
def test_celery_worker_killed_mid_task_loses_nothing(tmp_path: Path) -> None:
    import redis

    from tests.services import service_urls

    data = tmp_path / "data"
    broker = service_urls()["CNAP_BROKER_URL"].rsplit("/", 1)[0] + "/5"
    redis.Redis.from_url(broker).flushdb()
    env = {**os.environ, "CNAP_DATA_DIR": str(data), "CNAP_BROKER_URL": broker}
    settings = Settings(data_dir=data, broker_url=broker)
    archive = Archive(settings)
    archive.init()
    pages = [degrade(render_page(ukrainian_lines(i, 30), dpi=300), noise=0.03, seed=i)
             for i in range(3)]  # fmt: skip
    scan = tmp_path / "scan.tiff"
    pages[0].save(scan, save_all=True, append_images=pages[1:], dpi=(300, 300))
    doc_id = accept_file(archive, scan).document_id
    dispatcher = open_dispatcher(archive)
    with celery_worker(env, tmp_path / "w1.log") as worker:
        dispatcher.submit(doc_id)
        deadline = time.monotonic() + 120
        while states(archive)[doc_id][0] != DocState.processing:
            assert time.monotonic() < deadline, "the worker never started the task"
            time.sleep(0.1)
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its OCR processes
        worker.wait()
    assert states(archive)[doc_id][0] == DocState.processing  # died holding it
    with celery_worker(env, tmp_path / "w2.log"):
        dispatcher.wait([doc_id], timeout=600)
    state, attempts = states(archive)[doc_id]
    assert state == DocState.archived and attempts == 2
    with archive.db.session() as s:
        numbers = list(s.scalars(select(Page.number).where(Page.document_id == doc_id)))
    assert sorted(numbers) == [1, 2, 3]
    dispatcher.close()
    archive.close()
