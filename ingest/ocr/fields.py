"""A second reading of what Tesseract's Ukrainian model cannot write.

Debian's ``ukr`` model has no ``№`` and no Latin letter in its character
set, so on a Ukrainian form Tesseract (``ukr+eng``) reads the number sign as
``Ne``, ``Ме``, ``Мо`` or ``No``, and a Latin field written on a Ukrainian
line — an e-mail address, the series of a passport for travel abroad — in
Cyrillic look-alikes (``ЕВО29679`` for ``FB029679``) or with ``l`` for ``1``.
Those are exactly the identifiers the archive must find and mask.

Two corrections, both on the recognised words and the page text together
(the boxes stay where Tesseract put them, so masking still covers the ink):

- ``№``: a misreading standing alone right before a number becomes ``№``;
- Latin fields: the words after a label that announces a Latin value
  ("Ел. пошта:", "E-mail:", "…для виїзду за кордон:") are read once more by
  the English model as one word
  (``--psm 8``), cropped from the page Tesseract saw (in the OCR engine,
  :mod:`ingest.ocr.engine`, which writes the corrections beside the page's
  text); the new reading is taken only when it has the field's shape.

The visible page and the PDF/A's own invisible text layer are not changed;
the archive's page text (search, identifiers, masking) is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from common.pages import PageText, Word
from ingest.ocr import imaging, tesseract

# How Tesseract reads "№" with the ukr+eng models (seen on generated forms).
NUMERO_MISREADS = frozenset({"Ne", "Nе", "Ме", "Мо", "Mo", "Me", "No", "Nо", "N°", "Nº", "N2"})
# "№" stands before a number, or a series then a number ("№ 002425750", "№ АВ123456").
_NUMBER_NEXT = re.compile(r"^[A-ZА-ЯІЇЄҐ]{0,3}[0-9]")
_NUMERO_IN_TEXT = re.compile(
    r"(?<!\S)(?:"
    + "|".join(sorted(map(re.escape, NUMERO_MISREADS)))
    + r")(?=[ \t]+[A-ZА-ЯІЇЄҐ]{0,3}[0-9])"
)

# An address read with ``l``/``I`` for ``1`` beside digits, a space inside, or ``0.`` for
# the initial ``o.``: the English model on the enlarged crop reads those better. A clean
# first reading is only checked by one reading (``LatinField.check``).
_EMAIL_DOUBTFUL = re.compile(r"[lIi|]\s?[0-9]|[0-9]\s?[lI|]|\s|^0\.|[A-Z]|[.\-_]{2}")
# Addresses are written in small letters: read again, the English model may only choose
# among these, so the ``5`` of ``rudenko51`` cannot come out as ``S``.
_EMAIL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789._@+-"
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
# In a reading: two letters, then six places of digits that may hold look-alikes.
_SERIES_READ = re.compile(r"([A-Z]{2})([0-9OoDIl|]{6})(?![0-9])")
_DIGIT_LOOKALIKES = str.maketrans("OoDIl|", "000111")


# ``l`` for the ``1`` of a birth year at the end of an address's name ("vyshnevskal987"):
# in this serif the two differ by a flag, and a year is what people put there.
_YEAR_WITH_L = re.compile(r"(?<=[a-z])[lI|](?=(9[2-9]|0[0-2])[0-9](?![0-9])[^@]*@)")


# A reading with an initial and its dot ("i.savchuk") also stands for readings of the same
# address that lost the dot, read it as a hyphen or as a stroke ("isavchuk", "i-savchuk",
# "iisavchuk"): the dot is the smallest mark on the line, the one a reading loses.
_INITIAL_DOT = re.compile(r"([a-z])\.([a-z]{3,}[^@]*@.+)")
# The letters a digit of an address is read as (in small letters: the second reading's
# alphabet has no capitals).
_DIGIT_LOOKALIKES_EMAIL = {"5": "s", "1": "li", "0": "o"}


def _tally_address(votes: Counter[str]) -> Counter[str]:
    """The votes, each value raised by those of readings that are its misreadings.

    A dotted initial takes the votes of the same address without the dot; a digit next
    to another digit before the ``@`` ("fedoriv50") those of the same address with its
    look-alike letter there ("fedorivs0"): numbers and years stand together at the end of
    the name, and a reading that saw the digit is believed (on the bench's four corpora,
    every such pair had the digit right). Nothing is made up: a value no reading gave
    gets no votes.
    """
    merged = Counter(votes)
    for value in votes:
        for other in votes:
            if other != value and _misreading_of(other, value):
                merged[value] += votes[other]
    return merged


def _misreading_of(other: str, value: str) -> bool:
    if (m := _INITIAL_DOT.fullmatch(value)) is not None:
        x, rest = m.groups()
        if other in (x + rest, x + "-" + rest, x + "i" + rest, x + "l" + rest):
            return True
    if len(other) != len(value):
        return False
    differ = [i for i, (a, b) in enumerate(zip(value, other, strict=True)) if a != b]
    if len(differ) != 1:
        return False
    i = differ[0]
    at = value.find("@")
    if not 0 <= i < at or other[i] not in _DIGIT_LOOKALIKES_EMAIL.get(value[i], ""):
        return False
    return (i > 0 and value[i - 1].isdigit()) or (i + 1 < at and value[i + 1].isdigit())


def _address(m: re.Match[str]) -> str:
    # An address does not begin with "0." where an initial and a dot stand ("o.savchuk").
    value = m.group(0)
    value = "o" + value[1:] if value.startswith("0.") else value
    return _YEAR_WITH_L.sub("1", value)


def _series(m: re.Match[str]) -> str:
    return m.group(1) + m.group(2).translate(_DIGIT_LOOKALIKES)


@dataclass(frozen=True, slots=True)
class LatinField:
    """A label that announces a Latin value, and the shape that value has."""

    label: re.Pattern[str]
    #: what the value looks like in a reading; ``shaped`` makes the value of a match
    shape: re.Pattern[str]
    max_words: int
    #: how the value of a match is written (``O`` read in a place of digits is ``0``, …)
    shaped: Callable[[re.Match[str]], str] = lambda m: m.group(0)
    #: a first reading of the right shape that still looks misread (None: always read again)
    doubtful: re.Pattern[str] | None = None
    #: the characters the second reading may use ("" for any)
    alphabet: str = ""
    #: how far left of the value each crop reaches, in line heights: several crops are
    #: several readings, and the value most of them agree on is taken
    reach: tuple[float, ...] = (1.2,)
    #: which crops (indices into ``reach``) are read grey, without the thresholding:
    #: another picture of the same ink, with other misreadings to outvote
    grey: frozenset[int] = frozenset()
    #: which crop (index into ``reach``) checks a clean first reading: it stands when that
    #: one reading agrees, else every crop is read and voted (None: a clean one stands)
    check: int | None = None
    #: how the votes are counted before the most common value is taken
    tally: Callable[[Counter[str]], Counter[str]] = lambda votes: votes


LATIN_FIELDS = (
    LatinField(
        re.compile(r"(?:ел\.?\s*пошта|електронна\s+пошта|e-?mail)\s*:", re.IGNORECASE),
        _EMAIL,
        4,
        _address,
        _EMAIL_DOUBTFUL,
        _EMAIL_CHARS,
        # Close to the value the label's ":" stays out (read with the address, it can
        # swallow the first letter); further out a glyph cut at the edge is whole.
        (0.15, 0.5, 1.2),
        # The widest crop is read grey: thresholding thickens the strokes until the
        # flag of a "1" after a letter reads as "l" ("kostenkol1"), which grey does not.
        grey=frozenset({2}),
        # A clean-looking first reading can be wrong too ("h.hnatiuzk" for "h.hnatiuk"):
        # one reading from the middle crop checks it (bench/pii_detection.py).
        check=1,
        tally=_tally_address,
    ),
    LatinField(
        re.compile(r"(?:для\s+виїзду\s+за\s+кордон|закордонн\w*\s+паспорт\w*)\s*:", re.IGNORECASE),
        _SERIES_READ,
        2,
        _series,
    ),
)

Box = tuple[float, float, float, float]
#: A crop of the page image around a box (fractions of the page), or None.
Crop = Callable[[Box], Image.Image | None]
#: The English model's reading of a cropped image as one word, in an alphabet ("" any),
#: thresholded as the page was (True) or grey.
Read = Callable[[Image.Image, str, bool], str]


@dataclass(frozen=True, slots=True)
class Correction:
    """Words as Tesseract first read them (one line, in order), and the second reading."""

    old: tuple[str, ...]
    new: str

    def as_json(self) -> dict[str, object]:
        return {"old": list(self.old), "new": self.new}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Correction:
        old = data.get("old")
        new = data.get("new")
        if not isinstance(old, list) or not isinstance(new, str):
            raise ValueError("not a correction")
        return cls(tuple(str(o) for o in old), new)


def correct(page: PageText, crop: Crop, read: Read) -> PageText:
    """The page with ``№`` restored and Latin fields read again (a new object)."""
    if not page.ocr:
        return page
    page = fix_numero(page)
    return apply(page, second_reading(page, crop, read))


def fix_numero(page: PageText) -> PageText:
    """``Ne 002425750`` → ``№ 002425750`` in the words and the text."""
    words = list(page.words)
    changed = False
    for i, w in enumerate(words[:-1]):
        nxt = words[i + 1]
        if w.text in NUMERO_MISREADS and _same_line(w, nxt) and _NUMBER_NEXT.match(nxt.text):
            words[i] = Word("№", w.x0, w.y0, w.x1, w.y1)
            changed = True
    text = _NUMERO_IN_TEXT.sub("№", page.text)
    if not changed and text == page.text:
        return page
    return PageText(number=page.number, text=text, words=words, ocr=page.ocr)


def second_reading(page: PageText, crop: Crop, read: Read) -> list[Correction]:
    """Read the values of Latin fields again with the English model; keep shaped readings.

    ``crop`` cuts from the grey image the words' boxes refer to (the page turned
    upright as Tesseract saw it); ``read`` is :func:`read_latin`. A passport
    series is always read again (the English model on the enlarged crop tells
    ``E`` from ``F``); an e-mail address from three crops when the first reading
    lacks the shape or looks misread (:data:`_EMAIL_DOUBTFUL`), and when a clean
    first reading is contradicted by the one reading that checks it
    (``h.hnatiuzk`` for ``h.hnatiuk``); the value most readings agree on, counted
    by :func:`_tally_address`, is taken (measured on bench/pii_detection.py).
    """
    words = page.words
    found: list[Correction] = []
    for line in _lines(words):
        joined, starts = _join(words, line)
        for field in LATIN_FIELDS:
            label = field.label.search(joined)
            if label is None:
                continue
            value = [i for i, s in zip(line, starts, strict=True) if s >= label.end()]
            value = value[: field.max_words]
            if not value:
                continue
            old = tuple(words[i].text for i in value)
            first = " ".join(old)
            first_match = field.shape.fullmatch(first.replace(" ", ""))
            first_value = None if first_match is None else field.shaped(first_match)
            box = _union([words[i] for i in value])

            votes: Counter[str] = Counter()
            crops = list(range(len(field.reach)))
            if (
                field.doubtful is not None
                and first_value is not None
                and not field.doubtful.search(first)
            ):
                if field.check is None:
                    continue  # a clean first reading stands
                checked = _read_value(field, crop, read, box, crops.pop(field.check))
                if checked is None or checked == first_value:
                    continue  # and is confirmed by one reading
                votes[checked] += 2
            for n in crops:
                if (new_value := _read_value(field, crop, read, box, n)) is not None:
                    votes[new_value] += 2
            if not votes:
                continue
            if first_value is not None:
                # A doubtful (or contradicted) first reading still counts, for half a second one.
                votes[first_value] += 1
            votes = field.tally(votes)
            value_read = votes.most_common(1)[0][0]
            if value_read != first:
                found.append(Correction(old, value_read))
    return found


def _read_value(field: LatinField, crop: Crop, read: Read, box: Box, n: int) -> str | None:
    """The value the field's crop ``n`` (``field.reach[n]``) around ``box`` reads as, or None."""
    image = crop(_pad(box, field.reach[n]))
    if image is None:
        return None
    reading = read(image, field.alphabet, n not in field.grey)
    # What stands before the label's colon came in with the padding: not the value.
    new = re.sub(r"\s+", "", reading.rsplit(":", 1)[-1])
    match = field.shape.search(new)
    return None if match is None else field.shaped(match)


