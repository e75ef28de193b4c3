"""Preflight: look at a file before any heavy work and refuse what cannot be archived.

Only headers are read here: image sizes come from the header before any pixel
is decoded, so a decompression bomb is refused without being expanded.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image, UnidentifiedImageError

from archive.settings import Settings
from ingest.errors import Rejected
from ingest.ocr import InputKind

# Magic numbers of what we accept, and of common things people send by mistake.
_ACCEPTED = {
    b"\xff\xd8\xff": ("image", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("image", "image/png"),
    b"II*\x00": ("image", "image/tiff"),
    b"MM\x00*": ("image", "image/tiff"),
}
_KNOWN_OTHER = {
    b"PK\x03\x04": "ZIP-архів або документ Office (DOCX/XLSX/ODT)",
    b"\xd0\xcf\x11\xe0": "документ Microsoft Office старого формату (DOC/XLS)",
    b"GIF8": "зображення GIF",
    b"RIFF": "файл RIFF (WEBP/AVI/WAV)",
    b"Rar!": "RAR-архів",
    b"7z\xbc\xaf": "7z-архів",
    b"\x1f\x8b": "gzip-архів",
    b"{\\rtf": "документ RTF",
    b"\x7fELF": "виконуваний файл",
    b"MZ": "виконуваний файл Windows",
}


@dataclass(frozen=True, slots=True)
class Preflight:
    kind: InputKind
    media_type: str
    pages: int


@dataclass(frozen=True, slots=True)
class Limits:
    max_file_mb: float
    max_pages: int
    max_image_mpixels: float


def limits_of(settings: Settings) -> Limits:
    """The ingest limits the settings give."""
    return Limits(
        max_file_mb=settings.ingest.max_file_mb,
        max_pages=settings.ingest.max_pages,
        max_image_mpixels=settings.ingest.max_image_mpixels,
    )


def sniff(head: bytes) -> tuple[InputKind, str] | None:
    """The kind and media type of a file from its first bytes, or None."""
    # A container (ZIP, Office, RAR…) that holds a PDF near its start is still a container:
    # it is never taken for the PDF inside it (issue 9, item 9).
    if head.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if any(head.startswith(magic) for magic in (*_KNOWN_OTHER, *_ACCEPTED)):
        return _accepted(head)
    # PDF readers accept the header anywhere in the first KiB (some scanners prepend junk).
    if b"%PDF-" in head[:1024]:
        return "pdf", "application/pdf"
    return _accepted(head)


def _accepted(head: bytes) -> tuple[InputKind, str] | None:
    for magic, (kind, media) in _ACCEPTED.items():
        if head.startswith(magic):
            return ("pdf" if kind == "pdf" else "image"), media
    return None


def check(path: Path, limits: Limits) -> Preflight:
    """Inspect a file; raise Rejected with a reason when it cannot be archived."""
    size = path.stat().st_size
    if size == 0:
        raise Rejected("empty", "Файл порожній (0 байт)")
    if size > limits.max_file_mb * 1024 * 1024:
        raise Rejected(
            "too_large",
            f"Файл завеликий: {size / 1024 / 1024:.0f} МБ, дозволено до "
            f"{limits.max_file_mb:.0f} МБ",
        )
    with path.open("rb") as f:
        head = f.read(4096)
    found = sniff(head)
    if found is None:
        what = next((name for m, name in _KNOWN_OTHER.items() if head.startswith(m)), None)
        if what is None and path.suffix.lower() == ".pdf":
            raise Rejected("not_pdf", "Файл має розширення .pdf, але не є PDF-документом")
        raise Rejected(
            "unsupported_type",
            f"Непідтримуваний тип файлу ({what or 'невідомий формат'}); "
            "приймаються PDF, JPEG, PNG і TIFF",
        )
    kind, media = found
    pages = _check_pdf(path, size, limits) if kind == "pdf" else _check_image(path, limits)
    return Preflight(kind=kind, media_type=media, pages=pages)


def _check_pdf(path: Path, size: int, limits: Limits) -> int:
    with path.open("rb") as f:
        f.seek(max(0, size - 2048))
        tail = f.read()
    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                raise Rejected(
                    "encrypted",
                    "PDF зашифровано (захищено паролем або обмеженнями); "
                    "попросіть заявника надіслати незахищену копію",
                )
            damaged = any("damaged" in w or "reconstruct" in w for w in pdf.get_warnings())
            pages = len(pdf.pages)
    except pikepdf.PasswordError as exc:
        raise Rejected(
            "encrypted", "PDF захищено паролем; попросіть заявника надіслати незахищену копію"
        ) from exc
    except Rejected:
        raise
    except Exception as exc:  # pikepdf/qpdf raise many kinds of errors on junk
        raise Rejected("corrupt_pdf", "PDF-файл пошкоджено, його неможливо прочитати") from exc
    if b"%%EOF" not in tail and damaged:
        raise Rejected(
            "truncated_pdf", "PDF-файл обрізано (неповний): надішліть або відскануйте його знову"
        )
    if pages == 0:
        raise Rejected("corrupt_pdf", "PDF-файл не містить жодної сторінки")
    if pages > limits.max_pages:
        raise Rejected(
            "too_many_pages",
            f"Забагато сторінок: {pages}, дозволено до {limits.max_pages}; "
            "розділіть документ на частини",
        )
    return pages


def _check_image(path: Path, limits: Limits) -> int:
    max_pixels = limits.max_image_mpixels * 1_000_000
    # Pillow's own bomb guard follows our limit (it raises at twice the value).
    Image.MAX_IMAGE_PIXELS = int(max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                frames = getattr(img, "n_frames", 1)
                if frames > limits.max_pages:
                    raise Rejected(
                        "too_many_pages",
                        f"Забагато сторінок: {frames}, дозволено до {limits.max_pages}",
                    )
                for i in range(frames):
                    img.seek(i)
                    w, h = img.size
                    if w * h > max_pixels:
                        raise Rejected(
                            "image_too_large",
                            f"Зображення завелике ({w}×{h} пікселів, сторінка {i + 1}) — "
                            "схоже на «бомбу розпакування»; файл не оброблено",
                        )
            # verify() needs a fresh file object and checks the whole stream.
            with Image.open(path) as img:
                img.verify()
    except Rejected:
        raise
    except Image.DecompressionBombError as exc:
        raise Rejected(
            "image_too_large",
            "Зображення завелике — схоже на «бомбу розпакування»; файл не оброблено",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Rejected("corrupt_image", "Зображення пошкоджено, його неможливо прочитати") from exc
    return frames
