"""The retention clock: calendar arithmetic with month ends and leap days.

A retention period counts from 1 January of the year after the file was
closed (a three-year file closed in 2024 may be destroyed from 1 January
2028); the uncollected-result clock starts on the day the result was ready.
Months and years are calendar ones: 31 January plus one month is the last day
of February, 29 February plus one year is 28 February.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

FINITE = ("years", "months")


@dataclass(frozen=True, slots=True)
class Period:
    """A retention period: ``years``/``months`` with an amount, ``dzn`` or ``permanent``."""

    kind: str
    amount: int = 0

    @property
    def finite(self) -> bool:
        return self.kind in FINITE

    def label(self) -> str:
        """The period as printed in plans and acts."""
        if self.kind == "years":
            return f"{self.amount} р."
        if self.kind == "months":
            return f"{self.amount} міс."
        if self.kind == "dzn":
            return "ДЗН"
        return "постійно"

    def code(self) -> str:
        return f"{self.amount}{self.kind[0]}" if self.finite else self.kind


def add(start: dt.date, period: Period) -> dt.date:
    """``start`` plus a finite period, in calendar months and years."""
    if period.kind == "years":
        out: dt.date = start + relativedelta(years=period.amount)
        return out
    if period.kind == "months":
        out = start + relativedelta(months=period.amount)
        return out
    raise ValueError(f"period {period.kind!r} has no end")


def after_closing(closed: dt.date) -> dt.date:
    """Where a file's retention period starts: 1 January of the year after it was closed."""
    return dt.date(closed.year + 1, 1, 1)


def act_cutoff(act_date: dt.date) -> dt.date:
    """An act may include only files whose period ended before 1 January of its year."""
    return dt.date(act_date.year, 1, 1)


def may_destroy(due: dt.date, act_date: dt.date) -> bool:
    """Whether a file due on ``due`` (its period's first day after the end) fits the act."""
    return due <= act_cutoff(act_date)


def local_date(at: dt.datetime, timezone: str) -> dt.date:
    """The centre's calendar date of a moment (clocks start on local days)."""
    return at.astimezone(ZoneInfo(timezone)).date()
