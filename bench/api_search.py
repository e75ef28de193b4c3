"""Search through the real HTTP API under concurrent clients, beside the raw index.

Builds an archive of N born-digital documents straight into the database and
the index (rows and index documents written in bulk, no OCR; the text comes
from the synthetic Ukrainian corpus of ``bench/search_latency.py``), starts the
real server (``cnap-archive serve`` as a subprocess on loopback) and measures
``GET /api/search`` at 1, 4 and 16 concurrent clients per query kind and role,
beside the same queries against the raw index in this process, and the ratio.
Also: audit entries/s (16 threads appending to the same log, the chain
verified afterwards) and the server's resident memory.

    .venv/bin/python bench/api_search.py                          # 100,000 documents
    .venv/bin/python bench/api_search.py --documents 1000000 --keep /var/tmp/api1m
    .venv/bin/python bench/api_search.py --keep /var/tmp/api100k --workers 2

``--keep DIR`` keeps the archive in DIR and reuses it when the parameters match.
``--scale-out`` builds the archive in PostgreSQL and Elasticsearch (the services
of ``scripts/services.sh``: a schema and an index of its own, dropped at the
end) and runs the server on them; the raw figures are then Elasticsearch's,
through the same index class. It always builds (``--keep`` only holds the
server's own files).
Every loop is bounded: ``--requests`` per cell (split among the clients). Each
client of a cell first sends ``--warmup`` searches that are not timed (queries
of the same kind, not among the timed ones): its connection is made and the
server's workers have evened out their clients (``api/balance.py``) before the
clock starts, so a cell measures the steady state, not sixteen connections
arriving at once.

The clients are ``bench/loadgen`` (Go, built once into ``~/.cache/cnap-archive``)
when ``go`` is installed: a Python client in this process costs about as much
CPU per request as the server's own framework and shares the two cores with
it, so the figures would measure the client too. ``--client httpx`` uses
Python threads with httpx instead (the figures of earlier runs).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search_latency import CENTRES, DEPARTMENTS, Corpus, build_vocabulary  # noqa: E402

from archive.audit import AccessEvent, Action, open_audit_log  # noqa: E402
from archive.findings import DocumentFinding, identifier_key, identifier_ref  # noqa: E402
from archive.models import Case, DocState, Document, Page, Source, Tier  # noqa: E402
from archive.settings import Settings  # noqa: E402
from archive.users import Role, add_user, get_user  # noqa: E402
from backends import Archive  # noqa: E402
from pii import mask  # noqa: E402
from search.base import IndexDoc, SearchQuery  # noqa: E402
from search.tantivy_index import TantivyIndex  # noqa: E402
from usecases.auth import issue_token  # noqa: E402

LEVELS = (1, 4, 16)
KINDS = ("common word", "rare word", "phrase", "filtered")
ROLES = ("official", "administrator")
# The official's and the administrator's place: one centre, one department.
HOME_CENTRE = CENTRES[0]
HOME_DEPARTMENT = DEPARTMENTS[0]
_NUMBER = re.compile(r"\b\d{10}\b")


def log(msg: str) -> None:
    print(msg, flush=True)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- building ------------------------------------------------------------------------


def case_of(doc_no: int) -> tuple[int, str, str, str]:
    """Three documents to a case; the case fixes the centre and department."""
    idx = doc_no // 3
    number = f"{2023 + idx % 4}/{idx:07d}"
    return idx, number, CENTRES[idx % len(CENTRES)], DEPARTMENTS[(idx // 20) % len(DEPARTMENTS)]


def build(archive: Archive, corpus: Corpus, n: int, pages: int, batch: int) -> float:
    """Rows (cases, documents, pages, identifier findings) and index documents, in bulk."""
    from sqlalchemy import insert

    started = time.perf_counter()
    index = archive.index
    key = identifier_key(archive.settings)
    next_report = 0.0
    for first in range(0, n, batch):
        cases: list[dict[str, Any]] = []
        docs: list[dict[str, Any]] = []
        page_rows: list[dict[str, Any]] = []
        findings: list[dict[str, Any]] = []
        index_docs: list[IndexDoc] = []
        for doc_no in range(first, min(n, first + batch)):
            idx, number, centre, department = case_of(doc_no)
            raw = corpus.document(doc_no, pages=pages)
            if doc_no % 3 == 0:
                cases.append(
                    {
                        "id": idx + 1,
                        "number": number,
                        "service": "Реєстрація місця проживання",
                        "centre": centre,
                        "department": department,
                        "registered_at": raw.archived_at,
                    }
                )
            doc_id = f"doc-{doc_no:08d}"
            docs.append(
                {
                    "id": doc_id,
                    "case_id": idx + 1,
                    "source": Source(raw.source),
                    "original_name": f"{doc_id}.pdf",
                    "sha256": hashlib.sha256(doc_id.encode()).hexdigest(),
                    "size": 50_000,
                    "media_type": "application/pdf",
                    "original_tier": Tier.operational,
                    "pdfa_tier": Tier.operational,
                    "page_count": len(raw.pages),
                    "state": DocState.archived,
                    "attempts": 0,
                    "created_at": raw.archived_at,
                    "updated_at": raw.archived_at,
                    "archived_at": raw.archived_at,
                    "legal_hold": False,
                    "meta": {},
                }
            )
            for p, text in enumerate(raw.pages, start=1):
                page_rows.append(
                    {"document_id": doc_id, "number": p, "text": text, "ocr": False, "words": []}
                )
                for m in _NUMBER.finditer(text):
                    value = m.group()
                    findings.append(
                        {
                            "document_id": doc_id,
                            "kind": "rnokpp",
                            "value": value,
                            "ref": identifier_ref(key, "rnokpp", value),
                            "masked": mask(value, "rnokpp"),
                            "page": p,
                            "char_start": m.start(),
                            "char_end": m.end(),
                            "boxes": [],
                            "source": "text",
                        }
                    )
            index_docs.append(
                dataclasses.replace(
                    raw,
                    document_id=doc_id,
                    case=number,
                    package=None,
                    centre=centre,
                    department=department,
                    title=f"{doc_id}.pdf",
                )
            )
        with archive.db.session() as s:
            if cases:
                s.execute(insert(Case), cases)
            s.execute(insert(Document), docs)
            s.execute(insert(Page), page_rows)
            if findings:
                s.execute(insert(DocumentFinding), findings)
        index.upsert(index_docs)
        done = min(n, first + batch)
        elapsed = time.perf_counter() - started
        if elapsed >= next_report:
            log(f"  {done:>9,} documents  {done / elapsed:7.0f} documents/s  ({load()})")
            next_report = elapsed + 30
    index.close()  # waits for the merges
    return time.perf_counter() - started


def ensure_users(archive: Archive) -> dict[str, str]:
    """A bearer token per role (issued directly: no password hashing in the bench)."""
    tokens: dict[str, str] = {}
    for role in ROLES:
        login = f"bench-{role}"
        with archive.db.session() as s:
            user = get_user(s, login) or add_user(
                s,
                login,
                Role(role),
                password_hash=None,
                centre=HOME_CENTRE,
                department=HOME_DEPARTMENT if role == "official" else None,
            )
            uid = user.id
        tokens[role], _ = issue_token(archive.db, uid, 24 * 60, "bench")
    return tokens


# -- queries -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Q:
    text: str
    date_from: date | None = None
    date_to: date | None = None
    source: str | None = None

    def params(self, limit: int) -> dict[str, str]:
        out = {"q": self.text, "limit": str(limit)}
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        if self.source:
            out["source"] = self.source
        return out


def make_queries(corpus: Corpus, n_docs: int, count: int, seed: int) -> dict[str, list[Q]]:
    rng = np.random.default_rng(seed + 7)
    lemmas = corpus.vocab.lemmas
    common = lemmas[60:160]  # frequent content words (after the function words)
    rare = lemmas[len(lemmas) // 2 :]

    def phrase() -> str:
        for _ in range(50):
            doc = corpus.document(int(rng.integers(n_docs)), pages=1)
            words = [w.strip(".,") for w in doc.pages[0].split()]
            at = int(rng.integers(0, max(1, len(words) - 2)))
            chunk = words[at : at + 2]
            if len(chunk) == 2 and all(w.isalpha() and len(w) > 3 for w in chunk):
                return '"' + " ".join(chunk) + '"'
        return '"' + " ".join(common[:2]) + '"'

    def filtered() -> Q:
        text = str(rng.choice(common))
        if rng.random() < 0.5:
            start = date(2023, 1, 1) + timedelta(days=int(rng.integers(0, 3 * 365)))
            return Q(text, date_from=start, date_to=start + timedelta(days=90))
        return Q(text, source=str(rng.choice(["scanner", "sharing", "upload"])))

    return {
        "common word": [Q(str(rng.choice(common))) for _ in range(count)],
        "rare word": [Q(str(rng.choice(rare))) for _ in range(count)],
        "phrase": [Q(phrase()) for _ in range(count)],
        "filtered": [filtered() for _ in range(count)],
    }


def raw_query(q: Q, role: str, limit: int) -> SearchQuery:
    """The query the use case hands the index for this role (same scope filters)."""
    return SearchQuery(
        text=q.text,
        source=q.source,
        date_from=q.date_from,
        date_to=q.date_to,
        limit=limit,
        centres=[HOME_CENTRE],
        departments=[HOME_DEPARTMENT] if role == "official" else None,
    )


# -- measuring -----------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def loadgen(choice: str | None) -> Path | None:
    """The Go load generator, built once (None: the Python clients)."""
    go = shutil.which("go")
    if choice == "httpx" or (choice is None and go is None):
        return None
    if go is None:
        raise SystemExit("--client go: go is not installed")
    src = ROOT / "bench" / "loadgen"
    digest = hashlib.sha256((src / "main.go").read_bytes()).hexdigest()[:12]
    binary = Path.home() / ".cache" / "cnap-archive" / f"loadgen-{digest}"
    if not binary.exists():
        binary.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([go, "build", "-o", str(binary), "."], cwd=src, check=True)
    return binary


def run_loadgen(
    binary: Path,
    base: str,
    headers: dict[str, str],
    paths: list[str],
    clients: int,
    total: int,
    warmup: int = 0,
    warmup_paths: Sequence[str] = (),
) -> tuple[list[float], float]:
    """``total`` requests split among ``clients`` Go clients; latencies (ms) and wall seconds.

    Each client first sends ``warmup`` requests (``warmup_paths``, else ``paths``) that
    are not timed; the clock starts when all have.
    """
    job = {
        "base": base,
        "clients": clients,
        "per_client": max(1, total // clients),
        "headers": headers,
        "paths": paths,
        "warmup": warmup,
        "warmup_paths": list(warmup_paths),
    }
    done = subprocess.run(
        [str(binary)], input=json.dumps(job), capture_output=True, text=True, check=True
    )
    out = json.loads(done.stdout)
    if out["errors"]:
        raise RuntimeError(f"{out['errors']} requests failed: {out['first_error']}")
    return [float(x) for x in out["latencies_ms"]], float(out["wall_s"])


def run_clients(
    clients: int,
    total: int,
    call: Callable[[int, int], None],
    warmup: int = 0,
    warm: Callable[[int, int], None] | None = None,
) -> tuple[list[float], float]:
    """``total`` calls split among ``clients`` threads; latencies (ms) and wall seconds.

    Each thread first makes ``warmup`` calls of ``warm`` (else ``call``) that are not
    timed; the clock starts when all have.
    """
    per = max(1, total // clients)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)
    timed = threading.Barrier(clients + 1)

    def worker(c: int) -> None:
        try:
            barrier.wait()
            for i in range(warmup):
                (warm or call)(c, c * warmup + i)
            timed.wait()
            for i in range(per):
                t = time.perf_counter()
                call(c, c * per + i)
                latencies[c].append((time.perf_counter() - t) * 1000)
        except BaseException as exc:  # reported after the join
            errors.append(exc)
            barrier.abort()  # the others stop waiting for this one
            timed.abort()

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    try:
        barrier.wait()
        timed.wait()
    except threading.BrokenBarrierError:
        pass  # a client failed: its error is raised below
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return [x for lat in latencies for x in lat], wall


def summary(latencies: list[float], wall: float) -> dict[str, float]:
    return {
        "p50": statistics.median(latencies),
        "p95": pct(latencies, 0.95),
        "p99": pct(latencies, 0.99),
        "rps": len(latencies) / wall,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_pids(pid: int) -> list[int]:
    """The server process and its children (the workers)."""
    pids = [pid]
    try:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
        )
        pids += [int(x) for x in out.stdout.split()]
    except OSError:
        pass
    return pids


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU the processes have used (``/proc/PID/stat``), in seconds.

    The server's CPU per request is what other load on the machine changes least:
    it shows what a change saved even when latency figures are noisy.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (the server's workers)."""
    total = 0
    for p in server_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def start_server(
    data_dir: Path, port: int, extra: Sequence[str], services: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CNAP_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    env.update(services or {})
    cmd = [
        sys.executable,
        "-c",
        "from api.cli import main; main()",
        "serve",
        "--port",
        str(port),
        *extra,
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"the server exited: {err[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start in 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def audit_rate(archive: Archive, threads: int, per_thread: int) -> tuple[float, bool]:
    """Entries/s with ``threads`` appending at once to the archive's log; chain verified."""
    audit = open_audit_log(archive.db, archive.settings)

    def call(c: int, i: int) -> None:
        audit.append(
            AccessEvent(actor=f"bench-{c}", action=Action.search, details={"i": i, "bench": True})
        )

    lat, wall = run_clients(threads, threads * per_thread, call)
    ok = audit.verify().ok
    return len(lat) / wall, ok


# -- driver --------------------------------------------------------------------------


def scale_out_services(tag: str) -> dict[str, str]:
    """Environment of an archive on the running services: a schema and an index of its own."""
    from tests.services import isolated_pg_url, isolated_s3_url, service_urls

    urls = service_urls()
    return {
        "CNAP_DATABASE_URL": isolated_pg_url(),
        "CNAP_STORAGE_URL": isolated_s3_url(),
        "CNAP_INDEX_URL": f"{urls['CNAP_INDEX_URL']}/?index=bench-api-{tag}",
    }


def drop_services(services: dict[str, str]) -> None:
    """Drop the schema and the index a scale-out run made (best effort)."""
    from urllib.parse import parse_qs, urlparse

    import psycopg

    from tests.services import drop_isolated_pg

    try:
        drop_isolated_pg(services["CNAP_DATABASE_URL"])
    except psycopg.Error as exc:
        log(f"could not drop the run's schema: {exc}")
    index = urlparse(services["CNAP_INDEX_URL"])
    name = parse_qs(index.query)["index"][0]
    base = f"{index.scheme}://{index.netloc}"
    try:
        httpx.delete(f"{base}/{name}*", timeout=60)
    except httpx.HTTPError as exc:
        log(f"could not drop index {name}: {exc}")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--documents", type=int, default=100_000)
    ap.add_argument("--pages", type=int, default=2, help="at most this many pages a document")
    ap.add_argument("--words-per-page", type=int, default=200)
    ap.add_argument("--lemmas", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--keep", type=Path, help="keep the archive in DIR and reuse it")
    ap.add_argument("--requests", type=int, default=800, help="timed requests per cell")
    ap.add_argument(
        "--warmup", type=int, default=5, help="untimed requests per client before a cell's"
    )
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--workers", type=int, help="serve --workers (default: the server's own)")
    ap.add_argument("--audit-appends", type=int, default=100, help="per thread, 16 threads")
    ap.add_argument("--roles", default=",".join(ROLES))
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--levels", default=",".join(map(str, LEVELS)))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument(
        "--client", choices=("go", "httpx"), help="load generator (default: go when installed)"
    )
    ap.add_argument(
        "--scale-out",
        action="store_true",
        help="PostgreSQL and Elasticsearch of scripts/services.sh instead of SQLite and Tantivy",
    )
    args = ap.parse_args(argv)
    roles = args.roles.split(",")
    kinds = args.kinds.split(",")
    levels = [int(x) for x in args.levels.split(",")]

    temp: Path | None = None
    if args.keep:
        data_dir = args.keep.resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        temp = Path(tempfile.mkdtemp(prefix="api-bench-"))
        data_dir = temp
    params = {
        "documents": args.documents,
        "pages": args.pages,
        "words_per_page": args.words_per_page,
        "lemmas": args.lemmas,
        "seed": args.seed,
    }
    meta_path = data_dir / "bench.json"
    services = scale_out_services(f"{os.getpid()}") if args.scale_out else None
    if services:
        settings = Settings(
            data_dir=data_dir,
            database_url=services["CNAP_DATABASE_URL"],
            storage_url=services["CNAP_STORAGE_URL"],
            index_url=services["CNAP_INDEX_URL"],
        )
    else:
        settings = Settings(data_dir=data_dir)
    proc: subprocess.Popen[bytes] | None = None
    try:
        log(f"{os.cpu_count()} cores, {load()}")
        vocab = build_vocabulary(args.lemmas, args.seed)
        corpus = Corpus(vocab, args.seed, args.words_per_page)
        previous = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        archive = Archive(settings)
        archive.init()
        # A scale-out run has a new schema and index: always built.
        if previous.get("params") == params and not services:
            build_s = previous["build_s"]
            log(f"reusing the archive in {data_dir}")
        else:
            if previous:
                raise SystemExit(f"{data_dir} holds another archive: use an empty --keep DIR")
            log(f"building {args.documents:,} documents into {data_dir} …")
            build_s = build(archive, corpus, args.documents, args.pages, args.batch)
            if not services:  # a scale-out archive is dropped at the end: nothing to reuse
                meta_path.write_text(json.dumps({"params": params, "build_s": build_s}))
        log(f"build {build_s:.0f} s ({args.documents / build_s:.0f} documents/s)")
        tokens = ensure_users(archive)
        queries = make_queries(corpus, args.documents, args.requests, args.seed)
        # Warm-up searches: the same kinds, another draw (none of them is timed).
        warm_queries = make_queries(
            corpus, args.documents, max(1, args.warmup * max(levels)), args.seed + 1
        )

        # The raw index, in this process, read-only: the floor the API is measured against.
        raw_index = (
            Archive(settings).index
            if services
            else TantivyIndex(settings.data_dir / "index", readonly=True)
        )
        for q in queries["common word"][:10]:
            raw_index.search(raw_query(q, "official", args.limit))
        raw: dict[str, dict[str, dict[str, float]]] = {}
        for role in roles:
            for kind in kinds:
                qs = queries[kind]

                def raw_call(_c: int, i: int, qs: list[Q] = qs, role: str = role) -> None:
                    raw_index.search(raw_query(qs[i % len(qs)], role, args.limit))

                lat, wall = run_clients(1, len(qs), raw_call)
                raw.setdefault(role, {})[kind] = summary(lat, wall)
        raw_index.close()

        port = free_port()
        extra = ["--workers", str(args.workers)] if args.workers else []
        proc = start_server(data_dir, port, extra, services)
        base = f"http://127.0.0.1:{port}"
        log(f"server pid {proc.pid} on {base} {' '.join(extra)}; RSS {rss_mib(proc.pid):.0f} MiB")
        generator = loadgen(args.client)
        log(
            f"clients: {'bench/loadgen (Go)' if generator else 'httpx, Python threads'}; "
            f"{args.requests} timed searches a cell after {args.warmup} untimed per client"
        )
        clients = [
            httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=1))
            for _ in range(max(levels))
        ]
        # Warm-up: every worker process loads the analyser and touches the index.
        for i in range(40):
            for role in roles:
                r = clients[i % len(clients)].get(
                    "/api/search",
                    params=queries["common word"][i % args.requests].params(args.limit),
                    headers={"Authorization": f"Bearer {tokens[role]}"},
                )
                r.raise_for_status()

        api: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
        log("")
        log(
            f"{'role':<14}{'query':<13}{'clients':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'req/s':>8}{'raw p50':>9}{'raw p95':>9}{'p50 ×raw':>10}{'cpu ms':>8}   load"
        )

        def paths_of(qs: list[Q]) -> list[str]:
            return ["/api/search?" + urlencode(q.params(args.limit)) for q in qs]

        def searcher(qs: list[Q], headers: dict[str, str]) -> Callable[[int, int], None]:
            """Client ``c`` searches the ``i``-th query (the Python clients)."""

            def call(c: int, i: int) -> None:
                r = clients[c].get(
                    "/api/search", params=qs[i % len(qs)].params(args.limit), headers=headers
                )
                if r.status_code != 200:
                    raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")

            return call

        workers = server_pids(proc.pid)
        for role in roles:
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            for kind in kinds:
                qs = queries[kind]
                for level in levels:
                    wq = warm_queries[kind]
                    cpu0 = cpu_seconds(workers)
                    if generator is not None:
                        lat, wall = run_loadgen(
                            generator,
                            base,
                            headers,
                            paths_of(qs),
                            level,
                            args.requests,
                            args.warmup,
                            paths_of(wq),
                        )
                    else:
                        call, warm = searcher(qs, headers), searcher(wq, headers)
                        lat, wall = run_clients(level, args.requests, call, args.warmup, warm)
                    fig = summary(lat, wall)
                    # The server's CPU per search (all its processes), whatever else runs.
                    served = len(lat) + args.warmup * level
                    fig["server_cpu_ms"] = (cpu_seconds(workers) - cpu0) * 1000 / served
                    api.setdefault(role, {}).setdefault(kind, {})[str(level)] = fig
                    rw = raw[role][kind]
                    log(
                        f"{role:<14}{kind:<13}{level:>8}{fig['p50']:9.1f}{fig['p95']:9.1f}"
                        f"{fig['p99']:9.1f}{fig['rps']:8.0f}{rw['p50']:9.2f}{rw['p95']:9.2f}"
                        f"{fig['p50'] / rw['p50']:10.1f}{fig['server_cpu_ms']:8.2f}"
                        f"   {os.getloadavg()[0]:.2f}"
                    )
        rss = rss_mib(proc.pid)
        for c in clients:
            c.close()
        stop_server(proc)
        proc = None

        rate, chain_ok = audit_rate(archive, 16, args.audit_appends)
        archive.close()
        log("")
        log(f"server RSS {rss:.0f} MiB (with its workers)")
        log(f"audit: {rate:.0f} entries/s with 16 threads appending; chain verifies: {chain_ok}")
        log(f"end: {load()}")
        figures = {
            "params": params,
            "cores": os.cpu_count(),
            "workers": args.workers,
            "requests_per_cell": args.requests,
            "warmup_per_client": args.warmup,
            "load_end": os.getloadavg(),
            "build_seconds": build_s,
            "raw": raw,
            "api": api,
            "server_rss_mib": rss,
            "audit_entries_per_second": rate,
            "audit_chain_ok": chain_ok,
        }
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
        return figures
    finally:
        if proc is not None:
            stop_server(proc)
        if services:
            drop_services(services)
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
