"""Parsing the user's query text."""

from __future__ import annotations

from search.morphology import analyze
from search.query import MAX_CLAUSES, parse_query


def texts(words: object) -> list[str]:
    return [w.text for w in words]  # type: ignore[attr-defined]


def test_words_and_phrases() -> None:
    parsed = parse_query('паспорт "адміністративна послуга" заява')
    assert texts(parsed.words) == ["паспорт", "заява"]
    assert [texts(p) for p in parsed.phrases] == [["адміністративна", "послуга"]]
    assert analyze("адміністративних")[0] in parsed.phrases[0][0].terms


def test_typographic_quotes_make_phrases() -> None:
    for text in ("«державна реєстрація»", "„державна реєстрація“", "“державна реєстрація”"):
        parsed = parse_query(text)
        assert parsed.words == () and [texts(p) for p in parsed.phrases] == [
            ["державна", "реєстрація"]
        ]


def test_unbalanced_quote_leaves_plain_words() -> None:
    parsed = parse_query('"державна реєстрація" "шлюбу народження')
    assert [texts(p) for p in parsed.phrases] == [["державна", "реєстрація"]]
    assert texts(parsed.words) == ["шлюбу", "народження"]


def test_single_word_phrase_is_a_word() -> None:
    parsed = parse_query('"заява"')
    assert texts(parsed.words) == ["заява"] and parsed.phrases == ()


def test_operators_are_plain_text() -> None:
    parsed = parse_query("title:заява AND (паспорт OR довідка*)")
    assert texts(parsed.words) == ["title", "заява", "AND", "паспорт", "OR", "довідка"]


def test_identifier_parts_are_not_separate_words_outside_phrases() -> None:
    parsed = parse_query("2026/00123")
    assert texts(parsed.words) == ["2026/00123"]
    phrase = parse_query('"справа 2026/00123"').phrases[0]
    assert [(w.text, w.part) for w in phrase] == [
        ("справа", False),
        ("2026/00123", False),
        ("2026", True),
        ("00123", True),
    ]


def test_duplicate_words_collapse() -> None:
    assert texts(parse_query("заява Заява ЗАЯВА заяву").words) == ["заява"]


def test_empty_and_symbol_only_queries() -> None:
    for text in ("", "   ", '"', ":()*", "«»", "-+-"):
        assert parse_query(text).is_empty


def test_clause_budget() -> None:
    many = " ".join(f"слово{i}" for i in range(100))
    assert len(parse_query(many).words) == MAX_CLAUSES
