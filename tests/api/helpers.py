"""Documents with known personal data, made without OCR: a born-digital PDF drawn with
reportlab, its page text and word boxes written straight into the database, the
findings detected and stored as the pipeline does, and the index updated through
the outbox."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from sqlalchemy import select

from archive.findings import detect_and_store
from archive.models import Case, CaseStatus, DocState, Document, IndexOutbox, Page, Source, utcnow
from backends import Archive
from common.pages import PageText, Word
from ingest.indexing import flush_outbox
from pii.validators import iban_check_digits, make_rnokpp

FONT = "TestSans"
SIZE = 12
LEFT, TOP, LEAD = 60.0, 80.0, 22.0

RNOKPP = make_rnokpp(date(1990, 5, 17), 1235)
RNOKPP_2 = make_rnokpp(date(1985, 11, 2), 4242)
_BBAN = "3052990000026007233566001"
IBAN = "UA" + iban_check_digits("UA", _BBAN) + _BBAN
PHONE = "+380671234567"
NAME = "Шевченко Тарас Григорович"


def _font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        pdfmetrics.registerFont(TTFont(FONT, str(path)))


def build_pdf(pages: list[list[str]]) -> tuple[bytes, list[PageText]]:
    """A PDF whose text is exactly ``pages``, and the text with word boxes (page fractions)."""
    _font()
    w, h = A4
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    texts: list[PageText] = []
    for number, lines in enumerate(pages, start=1):
        c.setFont(FONT, SIZE)
        words: list[Word] = []
        for i, line in enumerate(lines):
            baseline = TOP + i * LEAD  # from the top
            c.drawString(LEFT, h - baseline, line)
            x = LEFT
            for token in line.split(" "):
                width = pdfmetrics.stringWidth(token, FONT, SIZE)
                if token:
                    words.append(
                        Word(
                            token,
                            x / w,
                            (baseline - SIZE * 0.85) / h,
                            (x + width) / w,
                            (baseline + SIZE * 0.25) / h,
                        )
                    )
                x += width + pdfmetrics.stringWidth(" ", FONT, SIZE)
        texts.append(PageText(number, "\n".join(lines), words, ocr=False))
        c.showPage()
    c.save()
    return buf.getvalue(), texts


@dataclass
class Made:
    id: str
    case: str | None
    pdf: bytes
    pages: list[PageText]


def make_document(
    archive: Archive,
    pages: list[list[str]],
    *,
    case: str | None = None,
    centre: str | None = None,
    department: str | None = None,
    workplace: str | None = None,
    status: CaseStatus = CaseStatus.registered,
    meta: dict[str, Any] | None = None,
) -> Made:
    """An archived document with these pages, findings stored and indexed."""
    pdf, texts = build_pdf(pages)
    stored = archive.store.put_bytes(pdf)
    with archive.db.session() as s:
        case_id = None
        if case is not None:
            row = s.scalar(
                select(Case).where(
                    Case.number == case, Case.centre == (centre or archive.settings.centre)
                )
            )
            if row is None:
                row = Case(
                    number=case,
                    centre=centre or archive.settings.centre,
                    department=department,
                    workplace=workplace,
                    status=status,
                )
                s.add(row)
                s.flush()
            case_id = row.id
        doc = Document(
            case_id=case_id,
            source=Source.scanner,
            original_name="заява.pdf",
            sha256=stored.sha256,
            size=stored.size,
            media_type="application/pdf",
            pdfa_sha256=stored.sha256,
            page_count=len(texts),
            state=DocState.archived,
            archived_at=utcnow(),
            meta=meta or {},
        )
        s.add(doc)
        s.flush()
        for p in texts:
            s.add(
                Page(
                    document_id=doc.id,
                    number=p.number,
                    text=p.text,
                    ocr=False,
                    words=[[x.text, x.x0, x.y0, x.x1, x.y1] for x in p.words],
                )
            )
        detect_and_store(s, archive.settings, doc.id, texts, meta)
        s.add(IndexOutbox(document_id=doc.id, op="upsert"))
        doc_id = doc.id
    flush_outbox(archive)
    return Made(doc_id, case, pdf, texts)


def application(extra: str = "") -> list[list[str]]:
    """Two pages of an application carrying the test identifiers."""
    return [
        [
            "ЗАЯВА про реєстрацію місця проживання " + extra,
            f"Заявник: {NAME}",
            f"РНОКПП: {RNOKPP}",
            f"Телефон: {PHONE}",
            "Прошу зареєструвати місце проживання за адресою м. Житомир.",
        ],
        [
            "Реквізити для повернення коштів",
            f"IBAN: {IBAN}",
            "Підпис заявника",
        ],
    ]
