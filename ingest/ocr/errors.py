"""Translate whatever OCRmyPDF, Tesseract, Pillow or pikepdf raise into :class:`OcrFailed`.

Reasons are short Ukrainian sentences for the administrator who scanned the
document; they never quote document text. Codes are stable identifiers for
the pipeline and the logs. Our own Tesseract calls (through pytesseract)
arrive as :class:`~ingest.ocr.tesseract.TesseractError` and
:class:`~ingest.ocr.tesseract.TesseractTimeout`.
"""

from __future__ import annotations

import subprocess

import pikepdf
from ocrmypdf import exceptions as ox
from PIL import Image, UnidentifiedImageError

from ingest.ocr import OcrFailed
from ingest.ocr.engine import EngineError, PageTimeoutError
from ingest.ocr.tesseract import TesseractError, TesseractTimeout


def _short(exc: BaseException, limit: int = 160) -> str:
    """First line of an exception message, trimmed (qpdf/Pillow detail, not text)."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first if len(first) <= limit else first[: limit - 1] + "…"


def translate(exc: BaseException) -> OcrFailed:
    """The :class:`OcrFailed` to raise instead of ``exc``."""
    if isinstance(exc, OcrFailed):
        return exc
    if isinstance(exc, PageTimeoutError):
        where = f"сторінки {exc.page}" if exc.page else "сторінки"
        return OcrFailed(f"Розпізнавання {where} перевищило ліміт часу", "page_timeout")
    if isinstance(exc, TesseractTimeout):
        # Orientation probes have no page number at hand.
        return OcrFailed("Розпізнавання сторінки перевищило ліміт часу", "page_timeout")
    if isinstance(exc, ox.EncryptedPdfError | pikepdf.PasswordError):
        return OcrFailed("PDF захищено паролем", "encrypted")
    if isinstance(exc, ox.DigitalSignatureError):
        return OcrFailed(
            "PDF має електронний підпис; розпізнавання змінило б файл і зробило підпис недійсним",
            "signed",
        )
    if isinstance(exc, ox.PriorOcrFoundError):
        return OcrFailed("Документ уже містить текстовий шар", "prior_ocr")
    if isinstance(exc, ox.TaggedPDFError):
        return OcrFailed("PDF уже містить структурований текст", "tagged_pdf")
    if isinstance(exc, ox.UnsupportedImageFormatError | UnidentifiedImageError):
        return OcrFailed("Непідтримуваний або пошкоджений формат зображення", "bad_image")
    if isinstance(exc, Image.DecompressionBombError):
        return OcrFailed("Зображення завелике для обробки", "image_too_large")
    if isinstance(exc, ox.DpiError):
        return OcrFailed("Не вдалося визначити роздільну здатність зображення", "bad_dpi")
    if isinstance(exc, ox.NonEmbeddedFontsError):
        return OcrFailed(
            "PDF містить невбудовані шрифти, тому архівну копію PDF/A створити неможливо",
            "pdfa_failed",
        )
    if isinstance(exc, ox.InputFileError):
        return OcrFailed(f"Файл пошкоджено: {_short(exc)}", "corrupt")
    if isinstance(exc, pikepdf.PdfError):
        return OcrFailed(f"Файл пошкоджено: {_short(exc)}", "corrupt")
    if isinstance(exc, ox.MissingDependencyError):
        return OcrFailed(
            f"Не встановлено програму, потрібну для розпізнавання: {_short(exc)}",
            "missing_dependency",
        )
    if isinstance(exc, ox.OutputFileAccessError):
        return OcrFailed("Не вдалося записати результат розпізнавання", "output_error")
    if isinstance(exc, ox.PdfaConversionFailedError):
        return OcrFailed("Не вдалося створити архівну копію PDF/A", "pdfa_failed")
    if isinstance(exc, ox.ColorConversionNeededError):
        return OcrFailed("Кольорову модель документа неможливо зберегти як PDF/A", "pdfa_failed")
    if isinstance(
        exc,
        EngineError
        | TesseractError
        | ox.SubprocessOutputError
        | ox.TesseractConfigError
        | subprocess.SubprocessError,
    ):
        return OcrFailed("Помилка програми розпізнавання тексту (Tesseract)", "engine_error")
    if isinstance(exc, ox.BadArgsError):
        return OcrFailed("Неправильні параметри розпізнавання", "bad_options")
    if isinstance(exc, MemoryError):
        return OcrFailed("Недостатньо пам'яті для розпізнавання документа", "out_of_memory")
    if isinstance(exc, OSError):
        return OcrFailed("Помилка читання або запису файлу під час розпізнавання", "io_error")
    return OcrFailed("Не вдалося розпізнати документ (внутрішня помилка)", "ocr_failed")