def apply(page: PageText, corrections: list[Correction]) -> PageText:
    """The corrections in the words and the text together; one that does not fit both is left.

    The new word's box is the union of the old ones: masking still covers the ink.
    """
    words = list(page.words)
    text = page.text
    for c in corrections:
        n = len(c.old)
        at = next(
            (
                i
                for i in range(len(words) - n + 1)
                if tuple(w.text for w in words[i : i + n]) == c.old
            ),
            None,
        )
        if at is None:
            continue
        replaced = _replace_in_text(text, list(c.old), c.new)
        if replaced is None:
            continue  # text and boxes must agree, or masking would miss the value
        text = replaced
        words[at : at + n] = [Word(c.new, *_union(words[at : at + n]))]
    if text == page.text and words == page.words:
        return page
    return PageText(number=page.number, text=text, words=words, ocr=page.ocr)


def _same_line(a: Word, b: Word) -> bool:
    mid = (b.y0 + b.y1) / 2
    return a.y0 <= mid <= a.y1 or b.y0 <= (a.y0 + a.y1) / 2 <= b.y1


def _lines(words: list[Word]) -> list[list[int]]:
    """Indices of the words, grouped into lines in reading order."""
    lines: list[list[int]] = []
    for i, w in enumerate(words):
        if lines and _same_line(words[lines[-1][-1]], w) and w.x0 >= words[lines[-1][-1]].x0:
            lines[-1].append(i)
        else:
            lines.append([i])
    return lines


