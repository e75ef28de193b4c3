"""Tesseract outside OCRmyPDF's own calls, through ``pytesseract``.

Typed wrappers for the three things the plugin asks Tesseract directly:
orientation detection (OSD), a word-confidence probe, and the OCR of a
prepared page image into a text-only PDF plus text.

Tesseract always runs single-threaded here (``OMP_THREAD_LIMIT=1``): its
OpenMP threads oversubscribe a small machine badly, so parallelism comes from
running pages side by side instead. pytesseract starts Tesseract with its
module-level ``environ`` (normally ``os.environ`` itself); it is replaced below
by a live view of ``os.environ`` with the limit set, so the limit reaches every
Tesseract that pytesseract starts without changing the process environment
that OCRmyPDF reads to choose its own thread limit.

Every pytesseract failure leaves this module as :class:`TesseractError` or
:class:`TesseractTimeout`; :mod:`ingest.ocr.errors` maps both to ``OcrFailed``.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytesseract
from PIL import Image
from pytesseract import pytesseract as _pytesseract

from common.pages import PageText, Word
from ingest.ocr.imaging import Gray

THREAD_LIMIT_VAR = "OMP_THREAD_LIMIT"


class TesseractError(Exception):
    """Tesseract exited with an error (message is Tesseract's stderr, no page text)."""


class TesseractTimeout(Exception):
    """Tesseract did not finish within its time limit."""


class _SingleThreadedEnviron(Mapping[str, str]):
    """``os.environ`` as it is when a process starts, with ``OMP_THREAD_LIMIT=1``."""

    def __getitem__(self, key: str) -> str:
        if key == THREAD_LIMIT_VAR:
            return "1"
        return os.environ[key]

    def __iter__(self) -> Iterator[str]:
        yield from (key for key in os.environ if key != THREAD_LIMIT_VAR)
        yield THREAD_LIMIT_VAR

    def __len__(self) -> int:
        return len(os.environ) + (THREAD_LIMIT_VAR not in os.environ)


# pytesseract.subprocess_args() passes this module global as ``env=`` to Popen.
_pytesseract.environ = _SingleThreadedEnviron()


def tesseract_env() -> dict[str, str]:
    """The environment pytesseract gives Tesseract (for tests and diagnostics)."""
    env: Mapping[str, str] = _pytesseract.subprocess_args()["env"]
    return dict(env)


@contextmanager
def _translated(timeout: float) -> Iterator[None]:
    """pytesseract's exceptions → ours (its timeout is a bare ``RuntimeError``)."""
    try:
        yield
    except pytesseract.TesseractNotFoundError as exc:
        raise TesseractError("tesseract is not installed") from exc
    except pytesseract.TesseractError as exc:
        raise TesseractError(str(exc.message) or f"exit code {exc.status}") from exc
    except RuntimeError as exc:
        if str(exc) != "Tesseract process timeout":
            raise
        raise TesseractTimeout(f"tesseract timed out after {timeout:.0f} s") from exc


def bilevel_image(image: Gray) -> Image.Image:
    """The 1-bit image handed to Tesseract (our thresholded pages are black on white).

    Saved by pytesseract as an uncompressed TIFF, the quickest file to write
    (300-dpi A4 page: ~60 ms, a PNG at pytesseract's default zlib level ~120
    ms); the pixels are the same either way. The resolution goes in the
    ``--dpi`` option, not in the file.
    """
    pil = Image.fromarray(image).convert("1", dither=Image.Dither.NONE)
    pil.format = "TIFF"
    return pil


def _config(dpi: float, *options: str, variables: Mapping[str, str] | None = None) -> str:
    parts = ["--dpi", str(round(dpi)), *options]
    for name, value in (variables or {}).items():
        parts += ["-c", f"{name}={value}"]
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Osd:
    angle: int  # clockwise rotation of the page as found by Tesseract
    confidence: float


def osd(image: Gray, dpi: float, *, timeout: float) -> Osd | None:
    """Tesseract's orientation detection (``--psm 0``); None when it cannot tell."""
    try:
        with _translated(timeout):
            found = pytesseract.image_to_osd(
                bilevel_image(image),
                config=_config(dpi),
                output_type=pytesseract.Output.DICT,
                timeout=timeout,
            )
    except TesseractError:
        # "Too few characters" and similar: no opinion.
        return None
    try:
        return Osd(
            angle=int(found["orientation"]) % 360, confidence=float(found["orientation_conf"])
        )
    except (KeyError, ValueError):
        return None


def recognition_confidence(
    image: Gray, dpi: float, languages: Sequence[str], *, timeout: float
) -> float:
    """Mean word confidence (0..100, weighted by word length) of a text block."""
    with _translated(timeout):
        # Output.DICT would truncate Tesseract 5's fractional confidences to
        # integers; the rows are read from the TSV text instead.
        tsv: str = pytesseract.image_to_data(
            bilevel_image(image),
            lang="+".join(languages),
            config=_config(dpi, "--psm", "6", variables={"tessedit_do_invert": "0"}),
            timeout=timeout,
        )
    total = weight = 0.0
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in rows:
        if row.get("level") != "5":
            continue
        try:
            conf = float(row.get("conf") or "")
        except ValueError:
            continue
        n = len((row.get("text") or "").strip())
        if conf < 0 or n == 0:
            continue
        total += conf * n
        weight += n
    return total / weight if weight else 0.0


def page_from_tsv(tsv: str, width: int, height: int, number: int = 1) -> PageText:
    """Page text (lines joined by newlines) and word boxes from Tesseract's TSV output."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        left, top, w, h = (int(c) for c in cols[6:10])
        word = Word(cols[11], left / width, top / height, (left + w) / width, (top + h) / height)
        lines.setdefault((int(cols[2]), int(cols[3]), int(cols[4])), []).append(word)
    words = [w for line in lines.values() for w in line]
    text = "\n".join(" ".join(w.text for w in line) for line in lines.values())
    return PageText(number=number, text=text, words=words, ocr=True)


def read_word(
    image: Image.Image, dpi: float, language: str = "eng", *, alphabet: str = "", timeout: float
) -> str:
    """One word (``--psm 8``) read from a small crop by one model: a second reading.

    ``alphabet``: the only characters the model may choose (all when empty).
    """
    variables = {"tessedit_do_invert": "0"}
    if alphabet:
        variables["tessedit_char_whitelist"] = alphabet
    with _translated(timeout):
        text: str = pytesseract.image_to_string(
            image.convert("L"),
            lang=language,
            config=_config(dpi, "--psm", "8", variables=variables),
            timeout=timeout,
        )
    return text.strip()


def recognise(
    image: Gray,
    dpi: float,
    base: Path,
    outputs: Sequence[str],
    languages: Sequence[str],
    *,
    timeout: float,
    oem: int | None = None,
    psm: int | None = None,
    textonly_pdf: bool = False,
) -> None:
    """OCR a prepared page into ``{base}.pdf``, ``{base}.txt``, ``{base}.hocr`` (``outputs``).

    pytesseract's ``image_to_*`` functions return one output each and delete
    Tesseract's files; the OCRmyPDF engine needs two outputs of one run, so the
    image goes through pytesseract's ``save``/``run_tesseract`` with our ``base``.
    """
    options: list[str] = []
    if oem is not None:
        options += ["--oem", str(oem)]
    if psm is not None:
        options += ["--psm", str(psm)]
    # Archive scans are dark text on light paper; trying inverted lines only
    # costs time on low-confidence (noisy) lines.
    variables = {"tessedit_do_invert": "0"}
    if textonly_pdf:
        variables["textonly_pdf"] = "1"
    with _translated(timeout), _pytesseract.save(bilevel_image(image)) as (_, input_file):
        _pytesseract.run_tesseract(
            input_file,
            str(base),
            " ".join(outputs),
            "+".join(languages),
            _config(dpi, *options, variables=variables),
            timeout=timeout,
        )
