"""Files hidden inside a PDF: attachments (the ``EmbeddedFiles`` name tree) and file
attachment annotations on pages.

They would never be OCR'd nor scanned for identifiers as part of the PDF, so
they must not reach the PDF/A rendition (issue 9, item 9): they are removed
from the copy that is processed, and the rendition's notes say how many and
why. Each is first taken out whole (:func:`extract_embedded`, in the worker
process, under its memory limit) so that the pipeline archives it as a
document of its own, linked to the PDF it came in (see
:func:`ingest.pipeline.archive_embedded`). The original is kept as received.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf

REMOVED_NOTE = (
    "З архівної копії вилучено вкладені файли ({count}); кожен збережено окремо "
    "(документи PDF і зображення — окремими документами справи, розпізнаними й перевіреними "
    "на персональні дані)"
)
# A PDF inside a PDF inside a PDF…: taken apart this deep, no deeper.
MAX_DEPTH = 3
# More embedded files than this in one PDF is not a citizen's document.
MAX_FILES = 50


@dataclass(frozen=True, slots=True)
class Embedded:
    """One file taken out of a PDF: its name, where its bytes were written (or why not)."""

    name: str
    path: Path | None
    size: int
    code: str | None = None
    reason: str | None = None


def _safe(name: str) -> str:
    name = re.sub(r"[\x00-\x1f/\\]", "_", name).strip() or "вкладений файл"
    return name[:200]


def _specs(pdf: pikepdf.Pdf) -> list[tuple[str, pikepdf.Object | None]]:
    """(name, embedded file stream) of every attachment and file attachment annotation."""
    found: list[tuple[str, pikepdf.Object | None]] = []
    for key, spec in pdf.attachments.items():
        ef = spec.obj.get("/EF")
        stream = (ef.get("/UF") or ef.get("/F")) if isinstance(ef, pikepdf.Dictionary) else None
        found.append((str(spec.filename or key), stream))
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        for a in annots:
            if a.get("/Subtype") != pikepdf.Name.FileAttachment:
                continue
            fs = a.get("/FS")
            if not isinstance(fs, pikepdf.Dictionary):
                continue
            ef = fs.get("/EF")
            stream = (ef.get("/UF") or ef.get("/F")) if isinstance(ef, pikepdf.Dictionary) else None
            found.append((str(fs.get("/UF") or fs.get("/F") or "вкладений файл"), stream))
    return found


def _bounded(stream: pikepdf.Stream, max_bytes: int) -> bytes | None:
    """The stream's bytes, or None past ``max_bytes`` — a Flate bomb is never expanded whole."""
    filters = stream.get("/Filter")
    if filters is None:
        raw = stream.read_raw_bytes()
        return raw if len(raw) <= max_bytes else None
    if filters == pikepdf.Name.FlateDecode and stream.get("/DecodeParms") is None:
        inflate = zlib.decompressobj()
        data = inflate.decompress(stream.read_raw_bytes(), max_bytes + 1)
        return data if len(data) <= max_bytes else None
    # Other filters (rare for embedded files): decoded by qpdf, under the worker's memory limit.
    return stream.read_bytes()


def extract_embedded(source: Path, dest: Path, *, max_bytes: int) -> list[Embedded]:
    """Write every file embedded in ``source`` into ``dest``; what could not be, with why."""
    out: list[Embedded] = []
    with pikepdf.open(source) as pdf:
        specs = _specs(pdf)
        for i, (name, stream) in enumerate(specs):
            name = _safe(name)
            if i >= MAX_FILES:
                out.append(
                    Embedded(name, None, 0, "too_many_embedded",
                             f"У PDF понад {MAX_FILES} вкладених файлів; решту не вилучено")
                )  # fmt: skip
                break
            if not isinstance(stream, pikepdf.Stream):
                out.append(Embedded(name, None, 0, "broken_embedded", "Вкладений файл пошкоджено"))
                continue
            try:
                data = _bounded(stream, max_bytes)
            except Exception:  # qpdf raises several kinds on a broken stream
                out.append(Embedded(name, None, 0, "broken_embedded", "Вкладений файл пошкоджено"))
                continue
            if data is None or len(data) > max_bytes:
                out.append(
                    Embedded(name, None, len(data or b""), "too_large",
                             "Вкладений файл завеликий: він є лише в оригіналі PDF")
                )  # fmt: skip
                continue
            dest.mkdir(parents=True, exist_ok=True)
            path = dest / f"{i:03d}"
            path.write_bytes(data)
            out.append(Embedded(name, path, len(data)))
    return out


def strip_embedded(source: Path, dest: Path) -> int:
    """Write ``source`` without embedded files to ``dest``; returns how many were removed.

    Nothing is written when there are none (0).
    """
    with pikepdf.open(source) as pdf:
        removed = 0
        names = pdf.Root.get("/Names")
        if isinstance(names, pikepdf.Dictionary) and "/EmbeddedFiles" in names:
            removed += len(pdf.attachments)
            del names["/EmbeddedFiles"]
        for page in pdf.pages:
            annots = page.obj.get("/Annots")
            if not isinstance(annots, pikepdf.Array):
                continue
            keep = [a for a in annots if a.get("/Subtype") != pikepdf.Name.FileAttachment]
            if len(keep) != len(annots):
                removed += len(annots) - len(keep)
                page.obj["/Annots"] = pikepdf.Array(keep)
        # Associated files of PDF/A-3 point at the same streams.
        if "/AF" in pdf.Root:
            del pdf.Root["/AF"]
        if removed:
            pdf.remove_unreferenced_resources()
            dest.parent.mkdir(parents=True, exist_ok=True)
            pdf.save(dest)
        return removed
