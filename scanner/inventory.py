"""Paper forms of a case: the inventory of the incoming package and the routing sheet.

* :func:`render_inventory_pdf` — «Опис вхідного пакета документів» in two
  copies in one PDF: the applicant's copy first, then the case copy, each
  starting on a new page (the regulation asks for two copies, one handed to
  the applicant, one kept with the case).
* :func:`render_routing_sheet_pdf` — «Лист про проходження справи»: every
  step of the case with its date and time and who performed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from scanner._fonts import BOLD, REGULAR, register_fonts

COPIES: Final = ("Примірник заявника", "Примірник справи")

_MONTHS: Final = (
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

_MARGIN: Final = 18 * mm


def ukrainian_date(moment: dt.date) -> str:
    """«6 травня 2024 р.» — the date as written on Ukrainian official forms."""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year} р."


def ukrainian_datetime(moment: dt.datetime) -> str:
    """«6 травня 2024 р., 10:30»."""
    return f"{ukrainian_date(moment)}, {moment:%H:%M}"


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=10.5, leading=13.5)
    centred = {"alignment": TA_CENTER}
    return {
        "base": base,
        "label": ParagraphStyle("label", parent=base, fontName=BOLD),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=10.5),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=BOLD,
            fontSize=14,
            leading=18,
            spaceAfter=2 * mm,
            **centred,
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=12, leading=15, spaceAfter=5 * mm, **centred
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=10, leading=12.5),
        "head": ParagraphStyle(
            "head", parent=base, fontName=BOLD, fontSize=9.5, leading=11.5, **centred
        ),
        "centre": ParagraphStyle("centre", parent=base, fontSize=10, leading=12.5, **centred),
        "small_centre": ParagraphStyle(
            "small_centre", parent=base, fontSize=8.5, leading=10.5, **centred
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _field_table(rows: Sequence[tuple[str, str]], styles: dict[str, ParagraphStyle]) -> Table:
    data = [[_p(label, styles["label"]), _p(value, styles["base"])] for label, value in rows]
    table = Table(data, colWidths=[58 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _grid(data: list[list[Flowable]], widths: list[float | None]) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                # Tables default to Helvetica, which has no Cyrillic and is not embedded.
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6E6E6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _signature(role: str, name: str | None, styles: dict[str, ParagraphStyle]) -> Table:
    """A role, a line to sign on and the name under it (blank line for a hand-written name)."""
    line = "_" * 20
    data = [
        [_p(role, styles["base"]), _p(line, styles["centre"]), _p(name or line, styles["centre"])],
        ["", _p("(підпис)", styles["small"]), _p("(прізвище, ініціали)", styles["small"])],
    ]
    table = Table(data, colWidths=[78 * mm, 42 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 0),
                ("ALIGN", (1, 1), (-1, 1), "CENTER"),
            ]
        )
    )
    return table


def _header(
    centre: str | None, details: Sequence[str], styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    """The centre's full name and its address, phone and code, centred above the title."""
    story: list[Flowable] = []
    if centre:
        story.append(Paragraph(f"<b>{escape(centre)}</b>", styles["centre"]))
    if details:
        story.append(_p(" · ".join(details), styles["small_centre"]))
    if story:
        story.append(Spacer(1, 4 * mm))
    return story


class _FormDoc(BaseDocTemplate):  # type: ignore[misc]  # reportlab ships no type hints
    """A4 document whose page templates draw a header label and a footer."""

    def __init__(self, path: Path, title: str, footer: str, labels: Sequence[str]) -> None:
        super().__init__(
            str(path),
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN + 6 * mm,
            bottomMargin=_MARGIN,
            title=title,
            initialFontName=REGULAR,  # no unembedded Helvetica in the file
        )
        self._footer = footer
        # Sheets are numbered within each copy: a copy is handed over alone.
        self._first_page: dict[str, int] = {}
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates(
            [
                PageTemplate(id=f"t{i}", frames=[frame], onPage=self._decorator(label))
                for i, label in enumerate(labels)
            ]
        )

    def _decorator(self, label: str) -> object:
        def decorate(canvas: Canvas, doc: BaseDocTemplate) -> None:
            canvas.saveState()
            width, height = A4
            if label:
                canvas.setFont(BOLD, 10)
                text_width = canvas.stringWidth(label, BOLD, 10)
                x = width - _MARGIN - text_width - 6 * mm
                y = height - _MARGIN - 2 * mm
                canvas.roundRect(x, y - 2.5 * mm, text_width + 6 * mm, 8 * mm, 1.5 * mm)
                canvas.drawString(x + 3 * mm, y, label)
            canvas.setFont(REGULAR, 8)
            first = self._first_page.setdefault(label, doc.page)
            parts = [self._footer, label, f"аркуш {doc.page - first + 1}"]
            canvas.drawCentredString(width / 2, _MARGIN / 2, "  ·  ".join(p for p in parts if p))
            canvas.restoreState()

        return decorate


