"""The station of a remote workplace against a real central server, with the link cut.

The central archive runs as ``cnap-archive serve`` on a loopback port; the
station reaches it through a TCP proxy that drops every connection on
``cut()``. Registrations are made offline with numbers from a reserved
block, a scanned batch waits in the spool, the upload is cut in the middle,
the server itself is stopped and started again, and in the end everything
arrives exactly once, the upload resumed rather than restarted.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from archive.settings import Settings, StationSettings
from scanner.cover_sheet import CoverSheet
from station.agent import CentralClient, Refused, Station
from tests.desk.cli import cli
from tests.desk.conftest import HOME
from tests.desk.netcut import Proxy
from tests.desk.paper import batch_pdf, doc

PASSWORD = "station password 1"
WORKPLACE = "ВРМ Зарічне"


class Central:
    """``cnap-archive serve`` in a subprocess, stoppable and restartable on one port."""

    def __init__(self, data: Path, log: Path) -> None:
        self.data = data
        self.log = log
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "CNAP_DATA_DIR": str(self.data),
            "CNAP_CENTRE": HOME,
            "CNAP_INGEST__WORKERS": "1",
        }
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api", "serve", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if (
                    httpx.get(f"http://127.0.0.1:{self.port}/api/health", timeout=2).status_code
                    == 200
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("the central server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    data = tmp_path / "central"
    run = cli(
        data,
        "user",
        "add",
        "vrm",
        "--role",
        "administrator",
        "--centre",
        HOME,
        "--workplace",
        WORKPLACE,
        stdin=PASSWORD + "\n",
    )
    assert run.returncode == 0, run.stderr
    server = Central(data, tmp_path / "central.log")
    server.start()
    yield server
    server.stop()


def _station(tmp_path: Path, url: str, name: str = "station", password: str = PASSWORD) -> Station:
    settings = Settings(
        data_dir=tmp_path / name,
        centre=HOME,
        station=StationSettings(
            server_url=url,
            login="vrm",
            password=SecretStr(password),
            workplace_code="ВРМ3",
            chunk_bytes=4096,
            timeout_seconds=5,
            retry_min_seconds=0.05,
            retry_max_seconds=0.3,
            reserve_below=2,
        ),
    )
    return Station(settings)


def _central_rows(data: Path, sql: str) -> list[tuple[object, ...]]:
    eng = create_engine(f"sqlite:///{data / 'archive.sqlite3'}")
    try:
        with eng.connect() as c:
            return [tuple(r) for r in c.execute(text(sql))]
    finally:
        eng.dispose()


def _sync_until_empty(st: Station, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rep = st.sync_once()
        if rep.link == "up" and rep.waiting == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"the spool did not empty: {st.status()}")


def test_station_survives_a_cut_link_and_a_server_restart(central: Central, tmp_path: Path) -> None:
    proxy = Proxy(central.port)
    proxy.start()
    st = _station(tmp_path, proxy.url)
    try:
        block = st.reserve(size=5)
        assert block["first_number"].endswith("ВРМ3-0001") and block["workplace"] == WORKPLACE

        # The line goes down; the desk keeps working.
        proxy.cut()
        first = st.register_offline(
            service="Реєстрація місця проживання",
            applicant="Шевченко Тарас Григорович",
            items=[("Заява", 1), ("Копія паспорта", 2)],
        )
        second = st.register_offline(service="Видача довідки", applicant="Коваленко Марія")
        assert (first["number"], second["number"]) == ("2026/ВРМ3-0001", "2026/ВРМ3-0002")
        assert Path(first["cover_sheet"]).is_file() and Path(first["inventory"]).is_file()
        scan = batch_pdf(
            [
                CoverSheet(first["number"], "input", HOME),
                doc("зарічне", 1),
                doc("зарічне", 2),
                CoverSheet(second["number"], "input", HOME),
                doc("довідка"),
            ],
            tmp_path / "scan.pdf",
        )
        size = scan.stat().st_size
        assert size > 20 * 4096  # many chunks, so the cut lands in the middle
        item = st.add_scan(scan)
        assert st.add_scan(scan).id == item.id  # the same scan is queued once
        rep = st.sync_once()
        assert rep.link == "down" and rep.waiting == 3
        status = st.status()
        assert status["waiting"] == {"registration": 2, "batch": 1}
        assert status["link"] == "down"

        # The line comes back, slow; it drops again in the middle of the upload.
        proxy.delay = 0.01
        proxy.restore()
        worker = threading.Thread(target=st.sync_once)
        worker.start()
        deadline = time.monotonic() + 60
        part = central.data / "uploads" / f"{item.key}.part"
        while time.monotonic() < deadline:
            if part.exists() and part.stat().st_size > size // 3:
                break
            time.sleep(0.01)
        proxy.cut()
        worker.join(30)
        sent = next(i for i in st.spool.items() if i.id == item.id).sent
        assert 0 < sent < size, "the cut did not land in the middle of the upload"
        registered = _central_rows(
            central.data, "SELECT number, workplace FROM cases ORDER BY number"
        )
        assert (first["number"], WORKPLACE) in registered

        # The central server goes down and up as well; what it had received is kept.
        central.stop()
        central.start()
        proxy.delay = 0.0
        proxy.restore()
        before = proxy.upstream
        _sync_until_empty(st)
        resent = proxy.upstream - before
        # Resumed: only the missing part crossed the line again (plus HTTP overhead).
        # A restart from zero would send at least ``size`` again.
        assert resent < size - sent // 2, (resent, size, sent)
        assert st.status()["waiting"] == {}

        # Everything arrived once: two cases with the station's numbers, each with its pages.
        cases = _central_rows(central.data, "SELECT id, number, workplace FROM cases")
        assert sorted(c[1] for c in cases) == [first["number"], second["number"]]
        assert _central_rows(central.data, "SELECT COUNT(*) FROM scan_batches") == [(1,)]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            rows = _central_rows(
                central.data,
                "SELECT c.number, d.state, d.page_count FROM documents d "
                "JOIN cases c ON c.id = d.case_id "
                "WHERE d.original_name LIKE 'scan%'",
            )
            if len(rows) == 2 and all(r[1] == "archived" for r in rows):
                break
            time.sleep(0.5)
        assert sorted(rows) == [(first["number"], "archived", 2), (second["number"], "archived", 1)]
        offline = _central_rows(central.data, "SELECT offline FROM case_registrations")
        assert offline == [(1,), (1,)]

        # Another station sending the same bytes: recognised by SHA-256, nothing re-sent.
        other = _station(tmp_path, proxy.url, name="other")
        other.add_scan(scan)
        before = proxy.upstream
        _sync_until_empty(other)
        assert proxy.upstream - before < 20_000
        assert _central_rows(central.data, "SELECT COUNT(*) FROM scan_batches") == [(1,)]
        other.close()

        # A station that cannot authenticate is refused, not retried forever.
        with pytest.raises(Refused):
            CentralClient(proxy.url, "vrm", "wrong password").reserve("ВРМ3")
    finally:
        st.close()
        proxy.cut()


def test_the_agent_takes_scans_from_a_folder_while_offline(tmp_path: Path) -> None:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{dead.getsockname()[1]}"
    dead.close()  # nothing listens there: the link is down
    st = _station(tmp_path, url)
    st.settings.desk.hotfolder_settle_seconds = 0.2
    st.cfg.poll_seconds = 0.1
    inbox = tmp_path / "scanner"
    stop = threading.Event()
    reports: list[object] = []
    agent = threading.Thread(
        target=st.run, args=(stop,), kwargs={"watch": inbox, "on_report": reports.append}
    )
    agent.start()
    try:
        inbox.mkdir(exist_ok=True)
        scan = batch_pdf([doc("офлайн")], tmp_path / "scan.pdf")
        (inbox / "scan.pdf").write_bytes(scan.read_bytes())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (inbox / "done" / "scan.pdf").exists():
            time.sleep(0.05)
    finally:
        stop.set()
        agent.join(30)
        st.close()
    assert (inbox / "done" / "scan.pdf").exists()
    status = st.status()
    assert status["waiting"] == {"batch": 1} and status["link"] == "down"
    assert st.spool.file_path(st.spool.items()[0].key).read_bytes() == scan.read_bytes()