def _join(words: list[Word], line: list[int]) -> tuple[str, list[int]]:
    starts: list[int] = []
    parts: list[str] = []
    pos = 0
    for i in line:
        starts.append(pos)
        parts.append(words[i].text)
        pos += len(words[i].text) + 1
    return " ".join(parts), starts


def _union(words: list[Word]) -> Box:
    return (
        min(w.x0 for w in words),
        min(w.y0 for w in words),
        max(w.x1 for w in words),
        max(w.y1 for w in words),
    )


def _pad(box: Box, reach: float) -> Box:
    # Generous sideways (a glyph cut at the edge is a glyph misread; at worst the label's
    # ':' comes in, and is dropped), tight above and below so the next lines stay out;
    # below more than above: an underscore in an e-mail address hangs low.
    x0, y0, x1, y1 = box
    h = y1 - y0
    return (
        max(0.0, x0 - reach * h),
        max(0.0, y0 - 0.1 * h),
        min(1.0, x1 + 1.2 * h),
        min(1.0, y1 + 0.35 * h),
    )


def _replace_in_text(text: str, old: list[str], new: str) -> str | None:
    pattern = re.compile(r"[ \t]+".join(re.escape(o) for o in old))
    found = pattern.search(text)
    if found is None:
        return None
    return text[: found.start()] + new + text[found.end() :]


