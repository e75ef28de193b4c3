"""The archive on the real scale-out engines (MinIO, PostgreSQL, Elasticsearch,
Celery over Redis), chosen by URL only, and failure drills: a service stopped
in the middle of a batch and started again loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.services import isolated_pg_url, isolated_s3_url, service_urls, services_script
from tests.synthetic import born_digital_pdf, ukrainian_lines

pytestmark = [pytest.mark.services, pytest.mark.slow]
DOCS = 8


@pytest.fixture
def scale_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    urls = service_urls()
    env = {
        **os.environ,
        "CNAP_DATA_DIR": str(tmp_path / "data"),
        "CNAP_DATABASE_URL": isolated_pg_url(),
        "CNAP_STORAGE_URL": isolated_s3_url(),
        "CNAP_INDEX_URL": f"{urls['CNAP_INDEX_URL']}/?index=t-{uuid.uuid4().hex[:10]}",
        "CNAP_BROKER_URL": urls["CNAP_BROKER_URL"].rsplit("/", 1)[0] + "/3",
    }
    # Nothing left in the queue from an earlier run.
    import redis

    redis.Redis.from_url(env["CNAP_BROKER_URL"]).flushdb()
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "api", "worker", "--concurrency", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield env
    finally:
        from search.elastic_index import ElasticIndex

        ElasticIndex.from_url(env["CNAP_INDEX_URL"]).drop()
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def corpus(folder: Path, n: int, tag: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        born_digital_pdf(
            [
                [
                    f"Рішення {tag} номер {i} про надання адміністративної послуги",
                    *ukrainian_lines(i, 8),
                ]
            ],
            folder / f"{tag}-{i}.pdf",
        )
        for i in range(n)
    ]


def cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "api", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def search_total(env: dict[str, str], query: str) -> int:
    proc = cli(env, "search", query, "--json", "--limit", "100")
    assert proc.returncode == 0, proc.stderr
    return int(json.loads(proc.stdout)["total"])


def wait_searchable(env: dict[str, str], query: str, n: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    total = 0
    while time.monotonic() < deadline:
        total = search_total(env, query)
        if total >= n:
            break
        time.sleep(1)
    return total


def db_rows(env: dict[str, str]) -> list[tuple[str, str, str | None]]:
    eng = create_engine(env["CNAP_DATABASE_URL"])
    with eng.connect() as c:
        rows = c.execute(text("SELECT sha256, state, pdfa_sha256 FROM documents")).all()
    eng.dispose()
    return [(r[0], r[1], r[2]) for r in rows]


def test_scale_out_by_url_only(scale_env: dict[str, str], tmp_path: Path) -> None:
    files = corpus(tmp_path / "in", 3, "url")
    reg = cli(scale_env, "case", "register", "--service", "Довідка", "--no-wait", "--json")
    assert reg.returncode == 0, reg.stderr
    number = json.loads(reg.stdout)["number"]
    proc = cli(scale_env, "ingest", *map(str, files), "--case", number, "--json")
    assert proc.returncode == 0, proc.stderr
    outcomes = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["status"] for o in outcomes] == ["archived"] * 3
    # The three files and the case's archived inventory copy (it names the service
    # under «Адміністративна послуга»).
    assert wait_searchable(scale_env, "адміністративна послуга", 4) == 4
    shown = json.loads(cli(scale_env, "show", outcomes[0]["document_id"], "--json").stdout)
    assert shown["case"] == number and "адміністративної" in shown["pages"][0]["text"]
    again = cli(scale_env, "ingest", str(files[0]), "--json")
    assert json.loads(again.stdout)["status"] == "duplicate"
    assert cli(scale_env, "reindex").returncode == 0
    assert search_total(scale_env, "адміністративна послуга") == 4


@pytest.mark.parametrize("service", ["minio", "elasticsearch", "redis"])
def test_service_outage_mid_batch(scale_env: dict[str, str], tmp_path: Path, service: str) -> None:
    files = corpus(tmp_path / "in", DOCS, service)
    result: dict[str, subprocess.CompletedProcess[str]] = {}

    def run_batch() -> None:
        result["proc"] = cli(scale_env, "ingest", *map(str, files), "--json", timeout=900)

    batch = threading.Thread(target=run_batch)
    batch.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        rows = db_rows(scale_env) if _db_ready(scale_env) else []
        if len(rows) == DOCS and any(r[1] == "archived" for r in rows):
            break
        time.sleep(0.3)
    services_script("stop", service)
    try:
        time.sleep(5)
    finally:
        services_script("start", service)
    batch.join(900)
    proc = result["proc"]
    assert proc.returncode == 0, proc.stderr
    outcomes = [json.loads(line) for line in proc.stdout.splitlines()]
    assert {o["status"] for o in outcomes} == {"archived"}
    rows = db_rows(scale_env)
    assert len(rows) == DOCS and len({r[0] for r in rows}) == DOCS
    assert all(r[1] == "archived" and r[2] for r in rows)
    # Searchable exactly once: one hit per document, no more.
    assert wait_searchable(scale_env, f"рішення {service}", DOCS) == DOCS


def _db_ready(env: dict[str, str]) -> bool:
    try:
        db_rows(env)
        return True
    except Exception:
        return False
