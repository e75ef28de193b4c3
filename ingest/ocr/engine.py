"""OCRmyPDF plugin: Tesseract that copes with bad desk scans.

Loaded by :func:`ingest.ocr.stage.run_ocr` through ``ocrmypdf.ocr(plugins=[...])``.
It changes three things in OCRmyPDF's per-page work:

- the orientation preview is rendered at 150 dpi instead of up to 300 dpi
  (our orientation analysis needs no more, and rendering is not free);
- ``get_orientation`` decides upright/upside-down with the cheap tiered
  detector of :mod:`ingest.ocr.orientation` instead of raw Tesseract OSD,
  which is unsure on noisy pages and leaves them upside down;
- OCR (``generate_pdf``, the "sandwich" renderer) runs Tesseract on a
  denoised, thresholded, deskewed copy of the page image, then rotates the
  text-only PDF back by the skew angle so the invisible text lies exactly over
  the skewed words of the untouched visible page. Deskewing inside the engine
  keeps the archived scan bit-for-bit while Tesseract sees straight lines.

All hooks run inside OCRmyPDF worker threads of the calling process.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
from ocrmypdf import hookimpl
from ocrmypdf.builtin_plugins import pypdfium as builtin_pypdfium
from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOcrEngine
from ocrmypdf.exceptions import ExitCode, ExitCodeException
from ocrmypdf.helpers import Resolution
from ocrmypdf.pluginspec import GhostscriptRasterDevice, OrientationConfidence
from PIL import Image

from ingest.ocr import fields, imaging, orientation, tesseract

log = logging.getLogger(__name__)

PREVIEW_DPI = 150.0
_PAGE_PREFIX = re.compile(r"^(\d{6})_")
_SIDECAR = "cnap_orientation.json"


class PageTimeoutError(ExitCodeException):
    """Tesseract exceeded the per-page time limit (``page`` is 1-based, 0 if unknown)."""

    exit_code = ExitCode.child_process_error

    def __init__(self, page: int) -> None:
        super().__init__(f"page {page} timed out")
        self.page = page

    def __reduce__(self) -> tuple[Any, ...]:
        return (PageTimeoutError, (self.page,))


class EngineError(ExitCodeException):
    """Tesseract failed on a page; the message carries no document text."""

    exit_code = ExitCode.child_process_error


def _page_number(path: Path) -> int:
    match = _PAGE_PREFIX.match(path.name)
    return int(match.group(1)) if match else 0


def _sidecar_for(path: Path) -> Path | None:
    match = _PAGE_PREFIX.match(path.name)
    return path.with_name(f"{match.group(1)}_{_SIDECAR}") if match else None


def _languages(options: Any) -> list[str]:
    return list(getattr(options, "languages", None) or ["ukr", "eng"])


def _timeout(options: Any) -> float:
    return float(options.tesseract.timeout)


def _load_gray(path: Path) -> tuple[imaging.Gray, float, bool]:
    with Image.open(path) as im:
        dpi_info = im.info.get("dpi", (300.0, 300.0))
        dpi = float(dpi_info[0]) if dpi_info and float(dpi_info[0]) > 0 else 300.0
        bilevel = im.mode == "1"
        gray = np.asarray(im.convert("L"), dtype=np.uint8)
    return gray, dpi, bilevel


def _tesseract_version() -> str:
    version: str = TesseractOcrEngine.version()  # type: ignore[no-untyped-call]
    return version


class CnapTesseractEngine(TesseractOcrEngine):
    """Tesseract with our orientation detection and OCR-side image preparation."""

    @staticmethod
    def creator_tag(options: Any) -> str:
        return f"cnap-archive + Tesseract OCR {_tesseract_version()}"

    def __str__(self) -> str:
        return f"Tesseract OCR {_tesseract_version()} (cnap-archive)"

    @staticmethod
    def get_orientation(input_file: Path, options: Any) -> OrientationConfidence:
        gray, dpi, _ = _load_gray(input_file)
        found = orientation.detect(
            gray, dpi, _languages(options), timeout=float(options.tesseract.non_ocr_timeout)
        )
        log.debug(
            "page %d: orientation %d° by %s, skew %.1f°",
            _page_number(input_file),
            found.angle,
            found.method,
            found.skew_deg,
        )
        sidecar = _sidecar_for(input_file)
        # A 90/270 turn changes which way the lines run: the skew must then be
        # measured again on the turned page.
        if sidecar is not None and found.angle in (0, 180) and found.method != "none":
            sidecar.write_text(json.dumps({"skew_deg": found.skew_deg}))
        return OrientationConfidence(angle=found.angle, confidence=found.confidence)

    @staticmethod
    def get_deskew(input_file: Path, options: Any) -> float:
        # Only used if a caller asks OCRmyPDF to deskew the visible page.
        gray, dpi, _ = _load_gray(input_file)
        return imaging.measure_skew(gray, dpi)

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options: Any) -> None:
        page = _page_number(input_file)
        gray, dpi, bilevel = _load_gray(input_file)
        skew = _cached_skew(input_file)
        if skew is None:
            skew = imaging.measure_skew(gray, dpi)
        prepared = imaging.prepare_for_ocr(gray, dpi, skew_deg=skew, bilevel=bilevel)
        base = output_pdf.with_name(output_pdf.stem + "_cnap")
        _tesseract_ocr(prepared, dpi, base, ["pdf", "txt", "tsv"], options, page, textonly=True)
        _keep_page_text(Path(f"{base}.txt"), page, options)
        _keep_second_reading(Path(f"{base}.tsv"), gray, prepared, skew, dpi, page, options)
        shutil.move(f"{base}.txt", output_text)
        if abs(skew) >= imaging.MIN_SKEW_DEG:
            _rotate_text_layer(Path(f"{base}.pdf"), output_pdf, -skew)
        else:
            shutil.move(f"{base}.pdf", output_pdf)

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options: Any) -> None:
        # hOCR word boxes cannot carry a rotation, so this path denoises but
        # does not deskew; run_ocr always uses the sandwich path above.
        page = _page_number(input_file)
        gray, dpi, bilevel = _load_gray(input_file)
        prepared = imaging.prepare_for_ocr(gray, dpi, skew_deg=0.0, bilevel=bilevel)
        base = output_hocr.with_name(output_hocr.stem + "_cnap")
        _tesseract_ocr(prepared, dpi, base, ["hocr", "txt"], options, page, textonly=False)
        shutil.move(f"{base}.hocr", output_hocr)
        _keep_page_text(Path(f"{base}.txt"), page, options)
        shutil.move(f"{base}.txt", output_text)


def _keep_page_text(txt: Path, page: int, options: Any) -> None:
    """Copy Tesseract's own text of the page to ``cnap_text_dir`` if the caller set one.

    Tesseract's reading order is better than what a PDF text extractor can
    reconstruct from a deskewed (rotated) text layer.
    """
    text_dir = getattr(options, "extra_attrs", {}).get("cnap_text_dir")
    if text_dir and page:
        shutil.copyfile(txt, Path(text_dir) / f"{page:06d}.txt")


def _keep_second_reading(
    tsv: Path,
    gray: imaging.Gray,
    prepared: imaging.Gray,
    skew: float,
    dpi: float,
    page: int,
    options: Any,
) -> None:
    """Latin fields read once more (``ingest.ocr.fields``), from the grey page turned as
    Tesseract saw it, so that the TSV's boxes fit.

    Written beside the page's text as ``NNNNNN.fields.json``; the text layer's
    words and the page text take them together (:mod:`ingest.ocr.textlayer`).
    """
    text_dir = getattr(options, "extra_attrs", {}).get("cnap_text_dir")
    if not text_dir or not page or not tsv.exists():
        return
    height, width = prepared.shape[:2]
    first = tesseract.page_from_tsv(tsv.read_text(encoding="utf-8"), width, height)
    turned: list[Image.Image] = []

    def crop(box: fields.Box) -> Image.Image | None:
        if not turned:  # only a page with a Latin field pays for the turn
            turned.append(Image.fromarray(imaging.upright(gray, skew)))
        return fields.crop_of(turned[0])(box)

    def read(image: Image.Image, chars: str, thresholded: bool) -> str:
        return fields.read_latin(image, dpi, chars, thresholded=thresholded)

    found = fields.second_reading(fields.fix_numero(first), crop, read)
    if found:
        out = Path(text_dir) / f"{page:06d}.fields.json"
        out.write_text(json.dumps([c.as_json() for c in found], ensure_ascii=False), "utf-8")


def _cached_skew(ocr_image: Path) -> float | None:
    sidecar = _sidecar_for(ocr_image)
    if sidecar is None or not sidecar.exists():
        return None
    try:
        value = json.loads(sidecar.read_text())["skew_deg"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def _tesseract_ocr(
    image: imaging.Gray,
    dpi: float,
    base: Path,
    configs: Sequence[str],
    options: Any,
    page: int,
    *,
    textonly: bool,
) -> None:
    tess = options.tesseract
    try:
        tesseract.recognise(
            image,
            dpi,
            base,
            configs,
            _languages(options),
            timeout=_timeout(options),
            oem=tess.oem,
            psm=tess.pagesegmode,
            textonly_pdf=textonly,
        )
    except tesseract.TesseractTimeout as exc:
        raise PageTimeoutError(page) from exc
    except tesseract.TesseractError as exc:
        raise EngineError(f"Tesseract failed on page {page}: {exc}") from exc


def _rotate_text_layer(src: Path, dst: Path, angle_deg: float) -> None:
    """Rotate the page content of a text-only PDF about the page centre.

    ``angle_deg`` is counter-clockwise as seen on the page. OCRmyPDF grafts the
    page's content stream as a form, so wrapping the stream is enough.
    """
    with pikepdf.open(src) as pdf:
        page = pdf.pages[0]
        box = page.mediabox
        cx = (float(box[0]) + float(box[2])) / 2.0
        cy = (float(box[1]) + float(box[3])) / 2.0
        # pikepdf composes right-to-left: move the centre to the origin,
        # rotate, move back.
        matrix = pikepdf.Matrix().translated(cx, cy).rotated(angle_deg).translated(-cx, -cy)
        body = b"".join(
            stream.read_bytes() for stream in _content_streams(page.obj.get("/Contents"))
        )
        wrapped = b"q " + matrix.encode() + b" cm\n" + body + b"\nQ\n"
        page.obj.Contents = pdf.make_stream(wrapped)
        pdf.save(dst)


def _content_streams(contents: Any) -> list[pikepdf.Stream]:
    if contents is None:
        return []
    if isinstance(contents, pikepdf.Array):
        return [c for c in contents if isinstance(c, pikepdf.Stream)]
    return [contents] if isinstance(contents, pikepdf.Stream) else []


@hookimpl
def initialize(plugin_manager: Any) -> None:
    """Ask Tesseract for its version and languages once per process, not per file.

    OCRmyPDF runs ``tesseract --version`` four times and ``--list-langs`` once
    for every document — about 0.2 s, a tenth of a page's OCR. The installed
    Tesseract cannot change under a running worker.
    """
    from ocrmypdf._exec import tesseract as tesseract_exec

    for name in ("version", "get_languages"):
        probe = getattr(tesseract_exec, name)
        if not getattr(probe, "_cnap_cached", False):
            cached = functools.cache(probe)
            cached._cnap_cached = True  # type: ignore[attr-defined]
            setattr(tesseract_exec, name, cached)


@hookimpl
def get_ocr_engine(options: Any) -> CnapTesseractEngine:
    return CnapTesseractEngine()


@dataclass(frozen=True, slots=True)
class _PageImage:
    image: Image.Image
    page_rotate: int  # the page's /Rotate, clockwise
    size_pt: tuple[float, float]


_DEVICE_MODES = {
    GhostscriptRasterDevice.JPEGGRAY: "L",
    GhostscriptRasterDevice.PNGGRAY: "L",
    GhostscriptRasterDevice.PNGMONO: "1",
    GhostscriptRasterDevice.PNGMONOD: "1",
    GhostscriptRasterDevice.PNG16M: "RGB",
}


def _only_image(input_file: Path, pageno: int) -> _PageImage | None:
    """The single image of a scanned page, if the page is nothing but that image.

    Accepts the shape img2pdf and scanners write — ``q W 0 0 H X Y cm /Im Do Q``
    with the image covering the media box — and plain gray/RGB/bilevel images
    without masks. Anything else returns None and is rendered as usual.
    """
    with pikepdf.open(input_file) as pdf:
        page = pdf.pages[pageno - 1]
        box = [float(v) for v in page.mediabox]
        if "/CropBox" in page.obj and [float(v) for v in page.cropbox] != box:
            return None
        matrix: list[float] | None = None
        name: Any = None
        for instruction in pikepdf.parse_content_stream(page):
            if not isinstance(instruction, pikepdf.ContentStreamInstruction):
                return None  # an inline image
            op, operands = str(instruction.operator), instruction.operands
            if op in ("q", "Q"):
                continue
            if op == "cm" and matrix is None and name is None:
                matrix = [float(v) for v in operands]
            elif op == "Do" and name is None and matrix is not None:
                name = operands[0]
            else:
                return None
        if matrix is None or name is None:
            return None
        a, b, c, d, e, f = matrix
        width, height = box[2] - box[0], box[3] - box[1]
        if b or c or abs(a - width) > 0.5 or abs(d - height) > 0.5:
            return None
        if abs(e - box[0]) > 0.5 or abs(f - box[1]) > 0.5:
            return None
        resources: Any = page.obj.get("/Resources")
        xobjects: Any = resources.get("/XObject") if resources is not None else None
        xobject = xobjects.get(name) if xobjects is not None else None
        if not isinstance(xobject, pikepdf.Stream) or xobject.get("/Subtype") != "/Image":
            return None
        if any(key in xobject for key in ("/SMask", "/Mask", "/Decode", "/ImageMask")):
            return None
        if xobject.get("/ColorSpace") not in ("/DeviceGray", "/DeviceRGB"):
            return None
        image = pikepdf.PdfImage(xobject).as_pil_image()
        image.load()
        rotate = int(page.obj.get("/Rotate", 0)) % 360
    return _PageImage(image, rotate, (width, height))


def _fast_rasterize(
    input_file: Path,
    output_file: Path,
    raster_device: GhostscriptRasterDevice,
    raster_dpi: Resolution[float],
    pageno: int,
    page_dpi: Resolution[float] | None,
    rotation: int | None,
) -> Path | None:
    mode = _DEVICE_MODES.get(raster_device)
    if mode is None:
        return None
    found = _only_image(input_file, pageno)
    if found is None:
        return None
    image = found.image
    width_pt, height_pt = found.size_pt
    expected = (round(width_pt * raster_dpi.x / 72.0), round(height_pt * raster_dpi.y / 72.0))
    if raster_device == GhostscriptRasterDevice.JPEGGRAY:
        # The orientation preview: any resolution up to the one requested will do.
        scale = min(1.0, PREVIEW_DPI * width_pt / 72.0 / image.width)
        if scale < 0.99:
            image = image.convert("L").resize(
                (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                Image.Resampling.BOX,
            )
        dpi = image.width * 72.0 / width_pt
    else:
        if abs(image.width - expected[0]) > 2 or abs(image.height - expected[1]) > 2:
            return None  # OCRmyPDF wants another resolution: let pdfium render
        dpi = float(page_dpi.x if page_dpi else raster_dpi.x)
    if image.mode != mode:
        image = image.convert(mode)
    # Same orientation rule as OCRmyPDF's pdfium rasteriser: a requested
    # rotation (counter-clockwise) replaces the page's own /Rotate.
    clockwise = (-rotation) % 360 if rotation else found.page_rotate
    transpose = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }.get(clockwise)
    if transpose is not None:
        image = image.transpose(transpose)
    if raster_device == GhostscriptRasterDevice.JPEGGRAY:
        image.save(output_file, "JPEG", quality=90, dpi=(dpi, dpi))
    else:
        # Only our engine (and Pillow, which goes by content, not by suffix)
        # reads this temporary file: an uncompressed TIFF is written in a few
        # milliseconds, a PNG takes 0.2–0.3 s on a noisy page even at level 0.
        image.save(output_file, "TIFF", dpi=(dpi, dpi), compression="raw")
    return output_file


@hookimpl
def rasterize_pdf_page(
    input_file: Path,
    output_file: Path,
    raster_device: GhostscriptRasterDevice,
    raster_dpi: Resolution[float],
    pageno: int,
    page_dpi: Resolution[float] | None,
    rotation: int | None,
    filter_vector: bool,
    stop_on_soft_error: bool,
    options: Any,
    use_cropbox: bool,
) -> Path | None:
    """Take scanned pages' images straight out of the PDF instead of rendering them.

    A scan page is one image; decoding it is several times cheaper than
    rendering the page and re-encoding the result, and it is done twice per
    page (orientation preview, OCR image). Other pages, and every render this
    shortcut cannot reproduce exactly, go to OCRmyPDF's own rasteriser — with
    the preview at 150 dpi, which is all the orientation analysis needs.
    """
    if raster_device in _DEVICE_MODES and not use_cropbox:
        try:
            done = _fast_rasterize(
                input_file, output_file, raster_device, raster_dpi, pageno, page_dpi, rotation
            )
        except (pikepdf.PdfError, OSError, ValueError, NotImplementedError) as exc:
            log.debug("page %d: direct image extraction failed (%s)", pageno, type(exc).__name__)
            done = None
        if done is not None:
            return done
    if raster_device != GhostscriptRasterDevice.JPEGGRAY:
        return None
    if raster_dpi.x <= PREVIEW_DPI and raster_dpi.y <= PREVIEW_DPI:
        return None
    low: Resolution[float] = Resolution(PREVIEW_DPI, PREVIEW_DPI)
    result: Path | None = builtin_pypdfium.rasterize_pdf_page(
        input_file=input_file,
        output_file=output_file,
        raster_device=raster_device,
        raster_dpi=low,
        pageno=pageno,
        page_dpi=low,
        rotation=rotation,
        filter_vector=filter_vector,
        stop_on_soft_error=stop_on_soft_error,
        options=options,
        use_cropbox=use_cropbox,
    )
    return result