#: The crop is enlarged before the second reading: at desk-scan resolutions the
#: English model tells ``E`` from ``F`` and ``1`` from ``l`` far better twice as large.
SCALE = 2


def read_latin(
    image: Image.Image,
    dpi: float,
    alphabet: str = "",
    *,
    thresholded: bool = True,
    timeout: float = 30.0,
) -> str:
    """The English model's reading of a grey crop: enlarged, then denoised and thresholded
    as the page was (:func:`ingest.ocr.imaging.prepare_for_ocr`) or left grey, read as one
    word.

    "" on an error or a timeout: the first reading stands.
    """
    gray = image.convert("L")
    big = gray.resize((gray.width * SCALE, gray.height * SCALE), Image.Resampling.LANCZOS)
    if thresholded:
        big = Image.fromarray(
            imaging.prepare_for_ocr(
                np.asarray(big, dtype=np.uint8), dpi * SCALE, skew_deg=0.0, bilevel=False
            )
        )
    try:
        return tesseract.read_word(big, dpi * SCALE, alphabet=alphabet, timeout=timeout)
    except (tesseract.TesseractError, tesseract.TesseractTimeout):
        return ""


def crop_of(image: Image.Image) -> Crop:
    """A :data:`Crop` over a whole-page image."""

    def crop(box: Box) -> Image.Image | None:
        w, h = image.size
        x0, y0, x1, y1 = (
            round(box[0] * w),
            round(box[1] * h),
            round(box[2] * w),
            round(box[3] * h),
        )
        if x1 - x0 < 4 or y1 - y0 < 4:
            return None
        return image.crop((x0, y0, x1, y1))

    return crop


__all__ = [
    "LATIN_FIELDS",
    "NUMERO_MISREADS",
    "Correction",
    "apply",
    "correct",
    "crop_of",
    "fix_numero",
    "read_latin",
    "second_reading",
]
