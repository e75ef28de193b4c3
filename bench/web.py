"""Server time and weight of the web pages on an archive of ≥ 10,000 documents.

Builds an embedded archive (SQLite + Tantivy) of N synthetic documents with
the corpus of ``bench/search_latency.py`` (rows written straight into the
database, pages straight into the index — no OCR), then times the pages
through the ASGI app in process (server time: routing, session, use case,
template; no network) and prints p50/p95 in milliseconds and bytes per page.

    .venv/bin/python bench/web.py                 # 10,000 documents
    .venv/bin/python bench/web.py --documents 20000 --repeat 50
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fastapi.testclient import TestClient
from search_latency import Corpus, build_vocabulary

from api.app import create_app
from archive.models import Case, DocState, Document, Page, Source
from archive.settings import Settings
from archive.users import Role, add_user
from backends import Archive
from usecases.passwords import hash_password

HOME, DEPT, PASSWORD = "ЦНАП Бенч", "ДМС", "bench password 1"
QUERIES = ["заява", "довідка про реєстрацію", "місце проживання", "рішення", "паспорт",
           "свідоцтво", "земельна ділянка", "відмова", "субсидія", "дозвіл"]  # fmt: skip
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def build(data: Path, documents: int, seed: int) -> list[str]:
    """The archive with ``documents`` documents of one centre and department; their ids."""
    settings = Settings(data_dir=data, centre=HOME)
    archive = Archive(settings)
    archive.init()
    corpus = Corpus(build_vocabulary(3000, seed), seed, 220)
    ids: list[str] = []
    with archive.db.session() as s:
        hashed = hash_password(PASSWORD)
        add_user(s, "official", Role.official, password_hash=hashed, centre=HOME, department=DEPT)
        add_user(s, "admin", Role.administrator, password_hash=hashed, centre=HOME)
        add_user(s, "dpo", Role.dpo, password_hash=hashed, centre=HOME)
        add_user(s, "archivist", Role.archivist, password_hash=hashed, centre=HOME)
    batch = 1000
    case_ids: dict[str, int] = {}
    for start in range(0, documents, batch):
        docs = [corpus.document(n, pages=4) for n in range(start, min(start + batch, documents))]
        with archive.db.session() as s:
            cases: dict[str, Case] = {}
            for d in docs:
                if (d.case or "") not in case_ids and (d.case or "") not in cases:
                    cases[d.case or ""] = Case(number=d.case, centre=HOME, department=DEPT)
            s.add_all(cases.values())
            s.flush()
            case_ids.update({k: c.id for k, c in cases.items()})
            for d in docs:
                d.centre, d.department = HOME, DEPT
                sha = hashlib.sha256(d.document_id.encode()).hexdigest()
                s.add(
                    Document(
                        id=d.document_id, case_id=case_ids[d.case or ""], source=Source(d.source),
                        original_name="заява.pdf", sha256=sha, size=100_000,
                        media_type="application/pdf", page_count=len(d.pages),
                        state=DocState.archived, archived_at=d.archived_at, meta={},
                    )
                )  # fmt: skip
                s.flush()
                for i, text in enumerate(d.pages, start=1):
                    s.add(Page(document_id=d.document_id, number=i, text=text, ocr=True, words=[]))
                ids.append(d.document_id)
        archive.index.upsert(docs)
    archive.close()
    return ids


def sign_in(client: TestClient, login: str) -> str:
    """Sign ``client`` in through the form; the CSRF token of its forms."""
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"login": login, "password": PASSWORD, "csrf": token},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    return token


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], int]:
    times, size = [], 0
    fn()  # warm (templates compiled, caches filled)
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = fn()
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.status_code
        size = len(r.content)
    return times, size


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--documents", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cnap-web-bench-") as tmp:
        data = Path(tmp) / "data"
        t0 = time.perf_counter()
        ids = build(data, args.documents, args.seed)
        built = time.perf_counter() - t0
        app = create_app(Settings(data_dir=data, centre=HOME))
        with TestClient(app) as c:
            token = sign_in(c, "official")
            desk, dpo, arch = TestClient(app), TestClient(app), TestClient(app)
            sign_in(desk, "admin")
            dpo_token = sign_in(dpo, "dpo")
            arch_token = sign_in(arch, "archivist")
            # A drafted plan over the whole archive (what is due today), for its page.
            drafted = arch.post("/retention/plans", data={"csrf": arch_token, "as_of": ""},
                                follow_redirects=False)  # fmt: skip
            plan = drafted.headers["location"].split("?")[0]
            case_id = int(re.search(r'href="/cases/(\d+)"', desk.get("/desk").text).group(1))  # type: ignore[union-attr]
            anon = TestClient(app)
            queries = iter(QUERIES * (args.repeat + 2))
            hits: list[int] = []

            def search() -> Any:
                resp = c.post("/search", data={"csrf": token, "q": next(queries)})
                hits.append(resp.text.count('class="hit"'))
                return resp

            pages: dict[str, Callable[[], Any]] = {
                "login": lambda: anon.get("/login"),
                "home": lambda: c.get("/"),
                "search form": lambda: c.get("/search"),
                "search, 20 hits": search,
                "document": lambda: c.get(f"/documents/{ids[len(ids) // 2]}"),
                "desk: today's queue": lambda: desk.get("/desk"),
                "desk: register form": lambda: desk.get("/cases/new"),
                "desk: case page": lambda: desk.get(f"/cases/{case_id}"),
                "desk: scans and held parts": lambda: desk.get("/scans"),
                "DPO: log by user": lambda: dpo.post(
                    "/log", data={"csrf": dpo_token, "user": "official"}
                ),
                "DPO: review": lambda: dpo.get("/log/review"),
                "DPO: log verification": lambda: dpo.get("/log/verify"),
                "archivist: plans": lambda: arch.get("/retention"),
                "archivist: what is due": lambda: arch.get("/retention/due"),
                "archivist: plan page": lambda: arch.get(plan),
                "archivist: holds": lambda: arch.get("/retention/holds"),
                "archivist: acts and packages": lambda: arch.get("/retention/outputs"),
                "archivist: rules": lambda: arch.get("/retention/rules"),
                "archivist: fixity results": lambda: arch.get("/fixity"),
            }
            out: dict[str, Any] = {"documents": len(ids), "build_seconds": round(built, 1)}
            for name, fn in pages.items():
                times, size = timed(fn, args.repeat)
                qs = statistics.quantiles(times, n=20)
                out[name] = {
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(qs[18], 1),
                    "bytes": size,
                }
            out["search, 20 hits"]["min_hits_per_page"] = min(hits)
            css = len(c.get("/static/web.css").content)
            js = len(c.get("/static/htmx.min.js").content)
            up = len(c.get("/static/upload.js").content)
            out["static_bytes"] = {"web.css": css, "htmx.min.js": js, "upload.js": up}
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return out


if __name__ == "__main__":
    main()
