"""Turning accepted files into a PDF OCRmyPDF can work on, and inspecting PDFs.

Images (JPEG, PNG, multi-page TIFF, …) become an image-only PDF: JPEGs are
embedded as they are (no second lossy compression), everything else losslessly
as PNG, bilevel pages as CCITT G4. Pixel formats PDF/A cannot hold or
Tesseract cannot read (alpha, 16 bit, palettes, CMYK) are converted here.

Phone photographs of paper (see :mod:`ingest.ocr.photo`) are the exception to
"as they are": the page is found, flattened and evenly lit, and that page goes
into the PDF (as a JPEG: the photo was lossy already). The photo itself stays
the document's original file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import numpy as np
import pikepdf
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from ingest.ocr import OcrFailed, photo

A4_INCHES = (8.27, 11.69)
# Resolutions desk scanners offer; an estimate close to one of them snaps to it.
_STANDARD_DPI = (100, 150, 200, 240, 300, 400, 600, 1200)


def plausible_dpi(info_dpi: object, width: int, height: int) -> tuple[float, float]:
    """The resolution to believe for an image ``width`` × ``height`` pixels.

    Scanners write the right value; phones, screenshots and some drivers write
    none, 1, 72 or 96. A value is trusted when it gives a page between 3 and 20
    inches on its long side; otherwise the image is assumed to be an A4 page
    (a 200-dpi scan of A4 is 1654 × 2339 pixels).
    """
    if isinstance(info_dpi, tuple) and len(info_dpi) == 2:
        try:
            x, y = float(info_dpi[0]), float(info_dpi[1])
        except (TypeError, ValueError):
            x = y = 0.0
        if min(x, y) >= 50 and max(x, y) <= 2400:
            long_side = max(width / x, height / y)
            if 3.0 <= long_side <= 20.0:
                return x, y
    short_px, long_px = sorted((width, height))
    estimate = (short_px / A4_INCHES[0] + long_px / A4_INCHES[1]) / 2.0
    for standard in _STANDARD_DPI:
        if abs(estimate - standard) <= 0.05 * standard:
            estimate = float(standard)
            break
    dpi = float(min(1200.0, max(72.0, round(estimate))))
    return dpi, dpi


def _flatten_alpha(img: Image.Image) -> Image.Image:
    rgba = img.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _to_eight_bit(img: Image.Image) -> Image.Image:
    """16-bit and 32-bit grey to 8-bit, stretched to the range actually used."""
    arr = np.asarray(img, dtype=np.float64)
    if img.mode.startswith("I;16"):
        lo, hi = 0.0, 65535.0
    else:
        lo, hi = float(arr.min()), float(arr.max())
    if hi <= lo:
        hi = lo + 1.0
    scaled = np.clip((arr - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    return Image.fromarray(scaled, "L")


def normalise_mode(img: Image.Image) -> Image.Image:
    """Convert to ``1``, ``L`` or ``RGB`` — what PDF/A and Tesseract both take."""
    mode = img.mode
    if mode in ("1", "L", "RGB"):
        return img
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in img.info):
        out = _flatten_alpha(img)
    elif mode == "P":
        out = img.convert("RGB")
    elif mode.startswith("I") or mode == "F":
        return _to_eight_bit(img)
    else:  # CMYK, YCbCr, LAB, HSV
        out = img.convert("RGB")
    arr = np.asarray(out)
    if (
        arr.ndim == 3
        and np.array_equal(arr[..., 0], arr[..., 1])
        and np.array_equal(arr[..., 1], arr[..., 2])
    ):
        return out.convert("L")
    return out


@dataclass(frozen=True, slots=True)
class _Frame:
    data: bytes
    dpi: tuple[float, float]
    photo: bool = False  # a phone photo, corrected


# A corrected photo page is enlarged (at most twofold) to this long side: the
# A4 height at 200 dpi, below which Tesseract loses accuracy on body text.
PHOTO_MIN_LONG_SIDE = 2339
PHOTO_JPEG_QUALITY = 90


def _scanner_dpi(info_dpi: object) -> bool:
    """The file states a resolution a desk scanner offers (phones write 72 or none)."""
    if not (isinstance(info_dpi, tuple) and len(info_dpi) == 2):
        return False
    try:
        x, y = float(info_dpi[0]), float(info_dpi[1])
    except (TypeError, ValueError):
        return False
    return x == y and x >= 150 and round(x) in _STANDARD_DPI


def _probe(source: Path, frame: Image.Image, single_jpeg: bool) -> Image.Image:
    """A small upright copy of ``frame`` for the photo check.

    A JPEG is decoded at an eighth or a quarter of its size by libjpeg itself
    (DCT scaling), so desk-scan JPEGs that are embedded undecoded stay cheap.
    """
    if single_jpeg:
        with Image.open(source) as probe:
            probe.draft(probe.mode, (probe.width // 4, probe.height // 4))
            small = ImageOps.exif_transpose(probe)
            small.load()
            return small
    small = ImageOps.exif_transpose(frame.copy())
    small.thumbnail((photo.ANALYSIS_LONG_SIDE, photo.ANALYSIS_LONG_SIDE), Image.Resampling.BOX)
    return small


def _photo_page(source: Path, frame: Image.Image, single_jpeg: bool) -> _Frame | None:
    """The corrected page if ``frame`` is a phone photo of paper, else None."""
    if frame.mode not in ("L", "RGB"):
        return None  # bilevel, 16-bit, palette: scanner and editor output
    camera = photo.camera_exif(frame)
    if not camera and _scanner_dpi(frame.info.get("dpi")):
        return None
    small = _probe(source, frame, single_jpeg)
    gray = np.asarray(small.convert("L"), dtype=np.uint8)
    plan = photo.assess(gray, camera=camera)
    if plan is None:
        return None
    page = ImageOps.exif_transpose(frame.copy())
    pixels = np.asarray(page, dtype=np.uint8)
    fixed = photo.correct(
        pixels, plan.scaled(page.width / small.width), min_long_side=PHOTO_MIN_LONG_SIDE
    )
    height, width = fixed.shape[:2]
    dpi = plausible_dpi(None, width, height)
    buf = io.BytesIO()
    Image.fromarray(fixed).save(
        buf, "JPEG", quality=PHOTO_JPEG_QUALITY, dpi=(round(dpi[0]), round(dpi[1]))
    )
    return _Frame(buf.getvalue(), dpi, photo=True)


def _frames(source: Path, max_pixels: int) -> Iterator[_Frame]:
    with Image.open(source) as img:
        fmt = img.format
        n_frames = getattr(img, "n_frames", 1)
        for frame in ImageSequence.Iterator(img):
            if frame.width * frame.height > max_pixels:
                raise OcrFailed(
                    f"Зображення завелике: {frame.width}×{frame.height} пікселів "
                    f"(ліміт {max_pixels / 1e6:.0f} Мпікс)",
                    "image_too_large",
                )
            single_jpeg = fmt == "JPEG" and n_frames == 1
            corrected = _photo_page(source, frame, single_jpeg)
            if corrected is not None:
                yield corrected
                continue
            dpi = plausible_dpi(frame.info.get("dpi"), frame.width, frame.height)
            if single_jpeg and frame.mode in ("L", "RGB") and frame.info.get("progression") is None:
                # Embed the JPEG as it is; img2pdf turns an EXIF orientation
                # into /Rotate, so the pixels stay untouched.
                yield _Frame(source.read_bytes(), dpi)
                return
            page = ImageOps.exif_transpose(frame.copy())
            if page.size != frame.size:
                dpi = (dpi[1], dpi[0])
            page = normalise_mode(page)
            buf = io.BytesIO()
            if page.mode == "1":
                page.save(buf, "TIFF", compression="group4", dpi=dpi)
            else:
                page.save(buf, "PNG", dpi=(round(dpi[0]), round(dpi[1])), compress_level=6)
            yield _Frame(buf.getvalue(), dpi)


def image_to_pdf(
    source: Path, output: Path, *, max_mpixels: float, photos: list[int] | None = None
) -> int:
    """Write an image-only PDF with one page per frame; return the page count.

    The numbers (1-based) of pages that were phone photos and got corrected
    are appended to ``photos`` when given.
    """
    try:
        frames = list(_frames(source, round(max_mpixels * 1_000_000)))
    except Image.DecompressionBombError as exc:
        raise OcrFailed("Зображення завелике для обробки", "image_too_large") from exc
    except UnidentifiedImageError as exc:
        raise OcrFailed("Непідтримуваний або пошкоджений формат зображення", "bad_image") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated and garbled image data this way.
        raise OcrFailed("Файл пошкоджено: не вдалося прочитати зображення", "corrupt") from exc
    if not frames:
        raise OcrFailed("Файл пошкоджено: зображення не містить сторінок", "corrupt")
    if photos is not None:
        photos.extend(n for n, f in enumerate(frames, 1) if f.photo)
    dpis = iter([f.dpi for f in frames])

    def layout(
        width_px: int, height_px: int, _ndpi: tuple[float, float]
    ) -> tuple[float, float, float, float]:
        # img2pdf calls this once per image, in order: use our resolution,
        # not the one (possibly 72 or absent) written in the file.
        x, y = next(dpis)
        width_pt, height_pt = width_px * 72.0 / x, height_px * 72.0 / y
        return width_pt, height_pt, width_pt, height_pt

    pdf_bytes = img2pdf.convert(
        [f.data for f in frames], layout_fun=layout, rotation=img2pdf.Rotation.ifvalid
    )
    output.write_bytes(pdf_bytes)
    return len(frames)


@dataclass(frozen=True, slots=True)
class PdfFacts:
    pages: int
    owner_encrypted: bool  # encrypted, but opens without a password
    signed: bool
    pdfa: str | None  # e.g. "2B" when the file claims PDF/A


def inspect_pdf(source: Path) -> PdfFacts:
    """Open a PDF once to learn what the OCR stage must respect."""
    try:
        pdf = pikepdf.open(source)
    except pikepdf.PasswordError as exc:
        raise OcrFailed("PDF захищено паролем", "encrypted") from exc
    with pdf:
        if len(pdf.pages) == 0:
            raise OcrFailed("PDF не містить жодної сторінки", "empty")
        return PdfFacts(
            pages=len(pdf.pages),
            owner_encrypted=pdf.is_encrypted,
            signed=_is_signed(pdf),
            pdfa=pdfa_claim(pdf),
        )


def _is_signed(pdf: pikepdf.Pdf) -> bool:
    root = pdf.Root
    if "/Perms" in root:
        return True
    acroform = root.get("/AcroForm")
    if not isinstance(acroform, pikepdf.Dictionary):
        return False
    flags = acroform.get("/SigFlags")
    if isinstance(flags, int) and flags & 1:
        return True
    fields = acroform.get("/Fields")
    if isinstance(fields, pikepdf.Array):
        for field in fields:
            if (
                isinstance(field, pikepdf.Dictionary)
                and field.get("/FT") == pikepdf.Name.Sig
                and "/V" in field
            ):
                return True
    return False


def pdfa_claim(pdf: pikepdf.Pdf) -> str | None:
    """The PDF/A part and conformance the file's XMP declares, e.g. ``2B``."""
    try:
        meta = pdf.open_metadata()
        part = meta.get("pdfaid:part")
        conformance = meta.get("pdfaid:conformance") or ""
    except Exception:  # broken XMP simply means "no claim"
        return None
    return f"{part}{conformance}".upper() if part else None


