"""Small, typed wrappers around the ``tesseract`` command line.

Tesseract always runs single-threaded here (``OMP_THREAD_LIMIT=1``): its
OpenMP threads oversubscribe a small machine badly, so parallelism comes from
running pages side by side instead.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ingest.ocr.imaging import Gray


class TesseractError(Exception):
    """Tesseract exited with an error (message is Tesseract's last line, no page text)."""


class TesseractTimeout(Exception):
    """Tesseract did not finish within its time limit."""


def tesseract_env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def png_bytes(image: Gray, dpi: float, *, bilevel: bool) -> bytes:
    """Encode for Tesseract's stdin; a 1-bit PNG is small and quick to write and read."""
    pil = Image.fromarray(image)
    if bilevel:
        pil = pil.convert("1", dither=Image.Dither.NONE)
    buf = io.BytesIO()
    pil.save(buf, "PNG", dpi=(round(dpi), round(dpi)), compress_level=1)
    return buf.getvalue()


def run(
    args: Sequence[str], *, stdin: bytes | None, timeout: float
) -> subprocess.CompletedProcess[bytes]:
    """Run ``tesseract`` with ``args``; translate failures into our exceptions."""
    try:
        proc = subprocess.run(
            ["tesseract", *args],
            input=stdin,
            capture_output=True,
            timeout=timeout,
            env=tesseract_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TesseractTimeout(f"tesseract timed out after {timeout:.0f} s") from exc
    except FileNotFoundError as exc:
        raise TesseractError("tesseract is not installed") from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise TesseractError(lines[-1] if lines else f"exit code {proc.returncode}")
    return proc


@dataclass(frozen=True, slots=True)
class Osd:
    angle: int  # clockwise rotation of the page as found by Tesseract
    confidence: float


def osd(image: Gray, dpi: float, *, timeout: float) -> Osd | None:
    """Tesseract's orientation detection (``--psm 0``); None when it cannot tell."""
    try:
        proc = run(
            ["stdin", "stdout", "--psm", "0", "--dpi", str(round(dpi)), "-l", "osd"],
            stdin=png_bytes(image, dpi, bilevel=True),
            timeout=timeout,
        )
    except TesseractError:
        # "Too few characters" and similar: no opinion.
        return None
    fields: dict[str, str] = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    try:
        return Osd(
            angle=int(fields["Orientation in degrees"]) % 360,
            confidence=float(fields["Orientation confidence"]),
        )
    except (KeyError, ValueError):
        return None


def recognition_confidence(
    image: Gray, dpi: float, languages: Sequence[str], *, timeout: float
) -> float:
    """Mean word confidence (0..100, weighted by word length) of a text block."""
    proc = run(
        [
            "stdin",
            "stdout",
            "--psm",
            "6",
            "--dpi",
            str(round(dpi)),
            "-l",
            "+".join(languages),
            "-c",
            "tessedit_do_invert=0",
            "tsv",
        ],
        stdin=png_bytes(image, dpi, bilevel=True),
        timeout=timeout,
    )
    total = weight = 0.0
    for row in proc.stdout.decode("utf-8", "replace").splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        try:
            conf = float(cols[10])
        except ValueError:
            continue
        n = len(cols[11].strip())
        if conf < 0 or n == 0:
            continue
        total += conf * n
        weight += n
    return total / weight if weight else 0.0


def stack_bilevel(parts: Sequence[Gray]) -> Gray:
    """Stack images vertically with a white gap (same width assumed)."""
    width = max(p.shape[1] for p in parts)
    gap = np.full((20, width), 255, dtype=np.uint8)
    padded = []
    for p in parts:
        if p.shape[1] < width:
            p = np.pad(p, ((0, 0), (0, width - p.shape[1])), constant_values=255)
        padded.extend([p, gap])
    return np.vstack(padded[:-1])
