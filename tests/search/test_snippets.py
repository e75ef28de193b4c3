"""Snippet building on stored page text (backend independent)."""

from __future__ import annotations

import re
import time

from search.morphology import normalize
from search.query import parse_query
from search.snippets import SnippetBuilder, make_snippet


def marked(snippet: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", snippet)


def test_marks_every_matched_form_in_the_window() -> None:
    page = normalize("Заява про надання послуги. Послугу надано, послуг більше не потрібно.")
    snippet, page_no = make_snippet(parse_query("послуга"), [page])
    assert page_no == 1
    assert marked(snippet) == ["послуги", "Послугу", "послуг"]


def test_does_not_mark_inside_words_or_unrelated_words() -> None:
    page = normalize("Сім'я. Я заявник. Ярослав.")
    snippet, _ = make_snippet(parse_query("я"), [page])
    assert marked(snippet) == ["Я"]


def test_best_page_is_chosen() -> None:
    pages = ["Загальні відомості.", "Довідка видана.", "Довідка про доходи видана заявнику."]
    snippet, page_no = make_snippet(parse_query("довідка доходи"), pages)
    assert page_no == 3 and marked(snippet) == ["Довідка", "доходи"]


def test_phrase_occurrence_beats_scattered_words() -> None:
    filler = "Інформація про роботу центру та графік прийому відвідувачів. " * 5
    page = "Реєстрація. " + filler + "Державна установа. " + filler + "Державна реєстрація шлюбу."
    snippet, _ = make_snippet(parse_query('"державна реєстрація"'), [page])
    assert "<mark>Державна</mark> <mark>реєстрація</mark> шлюбу" in snippet


def test_words_found_only_by_full_analysis() -> None:
    # "пacпорт" has Latin letters (OCR): no surface form matches it, the slow
    # path analyses every token and still highlights it.
    snippet, page_no = make_snippet(parse_query("паспорт"), ["Копія пacпорт громадянина"])
    assert page_no == 1 and marked(snippet) == ["пacпорт"]


def test_title_fallback_and_preview() -> None:
    query = parse_query("свідоцтво")
    assert make_snippet(query, ["Інший текст"], title="Свідоцтво про шлюб") == (
        "<mark>Свідоцтво</mark> про шлюб",
        None,
    )
    assert make_snippet(query, ["", "Інший текст"]) == ("Інший текст", 2)
    assert make_snippet(query, []) == ("", None)


def test_preview_is_truncated_at_a_word() -> None:
    page = "слово " * 100
    snippet, page_no = SnippetBuilder(parse_query("")).preview([page.strip()])
    assert page_no == 1 and snippet.endswith("слово…") and len(snippet) <= 201


def test_identifier_highlight() -> None:
    snippet, _ = make_snippet(
        parse_query("2026/00123"), ["Справа № 2026/00123, копія 2026/001234."]
    )
    assert marked(snippet) == ["2026/00123"]


def test_many_hits_on_a_page_stay_cheap() -> None:
    page = normalize("і заява і послуга " * 3000)
    started = time.perf_counter()
    snippet, page_no = make_snippet(parse_query("і заява"), [page] * 5)
    assert time.perf_counter() - started < 0.5
    assert page_no == 1 and marked(snippet)[:2] == ["і", "заява"]
