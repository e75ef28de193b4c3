"""Benchmark: an administrator's batch, from registration to every case searchable.

The administrator registers ``--packages`` cases (number, cover sheet,
inventory; the inventory's case copy is archived), stacks each package of
``--pages`` pages under its cover sheet — with a blank duplex back here and
there — scans the whole stack as one file, and hands it to the archive
(``ingest --split``). The benchmark measures each step on the embedded
backends and reports the time from the scanned file to every case being
found by a word that occurs only in its own pages.

The scan is synthetic but paper-like (:mod:`tests.synthetic`): pages rendered
at the scan resolution, slightly skewed, with sensor noise, stored as JPEG
in a PDF the way desk scanners write them; cover sheets are the real
printed PDFs rasterised and degraded the same way. Every page goes through
Tesseract (``ukr+eng``).

    .venv/bin/python bench/desk_batch.py [--packages 10] [--pages 5] [--dpi 300]
        [--workers N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archive import cases as ops  # noqa: E402
from archive.settings import IngestSettings, Settings  # noqa: E402
from archive.users import Role  # noqa: E402
from backends import Archive  # noqa: E402
from ingest.batch import ingest_batch  # noqa: E402
from ingest.dispatch import LocalDispatcher  # noqa: E402
from scanner.cover_sheet import CoverSheet  # noqa: E402
from search.base import SearchQuery  # noqa: E402
from tests.scanner import paper  # noqa: E402
from tests.synthetic import degrade, images_to_pdf, render_page, ukrainian_lines  # noqa: E402
from usecases import access  # noqa: E402
from usecases import cases as desk  # noqa: E402
from usecases.policy import Principal  # noqa: E402

CENTRE = "ЦНАП Житомир"
# One word per case, printed on every page of its package and nowhere else.
MARKERS = [
    "яблуня",
    "калина",
    "тополя",
    "ромашка",
    "волошка",
    "барвінок",
    "соняшник",
    "горобина",
    "ялина",
    "смерека",
    "верба",
    "каштан",
    "шипшина",
    "ожина",
    "лаванда",
    "конвалія",
]


def _scan_pages(numbers: list[str], pages: int, dpi: int, tmp: Path, seed: int) -> list[Any]:
    rng = random.Random(seed)
    out: list[Any] = []
    for i, number in enumerate(numbers):
        cover = paper.cover_sheet_image(CoverSheet(number, "input", CENTRE), tmp)
        out.append(
            degrade(
                paper.at_dpi(cover, dpi),
                skew_deg=rng.uniform(-2, 2),
                noise=0.02,
                jpeg_quality=80,
                seed=rng.randrange(10**6),
            )
        )
        for n in range(pages):
            lines = [
                f"{MARKERS[i % len(MARKERS)].upper()} — аркуш {n + 1}",
                *ukrainian_lines(rng.randrange(10**6), 24),
            ]
            page = render_page(lines, dpi=dpi)
            out.append(
                degrade(
                    page,
                    skew_deg=rng.uniform(-1.5, 1.5),
                    noise=0.02,
                    jpeg_quality=80,
                    seed=rng.randrange(10**6),
                )
            )
            if rng.random() < 0.2:  # the blank back of a single-sided sheet
                blank = paper.with_bleed_through(paper.blank_page(), rng.randrange(100))
                out.append(
                    degrade(
                        paper.at_dpi(blank, dpi),
                        noise=0.02,
                        jpeg_quality=80,
                        seed=rng.randrange(10**6),
                    )
                )
    return out


def run(packages: int, pages: int, dpi: int, workers: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cnap-desk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings(
            data_dir=tmp / "data", centre=CENTRE, ingest=IngestSettings(workers=workers)
        )
        archive = Archive(settings)
        archive.init()
        _ = archive.index
        dispatcher = LocalDispatcher(archive, workers=workers)
        admin = Principal("olena", Role.administrator, centre=CENTRE)
        events = access.events_for(archive)
        try:
            t0 = time.perf_counter()
            numbers = []
            for i in range(packages):
                reg = ops.Registration(
                    service="Реєстрація місця проживання",
                    centre=CENTRE,
                    applicant=f"Заявник {i + 1}",
                    items=[ops.Item("Заява", 1), ops.Item("Документи", pages - 1)],
                    notify=ops.Notify.sms,
                    actor=admin.login,
                )
                done = desk.register(
                    archive, events, admin, reg, out_dir=tmp / "print", dispatcher=dispatcher
                )
                numbers.append(done.case.number)
            register_s = time.perf_counter() - t0

            t0 = time.perf_counter()
            images = _scan_pages(numbers, pages, dpi, tmp, seed)
            scan = images_to_pdf(images, tmp / "scan.pdf", dpi=dpi)
            make_s = time.perf_counter() - t0
            total_pages = len(images)
            # The inventories' processing is not part of the batch's time.
            dispatcher.wait(_pending(archive))

            t0 = time.perf_counter()
            report = ingest_batch(
                archive, scan, actor=admin.login, dispatcher=dispatcher, wait=False
            )
            split_s = time.perf_counter() - t0
            ids = [p.document_id for p in report.parts if p.document_id]
            dispatcher.wait(ids)
            archived_s = time.perf_counter() - t0
            dispatcher.flush_index()
            found = 0
            for i, number in enumerate(numbers):
                hits = archive.index.search(SearchQuery(text=MARKERS[i % len(MARKERS)], limit=20))
                found += int(number in {h.case for h in hits.hits})
            searchable_s = time.perf_counter() - t0
        finally:
            dispatcher.close()
            archive.close()
    attached = [p for p in report.parts if p.state == "attached"]
    return {
        "packages": packages,
        "pages_per_package": pages,
        "dpi": dpi,
        "workers": workers,
        "cpus": os.cpu_count(),
        "batch_pages": total_pages,
        "blank_pages_dropped": len(report.blank_pages),
        "cover_sheets_read": len(report.cover_pages),
        "packages_attached": len(attached),
        "parts_held": len(report.held),
        "register_seconds_per_case": round(register_s / packages, 3),
        "make_scan_seconds": round(make_s, 1),
        "split_seconds": round(split_s, 1),
        "split_seconds_per_page": round(split_s / total_pages, 3),
        "to_archived_seconds": round(archived_s, 1),
        "to_searchable_seconds": round(searchable_s, 1),
        "ocr_pages_per_minute": round(packages * pages / archived_s * 60, 1),
        "cases_found_by_their_word": found,
    }


def _pending(archive: Archive) -> list[str]:
    from ingest.pipeline import pending_documents

    return pending_documents(archive)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packages", type=int, default=10)
    ap.add_argument("--pages", type=int, default=5)
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    result = run(args.packages, args.pages, args.dpi, args.workers, args.seed)
    print("\nПачка адміністратора: від сканування до пошуку")
    labels = {
        "batch_pages": "сторінок у пачці (з титульними і порожніми)",
        "cover_sheets_read": "титульних аркушів розпізнано",
        "blank_pages_dropped": "порожніх сторінок вилучено",
        "packages_attached": "пакетів долучено до справ",
        "parts_held": "відкладено для перевірки",
        "register_seconds_per_case": "реєстрація справи (номер, PDF), с",
        "split_seconds": "поділ пачки і приймання, с",
        "split_seconds_per_page": "  на сторінку, с",
        "to_archived_seconds": "до заархівування всіх пакетів (OCR), с",
        "to_searchable_seconds": "до пошуку всіх справ, с",
        "ocr_pages_per_minute": "сторінок документів за хвилину",
        "cases_found_by_their_word": "справ знайдено за своїм словом",
    }
    for key, label in labels.items():
        print(f"  {label:45} {result[key]}")
    print(
        f"  ({result['packages']} пакетів × {result['pages_per_package']} стор., "
        f"{result['dpi']} dpi, обробників {result['workers']}, ядер {result['cpus']})"
    )
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
