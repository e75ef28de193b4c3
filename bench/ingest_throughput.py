"""Born-digital PDFs per second, end to end (stored, in the database, searchable),
on the embedded backends and on the scale-out ones (MinIO, PostgreSQL,
Elasticsearch, Celery over Redis) on this machine.

    .venv/bin/python bench/ingest_throughput.py [--docs 40] [--scale-out]

The scale-out run needs the services of scripts/services.sh and starts one
``cnap-archive worker`` of its own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.settings import Settings
from backends import Archive
from ingest.service import ingest_files
from search.base import SearchQuery
from tests.synthetic import born_digital_pdf, ukrainian_lines


def make_corpus(folder: Path, n: int) -> list[Path]:
    files = []
    for i in range(n):
        lines = [f"Рішення № {i} про надання адміністративної послуги", *ukrainian_lines(i, 25)]
        files.append(born_digital_pdf([lines], folder / f"doc-{i:04d}.pdf"))
    return files


def raw_limit(settings: Settings, files: list[Path]) -> float:
    """Hash + store + text extraction of the same files, one core: the floor of ingest."""
    import hashlib

    from archive.models import Tier
    from ingest.ocr.textlayer import extract_pages

    archive = Archive(settings)
    archive.init()
    start = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        hashlib.sha256(data).hexdigest()
        archive.store.put_bytes(data, Tier.operational)
        extract_pages(path, {})
    elapsed = time.perf_counter() - start
    archive.close()
    return len(files) / elapsed


def run(settings: Settings, files: list[Path], warmup: list[Path]) -> float:
    archive = Archive(settings)
    archive.init()
    # Steady state: the worker processes started and the seed classifier of a
    # new archive trained (once per archive) before the clock starts.
    started = time.perf_counter()
    list(ingest_files(archive, warmup))
    print(f"  warm-up ({len(warmup)} documents) {time.perf_counter() - started:.1f} s")
    start = time.perf_counter()
    outcomes = list(ingest_files(archive, files))
    # Searchable: every document answers a query for its own number.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        found = archive.index.search(SearchQuery(text="рішення", limit=1)).total
        if found >= len(files) + len(warmup):
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    archive.close()
    bad = [o for o in outcomes if o.status != "archived"]
    if bad:
        raise SystemExit(f"{len(bad)} documents not archived: {bad[0].reason}")
    return len(files) / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--scale-out", action="store_true", help="also run on the real services")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        corpus.mkdir()
        files = make_corpus(corpus, args.docs + 3)
        files, warmup = files[3:], files[:3]
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
        raw = raw_limit(Settings(data_dir=root / "raw"), files)
        print(f"raw limit  (hash + store + text layer, one core):  {raw:6.2f} docs/s")
        embedded = run(Settings(data_dir=root / "embedded"), files, warmup)
        print(f"embedded   (files, SQLite, Tantivy, in-process): {embedded:6.2f} docs/s")
        print(f"ratio embedded / raw limit: {embedded / raw:.2f}")
        print(f"load average {os.getloadavg()[0]:.2f}")
        if not args.scale_out:
            return
        from tests.services import isolated_pg_url, isolated_s3_url, service_urls

        urls = service_urls()
        env = {
            "CNAP_DATA_DIR": str(root / "scale"),
            "CNAP_DATABASE_URL": isolated_pg_url(),
            "CNAP_STORAGE_URL": isolated_s3_url(),
            "CNAP_INDEX_URL": f"{urls['CNAP_INDEX_URL']}/?index=bench-{os.getpid()}",
            "CNAP_BROKER_URL": urls["CNAP_BROKER_URL"].rsplit("/", 1)[0] + "/7",
        }
        settings = Settings(**{k.removeprefix("CNAP_").lower(): v for k, v in env.items()})
        worker = subprocess.Popen(
            [sys.executable, "-m", "api", "worker"],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            scale = run(settings, files, warmup)
        finally:
            worker.terminate()
            worker.wait(30)
        print(f"scale-out  (MinIO, PostgreSQL, Elasticsearch, Celery): {scale:6.2f} docs/s")
        print(f"ratio scale-out / embedded: {scale / embedded:.2f}")
        print(f"ratio scale-out / raw limit: {scale / raw:.2f}")


if __name__ == "__main__":
    main()
