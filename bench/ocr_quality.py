"""Character error rate per scan condition: plain Tesseract, OCRmyPDF, our OCR stage.

    .venv/bin/python bench/ocr_quality.py [--pages 4] [--jobs N] [--levels clean,photo]

For each level (clean 300 dpi; 200-dpi JPEG; noisy + skewed; noisy + skewed +
upside down; bilevel; phone photo) ``--pages`` synthetic pages of Ukrainian
administrative text are scanned and read by

- ``tesseract IMG - -l ukr+eng`` (OMP_THREAD_LIMIT=1);
- OCRmyPDF with ``--rotate-pages --deskew`` (its defaults otherwise);
- ``run_ocr`` (this project's stage).

The table shows the mean CER (edit distance / reference length on
whitespace-normalised text, apostrophes unified) over the pages of each level.

The phone-photo level photographs the very pages of the clean level
(``tests.synthetic.photograph``: a perspective of 10–25°, a table around the
page, a light gradient and a shadow, lens blur and sensor noise, JPEG quality
85, no EXIF — so the photo is recognised from its geometry alone); the ratio
of its CER to the clean CER is printed under the table (target: ≤ 2).
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

from tests.synthetic import cer, photo_scan, save_image, save_photo, scan  # noqa: E402

LEVELS = {
    "clean 300 dpi": "clean",
    "200 dpi JPEG": "jpeg200",
    "noisy+skewed": "noisy_skewed",
    "noisy+skewed+upside down": "noisy_skewed_upside_down",
    "bilevel": "bilevel",
    "phone photo": "photo",
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


def _seed(level: str, i: int) -> int:
    # The photo level photographs the pages of the clean level.
    return 9000 + 31 * i + len("clean" if level == "photo" else level)


def _page_image(level: str, i: int, folder: Path) -> tuple[str, Path]:
    seed = _seed(level, i)
    if level == "photo":
        reference, shot = photo_scan(seed)
        return reference, save_photo(shot, folder / f"{level}-{i}.jpg", camera=False)
    reference, img = scan(level, seed=seed)
    suffix = ".png" if level == "clean" else ".tif" if level == "bilevel" else ".jpg"
    return reference, save_image(img, folder / f"{level}-{i}{suffix}")


def measure(
    labels: Sequence[str], engines: Sequence[str], pages: int, jobs: int
) -> dict[tuple[str, str], list[float]]:
    """CER per (level label, engine), one value per page."""
    with tempfile.TemporaryDirectory(prefix="ocr-quality-") as tmp:
        folder = Path(tmp)
        tasks = []
        for label in labels:
            level = LEVELS[label]
            for i in range(pages):
                reference, image = _page_image(level, i, folder)
                for engine in engines:
                    work = folder / f"{level}-{i}-{engine.split()[0]}"
                    tasks.append((label, engine, str(image), str(work), reference))
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            futures = [
                (label, engine, pool.submit(_score, engine, image, work, reference))
                for label, engine, image, work, reference in tasks
            ]
            scores: dict[tuple[str, str], list[float]] = {}
            for label, engine, future in futures:
                scores.setdefault((label, engine), []).append(future.result())
    return scores


def photo_vs_clean(pages: int = 2, jobs: int = 1) -> dict[str, float]:
    """The stage's mean CER on clean scans and on phone photos of the same pages."""
    scores = measure(["clean 300 dpi", "phone photo"], ["run_ocr"], pages, jobs)
    clean = _mean(scores[("clean 300 dpi", "run_ocr")])
    photo = _mean(scores[("phone photo", "run_ocr")])
    return {
        "pages": pages,
        "clean_cer": round(clean, 5),
        "photo_cer": round(photo, 5),
        "photo_to_clean": round(photo / clean, 2) if clean > 0 else float("inf"),
    }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=4, help="pages per level")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--levels",
        default="",
        help="comma-separated level names to run (default: all): " + ", ".join(LEVELS.values()),
    )
    parser.add_argument(
        "--engines",
        default="",
        help="comma-separated engines to run (default: all): tesseract, ocrmypdf, run_ocr",
    )
    args = parser.parse_args(argv)
    wanted = {w.strip() for w in args.levels.split(",") if w.strip()}
    labels = [label for label, level in LEVELS.items() if not wanted or level in wanted]
    if not labels:
        parser.error(f"no such level; choose from {', '.join(LEVELS.values())}")
    picked = {w.strip() for w in args.engines.split(",") if w.strip()}
    engines = [e for e in ENGINES if not picked or e.split()[0] in picked]
    if not engines:
        parser.error("no such engine; choose from tesseract, ocrmypdf, run_ocr")

    scores = measure(labels, engines, args.pages, args.jobs)

    title = f"CER, mean of {args.pages} pages"
    width = max(len(title), *(len(label) for label in labels))
    header = f"{title:{width}s}" + "".join(f" | {engine:>22s}" for engine in engines)
    print(header)
    print("-" * len(header))
    for label in labels:
        row = f"{label:{width}s}"
        for engine in engines:
            row += f" | {100 * _mean(scores[(label, engine)]):21.2f}%"
        print(row)
    if "clean 300 dpi" in labels and "phone photo" in labels:
        row = f"{'photo / clean':{width}s}"
        for engine in engines:
            clean = _mean(scores[("clean 300 dpi", engine)])
            photo = _mean(scores[("phone photo", engine)])
            ratio = f"{photo / clean:.2f}×" if clean > 0 else "n/a"
            row += f" | {ratio:>22s}"
        print(row)
        print("target for run_ocr: phone-photo CER ≤ 2 × clean CER")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
