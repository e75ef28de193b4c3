"""Throughput of the OCR stage relative to plain Tesseract, on the same pages and cores.

    .venv/bin/python bench/ocr_throughput.py [--pages 16] [--jobs N] [--rounds 2]

Both sides get the same page images (a mix of clean 300-dpi scans and 200-dpi
JPEGs, straight, skewed and upside down; see ``LEVELS``) and a pool of
``--jobs`` worker processes, one page per task, Tesseract single-threaded:

- plain: ``tesseract IMG out -l ukr+eng pdf`` per page;
- ours: ``run_ocr`` per page (image → PDF/A-2b + page text and word boxes),
  in spawned worker processes as the pipeline runs it.

Rounds alternate plain/ours so that load from other users of the machine hits
both sides alike; the ratio is computed from the summed times of each side.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.synthetic import save_image, scan  # noqa: E402

# What a desk scanner produces, cycled over the pages. Plain Tesseract does
# real work on all of these; on the heavy-noise levels (--noisy) its layout
# analysis gives up within a second and returns nothing, which makes it look
# fast, so those pages are opt-in.
LEVELS = ["clean", "jpeg200", "skewed", "upside_down"]
NOISY_LEVELS = ["noisy_skewed", "noisy_skewed_upside_down"]


def make_pages(n: int, folder: Path, levels: Sequence[str] = LEVELS) -> list[Path]:
    paths = []
    for i in range(n):
        level = levels[i % len(levels)]
        _, img = scan(level, seed=7000 + i)
        suffix = ".png" if level == "clean" else ".tif" if level == "bilevel" else ".jpg"
        paths.append(save_image(img, folder / f"page{i:03d}-{level}{suffix}"))
    return paths


def _warm() -> None:
    # Worker start-up (imports) is paid once per long-lived pipeline worker,
    # not per page; keep it out of the measurement.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import ingest.ocr.engine
    import ingest.ocr.stage  # noqa: F401


def plain_tesseract(image: str, out_base: str) -> None:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    subprocess.run(
        ["tesseract", image, out_base, "-l", "ukr+eng", "pdf"],
        check=True,
        capture_output=True,
        env=env,
    )


def ours(image: str, out_base: str) -> int:
    from ingest.ocr import OcrOptions, run_ocr

    result = run_ocr(
        Path(image),
        "image",
        Path(out_base + ".pdf"),
        options=OcrOptions(jobs=1),
        work_dir=Path(out_base + ".work"),
    )
    return sum(len(p.words) for p in result.pages)


def ocrmypdf_defaults(image: str, out_base: str) -> None:
    import ocrmypdf

    ocrmypdf.ocr(
        image,
        out_base + ".pdf",
        language=["ukr", "eng"],
        jobs=1,
        progress_bar=False,
        rotate_pages=True,
        deskew=True,
    )


def timed_round(
    pool: ProcessPoolExecutor, fn: Callable[[str, str], object], pages: Sequence[Path], out: Path
) -> float:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    futures = [pool.submit(fn, str(p), str(out / p.stem)) for p in pages]
    for f in futures:
        f.result()
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--noisy", action="store_true", help="add the heavy-noise levels to the page mix"
    )
    parser.add_argument(
        "--ocrmypdf-defaults",
        action="store_true",
        help="also time OCRmyPDF with --rotate-pages --deskew and its defaults",
    )
    args = parser.parse_args(argv)

    sides: list[tuple[str, Callable[[str, str], object]]] = [
        ("plain tesseract", plain_tesseract),
        ("run_ocr", ours),
    ]
    if args.ocrmypdf_defaults:
        sides.append(("ocrmypdf defaults", ocrmypdf_defaults))

    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        folder = Path(tmp)
        pages = make_pages(args.pages, folder, LEVELS + NOISY_LEVELS if args.noisy else LEVELS)
        totals = {name: 0.0 for name, _ in sides}
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(args.jobs, mp_context=ctx, initializer=_warm) as pool:
            warm = pages[: min(len(pages), args.jobs)]
            for name, fn in sides:
                timed_round(pool, fn, warm, folder / f"warm-{name}")
            for r in range(args.rounds):
                order = sides if r % 2 == 0 else sides[::-1]
                for name, fn in order:
                    elapsed = timed_round(pool, fn, pages, folder / f"r{r}-{name}")
                    totals[name] += elapsed
                    print(
                        f"round {r + 1} {name:18s} {len(pages) / elapsed:6.3f} pages/s",
                        flush=True,
                    )
    n = args.pages * args.rounds
    base = n / totals["plain tesseract"]
    print(f"\n{args.pages} pages × {args.rounds} rounds, {args.jobs} workers")
    for name, _ in sides:
        rate = n / totals[name]
        print(f"{name:18s} {rate:6.3f} pages/s  ratio {rate / base:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
