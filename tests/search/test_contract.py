"""Behaviour every SearchIndex backend must have (parametrised in conftest)."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.base import SearchIndex, SearchQuery, SearchResult
from tests.search.conftest import make_doc

KYIV_WINTER = timezone(timedelta(hours=2))


def run(index: SearchIndex, text: str, **kwargs: Any) -> SearchResult:
    return index.search(SearchQuery(text, **kwargs))


def ids(index: SearchIndex, text: str, **kwargs: Any) -> list[str]:
    kwargs.setdefault("limit", 100)
    return [hit.document_id for hit in run(index, text, **kwargs).hits]


def marked(snippet: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", snippet)


# -- words, inflection, phrases ----------------------------------------------------


def test_inflected_query_finds_other_inflections(index: SearchIndex) -> None:
    index.upsert(
        [
            make_doc("plural", "Перелік адміністративних послуг, що надаються центром."),
            make_doc("dative", "Плата за надання адміністративній послузі не стягується."),
            make_doc("other", "Довідка про склад сім'ї."),
        ]
    )
    assert sorted(ids(index, "адміністративна послуга")) == ["dative", "plural"]
    assert sorted(ids(index, "Адміністративних ПОСЛУГ")) == ["dative", "plural"]


@pytest.mark.parametrize("query", ["рік", "року", "році", "роки"])
def test_ambiguous_common_word_matches_all_its_forms(index: SearchIndex, query: str) -> None:
    # pymorphy3's first parse maps these to three lemmas (ріка, рок, рік).
    index.upsert(
        [
            make_doc("a", "Заява від 12 березня 2026 року."),
            make_doc("b", "У 2025 році послугу надано."),
            make_doc("c", "Строк зберігання — один рік."),
        ]
    )
    assert sorted(ids(index, query)) == ["a", "b", "c"]


def test_dictionary_form_query_skips_homonyms_of_other_words(index: SearchIndex) -> None:
    index.upsert([make_doc("year", "Протягом року."), make_doc("river", "Береги ріки.")])
    assert ids(index, "рік") == ["year"]
    assert ids(index, "ріка") == ["river"]


@pytest.mark.parametrize("query", ["людина", "люди", "людей"])
def test_noun_with_misleading_first_parse(index: SearchIndex, query: str) -> None:
    index.upsert(
        [make_doc("a", "Кожна людина має право на звернення."), make_doc("b", "Прийом людей.")]
    )
    assert sorted(ids(index, query)) == ["a", "b"]


@pytest.mark.parametrize("variant", ["'", "\u2019", "\u02bc", "`", "\u2018"])
def test_apostrophe_variants_are_one_letter(index: SearchIndex, variant: str) -> None:
    index.upsert(
        [
            make_doc("ascii", "Склад сім'ї заявника"),
            make_doc("right-quote", "Склад сім\u2019ї заявника"),
            make_doc("modifier", "Склад сім\u02bcї заявника"),
        ]
    )
    assert sorted(ids(index, f"сім{variant}я")) == ["ascii", "modifier", "right-quote"]


def test_all_words_are_required(index: SearchIndex) -> None:
    index.upsert(
        [
            make_doc("both", "Видача паспорта громадянина України."),
            make_doc("one", "Видача довідки."),
        ]
    )
    assert ids(index, "видача паспорт") == ["both"]
    assert ids(index, "паспорт видача відсутнє-слово") == []


def test_phrase_needs_adjacent_words_in_order(index: SearchIndex) -> None:
    index.upsert(
        [
            make_doc("phrase", "Надання адміністративних послуг у центрі."),
            make_doc("reversed", "Послуги адміністративні надаються у центрі."),
            make_doc("apart", "Адміністративний збір за послуги сплачено."),
        ]
    )
    assert sorted(ids(index, "адміністративна послуга")) == ["apart", "phrase", "reversed"]
    assert ids(index, '"адміністративна послуга"') == ["phrase"]
    assert ids(index, "«адміністративної послуги»") == ["phrase"]
    assert ids(index, '"послуги адміністративні"') == ["reversed"]


def test_phrase_combines_with_words(index: SearchIndex) -> None:
    index.upsert(
        [
            make_doc("a", "Державна реєстрація шлюбу. Видача свідоцтва."),
            make_doc("b", "Державна реєстрація народження. Видача свідоцтва."),
        ]
    )
    assert ids(index, 'шлюб "державна реєстрація"') == ["a"]
    assert sorted(ids(index, '"державна реєстрація" "видача свідоцтва"')) == ["a", "b"]


def test_phrase_does_not_span_pages(index: SearchIndex) -> None:
    index.upsert([make_doc("a", "Заява про надання адміністративної", "послуги з реєстрації")])
    assert ids(index, "адміністративна послуга") == ["a"]
    assert ids(index, '"адміністративна послуга"') == []


def test_identifiers_and_numbers_are_tokens(index: SearchIndex) -> None:
    index.upsert(
        [
            make_doc("case", "Справа № 2026/00123 від 12.03.2026, РНОКПП 3012345678."),
            make_doc("other", "Справа № 2026/00999 від 13.03.2026."),
        ]
    )
    assert ids(index, "2026/00123") == ["case"]
    assert ids(index, "12.03.2026") == ["case"]
    assert ids(index, "3012345678") == ["case"]
    assert ids(index, "00123") == ["case"]  # a part of the case number
    assert sorted(ids(index, "2026")) == ["case", "other"]


def test_hyphenated_words(index: SearchIndex) -> None:
    index.upsert(
        [
            make_doc("city", "Зареєстровано в місті Івано-Франківську."),
            make_doc("region", "Північно-західний район."),
        ]
    )
    assert ids(index, "Івано-Франківськ") == ["city"]
    assert ids(index, "Франківськ") == ["city"]
    assert ids(index, "північно-західного") == ["region"]
    assert ids(index, "західний") == ["region"]


def test_title_is_searchable(index: SearchIndex) -> None:
    index.upsert(
        [
            make_doc("titled", "Текст без цього слова.", title="Свідоцтво про право власності"),
            make_doc("plain", "Інший текст."),
        ]
    )
    result = run(index, "свідоцтва")
    assert [hit.document_id for hit in result.hits] == ["titled"]
    assert marked(result.hits[0].snippet) == ["Свідоцтво"]
    assert result.hits[0].page is None  # the snippet comes from the title


# -- ranking ---------------------------------------------------------------------


def test_bm25_ranks_frequent_term_in_short_text_first(index: SearchIndex) -> None:
    filler = " ".join(["Інформація щодо порядку обслуговування відвідувачів."] * 30)
    index.upsert(
        [
            make_doc("long-once", filler + " Субсидія."),
            make_doc("short-many", "Субсидія. Призначення субсидії. Розмір субсидії."),
            make_doc("short-once", "Субсидія на оплату житлово-комунальних послуг."),
        ]
    )
    assert ids(index, "субсидія") == ["short-many", "short-once", "long-once"]
    scores = [hit.score for hit in run(index, "субсидія").hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1] > 0


def test_rare_word_weighs_more_than_common_word(index: SearchIndex) -> None:
    docs = [make_doc(f"common-{i}", "Заява подана. Заява прийнята.") for i in range(8)]
    docs.append(make_doc("rare", "Заява про апостиль."))
    docs.append(make_doc("rare-only", "Апостиль проставлено. Апостиль на документі."))
    index.upsert(docs)
    # Both query words are required; among docs having both, ranking is by BM25.
    assert ids(index, "заява апостиль") == ["rare"]
    assert ids(index, "апостиль")[0] == "rare-only"


# -- filters and access scope --------------------------------------------------------


@pytest.fixture
def filtered(index: SearchIndex) -> SearchIndex:
    index.upsert(
        [
            make_doc(
                "in-scan",
                "Довідка про доходи",
                case="2026/00001",
                package="input",
                source="scanner",
                centre="lviv",
                department="social",
                archived_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
            ),
            make_doc(
                "out-share",
                "Довідка про доходи видана",
                case="2026/00001",
                package="output",
                source="sharing",
                centre="lviv",
                department="registry",
                archived_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
            ),
            make_doc(
                "other-case",
                "Довідка про доходи",
                case="2026/00002",
                package=None,
                source="upload",
                centre="stryi",
                department="social",
                archived_at=datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
            ),
            make_doc(
                "no-centre",
                "Довідка про доходи",
                case=None,
                package="input",
                source="scanner",
                centre=None,
                department=None,
                archived_at=datetime(2026, 4, 2, 9, 0, tzinfo=UTC),
            ),
        ]
    )
    return index


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ["in-scan", "no-centre", "other-case", "out-share"]),
        ({"case": "2026/00001"}, ["in-scan", "out-share"]),
        ({"case": "2026/0000"}, []),  # exact value, not a prefix
        ({"package": "output"}, ["out-share"]),
        ({"package": "input"}, ["in-scan", "no-centre"]),
        ({"source": "upload"}, ["other-case"]),
        ({"case": "2026/00001", "source": "scanner"}, ["in-scan"]),
        ({"date_from": date(2026, 3, 10)}, ["no-centre", "other-case", "out-share"]),
        ({"date_to": date(2026, 3, 10)}, ["in-scan", "out-share"]),
        ({"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 1)}, ["in-scan"]),
        ({"date_from": date(2026, 3, 2), "date_to": date(2026, 3, 9)}, []),
        ({"date_from": date(2026, 4, 1), "date_to": date(2026, 3, 1)}, []),
    ],
)
def test_filters(filtered: SearchIndex, kwargs: dict[str, Any], expected: list[str]) -> None:
    assert sorted(ids(filtered, "довідка доходи", **kwargs)) == expected
    assert run(filtered, "довідка", **kwargs).total == len(expected)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"centres": None}, ["in-scan", "no-centre", "other-case", "out-share"]),
        ({"centres": []}, []),
        ({"departments": []}, []),
        ({"document_ids": []}, []),
        ({"centres": ["lviv"]}, ["in-scan", "out-share"]),
        ({"centres": ["lviv", "stryi"]}, ["in-scan", "other-case", "out-share"]),
        ({"departments": ["social"]}, ["in-scan", "other-case"]),
        ({"centres": ["lviv"], "departments": ["social"]}, ["in-scan"]),
        ({"document_ids": ["no-centre", "out-share", "missing"]}, ["no-centre", "out-share"]),
        ({"document_ids": ["no-centre"], "centres": ["lviv"]}, []),
        ({"centres": ["nowhere"]}, []),
    ],
)
def test_access_scope(filtered: SearchIndex, kwargs: dict[str, Any], expected: list[str]) -> None:
    assert sorted(ids(filtered, "довідка", **kwargs)) == expected
    assert sorted(ids(filtered, "", **kwargs)) == expected  # listing obeys the scope too


@pytest.fixture
def typed(index: SearchIndex) -> SearchIndex:
    index.upsert(
        [
            make_doc(
                "app",
                "Заява про надання послуги",
                doc_type="application",
                doc_type_group="application",
                doc_date=date(2026, 3, 1),
            ),
            make_doc(
                "idp",
                "Довідка ВПО",
                doc_type="certificate_idp",
                doc_type_group="certificate",
                doc_date=date(2026, 3, 10),
            ),
            make_doc(
                "income",
                "Довідка про доходи",
                doc_type="certificate_income",
                doc_type_group="certificate",
                doc_date=date(2025, 12, 31),
            ),
            make_doc(
                "undated", "Довідка", doc_type="certificate_other", doc_type_group="certificate"
            ),
            make_doc("untyped", "Довідка і заява", doc_date=date(2026, 3, 1)),
        ]
    )
    return index


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ["app", "idp", "income", "undated", "untyped"]),
        ({"doc_types": ["application"]}, ["app"]),
        ({"doc_types": ["certificate_idp", "certificate_income"]}, ["idp", "income"]),
        ({"doc_types": []}, []),
        ({"doc_types": ["nothing"]}, []),
        ({"doc_date_from": date(2026, 3, 1)}, ["app", "idp", "untyped"]),
        ({"doc_date_to": date(2026, 3, 1)}, ["app", "income", "untyped"]),
        ({"doc_date_from": date(2026, 3, 1), "doc_date_to": date(2026, 3, 1)}, ["app", "untyped"]),
        ({"doc_date_from": date(2026, 3, 2), "doc_date_to": date(2026, 3, 9)}, []),
        ({"doc_date_from": date(2026, 4, 1), "doc_date_to": date(2026, 3, 1)}, []),
        (
            {"doc_types": ["application", "certificate_idp"], "doc_date_to": date(2026, 3, 5)},
            ["app"],
        ),
    ],
)
def test_document_type_and_date_filters(
    typed: SearchIndex, kwargs: dict[str, Any], expected: list[str]
) -> None:
    assert sorted(ids(typed, "", **kwargs)) == expected  # listing
    words = [d for d in expected if d != "app"]
    assert sorted(ids(typed, "довідка", **kwargs)) == words  # and with words
    assert run(typed, "", **kwargs).total == len(expected)


def test_date_filter_uses_kyiv_calendar_days(index: SearchIndex) -> None:
    # 23:30 in Kyiv on 5 March is 21:30 UTC; 00:30 in Kyiv on 6 March is 22:30 UTC on 5 March.
    index.upsert(
        [
            make_doc("late", "Заява", archived_at=datetime(2026, 3, 5, 23, 30, tzinfo=KYIV_WINTER)),
            make_doc("early", "Заява", archived_at=datetime(2026, 3, 6, 0, 30, tzinfo=KYIV_WINTER)),
        ]
    )
    day = date(2026, 3, 5)
    assert ids(index, "заява", date_from=day, date_to=day) == ["late"]
    assert ids(index, "заява", date_from=day + timedelta(days=1)) == ["early"]


# -- snippets ----------------------------------------------------------------------


def test_snippet_marks_inflected_words_and_gives_page(index: SearchIndex) -> None:
    index.upsert(
        [
            make_doc(
                "a",
                "Титульна сторінка справи.",
                "Опис вхідного пакета документів.",
                "Перелік адміністративних послуг, які надає відділ реєстрації.",
            )
        ]
    )
    hit = run(index, "адміністративна послуга").hits[0]
    assert hit.page == 3
    assert marked(hit.snippet) == ["адміністративних", "послуг"]
    assert "<mark>адміністративних</mark> <mark>послуг</mark>" in hit.snippet


def test_snippet_is_short_passage_around_the_match(index: SearchIndex) -> None:
    before = "Перший абзац містить загальні відомості про центр. " * 20
    after = " Останній абзац містить контактні дані працівників. " * 20
    index.upsert([make_doc("a", before + "Рішення про відмову у реєстрації." + after)])
    snippet = run(index, "відмова").hits[0].snippet
    assert marked(snippet) == ["відмову"]
    assert snippet.startswith("…") and snippet.endswith("…")
    plain = snippet.replace("<mark>", "").replace("</mark>", "")
    assert 120 <= len(plain) <= 260


def test_snippet_prefers_window_with_all_words(index: SearchIndex) -> None:
    page = (
        "Довідка видана на вимогу. "
        + "Текст без потрібних слів про порядок роботи центру. " * 10
        + "Довідка про склад сім'ї видана заявнику."
    )
    index.upsert([make_doc("a", page)])
    snippet = run(index, "довідка сім'я").hits[0].snippet
    assert marked(snippet) == ["Довідка", "сім'ї"]


def test_snippet_escapes_html(index: SearchIndex) -> None:
    index.upsert([make_doc("a", 'Заява <script>alert("x")</script> & підпис')])
    snippet = run(index, "заява підпис").hits[0].snippet
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet and "&amp;" in snippet and "&quot;x&quot;" in snippet
    assert marked(snippet) == ["Заява", "підпис"]


def test_snippet_highlights_phrase_occurrence(index: SearchIndex) -> None:
    page = (
        "Державна установа. "
        + "Відомості про порядок прийому громадян у центрі надання послуг. " * 6
        + "Проведено державну реєстрацію шлюбу."
    )
    index.upsert([make_doc("a", page)])
    snippet = run(index, '"державна реєстрація"').hits[0].snippet
    assert "<mark>державну</mark> <mark>реєстрацію</mark>" in snippet


# -- writes ----------------------------------------------------------------------


def test_upsert_replaces_by_document_id(index: SearchIndex) -> None:
    index.upsert([make_doc("a", "Стара версія тексту про пенсію.")])
    index.upsert([make_doc("a", "Нова версія тексту про субсидію.", case="2026/00077")])
    assert index.count() == 1
    assert ids(index, "пенсія") == []
    hits = run(index, "субсидія").hits
    assert [(h.document_id, h.case) for h in hits] == [("a", "2026/00077")]


def test_upsert_same_id_twice_in_one_batch_keeps_last(index: SearchIndex) -> None:
    index.upsert([make_doc("a", "перша пенсія"), make_doc("a", "друга субсидія")])
    assert index.count() == 1
    assert ids(index, "субсидія") == ["a"] and ids(index, "пенсія") == []


def test_upsert_accepts_a_generator(index: SearchIndex) -> None:
    index.upsert(make_doc(f"d{i}", f"Сторінка номер {i}") for i in range(50))
    assert index.count() == 50
    assert ids(index, "37") == ["d37"]


def test_delete_and_clear(index: SearchIndex) -> None:
    index.upsert([make_doc("a", "Заява"), make_doc("b", "Заява"), make_doc("c", "Заява")])
    index.delete(["b", "unknown"])
    assert index.count() == 2
    assert sorted(ids(index, "заява")) == ["a", "c"]
    index.clear()
    assert index.count() == 0
    assert run(index, "заява").total == 0
    index.upsert([make_doc("d", "Заява")])
    assert ids(index, "заява") == ["d"]


def test_rebuild_replaces_the_whole_content(index: SearchIndex) -> None:
    index.upsert([make_doc("old", "Заява стара"), make_doc("kept", "Заява перша версія")])
    docs = (make_doc(i, f"Заява нова {n}") for n, i in enumerate(["kept", "new1", "new2"]))
    assert index.rebuild(docs) == 3
    assert index.count() == 3
    assert sorted(ids(index, "заява")) == ["kept", "new1", "new2"]
    assert ids(index, "стара") == [] and ids(index, "версія") == []
    # The index stays writable after a rebuild.
    index.upsert([make_doc("later", "Заява пізня")])
    index.delete(["new2"])
    assert sorted(ids(index, "заява")) == ["kept", "later", "new1"]


def test_rebuild_from_nothing_empties_the_index(index: SearchIndex) -> None:
    index.upsert([make_doc("a", "Заява")])
    assert index.rebuild(iter([])) == 0
    assert index.count() == 0


def test_failed_rebuild_keeps_the_old_content(index: SearchIndex) -> None:
    index.upsert([make_doc("a", "Заява про довідку"), make_doc("b", "Заява про виплату")])

    def broken() -> Any:
        yield make_doc("x", "Заява з перебудови")
        raise RuntimeError("the database went away mid-rebuild")

    with pytest.raises(RuntimeError, match="mid-rebuild"):
        index.rebuild(broken())
    assert index.count() == 2
    assert sorted(ids(index, "заява")) == ["a", "b"]
    index.upsert([make_doc("c", "Заява")])  # still writable
    assert index.count() == 3


def test_drop_removes_everything_and_is_repeatable(make_index: Any) -> None:
    index: SearchIndex = make_index()
    index.upsert([make_doc("a", "Заява")])
    index.drop()
    index.drop()  # dropping what is gone is harmless (decommissioning retried)


def test_hit_fields(index: SearchIndex) -> None:
    index.upsert([make_doc("a", "Заява", case=None), make_doc("b", "Заява", case="2026/5")])
    hits = {h.document_id: h for h in run(index, "заява").hits}
    assert hits["a"].case is None and hits["b"].case == "2026/5"
    assert all(h.page == 1 and marked(h.snippet) == ["Заява"] for h in hits.values())


# -- paging, empty and hostile queries ---------------------------------------------


def test_total_counts_all_matches_and_paging(index: SearchIndex) -> None:
    index.upsert(make_doc(f"d{i:02}", "Заява " * (i + 1)) for i in range(25))
    first = run(index, "заява", limit=10)
    assert first.total == 25 and len(first.hits) == 10
    pages = [ids(index, "заява", limit=10, offset=o) for o in (0, 10, 20)]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert len({d for p in pages for d in p}) == 25
    none = run(index, "заява", limit=0)
    assert none.total == 25 and none.hits == []
    assert run(index, "заява", offset=100).hits == []


@pytest.mark.parametrize("text", ["", "   ", '"', '""', ":()*", "-", "«»"])
def test_query_without_words_lists_filtered_documents_newest_first(
    index: SearchIndex, text: str
) -> None:
    index.upsert(
        [
            make_doc("old", "Перша сторінка", archived_at=datetime(2025, 1, 1, tzinfo=UTC)),
            make_doc("new", "Нова сторінка", archived_at=datetime(2026, 1, 1, tzinfo=UTC)),
            make_doc(
                "other", "Інша", archived_at=datetime(2026, 2, 1, tzinfo=UTC), source="upload"
            ),
        ]
    )
    result = run(index, text, source="scanner")
    assert result.total == 2
    assert [h.document_id for h in result.hits] == ["new", "old"]
    assert result.hits[0].snippet == "Нова сторінка" and result.hits[0].page == 1
    assert all(h.score == 0.0 for h in result.hits)


HOSTILE = [
    '"незакрита фраза',
    'фраза" з "двома" лапками"',
    "field:value AND (x OR y) NOT z*",
    "заява~2 ^3 [1 TO 5] {a TO b}",
    "\\ / \\\\ || && ! ? + - = < > ~ ^",
    "'' ' ` ’ ʼ",
    "SELECT * FROM documents; DROP TABLE --",
    "<script>alert(1)</script>",
    "😀 🇺🇦 \u0000 \u200b \ufeff",
    "а" * 5000,
    "заява " * 500,
    '"' + "заява " * 100 + '"',
    "2026/00123/",
    ".*",
    "(?:x)+",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_never_raise(index: SearchIndex, text: str) -> None:
    index.upsert([make_doc("a", "Заява про реєстрацію, справа 2026/00123.")])
    result = run(index, text)
    assert result.total >= 0
    for hit in result.hits:
        assert "<script>" not in hit.snippet


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    text=st.text(
        alphabet=st.sampled_from(
            list(string.printable) + list("абвгґдеєжзиіїйклмнопрстуфхцчшщьюяІЇЄҐ'’ʼ«»“”„№—–…")
        ),
        max_size=60,
    )
)
def test_random_queries_never_raise(index: SearchIndex, text: str) -> None:
    if index.count() == 0:
        index.upsert([make_doc("a", "Заява про реєстрацію сім'ї, справа 2026/00123.")])
    result = run(index, text)
    assert result.total in (0, 1)
