"""Personal-data detection: precision and recall per kind on generated forms.

Three inputs, all from the labelled corpus in ``tests/pii_corpus.py``:

(a) the clean text of the forms;
(b) an OCR-like noised variant of that text (confusable letters in numbers,
    stray spaces, Latin/Cyrillic look-alikes);
(c) OCR'd scans: each form rendered with ``tests/synthetic.py`` at 200–300
    dpi, lightly degraded (skew, noise, blur, JPEG), read by real Tesseract
    (``-l ukr+eng``, TSV output for word boxes; ``OMP_THREAD_LIMIT=1`` and a
    pool of processes, see DESIGN.md), corrected as ingest corrects its OCR
    (``ingest.ocr.fields``: ``№`` restored, Latin fields read again by the
    English model from the scan), then detected.

A finding counts as correct when its kind and normalised value match a label
of the form (multiset per form): the strict P and R. P~ and R~ are for
masking: a finding within two edits of a missed true value of the same kind on
the same form (paired once) is that value as OCR misread it on the page, so it
masks the right text; they count it as correct (see docs/personal-data.md).
Run from the repository root::

    .venv/bin/python bench/pii_detection.py --forms 100
    .venv/bin/python bench/pii_detection.py --forms 100 --seed 7 --ocr-cache /tmp/pii-ocr

Prints no identifiers unless ``--show-errors`` is given (the corpus is
synthetic, but the habit matters).
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.pages import PageText
from pii import KINDS, detect
from tests.pii_corpus import Form, make_forms, noisy

Key = tuple[str, str]


@dataclass
class Score:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    # Misses that were found at the right place with a value OCR misread by at
    # most two characters: wrong for the index, still masked on screen.
    misread: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def add(self, found: Counter[tuple[Any, str]], truth: Counter[Key], tag: str) -> None:
        from tests.synthetic import levenshtein

        for (kind, _), n in (found & truth).items():
            self.tp[kind] += n
        spurious = list((found - truth).elements())
        for kind, value in spurious:
            self.fp[kind] += 1
            self.errors.append(f"{tag} FP {kind} {value}")
        for kind, value in (truth - found).elements():
            self.fn[kind] += 1
            self.errors.append(f"{tag} FN {kind} {value}")
            near = next(
                (s for s in spurious if s[0] == kind and levenshtein(s[1], value) <= 2), None
            )
            if near is not None:
                spurious.remove(near)
                self.misread[kind] += 1

    def pr(self, kind: str | None = None) -> tuple[float, float, int, float]:
        """Precision, recall, support and the share of the truth found at least misread."""
        p, r, support, located, _ = self.scores(kind)
        return p, r, support, located

    def scores(self, kind: str | None = None) -> tuple[float, float, int, float, float]:
        """:meth:`pr` and the masking precision: a misread finding paired with a
        missed true value is a correct mask, not a false alarm."""
        if kind is None:
            tp, fp, fn = sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values())
            misread = sum(self.misread.values())
        else:
            tp, fp, fn, misread = self.tp[kind], self.fp[kind], self.fn[kind], self.misread[kind]
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        located = (tp + misread) / (tp + fn) if tp + fn else 1.0
        masking = (tp + misread) / (tp + fp) if tp + fp else 1.0
        return precision, recall, tp + fn, located, masking


def _found(pages: list[PageText]) -> Counter[Key]:
    return Counter((f.kind, f.value) for f in detect(pages))


# --- OCR -------------------------------------------------------------------------


def tsv_to_page(tsv: str, width: int, height: int, number: int = 1) -> PageText:
    """Page text and word boxes from Tesseract TSV (ingest's own parser)."""
    from ingest.ocr.tesseract import page_from_tsv

    return page_from_tsv(tsv, width, height, number)


@dataclass(frozen=True)
class ScanJob:
    index: int
    lines: list[str]
    seed: int
    prepare: bool = True


@dataclass
class ScanResult:
    index: int
    page: PageText
    dpi: int
    seconds: float


def prepare(img: Image.Image, dpi: int) -> Image.Image:
    """What the archive's OCR stage does to a scan before Tesseract (denoise, threshold,
    deskew: ``ingest.ocr.imaging``), so the bench sees the text ingest would produce."""
    import numpy as np

    from ingest.ocr import imaging

    gray = np.asarray(img.convert("L"), dtype=np.uint8)
    skew = imaging.measure_skew(gray, dpi)
    page = imaging.prepare_for_ocr(gray, dpi, skew_deg=skew, bilevel=img.mode == "1")
    return Image.fromarray(page).convert("1", dither=Image.Dither.NONE)


def ocr_image(img: Image.Image, dpi: int) -> PageText:
    """Real Tesseract (``ukr+eng``, one thread) on an image; text and word boxes."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    with tempfile.TemporaryDirectory(prefix="pii-bench-") as tmp:
        path = Path(tmp) / "page.png"
        img.save(path, dpi=(dpi, dpi))
        proc = subprocess.run(
            ["tesseract", str(path), "stdout", "-l", "ukr+eng", "--dpi", str(dpi),
             "-c", "tessedit_do_invert=0", "tsv"],
            capture_output=True, text=True, env=env, check=True, timeout=300,
        )  # fmt: skip
    return tsv_to_page(proc.stdout, img.width, img.height)


def scan(lines: list[str], seed: int) -> tuple[Image.Image, int]:
    """A form as a desk scanner gives it: 200–300 dpi, slight skew, noise, blur, JPEG."""
    from tests.synthetic import degrade, render_page

    rng = random.Random(seed)
    dpi = rng.choice([200, 250, 300])
    img = degrade(
        render_page(lines, dpi=300),
        skew_deg=rng.uniform(-1.0, 1.0),
        noise=rng.uniform(0.0, 0.04),
        blur=rng.uniform(0.0, 0.6),
        dpi=dpi,
        jpeg_quality=rng.choice([None, 85, 92]),
        seed=seed,
    )
    return img, dpi


def second_reading(page: PageText, img: Image.Image, dpi: int) -> PageText:
    """What ingest does after Tesseract (``ingest.ocr.fields``, from ``ingest.ocr.engine``):
    Latin fields read again from the grey scan turned upright as Tesseract saw it."""
    import numpy as np

    from ingest.ocr import fields, imaging

    gray = np.asarray(img.convert("L"), dtype=np.uint8)
    upright = imaging.upright(gray, imaging.measure_skew(gray, dpi))
    crop = fields.crop_of(Image.fromarray(upright))
    return fields.correct(
        page,
        crop,
        lambda c, chars, thresholded: fields.read_latin(c, dpi, chars, thresholded=thresholded),
    )


def _correct(item: tuple[ScanResult, list[str], int]) -> tuple[PageText, float]:
    res, lines, seed = item
    img, dpi = scan(lines, seed)
    start = time.perf_counter()
    page = second_reading(res.page, img, dpi)
    return page, time.perf_counter() - start


def _scan_and_ocr(job: ScanJob) -> ScanResult:
    img, dpi = scan(job.lines, job.seed)
    start = time.perf_counter()
    page = ocr_image(prepare(img, dpi) if job.prepare else img, dpi)
    return ScanResult(job.index, page, dpi, time.perf_counter() - start)


# --- report ----------------------------------------------------------------------


def _table(scores: dict[str, Score]) -> str:
    names = list(scores)
    width = 35
    head = f"{'kind':17}" + "".join(f" | {n:^{width}}" for n in names)
    sub = f"{'':17}" + "".join(f" | {'P':>6} {'R':>6} {'P~':>6} {'R~':>6} {'n':>6} " for _ in names)
    rows = [head, sub, "-" * len(sub)]
    for kind in [*KINDS, None]:
        label = kind or "overall"
        cells = []
        for n in names:
            p, r, support, located, masking = scores[n].scores(kind)
            cells.append(f" | {p:6.3f} {r:6.3f} {masking:6.3f} {located:6.3f} {support:6d} ")
        if kind is None:
            rows.append("-" * len(sub))
        rows.append(f"{label:17}" + "".join(cells))
    rows.append("")
    rows.append("P, R: precision and recall of (kind, exact normalised value): the strict figures.")
    rows.append("P~, R~: for masking. A finding whose value is not in the form's truth but is")
    rows.append("    within 2 edits of a missed true value of the same kind on the same form")
    rows.append("    (each paired once) is the misread value as printed on the page: it")
    rows.append("    masks the right text, so P~ counts it as correct instead of as a false")
    rows.append("    alarm and R~ as found. Its value is still wrong for lookup (strict P, R).")
    return "\n".join(rows)


def _ocr_all(jobs: list[ScanJob], args: argparse.Namespace) -> list[ScanResult]:
    """OCR every job in a pool of processes, or read the results from ``--ocr-cache``."""
    cache: Path | None = None
    if args.ocr_cache is not None:
        kind = "raw" if args.raw else "prepared"
        cache = args.ocr_cache / f"pii-ocr-seed{args.seed}-forms{args.forms}-{kind}.pickle"
        if cache.exists():
            with cache.open("rb") as fh:
                cached: list[ScanResult] = pickle.load(fh)  # our own file, not untrusted input
            return cached
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(_scan_and_ocr, jobs))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("wb") as fh:
            pickle.dump(results, fh)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forms", type=int, default=100, help="number of forms (default 100)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=2, help="OCR processes (default 2)")
    parser.add_argument("--no-ocr", action="store_true", help="skip (c), the OCR'd scans")
    parser.add_argument(
        "--raw", action="store_true", help="OCR the scan as is, without ingest's page preparation"
    )
    parser.add_argument(
        "--ocr-cache",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep Tesseract's output for (seed, forms, raw) in DIR and reuse it: OCR is "
        "deterministic and takes minutes, detection milliseconds (the cache holds page text: "
        "keep it out of the repository)",
    )
    parser.add_argument(
        "--no-second-reading",
        action="store_true",
        help="Tesseract's text as it is, without ingest's correction (ingest.ocr.fields)",
    )
    parser.add_argument("--show-errors", action="store_true",
                        help="print missed and spurious values (synthetic data only)")  # fmt: skip
    args = parser.parse_args(argv)

    forms: list[Form] = make_forms(args.forms, seed=args.seed)
    scores: dict[str, Score] = {"(a) clean text": Score(), "(b) noisy text": Score()}

    texts = [form.text for form in forms]
    chars = sum(len(t.encode()) for t in texts)
    t0 = time.perf_counter()
    results = [_found([PageText(1, text)]) for text in texts]
    clean_s = time.perf_counter() - t0
    for i, (form, got) in enumerate(zip(forms, results, strict=True)):
        scores["(a) clean text"].add(got, form.truth(), f"a#{i}")
    noisy_forms = [noisy(form, args.seed * 1000 + i) for i, form in enumerate(forms)]
    for i, (form, nf) in enumerate(zip(forms, noisy_forms, strict=True)):
        scores["(b) noisy text"].add(_found([PageText(1, nf.text)]), form.truth(), f"b#{i}")

    ocr_s = detect_s = reread_s = 0.0
    unboxed = total_found = 0
    dpis: Counter[int] = Counter()
    by_dpi: dict[int, Score] = {}
    if not args.no_ocr:
        scores["(c) OCR'd scans"] = Score()
        jobs = [
            ScanJob(i, f.line_texts, args.seed * 7919 + i, prepare=not args.raw)
            for i, f in enumerate(forms)
        ]
        wall = time.perf_counter()
        ocr_results = _ocr_all(jobs, args)
        if not args.no_second_reading:
            items = [(res, jobs[res.index].lines, jobs[res.index].seed) for res in ocr_results]
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                corrected = list(pool.map(_correct, items))
            for res, (page, seconds) in zip(ocr_results, corrected, strict=True):
                res.page = page
                reread_s += seconds
        for res in ocr_results:
            ocr_s += res.seconds
            dpis[res.dpi] += 1
            t1 = time.perf_counter()
            findings = detect([res.page])
            detect_s += time.perf_counter() - t1
            total_found += len(findings)
            unboxed += sum(1 for f in findings if not f.boxes)
            found = Counter((f.kind, f.value) for f in findings)
            tag = f"c#{res.index}@{res.dpi}dpi"
            scores["(c) OCR'd scans"].add(found, forms[res.index].truth(), tag)
            by_dpi.setdefault(res.dpi, Score()).add(found, forms[res.index].truth(), tag)
        ocr_wall = time.perf_counter() - wall

    print(f"forms: {len(forms)}  labels: {sum(len(f.labels) for f in forms)}  seed: {args.seed}")
    print(f"detection speed on clean text: {clean_s * 1000 / (chars / 1024):.3f} ms/KB "
          f"({chars / len(forms):.0f} bytes of UTF-8 per form)")  # fmt: skip
    if not args.no_ocr:
        how = "raw scan" if args.raw else "page prepared as ingest does (ingest.ocr.imaging)"
        print(f"OCR ({how}): {ocr_s / len(forms):.1f} s/page in {args.jobs} processes, wall "
              f"{ocr_wall:.0f} s; dpi {dict(sorted(dpis.items()))}; detection on OCR text "
              f"{detect_s * 1000 / len(forms):.2f} ms/page; findings without boxes: "
              f"{unboxed}/{total_found}")  # fmt: skip
        if not args.no_second_reading:
            print(f"second reading (ingest.ocr.fields): {reread_s / len(forms):.2f} s/page, "
                  f"{100 * reread_s / max(ocr_s, 1e-9):.1f} % of the OCR time")  # fmt: skip
    print()
    print(_table(scores))
    for dpi, score in sorted(by_dpi.items()):
        p, r, n, located, masking = score.scores()
        print(f"(c) at {dpi} dpi: P {p:.3f}  R {r:.3f}  P~ {masking:.3f}  R~ {located:.3f}  n {n}")
    if args.show_errors:
        for score in scores.values():
            for line in score.errors:
                print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
