"""Character error rate per scan condition: plain Tesseract, OCRmyPDF, our OCR stage.

    .venv/bin/python bench/ocr_quality.py [--pages 4] [--jobs N]

For each level (clean 300 dpi; 200-dpi JPEG; noisy + skewed; noisy + skewed +
upside down; bilevel) ``--pages`` synthetic pages of Ukrainian administrative
text are scanned and read by

- ``tesseract IMG - -l ukr+eng`` (OMP_THREAD_LIMIT=1);
- OCRmyPDF with ``--rotate-pages --deskew`` (its defaults otherwise);
- ``run_ocr`` (this project's stage).

The table shows the mean CER (edit distance / reference length on
whitespace-normalised text, apostrophes unified) over the pages of each level.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.synthetic import cer, save_image, scan  # noqa: E402

LEVELS = {
    "clean 300 dpi": "clean",
    "200 dpi JPEG": "jpeg200",
    "noisy+skewed": "noisy_skewed",
    "noisy+skewed+upside down": "noisy_skewed_upside_down",
    "bilevel": "bilevel",
}


def _pdf_text(pdf: Path) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def plain_tesseract(image: str, work: str) -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    proc = subprocess.run(
        ["tesseract", image, "-", "-l", "ukr+eng"],
        check=True,
        capture_output=True,
        env=env,
    )
    return proc.stdout.decode("utf-8", "replace")


def ocrmypdf_rotate_deskew(image: str, work: str) -> str:
    import logging

    import ocrmypdf

    os.environ["OMP_THREAD_LIMIT"] = "1"
    logging.getLogger("ocrmypdf").setLevel(logging.ERROR)
    out = Path(work) / "ocrmypdf.pdf"
    ocrmypdf.ocr(
        image,
        out,
        language=["ukr", "eng"],
        rotate_pages=True,
        deskew=True,
        jobs=1,
        progress_bar=False,
        output_type="pdf",
    )
    return _pdf_text(out)


def ours(image: str, work: str) -> str:
    from ingest.ocr import OcrOptions, run_ocr

    result = run_ocr(
        Path(image),
        "image",
        Path(work) / "ours.pdf",
        options=OcrOptions(jobs=1),
        work_dir=Path(work) / "work",
    )
    return "\n".join(p.text for p in result.pages)


ENGINES: dict[str, Callable[[str, str], str]] = {
    "tesseract": plain_tesseract,
    "ocrmypdf rotate+deskew": ocrmypdf_rotate_deskew,
    "run_ocr": ours,
}


def _score(engine: str, image: str, work: str, reference: str) -> float:
    Path(work).mkdir(parents=True, exist_ok=True)
    try:
        text = ENGINES[engine](image, work)
    except Exception as exc:  # a failure reads nothing
        print(f"  {engine} failed on {Path(image).name}: {type(exc).__name__}", file=sys.stderr)
        text = ""
    return cer(reference, text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=4, help="pages per level")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ocr-quality-") as tmp:
        folder = Path(tmp)
        tasks = []
        for label, level in LEVELS.items():
            for i in range(args.pages):
                reference, img = scan(level, seed=9000 + 31 * i + len(level))
                suffix = ".png" if level == "clean" else ".tif" if level == "bilevel" else ".jpg"
                image = save_image(img, folder / f"{level}-{i}{suffix}")
                for engine in ENGINES:
                    work = folder / f"{level}-{i}-{engine.split()[0]}"
                    tasks.append((label, engine, str(image), str(work), reference))
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(args.jobs, mp_context=ctx) as pool:
            futures = [
                (label, engine, pool.submit(_score, engine, image, work, reference))
                for label, engine, image, work, reference in tasks
            ]
            scores: dict[tuple[str, str], list[float]] = {}
            for label, engine, future in futures:
                scores.setdefault((label, engine), []).append(future.result())

    width = max(len(label) for label in LEVELS)
    header = f"{'CER, mean of ' + str(args.pages) + ' pages':{width}s}" + "".join(
        f" | {engine:>22s}" for engine in ENGINES
    )
    print(header)
    print("-" * len(header))
    for label in LEVELS:
        row = f"{label:{width}s}"
        for engine in ENGINES:
            values = scores[(label, engine)]
            row += f" | {100 * sum(values) / len(values):21.2f}%"
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
