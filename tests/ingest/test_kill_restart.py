"""SIGKILL in the middle of a batch loses nothing; a rerun archives each file once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.synthetic import degrade, render_page, save_image, ukrainian_lines

pytestmark = [pytest.mark.ocr, pytest.mark.slow]
FILES = 6


def _states(db: Path) -> list[str]:
    if not db.exists():
        return []
    eng = create_engine(f"sqlite:///{db}")
    try:
        with eng.connect() as c:
            return [r[0] for r in c.execute(text("SELECT state FROM documents"))]
    except Exception:
        return []
    finally:
        eng.dispose()


def test_kill_mid_batch_then_restart(tmp_path: Path) -> None:
    scans = []
    for i in range(FILES):
        page = degrade(render_page(ukrainian_lines(i, 14), dpi=200), noise=0.02, seed=i)
        scans.append(save_image(page, tmp_path / f"scan-{i}.jpg", dpi=200))
    data = tmp_path / "data"
    env = {**os.environ, "CNAP_DATA_DIR": str(data), "CNAP_INGEST__WORKERS": "1"}
    cmd = [sys.executable, "-m", "api", "ingest", *map(str, scans), "--json"]
    proc = subprocess.Popen(
        cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    db = data / "archive.sqlite3"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        states = _states(db)
        if states.count("archived") >= 1 and len(states) == FILES:
            break
        assert proc.poll() is None, "the batch finished before it could be interrupted"
        time.sleep(0.2)
    states = _states(db)
    assert len(states) == FILES and states.count("archived") < FILES
    # Kill the command and every OCR process it started, without warning.
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr
    outcomes = [json.loads(line) for line in rerun.stdout.splitlines()]
    assert {o["status"] for o in outcomes} <= {"archived", "duplicate"}
    assert len({o["document_id"] for o in outcomes}) == FILES

    eng = create_engine(f"sqlite:///{db}")
    with eng.connect() as c:
        rows = c.execute(text("SELECT sha256, state, pdfa_sha256 FROM documents")).all()
        pages = c.execute(
            text(
                "SELECT document_id, number, COUNT(*) FROM pages "
                "GROUP BY document_id, number HAVING COUNT(*) > 1"
            )
        ).all()
    eng.dispose()
    assert len(rows) == FILES
    assert len({r[0] for r in rows}) == FILES
    assert all(r[1] == "archived" and r[2] for r in rows)
    assert pages == []
    objects = {p.name for p in (data / "store" / "operational").rglob("*") if p.is_file()}
    referenced = {r[0] for r in rows} | {r[2] for r in rows}
    assert referenced <= objects
    # Only the document in flight at the kill can have left an unreferenced rendition.
    assert len(objects - referenced) <= 1
    assert list((data / "store" / "tmp").iterdir()) == []
