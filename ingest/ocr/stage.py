"""The OCR stage: one accepted file in, a searchable PDF/A-2b and page text out.

``run_ocr`` is safe to call in a freshly spawned worker process: it sets up
what Tesseract and OCRmyPDF need (single-threaded Tesseract, temporary files
inside ``work_dir``, quiet logging) for the duration of the call and puts the
process state back afterwards. Run one call per process at a time: the
temporary-directory setting is process-wide.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
from ocrmypdf.exceptions import PdfaConversionFailedError
from PIL import Image

from common.pages import PageText
from ingest.ocr import InputKind, OcrFailed, OcrOptions, OcrResult, fields, inputs, textlayer
from ingest.ocr.errors import translate

log = logging.getLogger(__name__)

ENGINE_PLUGIN = "ingest.ocr.engine"
_QUIET_LOGGERS = ("ocrmypdf", "pikepdf", "fpdf", "PIL", "fontTools", "pdfminer")

SIGNED_NOTE = (
    "Документ має електронний підпис: збережено оригінальний файл без змін, "
    "щоб підпис залишався чинним"
)
SIGNED_NOT_PDFA_NOTE = "Підписаний документ не є PDF/A; перетворення зробило б підпис недійсним"
PLAIN_PDF_NOTE = (
    "Не вдалося створити PDF/A-2b (потрібне вбудовування шрифтів, а встановлена версія "
    "Ghostscript пошкоджує PDF з текстом); збережено звичайний PDF із текстом"
)
PHOTO_NOTE = (
    "Сторінку сфотографовано телефоном: для розпізнавання та архівної копії виправлено "
    "перспективу й освітлення; оригінальне фото збережено без змін"
)
DECRYPTED_NOTE = "Знято обмеження прав доступу PDF (пароль власника), щоб створити архівну копію"


@contextmanager
def _process_setup(work_dir: Path, options: OcrOptions) -> Iterator[None]:
    tmp = work_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    # Tesseract's OpenMP threads oversubscribe small machines; pages run in
    # parallel instead. Must be in the environment before Tesseract starts.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    saved_tempdir = tempfile.tempdir
    saved_env = {k: os.environ.get(k) for k in ("TMPDIR", "TEMP", "TMP")}
    saved_pixels = Image.MAX_IMAGE_PIXELS
    tempfile.tempdir = str(tmp)
    for key in saved_env:
        os.environ[key] = str(tmp)
    Image.MAX_IMAGE_PIXELS = round(options.max_image_mpixels * 1_000_000)
    try:
        with _quiet_logs():
            yield
    finally:
        tempfile.tempdir = saved_tempdir
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        Image.MAX_IMAGE_PIXELS = saved_pixels
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def _quiet_logs() -> Iterator[None]:
    # Only loggers not quiet already are changed (and put back): setting a level
    # clears every logger's cache, a measurable cost per born-digital document.
    saved_levels = {
        name: level
        for name in _QUIET_LOGGERS
        if (level := logging.getLogger(name).level) != logging.ERROR
    }
    for name in saved_levels:
        # OCRmyPDF warns through logging about pages and fonts; the pipeline
        # reports through OcrFailed/OcrResult instead.
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


def quiet_loggers() -> None:
    """Keep the OCR stack's loggers at ERROR for good (a worker process does this once)."""
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def run_ocr(
    source: Path,
    kind: InputKind,
    output_pdf: Path,
    *,
    options: OcrOptions,
    work_dir: Path,
) -> OcrResult:
    """OCR an image or PDF into a PDF/A-2b at ``output_pdf`` and return its page text.

    Raises :class:`OcrFailed` (and nothing else) when no archive copy can be made.
    """
    source, output_pdf, work_dir = Path(source), Path(output_pdf), Path(work_dir)
    try:
        # A PDF is opened once to learn what to respect (signed, encrypted).
        facts = inputs.inspect_pdf(source) if kind == "pdf" else None
        if facts is not None:
            # A born-digital PDF needs no working directory, temporary files or OCR.
            with _quiet_logs():
                born = _born_digital(source, output_pdf, options, facts)
            if born is not None:
                return born
        work_dir.mkdir(parents=True, exist_ok=True)
        with _process_setup(work_dir, options):
            return _run(source, kind, output_pdf, options, work_dir, facts)
    except OcrFailed:
        raise
    except Exception as exc:  # every failure becomes an OcrFailed
        failure = translate(exc)
        # The class name is enough to find the cause; messages may quote paths.
        log.warning("OCR failed (%s): %s", type(exc).__name__, failure.code)
        raise failure from None


