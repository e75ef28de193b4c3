"""The second reading after Tesseract: ``№`` restored, Latin fields read by the English model."""

from __future__ import annotations

import shutil
from collections import Counter
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
    def read(_img: Image.Image, chars: str, _thresholded: bool) -> str:
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
    found = fields.second_reading(page, _blank, lambda _img, _chars, _thresholded: ": FBO29679 —")
    assert found == [fields.Correction(("ЕВО29679",), "FB029679")]


def test_a_second_reading_that_agrees_changes_nothing() -> None:
    page = _page(["E-mail:", "humeniuk78@i.ua"], ["для", "виїзду", "за", "кордон:", "EA445403"])

    def read(_img: Image.Image, chars: str, _thresholded: bool) -> str:
        return "humeniuk78@i.ua" if chars else "EA445403"

    assert fields.second_reading(page, _blank, read) == []


def test_a_second_reading_without_the_shape_changes_nothing() -> None:
    page = _page(["E-mail:", "humeniuk78(@і.иа"], ["для", "виїзду", "за", "кордон:", "ЕА445403"])
    assert fields.correct(page, _blank, lambda _img, _chars, _thresholded: "hum eniuk") is page
    assert fields.correct(page, _blank, lambda _img, _chars, _thresholded: "") is page


def test_corrections_that_do_not_fit_the_text_are_left() -> None:
    page = _page(["E-mail:", "a(@b.ua"])
    stale = fields.Correction(("other",), "x@y.ua")
    assert fields.apply(page, [stale]) is page
    assert fields.Correction.from_json(stale.as_json()) == stale


def test_born_digital_pages_are_left_alone() -> None:
    page = _page(["Ел.", "пошта:", "a@b.ua"], ["Ne", "12"])
    page.ocr = False
    assert fields.correct(page, _blank, lambda _img, _chars, _thresholded: "x@y.ua") is page


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


def _reader(*readings: str) -> tuple[list[str], fields.Read]:
    """A ``read`` giving these readings in turn, and the list of the alphabets it was asked
    (each followed by "grey" when the crop was to be read without thresholding)."""
    seen: list[str] = []
    left = iter(readings)

    def read(_img: Image.Image, chars: str, thresholded: bool) -> str:
        seen.append(chars if thresholded else chars + " grey")
        return next(left)

    return seen, read


def test_a_clean_address_confirmed_by_one_reading_stands() -> None:
    clean = _page(["Ел.", "пошта:", "i.humeniuk@outlook.com"])
    seen, read = _reader("1: i.humeniuk@outlook.com _")
    assert fields.second_reading(clean, _blank, read) == []
    assert len(seen) == 1  # one short Tesseract run checks it
    # A check without an address's shape has no opinion: the first reading stands.
    seen, read = _reader("i.humeniuk(outlook")
    assert fields.second_reading(clean, _blank, read) == []
    assert len(seen) == 1


def test_a_doubtful_address_is_read_again() -> None:
    doubtful = _page(
        ["Ел.", "пошта:", "nataliiaiushchenkol", "988@meta.ua"], ["E-mail:", "0.savchuk@email.ua"]
    )
    readings = iter(3 * ["1: nataliiaiushchenko1988@meta.ua _"] + 3 * [": 0.savchuk@email.ua ~"])
    fixed = fields.correct(doubtful, _blank, lambda _img, _chars, _thresholded: next(readings))
    assert fixed.text.splitlines() == [
        "Ел. пошта: nataliiaiushchenko1988@meta.ua",
        "E-mail: o.savchuk@email.ua",  # an initial and a dot, not a zero
    ]


def test_a_clean_looking_address_the_check_contradicts_is_read_from_every_crop() -> None:
    # "k" read as "zk": nothing in the first reading looks wrong.
    page = _page(["E-mail:", "h.hnatiuzk@meta.ua"])
    seen, read = _reader("h.hnatiuk@meta.ua", "h.hnatiuk@meta.ua_", "h.hnatiuk@meta.ua")
    found = fields.second_reading(page, _blank, read)
    assert found == [fields.Correction(("h.hnatiuzk@meta.ua",), "h.hnatiuk@meta.ua")]
    assert len(seen) == 3  # the check, then the two other crops


