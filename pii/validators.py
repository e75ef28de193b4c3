"""Validators and normalisers of Ukrainian personal identifiers.

Pure functions over strings: no I/O, no logging. Each ``is_valid_*`` takes a
value already stripped of separators (use the ``normalise_*`` helpers first
when the value comes from free text) and never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

# --- РНОКПП (реєстраційний номер облікової картки платника податків) -------

RNOKPP_EPOCH = date(1899, 12, 31)
_RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)

Sex = Literal["female", "male"]


@dataclass(frozen=True, slots=True)
class RnokppInfo:
    """What a РНОКПП encodes about its holder."""

    birth_date: date
    sex: Sex


def _is_digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


def rnokpp_check_digit(first9: str) -> int:
    """Check digit of a РНОКПП from its first nine digits."""
    if not _is_digits(first9, 9):
        raise ValueError("expected nine digits")
    total = sum(w * int(d) for w, d in zip(_RNOKPP_WEIGHTS, first9, strict=True))
    # Python's % is non-negative for a positive modulus, as the algorithm needs
    # (the first weight is negative, so the sum can be below zero).
    return total % 11 % 10


def is_valid_rnokpp(value: str) -> bool:
    """Ten ASCII digits whose last digit is the РНОКПП check digit."""
    return _is_digits(value, 10) and rnokpp_check_digit(value[:9]) == int(value[9])


def rnokpp_info(value: str) -> RnokppInfo:
    """Birth date (days since 31.12.1899 in digits 1–5) and sex (parity of digit 9)."""
    if not is_valid_rnokpp(value):
        raise ValueError("not a valid РНОКПП")
    birth = RNOKPP_EPOCH + timedelta(days=int(value[:5]))
    return RnokppInfo(birth_date=birth, sex="female" if int(value[8]) % 2 == 0 else "male")


def make_rnokpp(birth_date: date, serial: int) -> str:
    """A valid РНОКПП for ``birth_date``; ``serial`` (0–9999) fills digits 6–9.

    The parity of ``serial`` (its last digit is digit 9) gives the sex: even
    for women, odd for men.
    """
    days = (birth_date - RNOKPP_EPOCH).days
    if not 0 <= days <= 99_999:
        raise ValueError("birth date outside the РНОКПП range")
    if not 0 <= serial <= 9_999:
        raise ValueError("serial must be 0..9999")
    first9 = f"{days:05d}{serial:04d}"
    return first9 + str(rnokpp_check_digit(first9))


# --- ЄДРПОУ ---------------------------------------------------------------


def edrpou_check_digit(first7: str) -> int:
    """Check digit of an ЄДРПОУ code from its first seven digits.

    The official algorithm: weights 1..7, or 7,1..6 for codes from 30000000
    to 60000000; the sum mod 11 is the check digit; when it is 10 the sum is
    taken again with every weight increased by 2, and a second 10 gives 0.
    The band depends on the whole code, yet it is exactly "first digit is 3,
    4 or 5": the one code of the band starting with 6, 60000000, would need
    check digit 9 and so is never valid.
    """
    if not _is_digits(first7, 7):
        raise ValueError("expected seven digits")
    return _edrpou_digit(first7, second_band=first7[0] in "345")


def _edrpou_digit(first7: str, *, second_band: bool) -> int:
    weights = (7, 1, 2, 3, 4, 5, 6) if second_band else (1, 2, 3, 4, 5, 6, 7)
    digits = [int(d) for d in first7]
    rem = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
    if rem == 10:
        rem = sum((w + 2) * d for w, d in zip(weights, digits, strict=True)) % 11
        if rem == 10:
            rem = 0
    return rem


def is_valid_edrpou(value: str) -> bool:
    """Eight ASCII digits with a correct ЄДРПОУ check digit."""
    if not _is_digits(value, 8):
        return False
    code = int(value)
    second_band = 30_000_000 <= code <= 60_000_000
    return _edrpou_digit(value[:7], second_band=second_band) == int(value[7])


# --- IBAN (ISO 13616) -----------------------------------------------------

UA_IBAN_LENGTH = 29
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


def normalise_iban(value: str) -> str:
    """Upper case with all whitespace removed (``UA21 3223 …`` → ``UA213223…``)."""
    return "".join(value.split()).upper()


def iban_mod97(iban: str) -> int:
    """ISO 7064 MOD 97-10 of an IBAN (1 for a valid one)."""
    rearranged = iban[4:] + iban[:4]
    # Letters count as 10..35; ``int(ch, 36)`` gives exactly that mapping.
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits for ``country`` + ``bban`` (ISO 13616)."""
    remainder = iban_mod97(f"{country}00{bban}")
    return f"{98 - remainder:02d}"