def _ocrmypdf(
    input_pdf: Path,
    output_pdf: Path,
    options: OcrOptions,
    *,
    invalidate_signatures: bool = False,
    **extra: Any,
) -> None:
    import ocrmypdf

    ocrmypdf.ocr(
        input_pdf,
        output_pdf,
        language=[lang for lang in options.languages.split("+") if lang],
        jobs=max(1, options.jobs),
        use_threads=True,
        progress_bar=False,
        # Born-digital pages keep their text and are not OCR'd.
        mode="skip",
        pdf_renderer="sandwich",
        plugins=[ENGINE_PLUGIN],
        tesseract_timeout=options.page_timeout,
        tesseract_non_ocr_timeout=min(options.page_timeout, 120.0),
        max_image_mpixels=options.max_image_mpixels,
        invalidate_digital_signatures=invalidate_signatures,
        **extra,
    )


def _run(
    source: Path,
    kind: InputKind,
    output_pdf: Path,
    options: OcrOptions,
    work_dir: Path,
    facts: inputs.PdfFacts | None,
) -> OcrResult:
    notes: list[str] = []
    if kind == "image":
        pdf_in = work_dir / "input.pdf"
        photos: list[int] = []
        inputs.image_to_pdf(source, pdf_in, max_mpixels=options.max_image_mpixels, photos=photos)
        if photos:
            notes.append(PHOTO_NOTE)
    elif kind == "pdf" and facts is not None:
        if facts.signed:
            return _run_signed(source, output_pdf, options, work_dir, facts)
        if facts.owner_encrypted:
            notes.append(DECRYPTED_NOTE)
        # (A PDF whose every page has text was tried by _born_digital first.)
        pdf_in = source
        if inputs.working_copy(source, work_dir / "input.pdf"):
            pdf_in = work_dir / "input.pdf"
    else:
        raise OcrFailed(f"Непідтримуваний тип вхідного файлу: {kind}", "bad_input")

    text_dir = _fresh_dir(work_dir / "text")
    produced = work_dir / "ocr-output.pdf"
    common: dict[str, Any] = {
        "rotate_pages": True,
        "optimize": 0,
        # Linearising (fast web view) rewrites the whole file once more.
        "fast_web_view": 1e6,
        "cnap_text_dir": str(text_dir),
    }
    try:
        # pikepdf writes and validates the PDF/A itself. Ghostscript is not an
        # option: 10.0–10.02 corrupts PDFs that already have text (OCRmyPDF
        # refuses it with --mode skip) and it re-encodes every image.
        _ocrmypdf(
            pdf_in, produced, options, output_type="pdfa-2", pdfa_backend="internal", **common
        )
    except PdfaConversionFailedError:
        # Some born-digital PDFs (fonts not embedded, odd colour spaces) need
        # Ghostscript to become PDF/A. Use it where it is safe; otherwise keep
        # a plain searchable PDF rather than rejecting the document.
        text_dir = _fresh_dir(text_dir)
        if _ghostscript_safe_with_text():
            _ocrmypdf(
                pdf_in,
                produced,
                options,
                output_type="pdfa-2",
                pdfa_backend="ghostscript",
                **common,
            )
        else:
            notes.append(PLAIN_PDF_NOTE)
            _ocrmypdf(pdf_in, produced, options, output_type="pdf", **common)
    output_pdf.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(produced, output_pdf)
    with pikepdf.open(output_pdf) as pdf:
        claim = inputs.pdfa_claim(pdf)
    pages = textlayer.extract_pages(
        output_pdf, _read_page_texts(text_dir), _read_corrections(text_dir)
    )
    return OcrResult(pdfa_path=output_pdf, pages=pages, is_pdfa=claim == "2B", notes=notes)


def _born_digital(
    source: Path, output_pdf: Path, options: OcrOptions, facts: inputs.PdfFacts
) -> OcrResult | None:
    """The shortcut for a PDF (not signed) whose every page has text; None: not taken.

    The text layer is read once, from the input: a born-digital PDF needs nothing
    else, and its PDF/A rendition leaves the page content as it is.
    """
    if facts.signed:
        return None
    pages, empty = textlayer.read_text_layer(source)
    if empty:
        return None
    notes = [DECRYPTED_NOTE] if facts.owner_encrypted else []
    return _run_born_digital(source, output_pdf, pages, notes, options)


