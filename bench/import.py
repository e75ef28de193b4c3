"""Documents per second of ``cnap-archive import`` on a generated earlier archive.

    .venv/bin/python bench/import.py [--cases 10000] [--files 1] [--keep DIR]

Generates a folder of born-digital PDFs and a manifest of ``--cases`` cases
(numbers ``2024/NNNNN``, dates, departments, one or more files each), then
imports it on the embedded backends through the use case the command line
calls, after a small warm-up import (worker processes started, the seed
classifier trained). Beside it, in the same run, the raw limit: hash + store
+ text extraction of a sample of the same files on one core, and the ratio.

The PDFs are made quickly: a few dozen real text PDFs (reportlab, DejaVu
embedded) serve as templates, and each case's copy differs in its document
ID (same length, so the file stays valid) — unique bytes, realistic text.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The same floor as bench/ingest_throughput.py: hash + store + text layer, one core.
from ingest_throughput import raw_limit

from archive.settings import Settings
from archive.users import Role
from backends import Archive
from tests.synthetic import born_digital_pdf, ukrainian_lines
from usecases.context import Context, events_for
from usecases.imports import ImportProgress, import_archive
from usecases.policy import Principal

TEMPLATES = 48
HEADER = "number,service,applicant,registered,sent,result,closed,department,files,result_files\n"
SERVICES = ["Довідка про склад сім'ї", "Реєстрація місця проживання", "Витяг з реєстру"]
DEPARTMENTS = ["Відділ реєстрації", "Управління соцзахисту", "Земельний відділ"]


def templates(folder: Path) -> list[bytes]:
    out = []
    for t in range(TEMPLATES):
        path = born_digital_pdf(
            [[f"Рішення про надання адміністративної послуги ({t})", *ukrainian_lines(t, 25)]],
            folder / f"template-{t}.pdf",
        )
        data = path.read_bytes()
        path.unlink()
        out.append(data)
    return out


def vary(template: bytes, key: str) -> bytes:
    """The template with its document ID replaced (32 hex digits, same length)."""
    at = template.index(b"/ID \n[<") + len(b"/ID \n[<")
    new = hashlib.md5(key.encode(), usedforsecurity=False).hexdigest().encode()
    return template[:at] + new + template[at + 32 :]


def make_archive(root: Path, cases: int, files: int, first: int = 1) -> Path:
    """``root/old`` with the PDFs and ``root/cases-<first>.csv``; returns the manifest."""
    old = root / "old"
    tpl = templates(root)
    rows = []
    for i in range(first, first + cases):
        folder = old / f"{i // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        names = []
        for f in range(files):
            name = f"{i // 1000:03d}/case-{i:06d}-{f}.pdf"
            (old / name).write_bytes(vary(tpl[(i * files + f) % TEMPLATES], f"{i}:{f}"))
            names.append(name)
        day = 1 + i % 28
        month = 1 + i // 28 % 12
        closed = f"2024-{month:02d}-{day:02d} 16:00" if i % 3 else ""
        rows.append(
            f"2024/{i:05d},{SERVICES[i % 3]},Заявник {i},2024-{month:02d}-{day:02d} 10:00,"
            f",,{closed},{DEPARTMENTS[i % 3]},{';'.join(names)},"
        )
    manifest = root / f"cases-{first}.csv"
    manifest.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--files", type=int, default=1, help="files per case")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="cnap-import-bench-"))
    root.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    warm = make_archive(root, 20, 1, first=90_001)
    manifest = make_archive(root, args.cases, args.files)
    made = time.perf_counter() - start
    print(f"generated {args.cases} cases × {args.files} files in {made:.1f} s")

    sample = sorted((root / "old").rglob("case-0*.pdf"))[:300]
    raw = raw_limit(Settings(data_dir=root / "raw-data"), sample)
    print(f"raw limit (hash + store + text, one core, {len(sample)} files): {raw:.1f} docs/s")

    settings = Settings(data_dir=root / "data", centre="ЦНАП Бенчмарк")
    archive = Archive(settings)
    archive.init()
    ctx = Context(
        archive,
        Principal("local:bench", Role.administrator, None, local=True, address="bench"),
        events_for(archive),
    )
    t = time.perf_counter()
    import_archive(ctx, folder=root / "old", manifest=warm)
    print(f"warm-up (20 cases) {time.perf_counter() - t:.1f} s")

    last = [0.0]

    def progress(p: ImportProgress) -> None:
        if time.monotonic() - last[0] > 15:
            last[0] = time.monotonic()
            eta = f"{p.eta_seconds:.0f} s" if p.eta_seconds is not None else "—"
            print(
                f"  {p.documents_done}/{p.documents_total} documents, "
                f"{p.rate:.1f} docs/s, eta {eta}",
                flush=True,
            )

    t = time.perf_counter()
    summary = import_archive(ctx, folder=root / "old", manifest=manifest, on_progress=progress)
    elapsed = time.perf_counter() - t
    archive.close()
    bad = len(summary.rejected) + len(summary.rejected_documents)
    rate = summary.documents / elapsed
    print(
        f"import: {summary.imported} cases, {summary.documents} documents in {elapsed:.1f} s "
        f"= {rate:.1f} docs/s (rejected {bad}); ratio to the raw limit {rate / raw:.2f}"
    )
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