def is_valid_iban(value: str, *, country: str | None = "UA") -> bool:
    """A valid IBAN (spaces and case tolerated); Ukrainian unless ``country`` is None.

    A Ukrainian IBAN is ``UA`` + 2 check digits + 6-digit bank code (МФО) +
    19-character account number, 29 characters in all.
    """
    iban = normalise_iban(value)
    if not iban.isascii() or not _IBAN_SHAPE.fullmatch(iban):
        return False
    if country is not None:
        if not iban.startswith(country):
            return False
        if country == "UA" and (len(iban) != UA_IBAN_LENGTH or not iban[4:10].isdigit()):
            return False
    return iban_mod97(iban) == 1


# --- УНЗР (унікальний номер запису в Єдиному державному демографічному реєстрі)

_UNZR_SHAPE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})-([0-9]{4})([0-9])")


def normalise_unzr(value: str) -> str:
    """``YYYYMMDD-NNNNC`` from a value with spaces, dash variants or no dash."""
    compact = re.sub(r"[\s\-\u2010-\u2015]", "", value)
    if len(compact) == 13 and compact.isascii() and compact.isdigit():
        return f"{compact[:8]}-{compact[8:]}"
    return value


def unzr_birth_date(value: str) -> date | None:
    """The birth date an УНЗР starts with, or None when the form is wrong."""
    m = _UNZR_SHAPE.fullmatch(value)
    if m is None:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def is_valid_unzr(value: str) -> bool:
    """``YYYYMMDD-NNNNC``: a real date from 1900 on and a record number 0001–9999.

    The fifth digit after the dash is a check digit in the register, computed
    "by the method of the machine-readable zone of passports" (ДМС). Which
    positions that method covers is not published precisely enough to be
    sure, and wrongly rejecting a real УНЗР would leave it unmasked, so the
    check digit is deliberately not verified (see docs/personal-data.md).
    """
    born = unzr_birth_date(value)
    if born is None or born.year < 1900:
        return False
    return value[9:13] != "0000"


# --- documents ------------------------------------------------------------

# Letters that look the same in Latin and Cyrillic print; OCR and typists mix
# them, so a series is compared by glyph, not by code point.
LATIN_TO_CYRILLIC = str.maketrans("ABCEHIKMOPTXYaceiopxy", "АВСЕНІКМОРТХУасеіорху")
CYRILLIC_TO_LATIN = str.maketrans("АВСЕНІКМОРТХУасеіорхуЈј", "ABCEHIKMOPTXYaceiopxyJj")
_CYR_UPPER = "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"
_PASSPORT = re.compile(rf"[{_CYR_UPPER}]{{2}}[0-9]{{6}}")
_FOREIGN_PASSPORT = re.compile(r"[A-Z]{2}[0-9]{6}")
_ID_CARD = re.compile(r"[0-9]{9}")


def normalise_passport(value: str) -> str:
    """Booklet series in Cyrillic capitals + six digits, without spaces or ``№``."""
    compact = re.sub(r"[\s№]", "", value).upper()
    return compact.translate(LATIN_TO_CYRILLIC)


def is_valid_passport(value: str) -> bool:
    """A passport booklet number: two Cyrillic capitals and six digits (``КВ123456``)."""
    return _PASSPORT.fullmatch(value) is not None


