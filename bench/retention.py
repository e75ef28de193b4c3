"""Benchmark: retention plan and apply over many cases, streaming, in bounded memory.

Generates N closed cases of 2024 (each with one document and one page; every
twentieth an uncollected result without a contact, whose stored object is
transferred to the archival tier), then on 2028-02-01 computes what is due,
drafts the plan, approves and agrees it, and applies it: destruction of the
2024 files (act PDF, tombstones, audit entries) and the transfers (BagIt).
Prints the time and the rate (cases per second) of each phase, the CPU time
of the process (on a loaded machine the wall time mostly measures the wait
for a core), and the process's peak RSS; with ``--trace-memory`` also the
peak Python memory of each phase (tracemalloc, which slows the run 2-3x).

    .venv/bin/python bench/retention.py [--cases 100000] [--plan-only] [--trace-memory]
                                        [--data DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from archive.cases import CaseRegistration  # noqa: E402
from archive.models import (  # noqa: E402
    Case,
    CaseStatus,
    DocState,
    Document,
    Package,
    PackageKind,
    Page,
    Source,
)
from archive.settings import Settings  # noqa: E402
from archive.users import Role  # noqa: E402
from backends import Archive  # noqa: E402
from usecases import access  # noqa: E402
from usecases import retention as uc  # noqa: E402
from usecases.context import Context  # noqa: E402
from usecases.policy import Principal  # noqa: E402

CENTRE = "ЦНАП Бенчмарк"
BATCH = 5000


def _at(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(10), tzinfo=dt.UTC)


def generate(archive: Archive, n: int) -> None:
    """N cases in batches (bulk inserts; objects only for the transfers)."""
    for start in range(1, n + 1, BATCH):
        ids = range(start, min(start + BATCH, n + 1))
        cases, regs, pkgs, docs, pages = [], [], [], [], []
        for i in ids:
            reg = dt.date(2024, 1, 1) + dt.timedelta(days=i % 300)
            uncollected = i % 20 == 0
            cases.append(
                {
                    "id": i,
                    "number": f"2024/{i:07d}",
                    "service": "Реєстрація місця проживання",
                    "centre": CENTRE,
                    "status": CaseStatus.result_received if uncollected else CaseStatus.issued,
                    "registered_at": _at(reg),
                    "closed_at": None if uncollected else _at(reg + dt.timedelta(days=20)),
                }
            )
            regs.append({"case_id": i, "year": 2024, "seq": i, "contact": None})
            pkgs.append(
                {
                    "id": i,
                    "case_id": i,
                    "kind": PackageKind.output,
                    "inventory": [],
                    "received_at": _at(reg + dt.timedelta(days=10)),
                    "collected_at": None if uncollected else _at(reg + dt.timedelta(days=20)),
                }
            )
            body = f"результат {i}".encode()
            sha = archive.store.put_bytes(body).sha256 if uncollected else f"{i:064x}"
            doc_id = f"{i:032x}"
            docs.append(
                {
                    "id": doc_id,
                    "case_id": i,
                    "package_id": i,
                    "source": Source.scanner,
                    "original_name": "result.pdf",
                    "sha256": sha,
                    "size": len(body),
                    "state": DocState.archived,
                    "page_count": 1,
                }
            )
            pages.append({"document_id": doc_id, "number": 1, "text": f"текст {i}"})
        with archive.db.session() as s:
            for model, rows in (
                (Case, cases),
                (CaseRegistration, regs),
                (Package, pkgs),
                (Document, docs),
                (Page, pages),
            ):
                s.execute(insert(model), rows)


TRACE = False


def measured(name: str, fn: Callable[[], Any], cases: int) -> Any:
    if TRACE:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    line = (
        f"{name:<10} {took:9.1f} s   {cases / max(took, 1e-9):9.1f} cases/s"
        f"   CPU {cpu:8.1f} s ({cases / max(cpu, 1e-9):9.1f} cases/CPU-s)"
    )
    if TRACE:
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        line += f"   peak Python memory {peak / 2**20:8.1f} MiB"
    print(line, flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--plan-only", action="store_true", help="only what is due and the draft")
    ap.add_argument("--trace-memory", action="store_true", help="peak Python memory per phase")
    ap.add_argument("--data", type=Path, help="data directory (default: a temporary one)")
    args = ap.parse_args()
    global TRACE
    TRACE = args.trace_memory
    data = args.data or Path(tempfile.mkdtemp(prefix="cnap-retention-bench-"))
    archive = Archive(Settings(data_dir=data, centre=CENTRE))
    archive.init()
    ctx = Context(
        archive, Principal("bench", Role.archivist, centre=CENTRE), access.events_for(archive)
    )
    day = dt.date(2028, 2, 1)
    print(f"{args.cases} cases in {data}")
    t0 = time.perf_counter()
    generate(archive, args.cases)
    print(f"{'generate':<10} {time.perf_counter() - t0:9.1f} s")

    def count_due() -> dict[str, int]:
        # The streaming walk itself (the use case keeps the lines for its caller).
        from retention import plan as planning

        counts: dict[str, int] = {}
        with archive.db.session() as s:
            rules = planning.in_force(s, day)
            for line in planning.due(s, rules, day, archive.settings.desk.timezone):
                counts[line.action] = counts.get(line.action, 0) + 1
        return counts

    print("due:", measured("due", count_due, args.cases))
    plan = measured("draft", lambda: uc.draft_plan(ctx, as_of=day), args.cases)
    print(f"plan № {plan.number}: {plan.items} items")
    if not args.plan_only:
        uc.approve_plan(ctx, number=plan.number, decision="ЕК-1")
        uc.agree_plan(ctx, number=plan.number, reference="ЕПК-1")
        rep = measured("apply", lambda: uc.apply_plan(ctx, number=plan.number), plan.items)
        print("apply:", {k: rep[k] for k in ("state", "done", "objects", "by_action", "bag")})
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end: {load} on {os.cpu_count()} cores")
    print(f"peak RSS of the process: {rss:.0f} MiB")
    archive.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
