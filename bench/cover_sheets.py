"""Benchmark: reading cover sheets from degraded scans.

Renders a few cover sheets, scans them through many combinations of skew,
180° rotation, resolution, bilevel, noise, blur, JPEG and paper damage
(:mod:`tests.synthetic` and :mod:`tests.scanner.paper`), and reads them back
with :func:`scanner.recognise.recognise_page`.

Reports the recognition rate per degradation and overall, the mean time per
page, the misses that were at least flagged as suspect (a miss must never be
silent), cover sheets with both QR codes destroyed (must all be flagged), and
document pages wrongly taken for cover sheets (must be none).

    .venv/bin/python bench/cover_sheets.py [--count 240] [--documents 60]
        [--destroyed 36] [--seed 1] [--harsh] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import qrcode  # noqa: E402
from PIL import Image  # noqa: E402

from scanner.cover_sheet import CoverSheet  # noqa: E402
from scanner.recognise import recognise_page  # noqa: E402
from tests.scanner import paper  # noqa: E402
from tests.synthetic import degrade  # noqa: E402

SHEETS = [
    CoverSheet("01-23/2024-000123", "input", "LV-CNAP-01"),
    CoverSheet("Вх-7781/25", "output", "ЦНАП Стрийської міської ради"),
    CoverSheet("2025/ТП-3/00042", "input", "ВРМ с. Бірки"),
    CoverSheet("0000019", "output", "KYIV-DARNYTSIA"),
]

PAPER = ("чистий", "блідий друк", "печатка на QR", "ручка через QR", "темна рамка", "просвічування")


@dataclass(frozen=True)
class Scan:
    """One degradation combination."""

    skew_deg: float
    upside_down: bool
    dpi: int
    bilevel: bool
    noise: float
    blur: float
    jpeg_quality: int | None
    paper: str

    def buckets(self) -> dict[str, str]:
        """Report groups this scan belongs to."""
        skew = abs(self.skew_deg)
        return {
            "перекіс": "<1°" if skew < 1 else "1–3°" if skew < 3 else "3–5°",
            "180°": "так" if self.upside_down else "ні",
            "dpi": str(self.dpi),
            "бінарне": "так" if self.bilevel else "ні",
            "шум": f"{self.noise:.2f}",
            "розмиття": f"{self.blur:.1f}",
            "JPEG": "—" if self.jpeg_quality is None else f"q{self.jpeg_quality}",
            "папір": self.paper,
        }


# Levels of each factor.  The harsh set goes past anything a working desk
# scanner produces, to find where recognition breaks.
LEVELS: dict[str, tuple[object, ...]] = {
    "dpi": (150, 200, 300),
    "noise": (0.0, 0.05, 0.12, 0.2, 0.3),
    "blur": (0.0, 0.8, 1.5, 2.5),
    "jpeg": (None, 85, 50, 20),
}
HARSH_LEVELS: dict[str, tuple[object, ...]] = {
    "dpi": (100, 150),
    "noise": (0.3, 0.4, 0.5),
    "blur": (2.5, 3.5, 4.5),
    "jpeg": (None, 15, 10),
}


def random_scan(
    rng: random.Random,
    papers: tuple[str, ...] = PAPER,
    levels: dict[str, tuple[object, ...]] = LEVELS,
) -> Scan:
    """A random combination; every level of every factor comes up regularly."""
    bilevel = rng.random() < 0.35
    jpeg = rng.choice(levels["jpeg"])
    return Scan(
        skew_deg=round(rng.uniform(-5.0, 5.0), 2),
        upside_down=rng.random() < 0.5,
        dpi=int(rng.choice(levels["dpi"])),  # type: ignore[call-overload]
        bilevel=bilevel,
        noise=float(rng.choice(levels["noise"])),  # type: ignore[arg-type]
        blur=float(rng.choice(levels["blur"])),  # type: ignore[arg-type]
        jpeg_quality=None if bilevel or jpeg is None else int(jpeg),  # type: ignore[call-overload]
        paper=rng.choice(papers),
    )


def apply_paper(page: Image.Image, kind: str, seed: int) -> Image.Image:
    """The paper-side damage named ``kind``."""
    rng = random.Random(seed)
    x0, y0, x1, y1 = paper.MAIN_QR_BOX
    if kind == "чистий":
        return page
    if kind == "блідий друк":
        return paper.faded(page, darkest=rng.randint(90, 130))
    if kind == "печатка на QR":
        # A 40 mm stamp somewhere over the big code, as a hurried hand puts it.
        centre = (rng.uniform(x0, x1), rng.uniform(y0, y1))
        return paper.with_stamp(page, seed, diameter_mm=40.0, centre_mm=centre)
    if kind == "ручка через QR":
        return paper.with_pen_stroke(page, seed, (x0, y0, x1, y1), strokes=rng.randint(1, 2))
    if kind == "темна рамка":
        return paper.with_dark_border(page, seed, width_mm=rng.uniform(2.0, 8.0))
    if kind == "просвічування":
        return paper.with_bleed_through(page, seed, strength=rng.uniform(0.08, 0.2))
    raise ValueError(kind)


def _dpi(image: Image.Image) -> Image.Image:
    image.info["dpi"] = (paper.DPI, paper.DPI)
    return image


def scan(page: Image.Image, combo: Scan, seed: int) -> Image.Image:
    """``page`` through the paper damage and the scanner."""
    damaged = apply_paper(page, combo.paper, seed)
    return degrade(
        damaged,
        skew_deg=combo.skew_deg,
        upside_down=combo.upside_down,
        noise=combo.noise,
        blur=combo.blur,
        dpi=combo.dpi,
        jpeg_quality=combo.jpeg_quality,
        bilevel=combo.bilevel,
        seed=seed,
    )


def document_with_foreign_qr(seed: int) -> Image.Image:
    """A document page carrying its own QR code (a register extract, a Diia link)."""
    page = paper.document_page(seed, lines=30)
    code = (
        qrcode.make(
            f"https://diia.gov.ua/verify/{seed:08d}",
            error_correction=qrcode.constants.ERROR_CORRECT_M,
        )
        .get_image()
        .convert("L")
        .resize((paper.mm(35), paper.mm(35)), Image.Resampling.NEAREST)
    )
    page.paste(code, (paper.mm(150), paper.mm(240)))
    return _dpi(page)


@dataclass
class Tally:
    """Outcomes of one group of scans."""

    total: int = 0
    read: int = 0
    wrong: int = 0
    flagged: int = 0
    silent: int = 0
    seconds: float = 0.0

    def add(self, outcome: str, seconds: float) -> None:
        self.total += 1
        self.seconds += seconds
        setattr(self, outcome, getattr(self, outcome) + 1)

    def rate(self, outcome: str = "read") -> float:
        return 100.0 * getattr(self, outcome) / self.total if self.total else 0.0


def _classify(page: Image.Image, expected: CoverSheet | None) -> tuple[str, float, str]:
    started = time.perf_counter()
    verdict = recognise_page(page)
    seconds = time.perf_counter() - started
    if verdict.sheet is not None:
        outcome = "read" if verdict.sheet == expected else "wrong"
    elif verdict.suspect:
        outcome = "flagged"
    else:
        outcome = "silent"
    return outcome, seconds, verdict.attempt or verdict.reason


def run(
    count: int,
    documents: int,
    destroyed: int,
    seed: int,
    progress: Callable[[str], None],
    harsh: bool = False,
) -> dict[str, object]:
    """Run the benchmark and return the figures."""
    rng = random.Random(seed)
    levels = HARSH_LEVELS if harsh else LEVELS
    with tempfile.TemporaryDirectory() as tmp:
        clean = [paper.cover_sheet_image(s, Path(tmp)) for s in SHEETS]

    overall = Tally()
    by_factor: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    attempts: dict[str, int] = defaultdict(int)
    misses: list[dict[str, object]] = []
    for i in range(count):
        combo = random_scan(rng, levels=levels)
        which = i % len(SHEETS)
        image = scan(clean[which], combo, seed * 100_003 + i)
        outcome, seconds, detail = _classify(image, SHEETS[which])
        overall.add(outcome, seconds)
        for factor, value in combo.buckets().items():
            by_factor[factor][value].add(outcome, seconds)
        if outcome == "read":
            attempts[detail] += 1
        else:
            misses.append({"scan": asdict(combo), "outcome": outcome, "detail": detail})
        if (i + 1) % 40 == 0:
            progress(f"  титульні аркуші: {i + 1}/{count}")

    ruined = Tally()
    ruin_kinds = ("painted", "blurred", "scribbled")
    for i in range(destroyed):
        combo = random_scan(rng, papers=("чистий",), levels=levels)
        which = i % len(SHEETS)
        page = paper.qr_destroyed(clean[which], ruin_kinds[i % 3], seed=i)
        outcome, seconds, detail = _classify(scan(page, combo, seed * 7 + i), None)
        ruined.add(outcome, seconds)
        if outcome != "flagged":
            misses.append(
                {
                    "scan": asdict(combo),
                    "outcome": f"destroyed:{outcome}",
                    "detail": detail,
                    "how": ruin_kinds[i % 3],
                }
            )

    docs = Tally()
    for i in range(documents):
        combo = random_scan(rng, papers=("чистий", "темна рамка", "просвічування"), levels=levels)
        page = document_with_foreign_qr(i) if i % 3 == 0 else paper.document_page(1000 + i)
        outcome, seconds, detail = _classify(scan(page, combo, seed * 13 + i), None)
        # For a document page "silent" is the right answer.
        docs.add({"silent": "read", "read": "wrong"}.get(outcome, outcome), seconds)
        if outcome != "silent":
            misses.append(
                {"scan": asdict(combo), "outcome": f"document:{outcome}", "detail": detail}
            )
        if (i + 1) % 20 == 0:
            progress(f"  сторінки документів: {i + 1}/{documents}")

    return {
        "overall": asdict(overall),
        "by_factor": {
            f: {v: asdict(t) for v, t in sorted(vals.items())} for f, vals in by_factor.items()
        },
        "attempts": dict(attempts),
        "destroyed": asdict(ruined),
        "documents": asdict(docs),
        "misses": misses,
    }


def _print(result: dict[str, object]) -> None:
    def tally(d: object) -> Tally:
        assert isinstance(d, dict)
        return Tally(**d)

    overall = tally(result["overall"])
    print("\nРозпізнавання титульних аркушів")
    print(
        f"{'чинник':<10} {'значення':<16} {'сторінок':>8} {'прочитано':>10} {'позначено':>10}"
        f" {'тихо':>5} {'хибно':>6} {'мс/стор.':>9}"
    )
    by_factor = result["by_factor"]
    assert isinstance(by_factor, dict)
    for factor, values in by_factor.items():
        for value, raw in values.items():
            t = tally(raw)
            print(
                f"{factor:<10} {value:<16} {t.total:>8} {t.rate():>9.1f}% {t.flagged:>10}"
                f" {t.silent:>5} {t.wrong:>6} {1000 * t.seconds / t.total:>9.1f}"
            )
    print(
        f"\nУсього: {overall.read}/{overall.total} = {overall.rate():.1f} % прочитано; "
        f"не прочитано, але позначено як підозрілі: {overall.flagged}; "
        f"тихих пропусків: {overall.silent}; хибно прочитаних: {overall.wrong}; "
        f"середній час {1000 * overall.seconds / max(overall.total, 1):.1f} мс/стор."
    )
    print(f"Прохід каскаду, що прочитав код: {result['attempts']}")
    ruined = tally(result["destroyed"])
    print(
        f"Знищені QR-коди: позначено {ruined.flagged}/{ruined.total}, тихих {ruined.silent}, "
        f"середній час {1000 * ruined.seconds / max(ruined.total, 1):.1f} мс/стор."
    )
    docs = tally(result["documents"])
    print(
        f"Сторінки документів: правильно пропущено {docs.read}/{docs.total}, "
        f"хибно «підозрілих» {docs.flagged}, хибно «титульних» {docs.wrong}, "
        f"середній час {1000 * docs.seconds / max(docs.total, 1):.1f} мс/стор."
    )
    misses = result["misses"]
    assert isinstance(misses, list)
    for miss in misses:
        print("  промах:", miss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=240, help="скільки сканів титульних аркушів")
    parser.add_argument("--documents", type=int, default=60, help="скільки сторінок документів")
    parser.add_argument("--destroyed", type=int, default=36, help="скільки аркушів зі знищеним QR")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--harsh", action="store_true", help="рівні спотворень понад реальні, щоб знайти межу"
    )
    parser.add_argument("--json", type=Path, help="записати результати в JSON-файл")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run(
        args.count,
        args.documents,
        args.destroyed,
        args.seed,
        lambda line: print(line, file=sys.stderr, flush=True),
        args.harsh,
    )
    _print(result)
    print(f"\nЗагальний час бенчмарку: {time.perf_counter() - started:.0f} с")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    overall, ruined, docs = (Tally(**result[k]) for k in ("overall", "destroyed", "documents"))  # type: ignore[arg-type]
    ok = overall.silent == 0 and overall.wrong == 0 and ruined.silent == 0 and docs.wrong == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