def render_inventory_pdf(
    path: str | Path,
    *,
    case_number: str,
    service: str,
    applicant: str,
    centre: str,
    administrator: str,
    documents: Sequence[tuple[str, int]],
    received_at: dt.datetime,
    centre_details: Sequence[str] = (),
    administrator_position: str | None = None,
    notify: str | None = None,
    delivery: str | None = None,
    expected: dt.date | None = None,
) -> Path:
    """Write «Опис вхідного пакета документів» in two copies and return the path.

    ``documents`` lists (title, number of sheets) in the order the documents
    lie in the package. ``centre_details`` (address, phone, code) go under the
    centre's name; ``notify``/``delivery`` say how the applicant will learn
    of the result and receive it, ``expected`` when.
    """
    if not documents:
        raise ValueError("опис без жодного документа")
    for title, sheets in documents:
        if not title.strip() or sheets < 1:
            raise ValueError(f"документ без назви або без аркушів: {title!r}, {sheets}")
    styles = _styles()
    path = Path(path)
    total_sheets = sum(sheets for _, sheets in documents)
    doc = _FormDoc(
        path,
        f"Опис вхідного пакета документів — справа № {case_number}",
        f"Опис вхідного пакета документів · справа № {case_number}",
        COPIES,
    )

    story: list[Flowable] = []
    for copy_index, _copy in enumerate(COPIES):
        if copy_index:
            story += [NextPageTemplate(f"t{copy_index}"), PageBreak()]
        story += _header(centre, centre_details, styles)
        story.append(_p("ОПИС ВХІДНОГО ПАКЕТА ДОКУМЕНТІВ", styles["title"]))
        story.append(_p(f"до справи № {case_number}", styles["subtitle"]))
        fields = [
            ("Суб’єкт звернення:", applicant),
            ("Адміністративна послуга:", service),
            ("Дата і час прийняття:", ukrainian_datetime(received_at)),
        ]
        if notify:
            fields.append(("Повідомлення про результат:", notify))
        if delivery:
            fields.append(("Спосіб отримання результату:", delivery))
        if expected:
            fields.append(("Очікувана дата результату:", ukrainian_date(expected)))
        story.append(_field_table(fields, styles))
        story.append(Spacer(1, 5 * mm))
        rows: list[list[Flowable]] = [
            [
                _p("№ з/п", styles["head"]),
                _p("Найменування документа", styles["head"]),
                _p("Кількість аркушів", styles["head"]),
            ]
        ]
        for number, (title, sheets) in enumerate(documents, start=1):
            rows.append(
                [
                    _p(str(number), styles["centre"]),
                    _p(title, styles["cell"]),
                    _p(str(sheets), styles["centre"]),
                ]
            )
        rows.append(
            [
                _p("", styles["cell"]),
                Paragraph("<b>Усього</b>", styles["cell"]),
                Paragraph(f"<b>{total_sheets}</b>", styles["centre"]),
            ]
        )
        story.append(_grid(rows, [16 * mm, None, 30 * mm]))
        story.append(Spacer(1, 4 * mm))
        story.append(
            _p(
                f"Усього прийнято документів: {len(documents)}, аркушів: {total_sheets}. "
                "Опис складено у двох примірниках: перший видано суб’єкту звернення, "
                "другий долучено до справи.",
                styles["base"],
            )
        )
        story.append(Spacer(1, 10 * mm))
        story.append(
            KeepTogether(
                [
                    _signature(
                        "Документи подав (суб’єкт звернення або його представник):", None, styles
                    ),
                    Spacer(1, 8 * mm),
                    _signature(
                        f"Документи прийняв: {administrator_position or 'адміністратор ЦНАП'}",
                        administrator,
                        styles,
                    ),
                    Spacer(1, 6 * mm),
                    _p(f"Дата: {ukrainian_datetime(received_at)}", styles["base"]),
                ]
            )
        )
    doc.build(story)
    return path


def render_routing_sheet_pdf(
    path: str | Path,
    *,
    case_number: str,
    events: Sequence[tuple[dt.datetime, str, str]],
    centre: str | None = None,
    service: str | None = None,
    centre_details: Sequence[str] = (),
) -> Path:
    """Write «Лист про проходження справи» and return the path.

    ``events`` are (when, what happened, who did it — a person with their
    position, or a service provider), listed in time order whatever order
    they come in. The date and time are one unbreakable cell.
    """
    styles = _styles()
    path = Path(path)
    doc = _FormDoc(
        path,
        f"Лист про проходження справи № {case_number}",
        f"Лист про проходження справи № {case_number}",
        [""],
    )
    story: list[Flowable] = []
    story += _header(centre, centre_details, styles)
    story.append(_p("ЛИСТ ПРО ПРОХОДЖЕННЯ СПРАВИ", styles["title"]))
    story.append(_p(f"№ {case_number}", styles["subtitle"]))
    if service:
        story += [_field_table([("Адміністративна послуга:", service)], styles), Spacer(1, 4 * mm)]
    rows: list[list[Flowable]] = [
        [
            _p("№ з/п", styles["head"]),
            _p("Дата і час", styles["head"]),
            _p("Етап проходження справи", styles["head"]),
            _p("Хто виконав", styles["head"]),
        ]
    ]
    for number, (moment, action, actor) in enumerate(sorted(events, key=lambda e: e[0]), 1):
        rows.append(
            [
                _p(str(number), styles["centre"]),
                # A plain string, not a paragraph: a table cell never wraps it.
                f"{moment:%d.%m.%Y} {moment:%H:%M}",
                _p(action, styles["cell"]),
                _p(actor, styles["cell"]),
            ]
        )
    if not events:
        rows.append(
            [
                _p("—", styles["centre"]),
                _p("—", styles["centre"]),
                _p("подій ще немає", styles["cell"]),
                _p("—", styles["centre"]),
            ]
        )
    grid = _grid(rows, [12 * mm, 34 * mm, None, 52 * mm])  # type: ignore[arg-type]
    grid.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (1, 1), (1, -1), 9),
                ("ALIGN", (1, 1), (1, -1), "CENTER"),
            ]
        )
    )
    story.append(grid)
    doc.build(story)
    return path
