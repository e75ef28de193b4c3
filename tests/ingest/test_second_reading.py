"""The second reading after Tesseract: ``№`` restored, Latin fields read by the English model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from common.pages import PageText, Word
from ingest.ocr import OcrOptions, fields, run_ocr
from pii import detect
from tests.synthetic import degrade, render_page, save_image


def _page(*lines: list[str]) -> PageText:
    """Words laid out one line per row, 0.1 of the page wide each, and the text."""
    words: list[Word] = []
    for row, line in enumerate(lines):
        for col, text in enumerate(line):
            words.append(Word(text, 0.1 * col, 0.05 * row, 0.1 * col + 0.09, 0.05 * row + 0.03))
    return PageText(1, "\n".join(" ".join(line) for line in lines), words, ocr=True)


def _blank(_box: fields.Box) -> Image.Image:
    return Image.new("L", (40, 20), 255)


def test_numero_misreadings_before_a_number_become_the_sign() -> None:
    page = _page(
        ["Паспорт", "громадянина", "Ne", "002425750"],
        ["Справа", "Ме", "0001-2026"],
        ["Ne", "подано"],
        ["No", "АВ123456"],
    )
    fixed = fields.fix_numero(page)
    assert fixed.text.splitlines() == [
        "Паспорт громадянина № 002425750",
        "Справа № 0001-2026",
        "Ne подано",  # not before a number: left as read
        "№ АВ123456",
    ]
    assert [w.text for w in fixed.words if w.text == "№"] == ["№", "№", "№"]
    assert [(w.x0, w.y0) for w in fixed.words] == [(w.x0, w.y0) for w in page.words]


def test_latin_field_read_again_replaces_words_and_text_together() -> None:
    page = _page(
        ["Ел.", "пошта:", "уазуПедогіу1948", "(Фоціїоок.сот"],
        ["Паспорт", "для", "виїзду", "за", "кордон:", "ЕВО29679"],
    )

    # The crop comes with the label's colon in its padding: not part of the value.
    def read(_img: Image.Image, chars: str) -> str:
        return "1: vasylfedoriv1948 @outlook.com —" if chars else "FB029679"

    fixed = fields.correct(page, _blank, read)
    assert fixed.text.splitlines() == [
        "Ел. пошта: vasylfedoriv1948@outlook.com",
        "Паспорт для виїзду за кордон: FB029679",
    ]
    email = next(w for w in fixed.words if "@" in w.text)
    # One word whose box covers both words Tesseract had: masking covers the ink.
    assert email.x0 == pytest.approx(0.2)
    assert email.x1 == pytest.approx(0.39)
    found = {(f.kind, f.value) for f in detect([fixed])}
    assert ("email", "vasylfedoriv1948@outlook.com") in found
    # The series in Latin letters (E and F are close on a scan: the English model decides).
    assert any(k == "foreign_passport" and v.endswith("B029679") for k, v in found)


def test_digits_of_a_series_read_as_letters_are_digits() -> None:
    page = _page(["для", "виїзду", "за", "кордон:", "ЕВО29679"])
    found = fields.second_reading(page, _blank, lambda _img, _chars: ": FBO29679 —")
    assert found == [fields.Correction(("ЕВО29679",), "FB029679")]


def test_a_second_reading_that_agrees_changes_nothing() -> None:
    page = _page(["E-mail:", "humeniuk78@i.ua"], ["для", "виїзду", "за", "кордон:", "EA445403"])

    def read(_img: Image.Image, chars: str) -> str:
        return "humeniuk78@i.ua" if chars else "EA445403"

    assert fields.second_reading(page, _blank, read) == []


def test_a_second_reading_without_the_shape_changes_nothing() -> None:
    page = _page(["E-mail:", "humeniuk78(@і.иа"], ["для", "виїзду", "за", "кордон:", "ЕА445403"])
    assert fields.correct(page, _blank, lambda _img, _chars: "hum eniuk") is page
    assert fields.correct(page, _blank, lambda _img, _chars: "") is page


def test_corrections_that_do_not_fit_the_text_are_left() -> None:
    page = _page(["E-mail:", "a(@b.ua"])
    stale = fields.Correction(("other",), "x@y.ua")
    assert fields.apply(page, [stale]) is page
    assert fields.Correction.from_json(stale.as_json()) == stale


def test_born_digital_pages_are_left_alone() -> None:
    page = _page(["Ел.", "пошта:", "a@b.ua"], ["Ne", "12"])
    page.ocr = False
    assert fields.correct(page, _blank, lambda _img, _chars: "x@y.ua") is page


@pytest.mark.ocr
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Tesseract")
def test_scanned_form_keeps_numero_and_latin_fields_through_ocr(tmp_path: Path) -> None:
    lines = [
        "ЗАЯВА про надання адміністративної послуги",
        "Паспорт громадянина України у формі ID-картки № 002425750",
        "Паспорт для виїзду за кордон: FB029679",
        "Ел. пошта: vasylfedoriv1948@outlook.com",
        "Прошу надати послугу. Додатки: копія паспорта, квитанція.",
    ]
    img = degrade(render_page(lines, dpi=300), skew_deg=0.4, noise=0.02, dpi=250, seed=3)
    source = save_image(img, tmp_path / "form.png")
    result = run_ocr(
        source, "image", tmp_path / "out.pdf", options=OcrOptions(), work_dir=tmp_path / "w"
    )
    page = result.pages[0]
    assert "№ 002425750" in page.text
    found = {(f.kind, f.value) for f in detect([page])}
    # The series in Latin letters (E and F are close on a scan: the English model decides).
    assert any(k == "foreign_passport" and v.endswith("B029679") for k, v in found)
    assert ("email", "vasylfedoriv1948@outlook.com") in found
    assert all(f.boxes for f in detect([page]))


def test_a_clean_address_stands_and_a_doubtful_one_is_read_again() -> None:
    clean = _page(["Ел.", "пошта:", "i.humeniuk@outlook.com"])
    assert fields.second_reading(clean, _blank, lambda _img, _chars: "i-humeniuk@outlook.com") == []
    doubtful = _page(
        ["Ел.", "пошта:", "nataliiaiushchenkol", "988@meta.ua"], ["E-mail:", "0.savchuk@email.ua"]
    )
    readings = iter(3 * ["1: nataliiaiushchenko1988@meta.ua _"] + 3 * [": 0.savchuk@email.ua ~"])
    fixed = fields.correct(doubtful, _blank, lambda _img, _chars: next(readings))
    assert fixed.text.splitlines() == [
        "Ел. пошта: nataliiaiushchenko1988@meta.ua",
        "E-mail: o.savchuk@email.ua",  # an initial and a dot, not a zero
    ]


def test_an_address_is_read_three_times_in_small_letters_and_the_majority_stands() -> None:
    # "5" read as "S" by both models: capitals in an address are doubtful.
    page = _page(["Ел.", "пошта:", "rudenkoS1@ukr.net"])
    seen: list[str] = []
    readings = iter([": rudenko51@ukr.net", "rudenkos1@ukr.net _", "rudenko51@ukr.net"])

    def read(_img: Image.Image, chars: str) -> str:
        seen.append(chars)
        return next(readings)

    found = fields.second_reading(page, _blank, read)
    assert found == [fields.Correction(("rudenkoS1@ukr.net",), "rudenko51@ukr.net")]
    # The English model may only choose small letters, digits and an address's signs.
    assert len(seen) == 3 and all(c and "S" not in c and "5" in c and "@" in c for c in seen)


def test_when_three_readings_differ_the_doubtful_first_one_tips_the_vote() -> None:
    page = _page(["E-mail:", "0.savchuk@email.ua"])
    readings = iter(["a.savchuk@email.ua", "o.savchuk@email.ua", "e.savchuk@email.ua"])
    # A reading counts twice what the doubtful first one ("0." is "o.") does.
    found = fields.second_reading(page, _blank, lambda _img, _chars: next(readings))
    assert found == [fields.Correction(("0.savchuk@email.ua",), "o.savchuk@email.ua")]


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("nataliiavyshnevskal987@outlook.com", "nataliiavyshnevska1987@outlook.com"),
        ("kovall985@ukr.net", "koval1985@ukr.net"),  # the name's own "l" stays
        ("koval1985@ukr.net", "koval1985@ukr.net"),
        ("pavlo.l234@ukr.net", "pavlo.l234@ukr.net"),  # 1234 is no birth year
        ("hanna@l999.ua", "hanna@l999.ua"),  # only before the "@"
    ],
)
def test_an_l_that_begins_a_birth_year_is_a_one(read: str, meant: str) -> None:
    page = _page(["E-mail:", read.replace("@", "(@")])  # "(@": a first reading of no shape
    found = fields.second_reading(page, _blank, lambda _img, _chars: read)
    assert [c.new for c in found] == [meant]


def test_a_dot_beside_a_hyphen_is_doubtful_and_read_again() -> None:
    # The dot after an initial read twice, as "." and "-": the address reads again.
    page = _page(["E-mail:", "b.-hrebeniuk@i.ua"])
    found = fields.second_reading(page, _blank, lambda _img, _chars: "b.hrebeniuk@i.ua")
    assert found == [fields.Correction(("b.-hrebeniuk@i.ua",), "b.hrebeniuk@i.ua")]