def test_a_check_the_other_crops_do_not_back_leaves_the_first_reading() -> None:
    page = _page(["E-mail:", "koval1985@ukr.net"])
    # The middle crop (read first) misreads; the two others agree with the first reading.
    seen, read = _reader("kovall985@ukr.net", "koval1985@ukr.net", "koval1985@ukr.net")
    assert fields.second_reading(page, _blank, read) == []
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("first", "readings", "meant"),
    [
        # (readings in the order they are made: the middle crop's check first)
        # the dot lost, or read as a stroke, by the first reading and two of three
        ("iisavchuk@ukr.net", ("isavchuk@ukr.net", "i.savchuk@ukr.net", "isavchuk@ukr.net"),
         "i.savchuk@ukr.net"),
        # read as a hyphen; a crop that cut the initial off does not count for it
        ("i-holovata@outlook.com", ("i.holovata@outlook.com", "i-holovata@outlook.com",
                                    "holovata@outlook.com"), "i.holovata@outlook.com"),
    ],
)  # fmt: skip
def test_a_dot_after_an_initial_that_one_reading_saw_stands(
    first: str, readings: tuple[str, ...], meant: str
) -> None:
    page = _page(["E-mail:", first])
    found = fields.second_reading(page, _blank, _reader(*readings)[1])
    assert [c.new for c in found] == [meant]


@pytest.mark.parametrize(
    ("first", "readings", "meant"),
    [
        # no reading saw a dot: none is made up
        ("iisavchuk@ukr.net", ("isavchuk@ukr.net", "isavchuk@ukr.net", "isavchuk@ukr.net"),
         "isavchuk@ukr.net"),
        # a name before the dot, not an initial: readings without it are another address
        ("olenakravets@ukr.net", ("olena.kravets@ukr.net", "olenakravets@ukr.net",
                                  "olenakravets@ukr.net"), None),
        # an underscore is a sign of its own, not a misread dot
        ("o_rudenko@meta.ua", ("o.rudenko@meta.ua", "o_rudenko@meta.ua", "o_rudenko@meta.ua"),
         None),
    ],
)  # fmt: skip
def test_the_initial_dot_rule_leaves_other_addresses_alone(
    first: str, readings: tuple[str, ...], meant: str | None
) -> None:
    page = _page(["E-mail:", first])
    found = fields.second_reading(page, _blank, _reader(*readings)[1])
    assert [c.new for c in found] == ([] if meant is None else [meant])


def test_initial_dot_in_the_tally() -> None:
    votes = Counter({"r.kyrylenko@outlook.com": 2, "r-kyrylenko@outlook.com": 2,
                     "rkyrylenko@outlook.com": 2, "kyrylenko@outlook.com": 2,
                     "rikyrylenko@outlook.com": 1, "rlkyrylenko@outlook.com": 1})  # fmt: skip
    merged = fields._tally_address(votes)
    assert merged["r.kyrylenko@outlook.com"] == 2 + 2 + 2 + 1 + 1
    # the others keep their own votes; the value without its initial gets none
    assert merged["rkyrylenko@outlook.com"] == 2
    assert merged["kyrylenko@outlook.com"] == 2
    # nothing changes when no reading has an initial and a dot
    plain = Counter({"isavchuk@ukr.net": 4, "iisavchuk@ukr.net": 1})
    assert fields._tally_address(plain) == plain


def test_an_address_is_read_three_times_in_small_letters_and_the_majority_stands() -> None:
    # "5" read as "S" by both models: capitals in an address are doubtful.
    page = _page(["Ел.", "пошта:", "rudenkoS1@ukr.net"])
    seen: list[str] = []
    readings = iter([": rudenko51@ukr.net", "rudenkos1@ukr.net _", "rudenko51@ukr.net"])

    def read(_img: Image.Image, chars: str, _thresholded: bool) -> str:
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
    found = fields.second_reading(page, _blank, lambda _img, _chars, _thresholded: next(readings))
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
    found = fields.second_reading(page, _blank, lambda _img, _chars, _thresholded: read)
    assert [c.new for c in found] == [meant]


