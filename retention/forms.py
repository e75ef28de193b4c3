"""The retention forms in Ukrainian: the act of selection for destruction and the
inventory of files (опис справ), as PDF (reportlab, DejaVu) and CSV.

The act follows the standard form (Правила 1000/5 of 2015, annex 15): the
approval block of the head of the institution; a table with number, title of
the file or group, dates, inventory numbers, file index, number of files,
retention period and articles, notes; the total; the ЕК and ЕПК blocks.
PDFs are rendered invariantly, so the same plan gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from scanner._fonts import BOLD, REGULAR, register_fonts

MONTHS = (
    "січня",
    "лютого",
    "березня",
    "квітня",
    "травня",
    "червня",
    "липня",
    "серпня",
    "вересня",
    "жовтня",
    "листопада",
    "грудня",
)


def ua_date(d: dt.date | None) -> str:
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year} р." if d else "«___» __________ 20__ р."


@dataclass(slots=True)
class ActRow:
    """One line of the act: a group of files of one index closed in one year."""

    title: str
    first: dt.date
    last: dt.date
    year: int
    index: str
    files: int
    period: str
    article: str
    notes: str


@dataclass(slots=True)
class Act:
    number: int
    date: dt.date
    institution: str
    rows: list[ActRow]
    ek_decision: str | None
    ek_date: dt.date | None
    epk_reference: str | None
    epk_date: dt.date | None


@dataclass(slots=True)
class InventoryRow:
    number: int
    index: str
    title: str
    first: dt.date
    last: dt.date
    sheets: int
    period: str
    notes: str


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    return {
        "p": ParagraphStyle("p", fontName=REGULAR, fontSize=9, leading=11),
        "small": ParagraphStyle("small", fontName=REGULAR, fontSize=7.5, leading=9),
        "h": ParagraphStyle("h", fontName=BOLD, fontSize=12, leading=15, alignment=1),
        "c": ParagraphStyle("c", fontName=REGULAR, fontSize=9, leading=11, alignment=1),
        "r": ParagraphStyle("r", fontName=REGULAR, fontSize=9, leading=11, leftIndent=150 * mm),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _grid(data: list[list[Paragraph]], widths: Sequence[float]) -> Table:
    t = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
            ]
        )
    )
    return t


def _period(first: dt.date, last: dt.date) -> str:
    return str(first.year) if first.year == last.year else f"{first.year}–{last.year}"


def render_act(act: Act) -> bytes:
    """The act of selection for destruction as a PDF."""
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Акт № {act.number}",
        invariant=1,
    )
    story: list[object] = [
        _p("ЗАТВЕРДЖУЮ", st["r"]),
        _p(f"Керівник {act.institution}", st["r"]),
        _p("____________  ______________________", st["r"]),
        _p("(підпис)        (власне ім’я, прізвище)", st["r"]),
        _p(ua_date(None), st["r"]),
        Spacer(1, 4 * mm),
        _p(f"{act.institution}", st["c"]),
        _p(f"АКТ № {act.number}", st["h"]),
        _p(f"від {ua_date(act.date)}", st["c"]),
        _p(
            "про вилучення для знищення документів, не внесених до Національного архівного фонду",
            st["h"],
        ),
        Spacer(1, 3 * mm),
        _p(
            "На підставі Переліку типових документів, що створюються під час діяльності "
            "державних органів та органів місцевого самоврядування, інших установ, "
            "підприємств та організацій, із зазначенням строків зберігання документів "
            "(наказ Міністерства юстиції України від 12.04.2012 № 578/5), відібрано для "
            "знищення як такі, що не мають культурної цінності та втратили практичне "
            "значення, документи фонду:",
            st["p"],
        ),
        Spacer(1, 3 * mm),
    ]
    head = [
        "№ з/п",
        "Заголовок справи або групи документів",
        "Дата справи або крайні дати справ",
        "Номери описів (номенклатур) за рік (роки)",
        "Індекс справи (тому, частини) за номенклатурою або номер справи за описом",
        "Кількість справ (томів, частин)",
        "Строк зберігання справи (тому, частини) і номери статей за переліком",
        "Примітки",
    ]
    data = [[_p(h, st["small"]) for h in head]]
    total = 0
    years: list[int] = []
    for i, r in enumerate(act.rows, 1):
        total += r.files
        years += [r.first.year, r.last.year]
        data.append(
            [
                _p(str(i), st["small"]),
                _p(r.title, st["small"]),
                _p(f"{r.first:%d.%m.%Y}–{r.last:%d.%m.%Y}", st["small"]),
                _p(f"номенклатура справ за {r.year} р.", st["small"]),
                _p(r.index, st["small"]),
                _p(str(r.files), st["small"]),
                _p(f"{r.period}, {r.article}", st["small"]),
                _p(r.notes, st["small"]),
            ]
        )
    widths = [10 * mm, 62 * mm, 30 * mm, 30 * mm, 32 * mm, 20 * mm, 45 * mm, 40 * mm]
    story.append(_grid(data, widths))
    span = _period(dt.date(min(years), 1, 1), dt.date(max(years), 1, 1)) if years else "—"
    story += [
        Spacer(1, 3 * mm),
        _p(f"Разом: {total} справ за {span} {'рік' if '–' not in span else 'роки'}.", st["p"]),
        Spacer(1, 5 * mm),
        _p(
            "Посада особи, яка проводила експертизу цінності документів  ____________  "
            "______________________",
            st["p"],
        ),
        Spacer(1, 4 * mm),
        _p(
            "СХВАЛЕНО\nПротокол засідання ЕК "
            f"від {ua_date(act.ek_date)} № {act.ek_decision or '____'}",
            st["p"],
        ),
        Spacer(1, 3 * mm),
        _p(
            "ПОГОДЖЕНО\nПротокол засідання ЕПК архівної установи "
            f"від {ua_date(act.epk_date)} № {act.epk_reference or '____'}",
            st["p"],
        ),
        Spacer(1, 3 * mm),
        _p(
            "Документи в кількості ____ справ знищено (передано на знищення). "
            "Зміни до облікових документів внесено.",
            st["p"],
        ),
    ]
    doc.build(story)  # type: ignore[arg-type]
    return buf.getvalue()


INVENTORY_HEAD = (
    "№ з/п",
    "Індекс справи",
    "Заголовок справи",
    "Крайні дати",
    "Кількість аркушів",
    "Строк зберігання",
    "Примітки",
)


def render_inventory_pdf(title: str, institution: str, rows: Sequence[InventoryRow]) -> bytes:
    """The inventory of files (опис справ) as a PDF, with its closing entry and approvals."""
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        invariant=1,
    )
    story: list[object] = [
        _p(institution, st["c"]),
        _p(title, st["h"]),
        Spacer(1, 3 * mm),
    ]
    data = [[_p(h, st["small"]) for h in INVENTORY_HEAD]]
    for r in rows:
        data.append(
            [
                _p(str(r.number), st["small"]),
                _p(r.index, st["small"]),
                _p(r.title, st["small"]),
                _p(f"{r.first:%d.%m.%Y}–{r.last:%d.%m.%Y}", st["small"]),
                _p(str(r.sheets), st["small"]),
                _p(r.period, st["small"]),
                _p(r.notes, st["small"]),
            ]
        )
    story.append(_grid(data, [10 * mm, 20 * mm, 54 * mm, 40 * mm, 18 * mm, 20 * mm, 20 * mm]))
    n = len(rows)
    story += [
        Spacer(1, 3 * mm),
        _p(f"У цей опис внесено {n} справ з № 1 по № {n}.", st["p"]),
        Spacer(1, 4 * mm),
        _p("СХВАЛЕНО\nПротокол засідання ЕК від «___» ________ 20__ р. № ____", st["p"]),
        Spacer(1, 3 * mm),
        _p(
            "ПОГОДЖЕНО (ЗАТВЕРДЖЕНО)\nПротокол засідання ЕПК від «___» ________ 20__ р. № ____",
            st["p"],
        ),
    ]
    doc.build(story)  # type: ignore[arg-type]
    return buf.getvalue()


def inventory_csv(rows: Sequence[InventoryRow]) -> bytes:
    """The same inventory as CSV (UTF-8 with BOM, so spreadsheet programs read it right)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(INVENTORY_HEAD)
    for r in rows:
        w.writerow(
            [
                r.number,
                r.index,
                r.title,
                f"{r.first:%d.%m.%Y}–{r.last:%d.%m.%Y}",
                r.sheets,
                r.period,
                r.notes,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


__all__ = [
    "Act",
    "ActRow",
    "InventoryRow",
    "inventory_csv",
    "render_act",
    "render_inventory_pdf",
    "ua_date",
]
