"""Cover sheets: the page an administrator lays on top of a package before scanning.

A cover sheet carries a QR code whose payload names the centre, the case and
the package (incoming or outgoing), so a scanned batch of many packages can be
split back into cases without anyone typing a number.

Payload format (version 1), UTF-8 in a QR byte segment::

    CNAP1|<centre>|<case number>|<input|output>|<CRC-32>

* ``CNAP1`` — format and version prefix; a future layout gets ``CNAP2``.
* ``centre`` and ``case number`` are written as they are (UTF-8, so a case
  number with Cyrillic letters stays compact); they may not contain ``|``.
  The reader takes the symbol's raw bytes and decodes them as UTF-8 itself,
  so it never depends on how a decoder guesses the character set.
* ``CRC-32`` — zlib/PNG CRC-32 of the UTF-8 bytes of everything before the last
  ``|`` (``CNAP1|centre|case|package``), eight upper-case hex digits.

Example: ``CNAP1|LV-CNAP-01|01-23/2024-000123|input|B674459D``.

QR codes have their own Reed–Solomon correction, so the check value is not
there to fix errors: it rejects a QR code that is not ours (a document's own
QR code, a Diia QR) or was built by hand or truncated.  It is a checksum, not a
signature: anyone can print a valid sheet, which is fine for a desk tool.

The payload holds no personal data: the applicant's name is printed on the
sheet for the administrator, never encoded.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

import qrcode
import qrcode.constants
from reportlab.lib.colors import black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from scanner._fonts import BOLD, MONO, REGULAR, register_fonts

Package = Literal["input", "output"]

PAYLOAD_PREFIX: Final = "CNAP1"
SEPARATOR: Final = "|"
MAX_FIELD_LENGTH: Final = 64

PACKAGE_TITLES: Final[dict[Package, str]] = {
    "input": "Вхідний пакет документів",
    "output": "Вихідний пакет (результат)",
}

# Geometry of the black bands at the top and bottom of the sheet.  recognise.py
# looks for exactly this shape when the QR code cannot be read, so both modules
# share the numbers.
PAGE_WIDTH_MM: Final = 210.0
PAGE_HEIGHT_MM: Final = 297.0
BAND_WIDTH_MM: Final = 180.0
BAND_HEIGHT_MM: Final = 16.0
BAND_MARGIN_MM: Final = 15.0


class CoverSheetPayloadError(ValueError):
    """A QR payload that is not a valid cover-sheet payload."""


@dataclass(frozen=True, slots=True)
class CoverSheet:
    """What a cover sheet identifies: one package of one case at one centre."""

    case_number: str
    package: Package
    centre: str

    def __post_init__(self) -> None:
        if self.package not in get_args(Package):
            raise ValueError(f"невідомий тип пакета: {self.package!r}")
        for label, value in (("номер справи", self.case_number), ("центр", self.centre)):
            if not value or value != value.strip():
                raise ValueError(f"{label}: порожнє значення або пробіли на краях: {value!r}")
            if len(value) > MAX_FIELD_LENGTH:
                raise ValueError(f"{label}: довше за {MAX_FIELD_LENGTH} символів")
            if any(not ch.isprintable() for ch in value):
                raise ValueError(f"{label}: містить керівні символи: {value!r}")
            if SEPARATOR in value:
                raise ValueError(f"{label}: символ {SEPARATOR!r} не допускається: {value!r}")

    @property
    def package_title(self) -> str:
        """Ukrainian name of the package, as printed on the sheet."""
        return PACKAGE_TITLES[self.package]


def checksum(body: str) -> str:
    """CRC-32 of ``body`` (UTF-8) as eight upper-case hex digits."""
    return f"{zlib.crc32(body.encode('utf-8')) & 0xFFFFFFFF:08X}"


def encode_payload(sheet: CoverSheet) -> str:
    """The QR payload for ``sheet`` (see the module docstring for the format)."""
    body = SEPARATOR.join((PAYLOAD_PREFIX, sheet.centre, sheet.case_number, sheet.package))
    return f"{body}{SEPARATOR}{checksum(body)}"


def decode_payload(text: str) -> CoverSheet:
    """Parse and verify a QR payload; raise :class:`CoverSheetPayloadError` if invalid."""
    parts = text.strip().split(SEPARATOR)
    if not parts or parts[0] != PAYLOAD_PREFIX:
        raise CoverSheetPayloadError(f"невідомий префікс: {parts[0][:16]!r}")
    if len(parts) != 5:
        raise CoverSheetPayloadError(f"очікувалось 5 полів, є {len(parts)}")
    prefix, centre, case_number, package, check = parts
    body = SEPARATOR.join((prefix, centre, case_number, package))
    if check.upper() != checksum(body):
        raise CoverSheetPayloadError("контрольне значення не збігається")
    if package not in get_args(Package):
        raise CoverSheetPayloadError(f"невідомий тип пакета: {package!r}")
    try:
        return CoverSheet(
            case_number=case_number,
            package=package,  # type: ignore[arg-type]  # checked against Package above
            centre=centre,
        )
    except ValueError as exc:
        raise CoverSheetPayloadError(str(exc)) from exc


def qr_matrix(payload: str) -> list[list[bool]]:
    """QR modules for ``payload`` at error-correction level H (30 % of the symbol)."""
    # Level H because the sheet lives on a desk: staples, stamps and coffee.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return [list(map(bool, row)) for row in code.get_matrix()]


def _draw_qr(canvas: Canvas, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw ``matrix`` as filled squares with the bottom-left corner at (x, y)."""
    n = len(matrix)
    module = size / n
    canvas.setFillColor(black)
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        col = 0
        # Runs of dark modules become one rectangle: smaller file, no hairline
        # gaps between neighbouring squares in some renderers.
        while col < n:
            if not row[col]:
                col += 1
                continue
            start = col
            while col < n and row[col]:
                col += 1
            canvas.rect(x + start * module, top, (col - start) * module, module, stroke=0, fill=1)


