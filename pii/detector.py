"""Finding personal data in page text.

Each kind has one linear regex pass over a length-preserving view of the page
(see :mod:`.folding`); candidates are then judged by their validator and by
the nearest form label before them (:mod:`.context`), and overlapping
candidates are resolved by priority. Nothing here logs: values and page text
are personal data.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from common.pages import PageText

from .boxes import Box, WordIndex
from .context import NEGATIVE, WORD_START, Labels, trie_pattern
from .folding import CONFUSABLE, DIGIT_FOLD, EMAIL_FOLD, LABEL_FOLD
from .masking import mask
from .validators import (
    is_valid_edrpou,
    is_valid_email,
    is_valid_foreign_passport,
    is_valid_iban,
    is_valid_id_card,
    is_valid_name,
    is_valid_passport,
    is_valid_rnokpp,
    is_valid_unzr,
    normalise_email,
    normalise_foreign_passport,
    normalise_iban,
    normalise_name,
    normalise_passport,
    normalise_phone,
    normalise_unzr,
    rnokpp_info,
    unzr_birth_date,
)

Kind = Literal[
    "rnokpp", "edrpou", "iban", "unzr", "id_card", "passport", "foreign_passport",
    "phone", "email", "name",
]  # fmt: skip
KINDS: tuple[Kind, ...] = (
    "rnokpp", "edrpou", "iban", "unzr", "id_card", "passport", "foreign_passport",
    "phone", "email", "name",
)  # fmt: skip


@dataclass(frozen=True, slots=True, repr=False)
class Finding:
    """One piece of personal data on one page.

    ``start``/``end`` are character offsets in the page text, ``boxes`` the
    page-fraction boxes of the words under the span. The repr masks the value
    so a finding that ends up in a log or a traceback does not leak it.
    """

    kind: Kind
    value: str
    page: int
    start: int
    end: int
    boxes: list[Box] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Finding(kind={self.kind!r}, value={mask(self.value, self.kind)!r}, "
            f"page={self.page}, start={self.start}, end={self.end}, boxes={len(self.boxes)})"
        )


@dataclass(slots=True)
class _Candidate:
    kind: Kind
    start: int
    end: int
    value: str
    priority: int
    extra: dict[str, str] = field(default_factory=dict)


# Kinds whose check digit makes a corrected OCR reading trustworthy.
_CHECKED: frozenset[str] = frozenset({"rnokpp", "edrpou", "iban"})
# Labels of another identifier: a bare number under them is that identifier.
_ID_LABELS = frozenset(
    {"rnokpp", "edrpou", "iban", "unzr", "id_card", "passport", "foreign_passport"}
)
_MAX_CORRECTIONS = 2

# Word boundary helpers. ``_NOT_AFTER_WORD`` is a look-behind: no letter or
# digit right before. A number glued to another by "/", "-", ".", "," or ":"
# (case numbers, dates, amounts, cadastral numbers) is part of a compound
# and is not an identifier on its own.
_NOT_AFTER_WORD = r"(?<![\w])(?<![0-9][\-/.,:])"
_NOT_BEFORE_WORD = r"(?![\w])(?![\-/.,:][0-9])"

# A digit or a letter OCR confuses with one (see folding.DIGIT_FOLD). The
# patterns below start with a character class rather than a look-behind so
# the regex engine can scan quickly to where a match may begin.
_D = "[0-9" + "".join(sorted(CONFUSABLE)).replace("|", "\\|") + "]"
_RUN = re.compile(
    rf"{_D}(?<![\w].)(?<!{_D}[\-/.,:].){_D}*+(?:[ \u00a0]{_D}++)*+"
    rf"(?![\w])(?![\-/.,:]{_D})"
)
_GROUP = re.compile(rf"{_D}+")

# The 27 characters after "UA"; what precedes them is checked in Python,
# because "UA" is often misread ("СА", "ПА", "04"), grows a character ("САЗ",
# "UAO") or is lost, and the mod-97 check, computed with "UA", confirms the
# reading whatever it was. Starting the pattern with the digit class keeps
# the scan fast.
_IBAN_BODY = re.compile(rf"{_D}(?:[ \u00a0]?{_D}){{26}}(?![\w])(?![ \u00a0]?[0-9])")
_IBAN_PREFIX = re.compile(r"(?<![\w])[^\W_]{2,3}[ \u00a0]?$")


_UNZR = re.compile(
    rf"{_NOT_AFTER_WORD}([0-9]{{8}})[ ]?([\-\u2010-\u2015])?[ ]?([0-9]{{5}}){_NOT_BEFORE_WORD}"
)

_UPPER = "A-ZА-ЯЄІЇҐ"
_PASSPORT = re.compile(
    rf"([{_UPPER}](?<![\w].)[{_UPPER}])(?:[ ,]{{0,2}}(?:№|N[oeоеº°]?\.?|[XХМ][еоeo»]|#)?[ ]?)"
    # OCR may split the number with one space; that is not a character change.
    rf"([0-9](?:[ ]?[0-9]){{5}}){_NOT_BEFORE_WORD}"
)
# The same shape with OCR confusions allowed in the number ("ЕВО83822" for
# "ЕВ 083822": the 0 glued to the series is read as the letter О). Passport
# numbers have no check digit, so this reading is only taken right after a
# strong passport label (see _strong_passport_label). The series may hold one
# digit misread for a letter ("Е2459587" for EZ459587), and "Ю" in a booklet
# series may be read as two glyphs, "IO" or "HO" ("ВIO105954"); "№" may be
# read as a lone letter ("серія ТТ М 416962"), which counts as a correction.
_PD = _D[:-1] + "G]"  # "G" for "6" as well
_YU = "[IІlHН|][OО0]"
_PASSPORT_OCR = re.compile(
    rf"((?:[{_UPPER}](?<![\w].)(?:{_YU}|[{_UPPER}0-9])|[0-9](?<![\w].)[{_UPPER}]))"
    rf"(?:[ ,]{{0,2}}(?:№|N[oeоеº°]?\.?|[XХМ][еоeo»]|#|(?<= )([NМMН])(?= ))?[ ]?)"
    rf"({_PD}(?:[ ]?{_PD}){{5}}){_NOT_BEFORE_WORD}"
)
# What may stand between a passport label and the series for the label to
# vouch for an OCR-corrected reading: "Паспорт громадянина України: серія ",
# "Паспорт для виїзду за кордон: ", "серія та номер паспорта: ".
_PASSPORT_LABEL_GAP = 32
# Travel-passport series are Latin. Read with the Ukrainian model, "F" (not in
# the Ukrainian alphabet) comes out as a Cyrillic letter of similar shape.
_FOREIGN_SERIES_OCR = str.maketrans({"0": "O", "2": "Z", "5": "S", "8": "B"})
_FOREIGN_FIRST_OCR = _FOREIGN_SERIES_OCR | str.maketrans({"Б": "F", "Г": "F"})
_BOOKLET_SERIES_OCR = str.maketrans({"0": "О", "3": "З", "6": "Б", "8": "В"})
_PASSPORT_NUMBER_FOLD = {**DIGIT_FOLD, ord("G"): "6"}
_CYR_ONLY = frozenset("БГҐДЄЖЗИЇЙЛПФЦЧШЩЬЮЯ")
_LAT_ONLY = frozenset("DFGJLNQRSUVWZ")

_PHONE = re.compile(
    rf"(?<![\w+])(?<![0-9][\-/.,:])(?:\+[ ]?)?(?:\(?3[ ]?8\)?[ \-]?)?\(?[ ]?0"
    rf"(?:[ \-()]{{0,2}}[0-9]){{9}}{_NOT_BEFORE_WORD}"
)

# OCR sometimes puts a space on either side of "@" ("kovalchuk81 @ukr.net"); a
# space is not a character change, the address is taken whole.
_EMAIL = re.compile(
    r"(?<![\w.+\-@%])[A-Za-z0-9_][A-Za-z0-9._%+\-]*+[ ]?@[ ]?(?:[A-Za-z0-9\-]++\.)+"
    r"[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)

_EMAIL_HEAD = re.compile(r"(?:^|(?<=[\s:(]))([A-Za-z0-9][A-Za-z0-9._\-]{2,63})$")
_EMAIL_LABELS = frozenset({"email", "e-mail", "mail", "mailto"})

# --- names ---------------------------------------------------------------

_NAME_LABELS: dict[str, tuple[str, ...]] = {
    "full": (
        "ПІБ", "П.І.Б.", "П. І. Б.", "П.І.Б", "ПІБ заявника", "ПІБ представника",
        "ПІБ особи", "прізвище, ім'я, по батькові",
        "прізвище, ім'я та по батькові", "прізвище ім'я по батькові",
        "прізвище, власне ім'я, по батькові", "прізвище, ім'я, по батькові заявника",
        "заявник", "заявниця", "представник", "представниця", "уповноважена особа",
        "довірена особа", "одержувач", "отримувач", "власник", "власниця",
        "громадянин", "громадянка", "я,",
    ),
    # "від Шевченка Тараса Григоровича" in a letter head: "від" is too common
    # a word, so only a full three-part name counts after it.
    "full3": ("від",),
    "part": ("прізвище", "ім'я", "власне ім'я", "по батькові"),
}  # fmt: skip


def _compile_name_labels() -> tuple[re.Pattern[str], dict[str, str]]:
    modes = {
        label.translate(LABEL_FOLD): mode
        for mode, labels in _NAME_LABELS.items()
        for label in labels
    }
    tail = r"(?:[ \t]*\((?:за наявності|якщо є)\))?[ \t]*[:\-\u2013\u2014]?[ \t]*(?:\n[ \t]*)?"
    pattern = re.compile(
        rf"{WORD_START}(?P<label>{trie_pattern(list(modes))})(?![0-9a-zа-яєіїґ']){tail}"
    )
    return pattern, modes


_NAME_LABEL, _NAME_LABEL_MODES = _compile_name_labels()

# Name words as OCR gives them: Cyrillic, possibly with Latin look-alikes,
# capitalised or in capitals (surnames are often typed in capitals).
_UP = "А-ЯЄІЇҐABCEHIKMOPTXY"
_LO = "а-яєіїґaceiopxy'\u2019\u02bc"
# A capital then letters in any case: surnames are often in capitals, and OCR
# mixes cases ("ПГрина"); a split-off capital ("Г ригорівна") is one word too.
_WORD = rf"(?:[{_UP}][ ](?=[{_LO}]{{3}})[{_LO}]+|[{_UP}][{_UP}{_LO}]+)"
_NAME_WORD_RE = re.compile(rf"{_WORD}(?:-{_WORD})?(?![\w])")
_CYRILLIC = re.compile(r"[а-яєіїґА-ЯЄІЇҐ]")
# Words that end a name when they follow it on the same line.
_NAME_STOP = frozenset(
    w.translate(LABEL_FOLD) for w in (
        "РНОКПП", "ІПН", "УНЗР", "ЄДРПОУ", "IBAN", "ПІБ", "Дата", "Телефон", "Тел", "Адреса",
        "Паспорт", "Серія", "Документ", "Підпис", "Прошу", "Україна", "України", "ЦНАП",
        "ТОВ", "ПП", "ФОП", "ПрАТ", "АТ", "КП", "ДП", "Код", "Номер", "Вул", "Місто",
        "Ел", "Пошта", "Заявник", "Представник", "Громадянин", "Громадянка", "Прізвище",
        "Ім'я", "По", "Власне", "Посада", "Зареєстрований", "Зареєстрована", "Мешкає",
    )
)  # fmt: skip
_NAME_SKIP = frozenset(w.translate(LABEL_FOLD) for w in ("ФОП", "Громадянин", "Громадянка"))


def _today() -> date:
    return date.today()


# --- candidate generators -------------------------------------------------


def _corrections(original: str) -> int:
    return sum(1 for ch in original if ch in CONFUSABLE)


def _digit_runs(text: str, labels: Labels) -> Iterable[_Candidate]:
    """РНОКПП, ЄДРПОУ and ID-card numbers from runs of digits (spaces allowed inside)."""
    today = _today()
    for run in _RUN.finditer(text):
        groups = [(m.start(), m.end()) for m in _GROUP.finditer(text, run.start(), run.end())]
        for i in range(len(groups)):
            total = 0
            for j in range(i, len(groups)):
                total += groups[j][1] - groups[j][0]
                if total > 10:
                    break
                if total in (8, 9, 10):
                    start, end = groups[i][0], groups[j][1]
                    raw = "".join(text[a:b] for a, b in groups[i : j + 1])
                    digits = raw.translate(DIGIT_FOLD)
                    fixes = _corrections(raw)
                    cand = _judge_number(digits, start, end, j - i + 1, fixes, labels, today)
                    if cand is not None:
                        yield cand


def _judge_number(
    digits: str, start: int, end: int, n_groups: int, fixes: int, labels: Labels, today: date
) -> _Candidate | None:
    if fixes > _MAX_CORRECTIONS:
        return None
    label = labels.kind_before(start)
    if label == NEGATIVE:
        return None
    extra = {"ocr_corrected": "true"} if fixes else {}
    if len(digits) == 10:
        if not is_valid_rnokpp(digits):
            return None
        info = rnokpp_info(digits)
        if not date(1900, 1, 1) <= info.birth_date <= today:
            return None
        if label == "rnokpp":
            priority = 90
        elif label is None:
            if n_groups > 2 or fixes > 1:
                return None
            priority = 70
        else:
            if n_groups > 1 or fixes:
                return None
            priority = 65
        extra |= {"birth_date": info.birth_date.isoformat(), "sex": info.sex}
        return _Candidate("rnokpp", start, end, digits, priority, extra)
    if len(digits) == 8:
        if not is_valid_edrpou(digits):
            return None
        # "Ідентифікаційний код" heads both a person's and a company's code.
        if label in ("edrpou", "rnokpp"):
            priority = 85
        elif label is None and n_groups == 1 and not fixes:
            priority = 55
        else:
            return None
        return _Candidate("edrpou", start, end, digits, priority, extra)
    # Nine digits: an ID card only under its label (or "паспорт … №", which is
    # how the card, legally a passport, is usually referred to). No check
    # digit is printed, so no OCR correction is accepted.
    if fixes or n_groups > 3 or label not in ("id_card", "passport"):
        return None
    return _Candidate("id_card", start, end, digits, 85 if label == "id_card" else 80)


def _ibans(text: str) -> Iterable[_Candidate]:
    for m in _IBAN_BODY.finditer(text):
        body_start = m.start()
        prefix = _IBAN_PREFIX.search(text, max(0, body_start - 5), body_start)
        if prefix is not None:
            start = prefix.start()
        elif body_start and (text[body_start - 1].isalnum() or text[body_start - 1] == "_"):
            continue  # the body starts inside a word
        else:
            start = body_start
        digits = m[0].replace(" ", "").replace("\u00a0", "").translate(DIGIT_FOLD)
        iban = "UA" + digits
        if not is_valid_iban(iban):
            continue
        fixes = _corrections(m[0])
        if fixes > _MAX_CORRECTIONS:
            continue
        extra = {"bank_code": iban[4:10]}
        if fixes or text[start:body_start].strip() not in ("UA", "ua"):
            extra["ocr_corrected"] = "true"
        yield _Candidate("iban", start, m.end(), iban, 100, extra)


def _unzrs(text: str, labels: Labels) -> Iterable[_Candidate]:
    for m in _UNZR.finditer(text):
        label = labels.kind_before(m.start())
        if label == NEGATIVE:
            continue
        if m[2] is None and label != "unzr":
            continue
        value = normalise_unzr(m[1] + m[3])
        if not is_valid_unzr(value):
            continue
        born = unzr_birth_date(value)
        if born is None or born > _today():
            continue
        priority = 95 if label == "unzr" else 90
        yield _Candidate("unzr", m.start(), m.end(), value, priority,
                         {"birth_date": born.isoformat()})  # fmt: skip


def _strong_passport_label(labels: Labels, ltext: str, start: int) -> str | None:
    """The passport kind announced by a label right before ``start``, or None.

    "Right before" means on the same line (or the line above, see
    :meth:`Labels.before`), at most ``_PASSPORT_LABEL_GAP`` characters away and
    with no digit in between: nothing else can be the number it announces.
    """
    label = labels.before(start)
    if label is None or label.kind not in ("passport", "foreign_passport"):
        return None
    gap = ltext[label.end : start]
    if len(gap) > _PASSPORT_LABEL_GAP or any(ch.isdigit() for ch in gap):
        return None
    return label.kind


def _passports(text: str, ltext: str, labels: Labels) -> Iterable[_Candidate]:
    yield from _plain_passports(text, labels)
    yield from _corrected_passports(text, ltext, labels)


def _corrected_passports(text: str, ltext: str, labels: Labels) -> Iterable[_Candidate]:
    """Passport numbers misread by OCR, under a strong passport label only.

    Passport numbers have no check digit; the label right before is the
    evidence. Corrected: digits read as look-alike letters in the number
    (``О``→0, ``З``→3, ``G``→6 …), one letter of the series read as a digit
    (``Е2`` → ``EZ``), and in a travel-passport series "F" (not in the
    Ukrainian alphabet) read as "Б" or "Г". At most two corrections, at least
    four real digits left; Latin/Cyrillic look-alikes are the same glyph, not
    a correction. The clean reading, when there is one, has a higher priority.
    """
    for m in _PASSPORT_OCR.finditer(text):
        label = _strong_passport_label(labels, ltext, m.start())
        if label is None:
            continue
        raw = m[3].replace(" ", "")
        letters = m[1]
        yu = len(letters) == 3
        if yu:
            letters = letters[0] + "Ю"
        number = raw.translate(_PASSPORT_NUMBER_FOLD)
        fixes = sum(1 for a, b in zip(raw, number, strict=True) if a != b)
        if len(raw) - fixes < 4:
            continue
        cyr_only = any(ch in _CYR_ONLY for ch in letters)
        lat_only = any(ch in _LAT_ONLY for ch in letters)
        if label == "foreign_passport" or (lat_only and not cyr_only):
            kind: Kind = "foreign_passport"
            series = letters[0].translate(_FOREIGN_FIRST_OCR) + letters[1].translate(
                _FOREIGN_SERIES_OCR
            )
            value = normalise_foreign_passport(series + number)
            valid = is_valid_foreign_passport(value)
        else:
            kind = "passport"
            series = letters.translate(_BOOKLET_SERIES_OCR)
            value = normalise_passport(series + number)
            valid = not lat_only and is_valid_passport(value)
        fixes += yu + (m[2] is not None)
        fixes += sum(1 for a, b in zip(letters, series, strict=False) if a != b)
        if valid and 0 < fixes <= _MAX_CORRECTIONS:
            yield _Candidate(kind, m.start(), m.end(), value, 85, {"ocr_corrected": "true"})


def _plain_passports(text: str, labels: Labels) -> Iterable[_Candidate]:
    for m in _PASSPORT.finditer(text):
        letters = m[1]
        number = m[2].replace(" ", "")
        label = labels.kind_before(m.start())
        if label == NEGATIVE:
            continue
        cyr_only = any(ch in _CYR_ONLY for ch in letters)
        lat_only = any(ch in _LAT_ONLY for ch in letters)
        if cyr_only and lat_only:
            continue
        foreign = not cyr_only and (
            label == "foreign_passport" or (lat_only and label == "passport")
        )
        if foreign:
            value = normalise_foreign_passport(letters + number)
            if is_valid_foreign_passport(value):
                yield _Candidate("foreign_passport", m.start(), m.end(), value, 90)
            continue
        if lat_only or label == "foreign_passport":
            continue
        value = normalise_passport(letters + number)
        if is_valid_passport(value):
            priority = 90 if label == "passport" else 75
            yield _Candidate("passport", m.start(), m.end(), value, priority)


def _phones(text: str, labels: Labels) -> Iterable[_Candidate]:
    for m in _PHONE.finditer(text):
        span = m[0]
        if span.count("(") != span.count(")"):
            continue
        value = normalise_phone(span)
        if value is None:
            continue
        international = span.lstrip("(").startswith(("+", "38", "3 8"))
        label = labels.kind_before(m.start())
        # "+380…" is a phone whatever precedes it; a bare "0XX…" under a case
        # number or another identifier's label is that number, not a phone.
        if label == NEGATIVE and not span.startswith("+"):
            continue
        if label in _ID_LABELS and not international:
            continue
        priority = 85 if label == "phone" else (80 if international else 75)
        yield _Candidate("phone", m.start(), m.end(), value, priority)


def _emails(text: str) -> Iterable[_Candidate]:
    if "@" not in text:
        return
    etext = text.translate(EMAIL_FOLD)
    for m in _EMAIL.finditer(etext):
        start, local = m.start(), m[0]
        # OCR splits an address at "_" or inside a long local part
        # ("ivan _kotsiubynskyi@…"); a Latin token right before, across one
        # space, is taken back in so the whole address gets masked.
        if start >= 4 and text[start - 1] == " ":
            head = _EMAIL_HEAD.search(text, max(0, start - 65), start - 1)
            if head is not None and head[1].lower() not in _EMAIL_LABELS:
                start, local = head.start(1), head[1] + local
        value = normalise_email(local.replace(" ", ""))
        if is_valid_email(value):
            yield _Candidate("email", start, m.end(), value, 100)


def _name_words(text: str, pos: int) -> list[tuple[int, int]]:
    """Spans of up to four name-like words from ``pos``, separated by single spaces."""
    spans: list[tuple[int, int]] = []
    while len(spans) < 4:
        m = _NAME_WORD_RE.match(text, pos)
        if m is None:
            break
        spans.append((m.start(), m.end()))
        if not text.startswith(" ", m.end()):
            break
        pos = m.end() + 1
    return spans


def _names(text: str, ltext: str) -> Iterable[_Candidate]:
    for lm in _NAME_LABEL.finditer(ltext):
        mode = _NAME_LABEL_MODES[lm["label"]]
        spans = _name_words(text, lm.end())
        # OCR splits a capital off its word ("Г ригорівна"); the space goes.
        words = [text[a:b].replace(" ", "") for a, b in spans]
        # Skip titles before the name, cut at the first word that is a label.
        first = 0
        while first < len(words) and words[first].translate(LABEL_FOLD) in _NAME_SKIP:
            first += 1
        last = first
        while last < len(words) and not _is_stop(words[last]):
            last += 1
        if mode == "part":
            last = min(last, first + 1)
        wanted = {"full": (2, 3), "full3": (3, 3), "part": (1, 1)}[mode]
        kept = words[first:last]
        if not wanted[0] <= len(kept) <= wanted[1]:
            continue
        if not all(_CYRILLIC.search(w) for w in kept):
            continue
        value = normalise_name(" ".join(kept))
        if mode != "part" and not is_valid_name(value):
            continue
        yield _Candidate("name", spans[first][0], spans[last - 1][1], value, 50)


def _is_stop(word: str) -> bool:
    folded = word.translate(LABEL_FOLD)
    return folded in _NAME_STOP or folded.split("-")[0] in _NAME_STOP


# --- known values from the case metadata ------------------------------------

_NAME_KEYS = ("name", "піб", "applicant", "заявник", "surname", "прізвище", "person")


# Which view of the page a known value is searched in.
_View = Literal["text", "digits", "label", "email"]


@dataclass(frozen=True, slots=True)
class _Known:
    kind: Kind
    value: str
    pattern: re.Pattern[str]
    view: _View


def _spaced(chars: str, sep: str = "[ \u00a0]?") -> str:
    return sep.join(re.escape(ch) for ch in chars)


def _known_values(metadata: Mapping[str, str]) -> list[_Known]:
    """Identifiers and names given by the case metadata, as patterns to search the pages for.

    A value the form rules would miss (a name with no label, a company code
    written in groups, an ID-card number without "ID-картка" near it) is still
    found when the case already names it.
    """
    out: list[_Known] = []
    b, e = r"(?<![0-9])", r"(?![0-9])"
    series_gap = "[ ,№nоеº.]{0,4}"

    def add(kind: Kind, value: str, pattern: str, view: _View, flags: int = 0) -> None:
        out.append(_Known(kind, value, re.compile(pattern, flags), view))

    for key, raw in metadata.items():
        value = raw.strip()
        if not value:
            continue
        compact = re.sub(r"[\s\-()]", "", value)
        phone = normalise_phone(value)
        if is_valid_email(normalise_email(value)):
            v = normalise_email(value)
            add("email", v, rf"(?<![\w.+\-]){re.escape(v)}(?![\w\-])", "email", re.IGNORECASE)
        elif is_valid_iban(value):
            v = normalise_iban(value)
            add("iban", v, rf"(?<![\w])[Uu][AaА][ \u00a0]?{_spaced(v[2:])}{e}", "digits")
        elif is_valid_unzr(normalise_unzr(value)):
            v = normalise_unzr(value)
            dash = r"[ ]?[\-\u2010-\u2015]?[ ]?"
            add("unzr", v, f"{b}{re.escape(v[:8])}{dash}{re.escape(v[9:])}{e}", "text")
        elif is_valid_rnokpp(compact) or is_valid_edrpou(compact):
            kind: Kind = "rnokpp" if len(compact) == 10 else "edrpou"
            add(kind, compact, f"{b}{_spaced(compact)}{e}", "digits")
        elif phone is not None:
            prefix = r"(?<![\w+])(?:(?:\+[ ]?)?3[ ]?8[ \-]?)?\(?[ ]?0"
            body = "".join(rf"[ \-()]{{0,2}}{d}" for d in phone[4:])
            add("phone", phone, prefix + body + e, "text")
        elif is_valid_id_card(compact):
            add("id_card", compact, f"{b}{_spaced(compact)}{e}", "digits")
        elif is_valid_passport(normalise_passport(value)):
            v = normalise_passport(value)
            letters = re.escape(v[:2].translate(LABEL_FOLD))
            add("passport", v, rf"(?<![\w]){letters}{series_gap}{_spaced(v[2:])}{e}", "label")
        elif is_valid_foreign_passport(normalise_foreign_passport(value)):
            v = normalise_foreign_passport(value)
            letters = re.escape(v[:2].translate(LABEL_FOLD))
            add("foreign_passport", v, rf"(?<![\w]){letters}{series_gap}{_spaced(v[2:])}{e}",
                "label")  # fmt: skip
        else:
            name = normalise_name(value)
            if is_valid_name(name) and any(k in key.lower() for k in _NAME_KEYS):
                out.append(_Known("name", name, _name_pattern(name), "label"))
    return out


def _name_pattern(name: str) -> re.Pattern[str]:
    """The full name in any order of its parts, or the surname with initials."""
    parts = [p.translate(LABEL_FOLD) for p in name.split()]
    w = [re.escape(p) for p in parts]
    gap = r"\s+"
    alts = [gap.join(w), gap.join(w[1:] + w[:1])]
    surname, rest = w[0], parts[1:]
    initials = r"\.\s?".join(re.escape(p[0]) for p in rest) + r"\.?"
    alts += [rf"{surname}{gap}{initials}", rf"{initials}\s?{surname}"]
    if len(w) == 3:
        alts.append(gap.join(w[:2]))
    body = "|".join(f"(?:{a})" for a in alts)
    return re.compile(rf"(?<![\w'])(?:{body})(?![\w'])")


def _metadata_candidates(known: Sequence[_Known], text: str, ltext: str) -> Iterable[_Candidate]:
    etext: str | None = None
    dtext: str | None = None
    for k in known:
        if k.view == "text":
            view = text
        elif k.view == "digits":
            dtext = dtext if dtext is not None else text.translate(DIGIT_FOLD)
            view = dtext
        elif k.view == "label":
            view = ltext
        else:
            etext = etext if etext is not None else text.translate(EMAIL_FOLD)
            view = etext
        for m in k.pattern.finditer(view):
            yield _Candidate(k.kind, m.start(), m.end(), k.value, 95, {"source": "metadata"})


# --- resolution --------------------------------------------------------------


def _select(candidates: Iterable[_Candidate]) -> list[_Candidate]:
    """Highest priority first; a candidate overlapping an accepted one is dropped."""
    ordered = sorted(candidates, key=lambda c: (-c.priority, -(c.end - c.start), c.start))
    starts: list[int] = []
    taken: list[_Candidate] = []  # kept sorted by start; accepted spans never overlap
    for cand in ordered:
        i = bisect.bisect_left(starts, cand.start)
        if i < len(taken) and taken[i].start < cand.end:
            continue
        if i > 0 and taken[i - 1].end > cand.start:
            continue
        starts.insert(i, cand.start)
        taken.insert(i, cand)
    return taken


def _detect_page(page: PageText, known: Sequence[_Known] = ()) -> list[Finding]:
    """Findings of one page (see :func:`detect`)."""
    text = page.text
    if not text:
        return []
    ltext = text.translate(LABEL_FOLD)
    labels = Labels(ltext)
    candidates: list[_Candidate] = []
    candidates.extend(_emails(text))
    candidates.extend(_ibans(text))
    candidates.extend(_unzrs(text, labels))
    candidates.extend(_passports(text, ltext, labels))
    candidates.extend(_phones(text, labels))
    candidates.extend(_digit_runs(text, labels))
    candidates.extend(_names(text, ltext))
    if known:
        candidates.extend(_metadata_candidates(known, text, ltext))
    chosen = _select(candidates)
    if not chosen:
        return []
    index = WordIndex(text, page.words) if page.words else None
    return [
        Finding(
            kind=c.kind,
            value=c.value,
            page=page.number,
            start=c.start,
            end=c.end,
            boxes=index.boxes(c.start, c.end) if index else [],
            extra=c.extra,
        )
        for c in chosen
    ]


def detect(pages: list[PageText], metadata: dict[str, str] | None = None) -> list[Finding]:
    """All personal data found in ``pages``, in page and text order.

    ``metadata`` holds what the case already knows (``{"applicant_name": …,
    "rnokpp": …}``): those values are also searched for literally, so they are
    found where no form label announces them.
    """
    known = _known_values(metadata) if metadata else []
    out: list[Finding] = []
    for page in pages:
        out.extend(_detect_page(page, known))
    return out
