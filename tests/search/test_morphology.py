"""Ukrainian analysis: normalisation, tokens with offsets, lemma terms."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.morphology import (
    APOSTROPHE,
    MAX_TERM_CHARS,
    UkrainianAnalyzer,
    analyze,
    default_analyzer,
    expand,
    normalize,
    tokenize,
)


@pytest.fixture(scope="module")
def analyzer() -> UkrainianAnalyzer:
    return UkrainianAnalyzer()


@pytest.mark.parametrize("variant", ["'", "\u2019", "\u02bc", "`", "\u2018", "\u00b4", "\u2032"])
def test_apostrophe_variants_normalise_to_one(variant: str) -> None:
    assert normalize(f"сім{variant}я") == f"сім{APOSTROPHE}я"
    assert analyze(f"сім{variant}я") == ["сім'я"]


def test_normalize_whitespace_hyphenation_and_invisibles() -> None:
    text = (
        "Заява  про\tнадання\n\nадміністра-\n  тивних\r\nпос\u00adлуг, Івано-\nФранківськ\u200b\f"
    )
    assert normalize(text) == "Заява про надання адміністративних послуг, Івано-Франківськ"
    assert normalize(normalize(text)) == normalize(text)
    assert normalize("за\u0301мок \x00 кінець") == "замок кінець"


def test_lowercasing_stays_length_preserving_after_normalize() -> None:
    # Snippets search a lower-cased copy of the page and reuse its offsets.
    odd = [chr(c) for c in range(sys.maxunicode + 1) if len(chr(c).lower()) != 1]
    for ch in odd:
        normalised = normalize(f"a{ch}b")
        assert len(normalised.lower()) == len(normalised)


def test_inflections_share_lemmas() -> None:
    assert analyze("адміністративна послуга") == analyze("адміністративних послуг")
    assert analyze("Адміністративної ПОСЛУГИ") == ["адміністративний", "послуга"]


@pytest.mark.parametrize(
    ("query", "forms"),
    [
        ("рік", ["року", "році", "роки", "років", "рік"]),
        ("людина", ["людини", "люди", "людей", "людям"]),
        ("заява", ["заяви", "заяві", "заяву", "заяв"]),
        ("мати", ["матері", "мати", "матір'ю"]),
        ("паспорт", ["паспорта", "паспорті", "паспортом"]),
        ("сім'я", ["сім'ї", "сім'єю", "сімей"]),
    ],
)
def test_query_word_matches_every_inflection(query: str, forms: list[str]) -> None:
    terms = expand(query).terms
    for form in forms:
        assert analyze(form)[0] in terms, form


def test_dictionary_form_stands_for_its_own_lemma() -> None:
    year = expand("рік").terms
    assert analyze("рік")[0] in year and analyze("року")[0] in year
    assert analyze("ріки")[0] not in year and analyze("річці")[0] not in year
    # An inflected form keeps every reading: "року" is of "рік" or of "рок".
    ambiguous = expand("року").terms
    assert "рок" in ambiguous and analyze("роках")[0] in ambiguous
    assert analyze("стане")[0] in expand("стали").terms
    assert analyze("людиного")[0] not in expand("людина").terms  # possessive adjective


def test_expansion_has_highlightable_forms() -> None:
    expansion = expand("послуга")
    assert {"послуга", "послуги", "послуг", "послугами"} <= expansion.forms
    assert expansion.terms == {"послуга"}


def test_words_with_several_readings_get_one_combined_term() -> None:
    # One term per position keeps phrases simple; it names every lemma.
    assert analyze("року") == ["рок|рік"]
    assert "рок|рік" in expand("рік").terms
    assert "рок|рік" in expand("рок").terms
    assert "рок" not in expand("рік").terms  # "рок" alone is never a form of "рік"


def test_identifiers_and_dates_are_kept_whole_and_in_parts() -> None:
    assert analyze("Справа № 2026/00123 від 12.03.2026") == [
        "справа",
        "2026/00123",
        "2026",
        "00123",
        "від",
        "12.03.2026",
        "12",
        "03",
        "2026",
    ]
    assert analyze("РНОКПП 3012345678, паспорт АА123456") == [
        "рнокпп",
        "3012345678",
        "паспорт",
        "аа123456",
    ]
    assert analyze("UA213223130000026007233566001 10:30 +380501234567") == [
        "ua213223130000026007233566001",
        "10:30",
        "10",
        "30",
        "380501234567",
    ]


def test_hyphenated_words_give_whole_then_parts() -> None:
    tokens = tokenize("будь-який Івано-Франківська")
    text = "будь-який Івано-Франківська"
    assert [(text[t.start : t.end], t.part) for t in tokens] == [
        ("будь-який", False),
        ("будь", True),
        ("який", True),
        ("Івано-Франківська", False),
        ("Івано", True),
        ("Франківська", True),
    ]
    assert tokens[0].term == "будь-який"


def test_punctuation_between_letters_splits_words() -> None:
    assert analyze("році.Наступний заява,паспорт") == ["рік", "наступний", "заява", "паспорт"]
    assert analyze("'заява' (паспорт) «довідка»") == ["заява", "паспорт", "довідка"]


def test_latin_words_and_homoglyphs() -> None:
    assert analyze("Diia e-mail") == ["diia", "e-mail", "e", "mail"]
    # OCR put Latin "a", "c" into a Cyrillic word.
    assert analyze("пacпорт") == analyze("паспорт")


def test_words_unknown_to_the_dictionary_are_still_lemmatised() -> None:
    unknown = analyze("коворкінгу коворкінгом")
    assert unknown[0] == unknown[1]
    assert analyze("Шевчуківського") and analyze("ЦНАПу") == analyze("ЦНАП")


def test_overlong_tokens_are_dropped() -> None:
    junk = "ж" * (MAX_TERM_CHARS + 1)
    assert analyze(f"заява {junk} паспорт") == ["заява", "паспорт"]


def test_fresh_analyzer_gives_identical_terms(analyzer: UkrainianAnalyzer) -> None:
    text = "Рішення виконавчого комітету міської ради від 12.03.2026 № 45/2 щодо сім’ї"
    assert analyzer.analyze(text) == analyze(text)
    analyzer.clear_caches()
    assert analyzer.analyze(text) == analyze(text)


TEXT = st.text(
    alphabet=st.sampled_from(
        list("абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВІЇЄҐabcXYZ0123456789")
        + list(" \n\t-'’ʼ./:,_\\«»()№—\u00ad")
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_tokens_agree_with_analyze_and_offsets(text: str) -> None:
    # The snippet builder relies on this: re-analysing a token's own text
    # gives its term, and tokenize/analyze agree on the sequence.
    normalised = normalize(text)
    tokens = tokenize(normalised)
    assert [t.term for t in tokens] == analyze(text)
    for token in tokens:
        surface = normalised[token.start : token.end]
        assert surface and default_analyzer().term(surface) == token.term
        assert token.term and " " not in token.term


def test_version_names_the_dictionary(analyzer: UkrainianAnalyzer) -> None:
    assert analyzer.version.startswith("uk-") and "pymorphy3-" in analyzer.version


# The terms and expansions of these, read with each DAWG reader, must agree.
_READERS_SCRIPT = """
import json, sys
if sys.argv[1] == "python":
    sys.modules["dawg"] = None  # pymorphy3 falls back to its pure-Python reader