def _fit_font_size(text: str, font: str, max_size: float, max_width: float) -> float:
    width = stringWidth(text, font, max_size)
    return max_size if width <= max_width else max(8.0, max_size * max_width / width)


def _band(canvas: Canvas, y_mm: float, text: str) -> None:
    canvas.setFillColor(black)
    canvas.rect(
        BAND_MARGIN_MM * mm, y_mm * mm, BAND_WIDTH_MM * mm, BAND_HEIGHT_MM * mm, stroke=0, fill=1
    )
    canvas.setFillColor(white)
    size = _fit_font_size(text, BOLD, 12, (BAND_WIDTH_MM - 10) * mm)
    canvas.setFont(BOLD, size)
    canvas.drawCentredString(PAGE_WIDTH_MM / 2 * mm, (y_mm + BAND_HEIGHT_MM / 2 - 1.5) * mm, text)
    canvas.setFillColor(black)


def render_cover_sheet_pdf(
    sheet: CoverSheet,
    path: str | Path,
    *,
    service: str | None = None,
    applicant: str | None = None,
    printed_at: dt.datetime | None = None,
) -> Path:
    """Write an A4 cover sheet for ``sheet`` to ``path`` and return the path.

    ``service`` and ``applicant`` are printed for the administrator only; they
    are not part of the QR payload.  ``printed_at`` defaults to now.
    """
    register_fonts()
    path = Path(path)
    printed_at = printed_at or dt.datetime.now()
    payload = encode_payload(sheet)
    matrix = qr_matrix(payload)
    centre_x = PAGE_WIDTH_MM / 2 * mm
    text_width = BAND_WIDTH_MM * mm

    # initialFontName: otherwise reportlab references an unembedded Helvetica.
    canvas = Canvas(str(path), pagesize=A4, pageCompression=1, initialFontName=REGULAR)
    canvas.setTitle(f"Титульний аркуш — справа № {sheet.case_number}")
    canvas.setAuthor(sheet.centre)
    canvas.setSubject(sheet.package_title)

    top_band_y = PAGE_HEIGHT_MM - BAND_MARGIN_MM - BAND_HEIGHT_MM
    _band(canvas, top_band_y, "ТИТУЛЬНИЙ АРКУШ  ·  ЦНАП  ·  НЕ Є ДОКУМЕНТОМ СПРАВИ")
    _band(canvas, BAND_MARGIN_MM, f"{sheet.package_title.upper()}  ·  СПРАВА № {sheet.case_number}")

    canvas.setFont(BOLD, 24)
    canvas.drawCentredString(centre_x, 250 * mm, "Титульний аркуш")
    canvas.setFont(REGULAR, 17)
    canvas.drawCentredString(centre_x, 241 * mm, sheet.package_title)

    canvas.setFont(REGULAR, 13)
    canvas.drawCentredString(centre_x, 229 * mm, "Справа №")
    number_size = _fit_font_size(sheet.case_number, BOLD, 54, text_width)
    canvas.setFont(BOLD, number_size)
    canvas.drawCentredString(centre_x, 211 * mm, sheet.case_number)

    # As large as the layout allows: a centre name in Cyrillic doubles the
    # payload's bytes and shrinks the modules (41 modules → 1.9 mm, 53 → 1.7 mm).
    qr_size = 92.0
    qr_bottom = 106.0
    _draw_qr(canvas, matrix, (PAGE_WIDTH_MM - qr_size) / 2 * mm, qr_bottom * mm, qr_size * mm)
    canvas.setFont(MONO, _fit_font_size(payload, MONO, 8, text_width))
    canvas.drawCentredString(centre_x, (qr_bottom - 6.5) * mm, payload)

    # A second, smaller copy of the code: a staple, a stamp or a pen stroke
    # across one symbol still leaves the other readable.
    small_qr = 30.0
    small_x = PAGE_WIDTH_MM - BAND_MARGIN_MM - small_qr
    small_y = 63.0
    _draw_qr(canvas, matrix, small_x * mm, small_y * mm, small_qr * mm)

    details: list[tuple[str, str]] = [
        ("Центр:", sheet.centre),
        ("Пакет:", sheet.package_title),
    ]
    if service:
        details.append(("Послуга:", service))
    if applicant:
        details.append(("Суб’єкт звернення:", applicant))
    details.append(("Дата друку:", printed_at.strftime("%d.%m.%Y %H:%M")))
    label_x = BAND_MARGIN_MM * mm
    value_x = label_x + 45 * mm
    value_width = (small_x - 4) * mm - value_x
    y = 91.0
    for label, value in details:
        canvas.setFont(BOLD, 10.5)
        canvas.drawString(label_x, y * mm, label)
        canvas.setFont(REGULAR, _fit_font_size(value, REGULAR, 10.5, value_width))
        canvas.drawString(value_x, y * mm, value)
        y -= 6.0

    box_bottom = 35.0
    box_top = 59.0
    canvas.setLineWidth(0.8)
    canvas.roundRect(
        BAND_MARGIN_MM * mm,
        box_bottom * mm,
        BAND_WIDTH_MM * mm,
        (box_top - box_bottom) * mm,
        3 * mm,
        stroke=1,
        fill=0,
    )
    instructions = (
        ("Покладіть цей аркуш поверх пакета перед скануванням.", BOLD),
        ("Один титульний аркуш — один пакет однієї справи; аркуші пакета — під ним.", REGULAR),
        ("Не пишіть, не ставте печаток і не скріплюйте степлером поверх QR-кодів.", REGULAR),
        ("Сам титульний аркуш до документів справи не додається.", REGULAR),
    )
    y = box_top - 5.5
    for line, font in instructions:
        canvas.setFont(font, _fit_font_size(line, font, 10, text_width - 10 * mm))
        canvas.drawString(label_x + 5 * mm, y * mm, line)
        y -= 5.0

    canvas.showPage()
    canvas.save()
    return path