def _run_born_digital(
    source: Path,
    output_pdf: Path,
    pages: list[PageText],
    notes: list[str],
    options: OcrOptions,
) -> OcrResult | None:
    """Every page has text: no OCR and no re-rasterising, only the PDF/A structures.

    One pikepdf pass: the cosmetic page keys and an owner password go in
    memory (no working copy is written), one-element filter arrays become names
    (so compressed streams are copied, not inflated and deflated again),
    pikepdf's PDF/A repairs declare PDF/A-2b (structure and metadata, never
    page content), and the file is written with the PDF/A save settings. The
    page text read from the input stands: the rendition keeps every content
    stream. Re-reading and
    validating what was written costs three times the rendition, so it is
    done only with ``options.verify_pdfa``; what pikepdf cannot repair (fonts
    that are not embedded) never takes this path. None: the full path decides.
    """
    from pikepdf.pdfa import prepare, resolve_save_kwargs
    from pikepdf.pdfa import save as save_pdfa

    try:
        with pikepdf.open(source, conversion_mode="explicit") as pdf:
            if not inputs.fonts_embedded(pdf):
                return None
            inputs.drop_cosmetic_keys(pdf)
            inputs.single_filters_as_names(pdf)
            # Written where it is wanted (no working copy): a failure removes it.
            output_pdf.parent.mkdir(parents=True, exist_ok=True)
            if options.verify_pdfa:
                save_pdfa(pdf, output_pdf, "2b", output_intent="sRGB")
            else:
                prepare(pdf, "2b", output_intent="sRGB")
                pdf.save(output_pdf, **resolve_save_kwargs("2b"))
    except Exception:  # PdfaError and pikepdf's errors: leave it to OCRmyPDF
        log.debug("born-digital PDF/A shortcut not taken", exc_info=True)
        output_pdf.unlink(missing_ok=True)
        return None
    return OcrResult(pdfa_path=output_pdf, pages=pages, is_pdfa=True, notes=notes)


def _ghostscript_safe_with_text() -> bool:
    """Ghostscript 10.0.0–10.02.0 corrupts PDFs that already have text."""
    from ocrmypdf._exec import ghostscript
    from packaging.version import Version

    try:
        return bool(ghostscript.available()) and ghostscript.version() >= Version("10.02.1")
    except Exception:  # no usable Ghostscript at all
        return False


def _run_signed(
    source: Path,
    output_pdf: Path,
    options: OcrOptions,
    work_dir: Path,
    facts: inputs.PdfFacts,
) -> OcrResult:
    """Keep a signed PDF byte-for-byte; OCR a throw-away copy only for the text.

    Any rewrite — PDF/A conversion included — breaks the signature of a КЕП/QES
    signed document, and the signature is what makes it legally valid. The text
    of pages without a text layer is still recognised, from a copy whose pages
    keep their geometry (no rotation), so word boxes fit the original.
    """
    output_pdf.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, output_pdf)
    notes = [SIGNED_NOTE]
    if facts.pdfa is None:
        notes.append(SIGNED_NOT_PDFA_NOTE)
    text_source = output_pdf
    text_dir = _fresh_dir(work_dir / "text")
    if _pages_without_text(source):
        text_source = work_dir / "signed-text-copy.pdf"
        _ocrmypdf(
            source,
            text_source,
            options,
            output_type="pdf",
            rotate_pages=False,
            optimize=0,
            cnap_text_dir=str(text_dir),
            # Only this throw-away copy; the archived file is the original.
            invalidate_signatures=True,
        )
    pages = textlayer.extract_pages(
        text_source, _read_page_texts(text_dir), _read_corrections(text_dir)
    )
    return OcrResult(
        pdfa_path=output_pdf,
        pages=pages,
        is_pdfa=facts.pdfa is not None,
        signed=True,
        notes=notes,
    )


def _pages_without_text(pdf_path: Path) -> list[int]:
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        empty = []
        for index in range(len(doc)):
            page = doc[index]
            textpage = page.get_textpage()
            if textpage.count_chars() == 0:
                empty.append(index + 1)
            textpage.close()
            page.close()
        return empty
    finally:
        doc.close()


def _fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _read_corrections(text_dir: Path) -> dict[int, list[fields.Correction]]:
    """The second readings the engine wrote beside each page's text (``NNNNNN.fields.json``)."""
    found: dict[int, list[fields.Correction]] = {}
    for file in text_dir.glob("*.fields.json"):
        number = file.name.split(".", 1)[0]
        if not number.isdigit():
            continue
        try:
            rows = json.loads(file.read_text(encoding="utf-8"))
            found[int(number)] = [fields.Correction.from_json(r) for r in rows]
        except (OSError, ValueError, TypeError, AttributeError):
            continue  # a second reading is an improvement, never a requirement
    return found


def _read_page_texts(text_dir: Path) -> dict[int, str]:
    texts: dict[int, str] = {}
    for file in text_dir.glob("*.txt"):
        if file.stem.isdigit():
            texts[int(file.stem)] = file.read_text(encoding="utf-8")
    return texts