def normalise_foreign_passport(value: str) -> str:
    """Two Latin capitals + six digits, without spaces or ``№``."""
    compact = re.sub(r"[\s№]", "", value).upper()
    return compact.translate(CYRILLIC_TO_LATIN)


def is_valid_foreign_passport(value: str) -> bool:
    """A passport for travel abroad: two Latin capitals and six digits (``FX123456``)."""
    return _FOREIGN_PASSPORT.fullmatch(value) is not None


def is_valid_id_card(value: str) -> bool:
    """An ID-card document number: nine digits (no check digit is printed)."""
    return _ID_CARD.fullmatch(value) is not None


# --- phones ---------------------------------------------------------------

# Mobile operators (Київстар, Vodafone, lifecell, Інтертелеком, 3Mob, PEOPLEnet)
# and geographic area codes; the first two digits after the trunk 0.
MOBILE_CODES = frozenset(
    {"39", "50", "63", "66", "67", "68", "73", "75", "77", "89",
     "91", "92", "93", "94", "95", "96", "97", "98", "99"}
)  # fmt: skip
AREA_CODES = frozenset(
    {"31", "32", "33", "34", "35", "36", "37", "38",
     "41", "43", "44", "45", "46", "47", "48",
     "51", "52", "53", "54", "55", "56", "57",
     "61", "62", "64", "65", "69"}
)  # fmt: skip
PHONE_CODES = MOBILE_CODES | AREA_CODES


def normalise_phone(value: str) -> str | None:
    """``+380XXXXXXXXX`` from any common way of writing a Ukrainian number, else None.

    Accepts ``+380…``, ``380…``, ``0XX…`` with spaces, dashes and brackets;
    the operator or area code must exist (0800 and 0900 are services, not people).
    """
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("38"):
            return None
    if not (digits.isascii() and digits.isdigit()):
        return None
    if len(digits) == 12 and digits.startswith("380"):
        national = digits[3:]
    elif len(digits) == 10 and digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    if national[:2] not in PHONE_CODES:
        return None
    return "+380" + national


def is_valid_phone(value: str) -> bool:
    """True when :func:`normalise_phone` understands ``value``."""
    return normalise_phone(value) is not None


# --- e-mail ---------------------------------------------------------------

_EMAIL = re.compile(
    r"[A-Za-z0-9_](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_])?"
    r"@(?:[A-Za-z0-9а-яєіїґ](?:[A-Za-z0-9а-яєіїґ\-]{0,61}[A-Za-z0-9а-яєіїґ])?\.)+"
    r"[A-Za-zа-яєіїґ]{2,24}"
)


def normalise_email(value: str) -> str:
    """Lower case, surrounding whitespace removed."""
    return value.strip().lower()


def is_valid_email(value: str) -> bool:
    """A practical address check (no quoted local parts, no IP literals)."""
    return _EMAIL.fullmatch(value) is not None and ".." not in value


# --- names ----------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'",
                              "\u00b4": "'", "\u2032": "'", "\u02b9": "'"})  # fmt: skip
_NAME_PART = rf"[{_CYR_UPPER}][{_CYR_UPPER.lower()}']+"
_NAME_WORD = re.compile(rf"{_NAME_PART}(?:-{_NAME_PART})?")


def normalise_name(value: str) -> str:
    """``Шевченко Тарас Григорович`` from any casing, spacing, apostrophe or homoglyphs.

    Latin letters that look Cyrillic (OCR mixes them) become Cyrillic; every
    apostrophe variant becomes ``'``; each part of a word is capitalised
    (``ДЕМ'ЯНЕНКО-ГРИЩЕНКО`` → ``Дем'яненко-Грищенко``).
    """
    words = value.translate(_APOSTROPHES).translate(LATIN_TO_CYRILLIC).split()
    return " ".join("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")) for w in words)


def is_valid_name(value: str) -> bool:
    """Two or three capitalised Cyrillic words, as :func:`normalise_name` writes them."""
    words = value.split(" ")
    return 2 <= len(words) <= 3 and all(_NAME_WORD.fullmatch(w) for w in words)