import pymorphy3.dawg
from search.morphology import UkrainianAnalyzer
an = UkrainianAnalyzer()
text = sys.stdin.read()
out = {"reader": pymorphy3.dawg.DAWG.__module__, "tokens": [], "expansions": []}
for t in an.tokenize(text):
    out["tokens"].append([t.term, t.start, t.end])
for word in text.split():
    e = an.expand(word.strip(".,:;()«»"))
    out["expansions"].append([sorted(e.terms), sorted(e.forms)])
print(json.dumps(out, ensure_ascii=False))
"""

_READERS_TEXT = (
    "Заява про надання довідки про склад сім'ї та реєстрацію місця проживання. "
    "Рішення виконавчого комітету міської ради від 12.03.2026 № 45/2. Громадянин "
    "Шевченко Тарас Григорович просить видати паспорт громадянина України для виїзду "
    "за кордон; додано копії документів, квитанцію про сплату адміністративного збору, "
    "довіреність представника, свідоцтво про народження дитини. Річні звіти, роки, "
    "рік, ріки, людина, людей, послуга, послуг, послугами, Івано-Франківськ, ЦНАП."
)


def test_compiled_dawg_reader_is_used_and_agrees_with_the_python_one() -> None:
    """pymorphy3[fast] reads the dictionary with DAWG2's C extension, ~2.5x faster on
    words not seen before (every new query word, every new word of an ingest); the
    index's terms must not depend on which reader made them."""
    from tests.fresh_process import run_json

    compiled = run_json(_READERS_SCRIPT, "compiled", stdin=_READERS_TEXT)
    python = run_json(_READERS_SCRIPT, "python", stdin=_READERS_TEXT)
    assert compiled["reader"] == "dawg"
    assert python["reader"] == "dawg_python.dawgs"
    assert compiled["tokens"] and compiled["expansions"]
    assert compiled["tokens"] == python["tokens"]
    assert compiled["expansions"] == python["expansions"]
