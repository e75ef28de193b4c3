"""Fields read from a document's OCR text: its dates, number and series, issuer, and more.

Every field carries the page and the character span it was read from, so
the page can highlight it and masking can cover it. Matching is tolerant of
what Tesseract does to Ukrainian forms: labels are searched in a folded view
of the page (lower case, Latin look-alikes read as Cyrillic, one apostrophe;
``pii.folding.LABEL_FOLD``, same length as the page, so offsets carry over),
digits may come back as look-alike letters (``О`` for 0, ``З`` for 3, …),
and ``№`` as ``Мо``, ``Ме``, ``Ne`` or ``No``.

Which rules apply depends on the document's type: a passport's number is
two letters and six digits, a decision's is whatever follows its ``№``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from archive.doctypes import DocType
from common.pages import PageText
from pii import is_valid_rnokpp
from pii.folding import LABEL_FOLD
from pii.validators import CYRILLIC_TO_LATIN, LATIN_TO_CYRILLIC

FIELD_NAMES = ("issue_date", "valid_until", "series", "number", "issuer", "service", "applicant")
# Fields that are personal data: masked below full access, logged when shown.
PERSONAL = frozenset({"series", "number", "applicant"})


@dataclass(frozen=True, slots=True)
class Field:
    """One field: its normalised value, and where it was read (page, character span)."""

    name: str
    value: str
    page: int
    start: int
    end: int

    def __repr__(self) -> str:  # never the value: it may be personal data
        return f"Field({self.name!r}, page={self.page}, {self.start}:{self.end})"


# --- views --------------------------------------------------------------------------


def _fold(text: str) -> str:
    return text.translate(LABEL_FOLD)


def _labels(*words: str) -> str:
    """A regex alternative of form labels, folded like the page view."""
    return "|".join(re.escape(_fold(w)) for w in sorted(words, key=len, reverse=True))


_L = "а-яєіїґa-z'"
# A digit, or a letter Tesseract returns for one (in the folded view).
_D = "[0-9оіlзбs|]"
_DIGIT_OCR = str.maketrans({"о": "0", "і": "1", "l": "1", "|": "1", "з": "3", "б": "6", "s": "5"})
_NUM = r"(?:№|n[оеº°»]?\.?|м[ое»]|х[ое]|м(?=[ \u00a0]?[0-9]))"
_SP = r"[ \u00a0]"


def _digits(folded: str) -> str:
    return re.sub(r"\s", "", folded.translate(_DIGIT_OCR))


def _mostly_digits(folded: str) -> bool:
    real = sum(c.isdigit() for c in folded)
    return real >= max(1, (len(re.sub(r"\W", "", folded)) * 2 + 2) // 3)


@dataclass(frozen=True, slots=True)
class _Page:
    number: int
    text: str
    folded: str

    def line_bounds(self, pos: int) -> tuple[int, int]:
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        return start, len(self.text) if end < 0 else end


# --- dates --------------------------------------------------------------------------

_MONTHS = {
    "січ": 1, "лют": 2, "берез": 3, "квіт": 4, "трав": 5, "черв": 6,
    "лип": 7, "серп": 8, "верес": 9, "жовт": 10, "листоп": 11, "груд": 12,
}  # fmt: skip
_DATE_NUMERIC = re.compile(
    rf"(?<![\w.,/])({_D}{{1,2}}){_SP}?[.,/\-]{_SP}?({_D}{{1,2}}){_SP}?[.,/\-]{_SP}?({_D}{{4}})(?![\w])"
)
_DATE_SPACED = re.compile(rf"(?<![\w.\-])({_D}{{2}}){_SP}({_D}{{2}}){_SP}({_D}{{4}})(?![\w.\-])")
_DATE_ISO = re.compile(rf"(?<![\w.])({_D}{{4}})-({_D}{{2}})-({_D}{{2}})(?![\w])")
_DATE_WORDS = re.compile(
    rf"(?<![\w])[«\"]?({_D}{{1,2}})[»\"]?{_SP}*("
    + "|".join(_MONTHS)
    + rf")[а-яєіїґ]*{_SP}+({_D}{{4}})(?![\w])"
)

_VALID = re.compile(
    r"(?<!["
    + _L
    + r"])(?:"
    + _labels(
        "дійсний до",
        "дійсна до",
        "дійсне до",
        "дійсний",
        "date of expiry",
        "expiry",
        "строк дії",
        "строком до",
        "закінчення строку дії",
        "термін дії",
        "4b.",
        "4b",
        "4в.",
    )
    + f")(?![{_L}0-9])"
)
_ISSUE = re.compile(
    r"(?<!["
    + _L
    + r"])(?:"
    + _labels(
        "дата видачі",
        "date of issue",
        "issue",
        "від",
        "формування",
        "дата операції",
        "дата реєстрації",
        "дата присвоєння",
        "дата:",
        "дата",
        "виданий",
        "видана",
        "видано",
        "видане",
        "4a.",
        "4a",
        "4а.",
        "посвідчено",
        "місто",
        "м.",
    )
    + f")(?![{_L}0-9])"
)
_OTHER = re.compile(
    r"(?<!["
    + _L
    + r"])(?:"
    + _labels(
        "народження",
        "народився",
        "народилася",
        "народився(лася)",
        "birth",
        "першої реєстрації",
        "період з",
        "по",
        "з",
        "3.",
        "помер(ла)",
        "помер",
        "р.н.",
        "record no",
    )
    + f")(?![{_L}0-9])"
)
_AFTER_OTHER = re.compile(r"^\s*(?:р\.?\s?н\.?|року народження|р\. народження)")


@dataclass(frozen=True, slots=True)
class _Date:
    value: date
    page: int
    start: int
    end: int
    role: str | None


def _to_date(day: str, month: str | int, year: str) -> date | None:
    try:
        m = month if isinstance(month, int) else int(_digits(month))
        d = date(int(_digits(year)), m, int(_digits(day)))
    except ValueError:
        return None
    return d if 1900 <= d.year <= 2100 else None


def _role(p: _Page, start: int, end: int) -> str | None:
    line_start, _ = p.line_bounds(start)
    context_start = max(line_start, start - 70)
    before = p.folded[context_start:start]
    if not before.strip() and line_start > 0:
        # A date alone on its line is labelled by the line above.
        prev_start, _ = p.line_bounds(line_start - 1)
        before = p.folded[prev_start : line_start - 1]
    if _AFTER_OTHER.match(p.folded[end : end + 20]):
        return "other"
    best: tuple[int, str | None] = (-1, None)
    for role, rx in (("valid", _VALID), ("issue", _ISSUE), ("other", _OTHER)):
        for m in rx.finditer(before):
            if m.end() > best[0] or (m.end() == best[0] and role == "valid"):
                best = (m.end(), role)
    return best[1]


def _dates(p: _Page) -> list[_Date]:
    found: list[_Date] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], d: date | None) -> None:
        if d is None or any(m.start() < e and s < m.end() for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        found.append(_Date(d, p.number, m.start(), m.end(), _role(p, m.start(), m.end())))

    for m in _DATE_WORDS.finditer(p.folded):
        add(m, _to_date(m.group(1), _MONTHS[m.group(2)], m.group(3)))
    for m in _DATE_ISO.finditer(p.folded):
        if _mostly_digits(m.group()):
            add(m, _to_date(m.group(3), m.group(2), m.group(1)))
    for m in _DATE_NUMERIC.finditer(p.folded):
        if _mostly_digits(m.group()):
            add(m, _to_date(m.group(1), m.group(2), m.group(3)))
    for m in _DATE_SPACED.finditer(p.folded):
        if _mostly_digits(m.group()):
            add(m, _to_date(m.group(1), m.group(2), m.group(3)))
    return sorted(found, key=lambda d: d.start)


def _date_fields(pages: Sequence[_Page]) -> list[Field]:
    dates = [d for p in pages for d in _dates(p)]
    out: list[Field] = []
    issue = next((d for d in dates if d.role == "issue"), None) or next(
        (d for d in dates if d.role is None), None
    )
    if issue is not None:
        out.append(Field("issue_date", issue.value.isoformat(), issue.page, issue.start, issue.end))
    valid = next((d for d in dates if d.role == "valid" and d is not issue), None)
    if valid is not None:
        out.append(
            Field("valid_until", valid.value.isoformat(), valid.page, valid.start, valid.end)
        )
    return out


# --- numbers and series -------------------------------------------------------------

_CYR_SERIES = "[а-яєіїґ]"
_BOOKLET = re.compile(
    rf"(?<![{_L}0-9])({_CYR_SERIES}{{2}}){_SP}*(?:{_NUM}{_SP}*)?({_D}{{6}})(?![0-9])"
)
# The last letter of a three-letter series is often Б, which Tesseract reads as 5 or 6.
# Ж is wide: Tesseract often splits it in two (ОК, 2К).
_ZHE = "(?:[о02]к)"
_THREE_SIX = re.compile(
    rf"(?<![{_L}0-9])((?:{_ZHE}|{_CYR_SERIES}){{2}}(?:{_ZHE}|[а-яєіїґ56]))"
    rf"{_SP}*(?:{_NUM}{_SP}*)?({_D}{{6}})(?![0-9])"
)
_FOREIGN = re.compile(rf"(?<![{_L}0-9])([a-zа-яєіїґ]{{2}}){_SP}?({_D}{{6}})(?![0-9])")
_CIVIL = re.compile(
    rf"(?<![{_L}0-9])([іvх1l|]{{1,4}}){_SP}?[-–—]{_SP}?({_CYR_SERIES}{{2}}){_SP}*"
    rf"(?:{_NUM}{_SP}*)?({_D}{{6}})(?![0-9])"
)
_CIVIL_LOOSE = re.compile(
    rf"([^\s№\-–—]{{1,4}}){_SP}?[-–—]{_SP}?([^\s№]{{2,3}}){_SP}*{_NUM}{_SP}*({_D}{{6}})(?![0-9])"
)
_AFTER_NUM = re.compile(rf"(?<![{_L}]){_NUM}{_SP}*([0-9][0-9оіз/\-.]*[0-9]|[0-9])(?![0-9])")
_RUN = re.compile(rf"(?<![0-9]){_D}(?:{_SP}?{_D}){{7,13}}(?![0-9])")


def _cyr(series: str, length: int | None = None) -> str:
    """A series in Cyrillic capitals; a split Ж is joined when the series is a letter too long."""
    if length is not None and len(series) > length:
        series = re.sub(_ZHE, "ж", series, count=len(series) - length)
    return series.upper().translate(LATIN_TO_CYRILLIC).translate(_SERIES_DIGITS)


_SERIES_DIGITS = str.maketrans("56", "ББ")


def _lat(series: str) -> str:
    return series.upper().translate(CYRILLIC_TO_LATIN)


_ROMAN = str.maketrans(
    {
        "і": "I",
        "1": "I",
        "l": "I",
        "|": "I",
        "v": "V",
        "у": "V",
        "х": "X",
        "м": "V",
        "п": "II",
        "н": "II",
        "ш": "III",
    }
)


def _roman(folded: str) -> str:
    return folded.translate(_ROMAN)


def _after_label(
    p: _Page, label: str, value: re.Pattern[str], window: int = 60
) -> re.Match[str] | None:
    """The first ``value`` starting within ``window`` characters after a ``label``."""
    for lm in re.finditer(label, p.folded):
        m = value.search(p.folded, lm.end(), min(len(p.folded), lm.end() + window + 80))
        if m is not None and m.start() - lm.end() <= window:
            return m
    return None


def _series_number(pages: Sequence[_Page], kind: DocType) -> list[Field]:
    for p in pages:
        if kind == DocType.passport_booklet:
            m = _BOOKLET.search(p.folded)
            if m:
                return _sn(p, m, _cyr(m.group(1)), _digits(m.group(2)))
        elif kind in (
            DocType.birth_certificate,
            DocType.marriage_certificate,
            DocType.death_certificate,
        ):
            m = _after_label(p, _labels("серія"), _CIVIL) or _CIVIL.search(p.folded)
            if m is None:
                # Roman numerals come back as anything (У for V, П for II, Н…):
                # the number after № still counts; the series is a best guess.
                m = _after_label(p, _labels("серія"), _CIVIL_LOOSE, window=8)
            if m:
                series = f"{_roman(m.group(1))}-{_cyr(m.group(2), 2)}"
                return _sn(p, m, series, _digits(m.group(3)), series_end=m.end(2))
        elif kind == DocType.foreign_passport:
            m = _after_label(p, _labels("passport no.", "passport no", "паспорт №"), _FOREIGN)
            if m:
                return _sn(p, m, _lat(m.group(1)), _digits(m.group(2)))
        elif kind in (
            DocType.power_of_attorney,
            DocType.driver_license,
            DocType.vehicle_registration,
        ):
            m = _THREE_SIX.search(p.folded)
            if m:
                return _sn(p, m, _cyr(m.group(1), 3), _digits(m.group(2)))
    return []


def _sn(
    p: _Page, m: re.Match[str], series: str, number: str, *, series_end: int | None = None
) -> list[Field]:
    last = m.lastindex or 2
    return [
        Field("series", series, p.number, m.start(1), series_end or m.end(1)),
        Field("number", number, p.number, m.start(last), m.end(last)),
    ]


def _plain_number(pages: Sequence[_Page], kind: DocType) -> list[Field]:
    for p in pages:
        m: re.Match[str] | None = None
        value = ""
        if kind == DocType.passport_id_card:
            m = _after_label(
                p,
                _labels("document no.", "document no", "документ №"),
                re.compile(rf"{_D}{{9}}(?![0-9])"),
            )
            value = _digits(m.group()) if m else ""
        elif kind == DocType.taxpayer_card:
            for run in _RUN.finditer(p.folded):
                digits = _digits(run.group())
                if len(digits) == 10 and is_valid_rnokpp(digits):
                    m, value = run, digits
                    break
        elif kind == DocType.registry_extract:
            m = _after_label(
                p,
                _labels("індексний номер витягу", "індексний номер", "номер витягу"),
                re.compile(rf"{_D}{{6,12}}(?![0-9])"),
            )
            value = _digits(m.group()) if m else ""
        elif kind == DocType.certificate_idp:
            m = _after_label(p, _NUM, re.compile(rf"{_D}{{4}}{_SP}?-{_SP}?{_D}{{10}}"), window=30)
            value = _digits(m.group()) if m else ""
            if m:
                value = value[:4] + "-" + value[-10:]
        else:
            m, value = _numbered(p)
        if m is not None and value:
            start, end = (m.start(1), m.end(1)) if m.lastindex else (m.start(), m.end())
            return [Field("number", value, p.number, start, end)]
    return []


def _numbered(p: _Page) -> tuple[re.Match[str] | None, str]:
    """The number after ``№``: one followed by «від <date>» or heading its line wins."""
    best: tuple[int, re.Match[str] | None] = (9, None)
    for rank_m in _AFTER_NUM.finditer(p.folded):
        after = p.folded[rank_m.end() : rank_m.end() + 12]
        line_start, _ = p.line_bounds(rank_m.start())
        head = p.folded[line_start : rank_m.start()].strip()
        if re.match(r"\s*(?:від|,?\s*від)\b", after):
            rank = 0
        elif not head or (re.fullmatch(rf"[{_L}\s.]{{0,40}}", head) and len(head.split()) <= 3):
            rank = 1
        else:
            rank = 2
        if rank < best[0]:
            best = (rank, rank_m)
    m = best[1]
    if m is None:
        return None, ""
    raw = m.group(1).rstrip(".-/")
    value = raw.translate(_DIGIT_OCR)
    return m, value


# --- issuer, service, applicant -----------------------------------------------------

_ISSUER_LABELS: dict[DocType, str] = {
    DocType.passport_booklet: _labels("паспорт виданий", "виданий", "видан"),
    DocType.taxpayer_card: _labels("видана"),
    DocType.birth_certificate: _labels("місце державної реєстрації"),
    DocType.marriage_certificate: _labels("місце державної реєстрації"),
    DocType.death_certificate: _labels("місце державної реєстрації"),
    DocType.certificate_idp: _labels("видана"),
    DocType.registry_extract: _labels("сформовано:", "сформовано"),
    DocType.power_of_attorney: _labels("посвідчено", "посвідчила", "посвідчив"),
    DocType.driver_license: _labels("4c.", "4с.", "4c"),
    DocType.vehicle_registration: _labels("видане", "видано"),
}
_FIRST_LINE_ISSUER = frozenset(
    {
        DocType.certificate_family,
        DocType.certificate_income,
        DocType.certificate_other,
        DocType.payment_receipt,
    }
)
_AUTHORITY = frozenset({DocType.passport_id_card, DocType.foreign_passport})
_TRIM = " \t:;,.—-"


# A long name wraps onto the next line: that line goes on in lower case, or the
# first one stopped at an abbreviation or a preposition.
_GOES_ON = re.compile(r"(?:\s(?:м|с|смт|вул|у|в|та|і|з)\.?|[,\-–])\s*$")
_CONTINUES = re.compile(r"^\s*[а-яєіїґa-z]")


def _rest_of_line(p: _Page, pos: int, *, wrap: bool = False) -> tuple[int, int] | None:
    _, end = p.line_bounds(pos)
    if wrap and end < len(p.text):
        _, next_end = p.line_bounds(end + 1)
        following = p.text[end + 1 : next_end]
        if (
            following.strip()
            and ":" not in following
            and len(following) < 90
            and (_CONTINUES.match(following) or _GOES_ON.search(p.text[pos:end]))
        ):
            end = next_end
    start = pos
    while start < end and p.text[start] in _TRIM:
        start += 1
    while end > start and p.text[end - 1] in _TRIM:
        end -= 1
    return (start, end) if end - start >= 2 else None


def _span_field(name: str, p: _Page, span: tuple[int, int] | None) -> list[Field]:
    if span is None:
        return []
    value = re.sub(r"\s+", " ", p.text[span[0] : span[1]]).strip()
    return [Field(name, value, p.number, span[0], span[1])] if value else []


def _issuer(pages: Sequence[_Page], kind: DocType) -> list[Field]:
    if not pages:
        return []
    first = pages[0]
    if kind in _AUTHORITY:
        m = _after_label(
            first, _labels("authority", "орган, що видав"), re.compile(rf"{_D}{{4}}(?![0-9])"), 30
        )
        if m:
            return [Field("issuer", _digits(m.group()), first.number, m.start(), m.end())]
        return []
    if kind in _ISSUER_LABELS:
        for p in pages:
            lm = re.search(rf"(?<![{_L}])(?:{_ISSUER_LABELS[kind]})(?![{_L}])", p.folded)
            if lm:
                return _span_field("issuer", p, _rest_of_line(p, lm.end(), wrap=True))
        return []
    if kind in _FIRST_LINE_ISSUER:
        for i, line in enumerate(first.text.split("\n")):
            if line.strip():
                start = sum(len(x) + 1 for x in first.text.split("\n")[:i])
                return _span_field("issuer", first, _rest_of_line(first, start, wrap=True))
        return []
    if kind == DocType.decision:
        m = re.search(rf"^[^\n]*(?<![{_L}])(?:рада|комітет)[^\n]*$", first.folded, re.M)
        if m:
            return _span_field("issuer", first, _rest_of_line(first, m.start(), wrap=True))
    return []


_NAME = re.compile(
    r"(?<![\w])([А-ЯІЇЄҐ][а-яіїєґ'’ʼ-]+ [А-ЯІЇЄҐ][а-яіїєґ'’ʼ-]+ "
    r"[А-ЯІЇЄҐ][а-яіїєґ'’ʼ-]+(?:вич|вна|ич|на))(?![\w])"
)


def _application(pages: Sequence[_Page]) -> list[Field]:
    out: list[Field] = []
    for p in pages:
        lm = re.search(_labels("адміністративну послугу:", "послуга:", "послугу:"), p.folded)
        if lm:
            out += _span_field("service", p, _rest_of_line(p, lm.end(), wrap=True))
            break
    for p in pages:
        lm = re.search(_labels("заявник:", "піб:", "прізвище, ім'я, по батькові:"), p.folded)
        if lm:
            out += _span_field("applicant", p, _rest_of_line(p, lm.end()))
            return out
    for p in pages:
        nm = _NAME.search(p.text)
        if nm:
            return [*out, Field("applicant", nm.group(1), p.number, nm.start(1), nm.end(1))]
    return out


# --- entry point ----------------------------------------------------------------------

Extractor = Callable[[Sequence[_Page], DocType], list[Field]]

_SERIES_TYPES = frozenset(
    {
        DocType.passport_booklet,
        DocType.birth_certificate,
        DocType.marriage_certificate,
        DocType.death_certificate,
        DocType.foreign_passport,
        DocType.power_of_attorney,
        DocType.driver_license,
        DocType.vehicle_registration,
    }
)


def extract(pages: Iterable[PageText], kind: DocType, *, max_pages: int = 3) -> list[Field]:
    """The fields of a document of ``kind`` read from its first pages."""
    views = [_Page(p.number, p.text, _fold(p.text)) for p in list(pages)[:max_pages] if p.text]
    if not views or kind == DocType.other:
        return _date_fields(views) if views else []
    out = _date_fields(views)
    if kind in _SERIES_TYPES:
        out += _series_number(views, kind)
    elif kind != DocType.application:
        out += _plain_number(views, kind)
    out += _issuer(views, kind)
    if kind == DocType.application:
        out += _application(views)
    return out