# Page keys for slide shows and editors that mean nothing in an archive copy;
# pikepdf's PDF/A validator does not check them and then refuses the file
# (reportlab, for one, writes /Trans on every page).
_COSMETIC_PAGE_KEYS = ("/Trans", "/Dur", "/PZ", "/PieceInfo", "/SeparationInfo")


def working_copy(source: Path, output: Path) -> bool:
    """Write a copy fit for OCRmyPDF if ``source`` needs one; return whether it did.

    Removes an owner-password encryption (the content is not protected by a
    password then, only "permissions") and cosmetic page keys.
    """
    with pikepdf.open(source) as pdf:
        changed = drop_cosmetic_keys(pdf) or pdf.is_encrypted
        if changed:
            pdf.save(output, encryption=False)
    return changed


def drop_cosmetic_keys(pdf: pikepdf.Pdf) -> bool:
    """Remove the cosmetic page keys (transitions, zoom…) in memory; whether any were there."""
    changed = False
    for page in pdf.pages:
        for key in _COSMETIC_PAGE_KEYS:
            if key in page.obj:
                del page.obj[key]
                changed = True
    return changed


def single_filters_as_names(pdf: pikepdf.Pdf) -> int:
    """Write a one-element ``/Filter`` array as its name (and its ``/DecodeParms`` alike).

    The same stream by the PDF specification. qpdf recognises an already
    compressed stream only by ``/Filter /FlateDecode``: given ``[/FlateDecode]``
    (as ReportLab and others write it) it inflates the stream and deflates it
    again on save — about a millisecond for a page's embedded font, the
    largest part of a born-digital rendition. Returns how many were rewritten.
    """
    rewritten = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        filters = obj.get("/Filter")
        if not isinstance(filters, pikepdf.Array) or len(filters) != 1:
            continue
        parms = obj.get("/DecodeParms")
        if isinstance(parms, pikepdf.Array):
            if len(parms) != 1:
                continue
            if isinstance(parms[0], pikepdf.Dictionary):
                obj.DecodeParms = parms[0]
            else:  # [null]: no parameters
                del obj["/DecodeParms"]
        obj.Filter = filters[0]
        rewritten += 1
    return rewritten


