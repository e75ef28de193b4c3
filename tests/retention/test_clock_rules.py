"""The clock and the rules file: calendar arithmetic and validation with lines."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.clock import Period, add, after_closing, may_destroy
from retention.rules import RulesError, example, parse


def test_calendar_months_and_leap_days() -> None:
    assert add(dt.date(2025, 12, 31), Period("months", 2)) == dt.date(2026, 2, 28)
    assert add(dt.date(2027, 12, 31), Period("months", 2)) == dt.date(2028, 2, 29)
    assert add(dt.date(2028, 2, 29), Period("years", 1)) == dt.date(2029, 2, 28)
    assert add(dt.date(2026, 1, 31), Period("months", 3)) == dt.date(2026, 4, 30)


def test_period_counts_from_january_after_closing() -> None:
    start = after_closing(dt.date(2024, 3, 5))
    assert start == dt.date(2025, 1, 1)
    due = add(start, Period("years", 3))
    assert due == dt.date(2028, 1, 1)
    assert may_destroy(due, dt.date(2028, 1, 1))
    assert not may_destroy(dt.date(2028, 1, 2), dt.date(2028, 12, 31))


def test_example_is_marked_and_valid() -> None:
    rs = example()
    assert rs.example and rs.rule("uncollected-archive") is not None
    assert "ПРИКЛАД" in rs.text


def test_bad_file_refused_with_lines_and_reasons() -> None:
    text = (
        "year: 2027\n"
        "nomenclature:\n"
        "  - index: '01-01'\n"
        "    title: Справи\n"
        "    period: {years: три}\n"
        "    article: ст. 1\n"
        "rules:\n"
        "  - id: x\n"
        "    action: destroy\n"
        "    clock: closed\n"
        "    nomenclature: '09-09'\n"
    )
    with pytest.raises(RulesError) as exc:
        parse(text)
    lines = {p.line: p.message for p in exc.value.problems}
    assert 5 in lines and "ціле число" in lines[5]
    assert 9 in lines and "destroy" in lines[9]
    assert 11 in lines and "09-09" in lines[11]
