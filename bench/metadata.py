"""Metadata extraction on scanned generated documents: type precision/recall, field accuracy.

    .venv/bin/python bench/metadata.py [--per-type 3] [--jobs 2] [--ocr-cache FILE]

A labelled corpus is generated from the seed templates (``ingest/metadata/seed.py``)
with seeds the classifier was not trained on: ``--per-type`` documents of every type,
plus as many decoys (``other``: an information card that names passports and
applications, a technical passport, a letter, …). Each is rendered to an A4 page
(``tests/synthetic.py``, DejaVu serif or sans), scanned at a degraded level in turn
(200-dpi JPEG; noisy + skewed; bilevel — the OCR benchmark's conditions) and read by
the project's OCR stage (``run_ocr``). Then the seed classifier gives the type and the
extractors the fields, and both are scored against the truth:

- type: accuracy, and precision and recall per type;
- fields: exact match of the normalised value per field (dates as ISO dates, numbers
  and series character for character; issuer, service and applicant after case
  folding, one apostrophe and collapsed spaces), over the documents whose truth has
  the field; the same extractors on the generated text, before any scan, for reference.

``--ocr-cache`` keeps the OCR text in a JSON file, so a rerun scores without OCR.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common.pages import PageText  # noqa: E402
from ingest.metadata import DocType, extract  # noqa: E402
from ingest.metadata.classifier import seed_model  # noqa: E402
from ingest.metadata.seed import Specimen, specimen  # noqa: E402

LEVELS = ("jpeg200", "noisy_skewed", "bilevel")
DATE_FIELDS = ("issue_date", "valid_until")
NUMBER_FIELDS = ("number", "series")
TEXT_FIELDS = ("issuer", "service", "applicant")
BENCH_SEED = 2027  # the classifier is trained on seed 0


def _ocr(task: tuple[str, int, str, str, int]) -> tuple[str, int, str, str, float]:
    """Render, scan and OCR one specimen; returns its key, the level and the text."""
    from ingest.ocr import OcrOptions, run_ocr
    from tests.synthetic import SCAN_LEVELS, degrade, render_page, save_image

    kind, n, level, work, seed = task
    spec = specimen(DocType(kind), seed * 1000 + n)
    folder = Path(work) / f"{kind}-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    font = "sans" if n % 2 else "serif"
    page = render_page(spec.lines, font_size_pt=12.0, font=font)
    img = degrade(page, seed=n, **SCAN_LEVELS[level])  # type: ignore[arg-type]
    suffix = ".tif" if level == "bilevel" else ".jpg"
    image = save_image(img, folder / f"scan{suffix}")
    start = time.monotonic()
    try:
        result = run_ocr(
            image, "image", folder / "out.pdf", options=OcrOptions(jobs=1), work_dir=folder / "w"
        )
        text = "\n\f".join(p.text for p in result.pages)
    except Exception as exc:  # a failed page reads as nothing
        print(f"  OCR failed on {kind}-{n}: {type(exc).__name__}", file=sys.stderr)
        text = ""
    return kind, n, level, text, time.monotonic() - start


def _norm(name: str, value: str) -> str:
    if name in TEXT_FIELDS:
        v = re.sub(r"[’ʼ`]", "'", value).casefold()
        return re.sub(r"\s+", " ", v).strip(" .,;:")
    return value.strip()


def _score_fields(
    spec: Specimen, pages: list[PageText], kind: DocType, tally: Counter[str]
) -> None:
    got = {f.name: f.value for f in extract(pages, kind)}
    for name, want in spec.fields.items():
        tally[f"{name}/total"] += 1
        if _norm(name, got.get(name, "")) == _norm(name, want):
            tally[f"{name}/right"] += 1


def _pages(text: str) -> list[PageText]:
    return [PageText(i, t) for i, t in enumerate(text.split("\n\f"), start=1)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-type", type=int, default=3, help="documents of each type")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--ocr-cache", type=Path, help="JSON file keeping the OCR text")
    parser.add_argument(
        "--seed", type=int, default=BENCH_SEED, help="corpus seed (the classifier's is 0)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    cache: dict[str, dict[str, str]] = {}
    if args.ocr_cache and args.ocr_cache.exists():
        cache = json.loads(args.ocr_cache.read_text())
    tasks = []
    i = 0
    for kind in DocType:
        for n in range(args.per_type):
            level = LEVELS[i % len(LEVELS)]
            i += 1
            if f"{args.seed}-{kind.value}-{n}-{level}" not in cache:
                tasks.append((kind.value, n, level))
    started = time.monotonic()
    if tasks:
        with tempfile.TemporaryDirectory(prefix="bench-metadata-") as tmp:
            ctx = mp.get_context("spawn")
            with ProcessPoolExecutor(args.jobs, mp_context=ctx) as pool:
                for kind_s, n, level, text, secs in pool.map(
                    _ocr, [(k, n, lv, tmp, args.seed) for k, n, lv in tasks]
                ):
                    cache[f"{args.seed}-{kind_s}-{n}-{level}"] = {
                        "text": text,
                        "seconds": f"{secs:.1f}",
                    }
                    if args.ocr_cache:
                        args.ocr_cache.write_text(json.dumps(cache, ensure_ascii=False))
    ocr_seconds = time.monotonic() - started

    model = seed_model()
    truth: list[DocType] = []
    guess: list[DocType] = []
    on_scan: Counter[str] = Counter()
    on_text: Counter[str] = Counter()
    by_level: Counter[str] = Counter()
    i = 0
    for kind in DocType:
        for n in range(args.per_type):
            level = LEVELS[i % len(LEVELS)]
            i += 1
            spec = specimen(kind, args.seed * 1000 + n)
            text = cache[f"{args.seed}-{kind.value}-{n}-{level}"]["text"]
            predicted = model.classify(text).type
            truth.append(kind)
            guess.append(predicted)
            by_level[f"{level}/total"] += 1
            by_level[f"{level}/right"] += predicted == kind
            # Fields are read for the type the classifier gave, as in the archive.
            _score_fields(spec, _pages(text), predicted, on_scan)
            _score_fields(spec, [PageText(1, spec.text)], kind, on_text)

    total = len(truth)
    right = sum(t == g for t, g in zip(truth, guess, strict=True))
    print(f"Documents: {total} ({args.per_type} per type incl. decoys), OCR {ocr_seconds:.0f} s")
    print(f"Type accuracy on degraded scans: {right / total:.3f} ({right}/{total})")
    for level in LEVELS:
        t = by_level[f"{level}/total"]
        if t:
            print(f"  {level:14s} {by_level[f'{level}/right'] / t:.3f} ({t} documents)")
    print()
    print(f"{'type':22s} {'precision':>9s} {'recall':>7s}")
    for kind in DocType:
        tp = sum(t == kind and g == kind for t, g in zip(truth, guess, strict=True))
        fp = sum(t != kind and g == kind for t, g in zip(truth, guess, strict=True))
        fn = sum(t == kind and g != kind for t, g in zip(truth, guess, strict=True))
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(f"{kind.value:22s} {precision:9.2f} {recall:7.2f}")
    confusions = Counter((t.value, g.value) for t, g in zip(truth, guess, strict=True) if t != g)
    if confusions:
        print("confusions: " + ", ".join(f"{t}→{g} ×{c}" for (t, g), c in confusions.items()))
    print()
    print(f"{'field (exact match)':22s} {'scanned':>9s} {'text':>7s} {'n':>5s}")
    names = [*DATE_FIELDS, *NUMBER_FIELDS, *TEXT_FIELDS]
    for name in names:
        n = on_scan[f"{name}/total"]
        if n:
            print(
                f"{name:22s} {on_scan[f'{name}/right'] / n:9.3f} "
                f"{on_text[f'{name}/right'] / n:7.3f} {n:5d}"
            )
    for label, group in (("dates", DATE_FIELDS), ("numbers + series", NUMBER_FIELDS)):
        n = sum(on_scan[f"{f}/total"] for f in group)
        r = sum(on_scan[f"{f}/right"] for f in group)
        if n:
            print(f"{label:22s} {r / n:9.3f} {'':>7s} {n:5d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