_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def fonts_embedded(pdf: pikepdf.Pdf) -> bool:
    """Whether every font the pages (and their forms) use carries its program (PDF/A needs it)."""
    seen: set[tuple[int, int]] = set()

    def resources_ok(res: object, depth: int) -> bool:
        if not isinstance(res, pikepdf.Dictionary) or depth > 8:
            return True
        fonts = res.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary):
            for font in fonts.values():
                if not _font_embedded(font):
                    return False
        xobjects = res.get("/XObject")
        if isinstance(xobjects, pikepdf.Dictionary):
            for xobj in xobjects.values():
                if not isinstance(xobj, pikepdf.Stream) or xobj.get("/Subtype") != "/Form":
                    continue
                if xobj.is_indirect:
                    if xobj.objgen in seen:
                        continue
                    seen.add(xobj.objgen)
                if not resources_ok(xobj.get("/Resources"), depth + 1):
                    return False
        return True

    return all(resources_ok(page.obj.get("/Resources"), 0) for page in pdf.pages)


def _font_embedded(font: object) -> bool:
    if not isinstance(font, pikepdf.Dictionary):
        return False
    subtype = font.get("/Subtype")
    if subtype == "/Type3":
        return True  # glyphs drawn by content streams: nothing to embed
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        if not isinstance(descendants, pikepdf.Array) or len(descendants) != 1:
            return False
        font = descendants[0]
        if not isinstance(font, pikepdf.Dictionary):
            return False
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, pikepdf.Dictionary) and any(k in descriptor for k in _FONT_FILES)
