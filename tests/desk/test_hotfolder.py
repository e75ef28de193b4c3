"""The hot folder: files written slowly, renamed into place, duplicated, across restarts."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from archive.settings import Settings
from backends import Archive
from scanner.cover_sheet import CoverSheet
from scanner.hotfolder import Handled, HotFolder, Retry, is_temporary, looks_complete
from tests.desk.cli import cli
from tests.desk.conftest import HOME
from tests.desk.paper import batch_pdf, doc


def _write_slowly(src: bytes, dest: Path, seconds: float, pieces: int = 8) -> threading.Thread:
    def run() -> None:
        step = max(1, len(src) // pieces)
        with dest.open("wb") as f:
            for i in range(0, len(src), step):
                f.write(src[i : i + step])
                f.flush()
                time.sleep(seconds / pieces)

    t = threading.Thread(target=run)
    t.start()
    return t


class Recorder:
    """A handler that remembers the SHA-256 of every file it was given."""

    def __init__(self, fail_first: int = 0) -> None:
        self.seen: list[tuple[str, str]] = []
        self.fail_first = fail_first

    def __call__(self, path: Path) -> Handled:
        if self.fail_first:
            self.fail_first -= 1
            raise Retry("сховище недоступне")
        data = path.read_bytes()
        self.seen.append((path.name, hashlib.sha256(data).hexdigest()))
        if data.startswith(b"junk"):
            return Handled(False, "Непідтримуваний тип файлу")
        return Handled(True, "ok")


def test_only_complete_files_are_taken(tmp_path: Path) -> None:
    pdf = batch_pdf([doc("один"), doc("два")], tmp_path / "src.pdf").read_bytes()
    root = tmp_path / "in"
    rec = Recorder()
    folder = HotFolder(root, rec, settle_seconds=0.3, poll_seconds=0.05)
    writer = _write_slowly(pdf, root / "scan-1.pdf", seconds=1.2)
    # Renamed into place: only the final name is ever taken.
    (root / "scan-2.pdf.tmp").write_bytes(pdf + b"\n% second")
    while writer.is_alive():
        folder.poll()
        assert rec.seen == [], "a file was taken before it was completely written"
        time.sleep(0.05)
    writer.join()
    os.rename(root / "scan-2.pdf.tmp", root / "scan-2.pdf")
    deadline = time.monotonic() + 10
    while len(rec.seen) < 2 and time.monotonic() < deadline:
        folder.poll()
        time.sleep(0.05)
    assert sorted(rec.seen) == sorted(
        [
            ("scan-1.pdf", hashlib.sha256(pdf).hexdigest()),
            ("scan-2.pdf", hashlib.sha256(pdf + b"\n% second").hexdigest()),
        ]
    )
    assert sorted(p.name for p in (root / "done").iterdir()) == ["scan-1.pdf", "scan-2.pdf"]
    assert list((root / "processing").iterdir()) == []


def test_failures_are_explained_and_outages_retried(tmp_path: Path) -> None:
    root = tmp_path / "in"
    clock = [0.0]
    rec = Recorder(fail_first=1)
    folder = HotFolder(root, rec, settle_seconds=0, retry_seconds=10, clock=lambda: clock[0])
    (root / "a.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    folder.poll()  # the store is down: the file stays claimed
    assert rec.seen == [] and [p.name for p in (root / "processing").iterdir()] == ["a.pdf"]
    folder.poll()  # not yet due
    assert rec.seen == []
    clock[0] = 11
    folder.poll()
    assert [p.name for p in (root / "done").iterdir()] == ["a.pdf"]
    (root / "b.tif").write_bytes(b"junk, not a scan")
    (root / "a.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")  # the same name again
    folder.poll()
    assert (root / "failed" / "b.tif.txt").read_text(encoding="utf-8").startswith("Непідтрим")
    assert sorted(p.name for p in (root / "done").iterdir()) == ["a (2).pdf", "a.pdf"]


def test_a_file_left_in_processing_is_finished_after_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "processing").mkdir(parents=True)
    (root / "processing" / "left.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    rec = Recorder()
    HotFolder(root, rec, settle_seconds=5).poll()
    assert [n for n, _ in rec.seen] == ["left.pdf"]
    assert (root / "done" / "left.pdf").exists()


def test_completeness_checks(tmp_path: Path) -> None:
    full = batch_pdf([doc("x")], tmp_path / "full.pdf")
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(full.read_bytes()[:-200])
    assert looks_complete(full) and not looks_complete(cut)
    assert is_temporary(".~lock.scan.pdf#") and is_temporary("scan.pdf.part")
    assert not is_temporary("scan.pdf")


def _documents(data: Path) -> list[tuple[str, str]]:
    eng = create_engine(f"sqlite:///{data / 'archive.sqlite3'}")
    try:
        with eng.connect() as c:
            return [tuple(r) for r in c.execute(text("SELECT sha256, state FROM documents"))]
    finally:
        eng.dispose()


def test_watch_command_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    nums = [
        json.loads(
            cli(
                data,
                "case",
                "register",
                "--service",
                "Послуга",
                "--output-dir",
                str(tmp_path / "print"),
                "--json",
            ).stdout
        )["number"]
        for _ in range(2)
    ]
    one = batch_pdf([CoverSheet(nums[0], "input", HOME), doc("перша"), None], tmp_path / "1.pdf")
    two = batch_pdf([CoverSheet(nums[1], "input", HOME), doc("друга")], tmp_path / "2.pdf")
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    env = {**os.environ, "CNAP_DATA_DIR": str(data), "CNAP_CENTRE": HOME}
    log = (tmp_path / "watch.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "watch", str(inbox), "--settle", "1", "--poll", "0.2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # Written slowly, in pieces, as a network scanner over SMB does.
        _write_slowly(one.read_bytes(), inbox / "scan-0001.pdf", seconds=2.0).join()
        # Written under a temporary name and renamed into place.
        shutil.copy(two, inbox / "scan-0002.pdf.tmp")
        os.rename(inbox / "scan-0002.pdf.tmp", inbox / "scan-0002.pdf")
        # The same scan dropped twice, and a broken file.
        shutil.copy(one, inbox / "scan-0001-copy.pdf")
        (inbox / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF\n")
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            done = {p.name for p in (inbox / "done").glob("*.pdf")}
            failed = {p.name for p in (inbox / "failed").glob("*.pdf")}
            if len(done) + len(failed) == 4:
                break
            assert proc.poll() is None, (tmp_path / "watch.log").read_text()
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        log.close()
    assert done == {"scan-0001.pdf", "scan-0002.pdf", "scan-0001-copy.pdf"}, (
        tmp_path / "watch.log"
    ).read_text()
    assert failed == {"broken.pdf"}
    assert "PDF" in (inbox / "failed" / "broken.pdf.txt").read_text(encoding="utf-8")
    # Whichever of the two copies came second is the duplicate, and says so.
    notes = [p.read_text(encoding="utf-8") for p in (inbox / "done").glob("scan-0001*.txt")]
    assert len(notes) == 1 and "уже оброблено" in notes[0]
    docs = _documents(data)
    # Two inventories and two scanned packages, each archived once.
    assert len(docs) == 4 and len({sha for sha, _ in docs}) == 4
    assert all(state == "archived" for _, state in docs)

    # A watcher killed after the work but before moving the file finds it on restart:
    # it is moved to done/ and nothing is archived again.
    shutil.copy(one, inbox / "processing" / "scan-0003.pdf")
    run = cli(data, "watch", str(inbox), "--once", "--settle", "0")
    assert run.returncode == 0, run.stderr
    assert (inbox / "done" / "scan-0003.pdf").exists()
    assert len(_documents(data)) == 4
    a = Archive(Settings(data_dir=data, centre=HOME))
    try:
        with a.db.session() as s:
            batches = s.execute(text("SELECT state FROM scan_batches ORDER BY created_at")).all()
        assert sorted(b[0] for b in batches) == ["done", "done", "failed"]
    finally:
        a.close()


@pytest.fixture(autouse=True)
def _no_env_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CNAP_DATA_DIR", raising=False)
