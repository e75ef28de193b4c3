"""The sharing request as the citizen sees it: a QR code (PNG) and a printable A4 sheet.

The QR code carries the Diia deeplink; the citizen scans it with the phone's
camera (or in the app) and agrees to share. The sheet names the case and the
time the request expires, and says what happens next, in Ukrainian.
"""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import qrcode
import qrcode.constants
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from scanner import _fonts


def qr_png(link: str, *, box: int = 8) -> bytes:
    """The deeplink as a QR code, PNG (medium error correction: phones read it off screens)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    code.add_data(link)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out)
    return out.getvalue()


def sheet_pdf(
    *,
    link: str,
    case_number: str,
    centre: str,
    request_id: str,
    expires_at: datetime,
    timezone: str = "Europe/Kyiv",
) -> bytes:
    """One A4 page: heading, the QR code, the case, the expiry, instructions."""
    _fonts.register_fonts()
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, invariant=True)
    c.setTitle(f"Запит документів з Дії — справа {case_number}")
    width, height = A4
    c.setFont(_fonts.BOLD, 18)
    c.drawCentredString(width / 2, height - 30 * mm, "Поділитися документами з Дії")
    c.setFont(_fonts.REGULAR, 12)
    c.drawCentredString(width / 2, height - 40 * mm, centre)
    size = 100 * mm
    c.drawImage(
        ImageReader(io.BytesIO(qr_png(link, box=10))),
        (width - size) / 2,
        height - 50 * mm - size,
        size,
        size,
    )
    local = expires_at.astimezone(ZoneInfo(timezone))
    y = height - 50 * mm - size - 14 * mm
    c.setFont(_fonts.BOLD, 14)
    c.drawCentredString(width / 2, y, f"Справа № {case_number}")
    c.setFont(_fonts.REGULAR, 11)
    lines = [
        "1. Відкрийте камеру телефона або застосунок «Дія» і наведіть на QR-код.",
        "2. Оберіть документи, які просить адміністратор, і підтвердіть надсилання.",
        "3. Документи надійдуть до справи підписаними й зашифрованими;",
        "    адміністратор побачить їх у справі.",
        f"Запит дійсний до {local:%d.%m.%Y %H:%M} (за київським часом).",
    ]
    for n, line in enumerate(lines):
        c.drawString(25 * mm, y - (10 + 7 * n) * mm, line)
    c.setFont(_fonts.MONO, 8)
    c.drawString(25 * mm, 15 * mm, f"Ідентифікатор запиту: {request_id}")
    c.showPage()
    c.save()
    return out.getvalue()
