"""Field extractors on OCR-like text: values, pages and character positions."""

from __future__ import annotations

import random

import pytest

from common.pages import PageText
from ingest.metadata import DocType, Field, extract
from ingest.metadata.seed import TEMPLATES, corpus, ocr_slips


def _fields(text: str | list[str], kind: DocType) -> dict[str, Field]:
    pages = [text] if isinstance(text, str) else text
    return {f.name: f for f in extract([PageText(i, t) for i, t in enumerate(pages, 1)], kind)}


def test_positions_point_at_the_value_on_its_page() -> None:
    text = "ДОВІДКА\nпро склад сім'ї\n№ 417 від 03.02.2024\nВидана Коваленко Ірина Петрівна"
    f = _fields(["Перша сторінка без реквізитів", text], DocType.certificate_family)
    number, issued = f["number"], f["issue_date"]
    assert (number.value, number.page) == ("417", 2)
    assert text[number.start : number.end] == "417"
    assert issued.value == "2024-02-03" and text[issued.start : issued.end] == "03.02.2024"


@pytest.mark.parametrize("sign", ["№", "Мо", "Ме", "Ne", "No"])
def test_number_sign_misread(sign: str) -> None:
    f = _fields(f"РІШЕННЯ\nвід 12.03.2024 {sign} 245\nПро присвоєння адреси", DocType.decision)
    assert f["number"].value == "245"
    assert f["issue_date"].value == "2024-03-12"


def test_booklet_series_in_latin_look_alikes_and_date_in_words() -> None:
    # Tesseract often reads the Cyrillic series КА as Latin KA.
    text = (
        "ПАСПОРТ ГРОМАДЯНИНА УКРАЇНИ\nKA 123456\nДата народження 01.02.1980\n"
        "Паспорт виданий Франківським РВ ГУ ДМС України в Львівській області\n"
        "16 жовтня 1996 р."
    )
    f = _fields(text, DocType.passport_booklet)
    assert f["series"].value == "КА" and f["number"].value == "123456"
    assert f["issue_date"].value == "1996-10-16"  # not the birth date
    assert f["issuer"].value.startswith("Франківським РВ")


def test_id_card_dates_by_their_labels_and_digits_misread() -> None:
    text = (
        "Дата народження / Date of birth 01 02 1990\n"
        "Запис № / Record No. 19900201-01234\n"
        "Дійсний до / Date of expiry 12 O3 2O31\n"
        "Документ № / Document No. 0O1234567\n"
        "Дата видачі / Date of issue 12 03 2021\n"
        "Орган, що видав / Authority 4610"
    )
    f = _fields(text, DocType.passport_id_card)
    assert f["issue_date"].value == "2021-03-12"
    assert f["valid_until"].value == "2031-03-12"
    assert f["number"].value == "001234567"
    assert f["issuer"].value == "4610"


def test_application_service_and_applicant() -> None:
    text = (
        "Начальнику ЦНАП м. Львів\nШевчук Остап Романович\nЗАЯВА\n"
        "Прошу надати адміністративну послугу: реєстрація місця проживання.\n«05» травня 2024 р."
    )
    f = _fields(text, DocType.application)
    assert f["service"].value == "реєстрація місця проживання"
    assert f["applicant"].value == "Шевчук Остап Романович"
    assert f["issue_date"].value == "2024-05-05"


def test_taxpayer_number_must_pass_its_check_digit() -> None:
    f = _fields("КАРТКА ПЛАТНИКА ПОДАТКІВ\n1234567890\n3012345672", DocType.taxpayer_card)
    assert "number" not in f or f["number"].value != "1234567890"


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_generated_documents_with_slips(kind: DocType) -> None:
    """Every field of every template is read back, № misread half of the time."""
    rng = random.Random(kind.value)
    for spec in [s for s in corpus(6, seed=3) if s.type == kind]:
        text = ocr_slips(spec.text, rng, rate=0.0)
        got = _fields(text, kind)
        for name, want in spec.fields.items():
            if name in ("issuer", "applicant", "service"):
                continue  # free text: scored by the benchmark, not exact here
            assert name in got and got[name].value == want, (spec.layout, name)
