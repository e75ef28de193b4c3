"""Reports for the data-protection officer: who accessed a person's data, when and why.

The person is named by an identifier (РНОКПП, passport, phone, e-mail…) or
by name. Their documents are found through the stored findings, and the log
is searched both for accesses to those documents and for entries that name
the identifier's keyed hash (which still works after a document has been
destroyed under the retention rules).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.audit import AuditEntry, AuditLog, VerifyReport
from archive.findings import Identifier, classify, documents_with, identifier_key, identifier_ref
from archive.models import Document, utcnow
from backends import Archive

ACTIONS_UA = {
    "document.text": "перегляд тексту документа",
    "document.metadata": "перегляд метаданих документа",
    "document.page_image": "перегляд зображення сторінки",
    "document.pdf": "перегляд PDF документа",
    "document.redacted": "перегляд знеособленої копії",
    "document.download": "завантаження оригіналу",
    "document.findings": "перегляд переліку персональних даних",
    "document.upload": "внесення документа до архіву",
    "search": "пошук (документ у результатах)",
    "search.identifier": "пошук за ідентифікатором",
    "export": "експорт",
}
KINDS_UA = {
    "rnokpp": "РНОКПП",
    "edrpou": "код ЄДРПОУ",
    "iban": "IBAN",
    "unzr": "УНЗР",
    "id_card": "ID-картка",
    "passport": "паспорт",
    "foreign_passport": "закордонний паспорт",
    "phone": "телефон",
    "email": "електронна пошта",
    "name": "ПІБ",
}
OUTCOMES_UA = {"allowed": "надано", "denied": "відмовлено", "failed": "невдало"}
ROLES_UA = {
    "administrator": "адміністратор ЦНАП",
    "official": "посадова особа суб'єкта надання послуги",
    "archivist": "архіваріус",
    "dpo": "відповідальна особа з питань захисту персональних даних",
    "sysadmin": "системний адміністратор",
}


@dataclass(slots=True)
class SubjectReport:
    query: str
    identifiers: list[Identifier]
    masked: list[tuple[str, str]]
    documents: list[dict[str, Any]]
    entries: list[AuditEntry]
    since: datetime | None
    until: datetime | None
    generated_at: datetime = field(default_factory=utcnow)
    integrity: VerifyReport | None = None
    # The centres the report covers (the DPO's responsibility); None: every
    # centre of the archive (one DPO for the region).
    centres: list[str] | None = None

    @property
    def coverage(self) -> str:
        """One sentence saying which centres the report covers."""
        if self.centres is None:
            return "Звіт охоплює всі ЦНАП архіву (одна відповідальна особа для регіону)."
        return "Звіт охоплює лише документи ЦНАП: " + ", ".join(self.centres) + "."


def day_start(d: date | None) -> datetime | None:
    return datetime.combine(d, time.min, tzinfo=UTC) if d else None


def day_end(d: date | None) -> datetime | None:
    return datetime.combine(d + timedelta(days=1), time.min, tzinfo=UTC) if d else None


def subject_report(
    archive: Archive,
    log: AuditLog,
    query: str,
    *,
    since: date | None = None,
    until: date | None = None,
    centres: Sequence[str] | None = None,
) -> SubjectReport:
    """Every access to documents holding the person's data, and every entry naming it.

    ``centres`` limits the report to documents of those centres (a document
    with no case belongs to the archive's own centre) and to log entries
    about them; None covers every centre.
    """
    from pii import mask

    key = identifier_key(archive.settings)
    idents = classify(query)
    refs = [identifier_ref(key, i.kind, i.value) for i in idents]
    with archive.db.session() as s:
        ids = documents_with(s, refs)
        rows_ = list(
            s.scalars(
                select(Document)
                .where(Document.id.in_(ids))
                .options(selectinload(Document.case))
                .order_by(Document.created_at)
            )
        )
        home = archive.settings.centre
        outside = {
            d.id
            for d in rows_
            if centres is not None and (d.case.centre if d.case else home) not in centres
        }
        docs = [
            {"document_id": d.id, "case": d.case.number if d.case else None}
            for d in rows_
            if d.id not in outside
        ]
        ids = [i for i in ids if i not in outside]
    entries: list[AuditEntry] = []
    if refs or ids:
        batch = 5000
        offset = 0
        while True:
            rows = log.entries(
                refs=refs,
                documents=ids,
                since=day_start(since),
                until=day_end(until),
                limit=batch,
                offset=offset,
            )
            # The DPO's own look-ups are in the log too, but are not accesses to the documents.
            entries.extend(
                r for r in rows if not r.action.startswith("audit.") and not _about(r, outside)
            )
            if len(rows) < batch:
                break
            offset += batch
    return SubjectReport(
        query=query,
        identifiers=idents,
        masked=[(KINDS_UA.get(i.kind, i.kind), mask(i.value, i.kind)) for i in idents],
        documents=docs,
        entries=entries,
        since=day_start(since),
        until=day_end(until),
        centres=list(centres) if centres is not None else None,
    )


def _about(entry: AuditEntry, outside: set[str]) -> bool:
    """Whether an entry concerns a document outside the report's centres."""
    if not outside:
        return False
    if entry.document_id is not None:
        return entry.document_id in outside
    named = set((entry.documents or "").split())
    return bool(named) and named <= outside


def entries_json(entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    return [_entry_json(e) for e in entries]


def _entry_json(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "role": e.role,
        "address": e.address,
        "action": e.action,
        "outcome": e.outcome,
        "document_id": e.document_id,
        "case": e.case,
        "documents": e.documents.split(),
        "identifiers": [
            {"kind": x.get("kind"), "masked": x.get("masked")} for x in e.identifiers or []
        ],
        "purpose": e.purpose,
        "break_glass": e.break_glass,
        "details": e.details,
        "hash": e.hash,
    }


def report_json(r: SubjectReport) -> dict[str, Any]:
    return {
        "query": r.query,
        "identifiers": [
            {"kind": i.kind, "masked": m} for i, (_, m) in zip(r.identifiers, r.masked, strict=True)
        ],
        "period": {
            "from": r.since.date().isoformat() if r.since else None,
            "to": (r.until - timedelta(days=1)).date().isoformat() if r.until else None,
        },
        "documents": r.documents,
        "centres": r.centres,
        "coverage": r.coverage,
        "entries": entries_json(r.entries),
        "generated_at": r.generated_at.isoformat(),
    }


CSV_FIELDS = [
    "seq", "at", "actor", "role", "address", "action", "outcome", "document_id", "case",
    "documents", "identifiers", "purpose", "break_glass", "hash",
]  # fmt: skip


def entries_csv(entries: Sequence[AuditEntry]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for e in entries:
        j = _entry_json(e)
        w.writerow(
            [
                j["seq"], j["at"], j["actor"], j["role"] or "", j["address"] or "", j["action"],
                j["outcome"], j["document_id"] or "", j["case"] or "", " ".join(j["documents"]),
                " ".join(f"{x['kind']}:{x['masked']}" for x in j["identifiers"]),
                j["purpose"] or "", "так" if j["break_glass"] else "", j["hash"],
            ]
        )  # fmt: skip
    return buf.getvalue()


# --- the PDF answer to the person -------------------------------------------------

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
)


@cache
def _fonts() -> tuple[str, str]:
    """DejaVu for Cyrillic (reportlab's built-in fonts have none)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    dirs = [os.environ["CNAP_FONT_DIR"]] if os.environ.get("CNAP_FONT_DIR") else []
    for d in [*dirs, *_FONT_DIRS]:
        regular, bold = Path(d) / "DejaVuSans.ttf", Path(d) / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("CnapSans", str(regular)))
            pdfmetrics.registerFont(TTFont("CnapSans-Bold", str(bold)))
            return "CnapSans", "CnapSans-Bold"
    raise RuntimeError("шрифт DejaVuSans не знайдено (пакет fonts-dejavu-core)")


def _fmt(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%d.%m.%Y %H:%M UTC")


def report_pdf(r: SubjectReport, centre: str) -> bytes:
    """A report in Ukrainian, suitable as the answer to the person's request."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=13)
    small = ParagraphStyle("small", fontName=regular, fontSize=8, leading=10)
    title = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, spaceAfter=6)

    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    period = "за весь час ведення журналу"
    if r.since or r.until:
        start = r.since.strftime("%d.%m.%Y") if r.since else "початку ведення журналу"
        end = (r.until - timedelta(days=1)).strftime("%d.%m.%Y") if r.until else "сьогодні"
        period = f"за період з {start} по {end}"
    who = ", ".join(f"{k} {m}" for k, m in r.masked) or "зазначеними у запиті даними"
    flow: list[Any] = [
        Paragraph(esc(centre), small),
        Paragraph("Відомості про доступ до персональних даних", title),
        Paragraph(
            esc(
                "На ваш запит відповідно до статті 8 Закону України «Про захист персональних "
                "даних» повідомляємо, хто і коли отримував доступ до документів архіву, що "
                f"містять ваші персональні дані (ідентифіковано за: {who}), {period}. " + r.coverage
            ),
            body,
        ),
        Spacer(1, 4 * mm),
    ]
    allowed = [e for e in r.entries if e.outcome == "allowed"]
    denied = [e for e in r.entries if e.outcome != "allowed"]
    if not allowed:
        flow.append(Paragraph("Доступу до ваших персональних даних за цей період не було.", body))
    else:
        rows: list[list[Any]] = [
            [Paragraph(h, small) for h in ("Дата і час", "Хто", "Дія", "Справа", "Мета доступу")]
        ]
        for e in allowed:
            role = ROLES_UA.get(e.role or "", e.role or "")
            purpose = e.purpose or ("службові обов'язки" if not e.break_glass else "")
            if e.break_glass:
                purpose = f"екстрений доступ: {purpose}"
            rows.append(
                [
                    Paragraph(_fmt(e.at), small),
                    Paragraph(esc(f"{e.actor} ({role})" if role else e.actor), small),
                    Paragraph(esc(ACTIONS_UA.get(e.action, e.action)), small),
                    Paragraph(esc(e.case or "—"), small),
                    Paragraph(esc(purpose), small),
                ]
            )
        table = Table(rows, colWidths=[34 * mm, 70 * mm, 60 * mm, 30 * mm, 70 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        flow.append(table)
    flow.append(Spacer(1, 4 * mm))
    if denied:
        flow.append(
            Paragraph(
                f"Спроб доступу, у яких було відмовлено: {len(denied)}. Дані в цих випадках "
                "не надавалися.",
                body,
            )
        )
    if r.integrity is not None:
        state = (
            "цілісність журналу підтверджено"
            if r.integrity.ok
            else f"УВАГА: журнал пошкоджено (запис {r.integrity.first_broken})"
        )
        flow.append(
            Paragraph(f"Журнал доступу перевірено: {state}; записів: {r.integrity.entries}.", small)
        )
    flow.append(
        Paragraph(
            f"Сформовано {_fmt(r.generated_at)} відповідальною особою з питань захисту "
            "персональних даних. Відповідь надається протягом 30 календарних днів з дня "
            "надходження запиту.",
            small,
        )
    )
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title="Відомості про доступ до персональних даних",
    )
    doc.build(flow)
    return buf.getvalue()
