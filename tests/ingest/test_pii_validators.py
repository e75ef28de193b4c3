"""Validators of Ukrainian identifiers: known values and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pii.validators import (
    edrpou_check_digit,
    iban_check_digits,
    is_valid_edrpou,
    is_valid_email,
    is_valid_foreign_passport,
    is_valid_iban,
    is_valid_id_card,
    is_valid_name,
    is_valid_passport,
    is_valid_phone,
    is_valid_rnokpp,
    is_valid_unzr,
    make_rnokpp,
    normalise_foreign_passport,
    normalise_iban,
    normalise_name,
    normalise_passport,
    normalise_phone,
    normalise_unzr,
    rnokpp_check_digit,
    rnokpp_info,
    unzr_birth_date,
)

RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
serials = st.integers(min_value=0, max_value=9999)
seven_digits = st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"{n:07d}")
nine_digits = st.integers(min_value=0, max_value=999_999_999).map(lambda n: f"{n:09d}")


def _replace(value: str, i: int, ch: str) -> str:
    return value[:i] + ch + value[i + 1 :]


# --- РНОКПП ---------------------------------------------------------------------


def test_rnokpp_known_values() -> None:
    assert is_valid_rnokpp("1759013776")
    assert not is_valid_rnokpp("1759013770")
    info = rnokpp_info("1759013776")
    # 17590 days after 31.12.1899; digit 9 is 7, odd: a man.
    assert info.birth_date == date(1948, 2, 28)
    assert info.sex == "male"


@pytest.mark.parametrize(
    "value", ["", "175901377", "17590137766", "17590137 6", "１７５９０１３７７６", "175901377a"]
)
def test_rnokpp_rejects_malformed(value: str) -> None:
    assert not is_valid_rnokpp(value)


@given(birth_dates, serials)
def test_rnokpp_round_trip_birth_date_and_sex(born: date, serial: int) -> None:
    code = make_rnokpp(born, serial)
    assert is_valid_rnokpp(code)
    info = rnokpp_info(code)
    assert info.birth_date == born
    assert info.sex == ("female" if serial % 2 == 0 else "male")
    assert (date(1899, 12, 31) + timedelta(days=int(code[:5]))) == born


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_rnokpp_single_digit_change_detected_except_the_0_10_collision(
    first9: str, pos: int, delta: int
) -> None:
    """A changed digit always changes the sum mod 11, so it is caught — except
    when the remainders are 0 and 10, which "mod 10" maps to the same check
    digit (a known weakness of the scheme, about 1.6 % of substitutions)."""
    code = first9 + str(rnokpp_check_digit(first9))
    changed = _replace(code, pos, str((int(code[pos]) + delta) % 10))

    def rem(v: str) -> int:
        return sum(w * int(d) for w, d in zip(RNOKPP_WEIGHTS, v[:9], strict=True)) % 11

    collision = pos < 9 and {rem(code), rem(changed)} == {0, 10}
    assert is_valid_rnokpp(changed) is collision


def test_rnokpp_make_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        make_rnokpp(date(1899, 12, 30), 1)
    with pytest.raises(ValueError):
        make_rnokpp(date(1990, 1, 1), 10_000)
    with pytest.raises(ValueError):
        rnokpp_info("1759013770")


# --- ЄДРПОУ ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    # ПриватБанк, Ощадбанк, Укрексімбанк, Укрпошта, Нафтогаз, Київстар and two
    # codes of the 30000000–60000000 band (the second weight set).
    ["14360570", "00032129", "00032106", "21560045", "20077720", "21673832", "37199618",
     "40075815"],
)  # fmt: skip
def test_edrpou_known_codes(code: str) -> None:
    assert is_valid_edrpou(code)


@given(seven_digits)
def test_edrpou_generated_codes_validate(first7: str) -> None:
    assert is_valid_edrpou(first7 + str(edrpou_check_digit(first7)))


@given(seven_digits, st.integers(1, 9))
def test_edrpou_changed_check_digit_fails(first7: str, delta: int) -> None:
    check = edrpou_check_digit(first7)
    assert not is_valid_edrpou(first7 + str((check + delta) % 10))


def _edrpou_first_pass(code: str) -> int:
    weights = (7, 1, 2, 3, 4, 5, 6) if code[0] in "345" else (1, 2, 3, 4, 5, 6, 7)
    return sum(w * int(d) for w, d in zip(weights, code[:7], strict=True)) % 11


@given(seven_digits, st.integers(1, 6), st.integers(1, 9))
def test_edrpou_single_digit_change_detected_within_first_pass(
    first7: str, pos: int, delta: int
) -> None:
    """Inside one weight band, when neither code needs the second pass, the
    first-pass remainder is the check digit and a changed digit changes it."""
    code = first7 + str(edrpou_check_digit(first7))
    changed = _replace(code, pos, str((int(code[pos]) + delta) % 10))
    assume(_edrpou_first_pass(code) < 10 and _edrpou_first_pass(changed) < 10)
    assert not is_valid_edrpou(changed)


def test_edrpou_single_digit_changes_mostly_detected() -> None:
    # Band switches (first digit) and the second pass let about 2 % through.
    import random

    rng = random.Random(7)
    total = undetected = 0
    for _ in range(800):
        first7 = f"{rng.randrange(10**7):07d}"
        code = first7 + str(edrpou_check_digit(first7))
        for pos in range(8):
            for d in "0123456789":
                if d != code[pos]:
                    total += 1
                    undetected += is_valid_edrpou(_replace(code, pos, d))
    assert undetected / total < 0.03


def test_edrpou_second_pass() -> None:
    """When the first pass gives 10, the weights go up by 2; a second 10 gives 0."""
    firsts = [f"{n * 997:07d}" for n in range(10_000)]
    needs_second = [f for f in firsts if _edrpou_first_pass(f + "0") == 10]
    assert len(needs_second) > 500
    seen_bands: set[bool] = set()
    seen_zero_rule = False
    for first7 in needs_second:
        band2 = first7[0] in "345"
        weights = (7, 1, 2, 3, 4, 5, 6) if band2 else (1, 2, 3, 4, 5, 6, 7)
        digits = [int(d) for d in first7]
        second = sum((w + 2) * d for w, d in zip(weights, digits, strict=True)) % 11
        assert edrpou_check_digit(first7) == (0 if second == 10 else second)
        seen_bands.add(band2)
        seen_zero_rule = seen_zero_rule or second == 10
    assert seen_bands == {True, False}
    assert seen_zero_rule
    assert not is_valid_edrpou("1436057")
    assert not is_valid_edrpou("1436057O")


# --- IBAN -------------------------------------------------------------------------

accounts = st.integers(min_value=0, max_value=10**19 - 1).map(lambda n: f"{n:019d}")
banks = st.integers(min_value=300_000, max_value=399_999).map(str)


def test_iban_known_example() -> None:
    assert is_valid_iban("UA213223130000026007233566001")
    assert is_valid_iban("UA21 3223 1300 0002 6007 2335 6600 1")
    assert is_valid_iban("ua21 3223 1300 0002 6007 2335 6600 1")
    assert normalise_iban(" ua21 3223\u00a01300 ") == "UA2132231300"
    assert not is_valid_iban("UA213223130000026007233566002")
    assert not is_valid_iban("DE89370400440532013000")  # valid German IBAN, not Ukrainian
    assert is_valid_iban("DE89370400440532013000", country=None)


@given(banks, accounts)
def test_iban_generated_validate(bank: str, account: str) -> None:
    bban = bank + account
    iban = f"UA{iban_check_digits('UA', bban)}{bban}"
    assert len(iban) == 29
    assert is_valid_iban(iban)


@given(banks, accounts, st.integers(2, 28), st.integers(1, 9))
def test_iban_any_single_digit_change_fails(bank: str, account: str, pos: int, delta: int) -> None:
    bban = bank + account
    iban = f"UA{iban_check_digits('UA', bban)}{bban}"
    changed = _replace(iban, pos, str((int(iban[pos]) + delta) % 10))
    assert not is_valid_iban(changed)


# --- УНЗР, documents, phones, e-mail, names -----------------------------------------


def test_unzr_form_and_date() -> None:
    assert is_valid_unzr("19840309-01234")
    assert unzr_birth_date("19840309-01234") == date(1984, 3, 9)
    assert not is_valid_unzr("19840230-01234")  # 30 February
    assert not is_valid_unzr("18991231-01234")  # before 1900
    assert not is_valid_unzr("19840309-00004")  # record number 0000
    assert not is_valid_unzr("1984030901234")
    assert normalise_unzr("19840309 – 01234") == "19840309-01234"
    assert normalise_unzr("1984030901234") == "19840309-01234"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
       st.integers(1, 9999), st.integers(0, 9))  # fmt: skip
def test_unzr_birth_date_round_trip(born: date, record: int, check: int) -> None:
    value = f"{born:%Y%m%d}-{record:04d}{check}"
    assert is_valid_unzr(value)
    assert unzr_birth_date(value) == born


def test_documents() -> None:
    assert is_valid_passport("КВ123456")
    assert normalise_passport("KB № 123456") == "КВ123456"  # Latin look-alikes
    assert not is_valid_passport("KB123456")
    assert not is_valid_passport("КВ12345")
    assert is_valid_foreign_passport("FX123456")
    assert normalise_foreign_passport("ЕК 123456") == "EK123456"
    assert not is_valid_foreign_passport("FX1234567")
    assert is_valid_id_card("001234567")
    assert not is_valid_id_card("00123456")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("+380671234567", "+380671234567"),
        ("+38 (067) 123-45-67", "+380671234567"),
        ("+380 67 123 45 67", "+380671234567"),
        ("067 123 45 67", "+380671234567"),
        ("(032) 297-57-95", "+380322975795"),
        ("0441234567", "+380441234567"),
        ("380501234567", "+380501234567"),
    ],
)
def test_phone_normalisation(text: str, value: str) -> None:
    assert normalise_phone(text) == value
    assert is_valid_phone(text)


@pytest.mark.parametrize(
    "text", ["0800500000", "+490671234567", "067123456", "0121234567", "+0671234567", "06712345678"]
)
def test_phone_rejects(text: str) -> None:
    assert normalise_phone(text) is None


def test_email() -> None:
    assert is_valid_email("t.shevchenko@ukr.net")
    assert is_valid_email("user+tag@mail.example.com.ua")
    assert not is_valid_email("t..shevchenko@ukr.net")
    assert not is_valid_email("shevchenko@ukr")
    assert not is_valid_email("@ukr.net")


def test_names() -> None:
    assert normalise_name("ШЕВЧЕНКО  тарас григорович") == "Шевченко Тарас Григорович"
    assert normalise_name("Дем’яненко-ГРИЩЕНКО Мар\u02bcяна") == "Дем'яненко-Грищенко Мар'яна"
    # Latin look-alikes from OCR become Cyrillic.
    assert normalise_name("Шевчeнкo Тaрас") == "Шевченко Тарас"
    assert is_valid_name("Шевченко Тарас Григорович")
    assert is_valid_name("Шевченко Тарас")
    assert not is_valid_name("Шевченко")
    assert not is_valid_name("Шевченко Тарас Григорович Іванович")
    assert not is_valid_name("Shevchenko Taras")