def test_a_dot_beside_a_hyphen_is_doubtful_and_read_again() -> None:
    # The dot after an initial read twice, as "." and "-": the address reads again.
    page = _page(["E-mail:", "b.-hrebeniuk@i.ua"])
    found = fields.second_reading(
        page, _blank, lambda _img, _chars, _thresholded: "b.hrebeniuk@i.ua"
    )
    assert found == [fields.Correction(("b.-hrebeniuk@i.ua",), "b.hrebeniuk@i.ua")]


@pytest.mark.parametrize(
    ("first", "readings", "meant"),
    [
        # "5" read as "s" by two readings of three: the one that saw the digit stands
        ("fedorivsO@meta.ua", ("fedorivs0@meta.ua", "fedoriv50@meta.ua", "fedorivs0@meta.ua"),
         "fedoriv50@meta.ua"),
        ("kovalenkol", ("kovalenko15@meta.ua", "kovalenkol5@meta.ua", "kovalenkol5@meta.ua"),
         "kovalenko15@meta.ua"),
    ],
)  # fmt: skip
def test_a_digit_beside_a_digit_that_one_reading_saw_stands(
    first: str, readings: tuple[str, ...], meant: str
) -> None:
    page = _page(["E-mail:", first])
    found = fields.second_reading(page, _blank, _reader(*readings)[1])
    assert [c.new for c in found] == [meant]


@pytest.mark.parametrize(
    ("votes", "meant"),
    [
        # no digit beside it: the name's own "s" and "l" stay
        ({"kravets@ukr.net": 4, "kravet5@ukr.net": 2}, "kravets@ukr.net"),
        ({"koval.petro@ukr.net": 4, "kova1.petro@ukr.net": 2}, "koval.petro@ukr.net"),
        # after the "@" it is the domain's business
        ({"petro15@ukr.net": 4, "petro15@ukr.ne7": 2}, "petro15@ukr.net"),
        # two places differ: another address, not one misread letter
        ({"petros1@ukr.net": 4, "petr051@ukr.net": 3}, "petros1@ukr.net"),
        # no reading saw a digit: none is made up
        ({"kostenkol1@ukr.net": 6}, "kostenkol1@ukr.net"),
    ],
)
def test_the_digit_rule_leaves_letters_alone(votes: dict[str, int], meant: str) -> None:
    merged = fields._tally_address(Counter(votes))
    assert merged.most_common(1)[0][0] == meant


def test_the_widest_crop_is_read_grey() -> None:
    # Thresholded, the flag of a "1" after a letter thickens into an "l"; grey it does not.
    page = _page(["E-mail:", "kostenkol", "1@ukr.net"])
    seen, read = _reader("kostenkol1@ukr.net_", "kostenkol1@ukr.net_", "kostenko11@ukr.net")
    found = fields.second_reading(page, _blank, read)
    # the grey reading saw the digit beside a digit: it takes the votes of the "l"
    assert found == [fields.Correction(("kostenkol", "1@ukr.net"), "kostenko11@ukr.net")]
    assert [s.endswith(" grey") for s in seen] == [False, False, True]  # reaches 0.15, 0.5, 1.2
    # A clean first reading's check is thresholded, the grey crop comes last.
    clean = _page(["E-mail:", "h.hnatiuzk@meta.ua"])
    seen, read = _reader(*3 * ["h.hnatiuk@meta.ua"])
    assert [c.new for c in fields.second_reading(clean, _blank, read)] == ["h.hnatiuk@meta.ua"]
    assert [s.endswith(" grey") for s in seen] == [False, False, True]
    # A travel-passport series is read thresholded.
    series = _page(["для", "виїзду", "за", "кордон:", "ЕВО29679"])
    seen, read = _reader("FB029679")
    fields.second_reading(series, _blank, read)
    assert seen == [""]
