"""The registration journal (журнал реєстрації): case numbers that are never reused.

Each journal is one counter row per (centre, year, series): the series is
``""`` for the centre's main journal and a workplace's short code for the
blocks reserved in advance for that workplace's offline station. Taking a
number is one atomic statement on the counter row — ``UPDATE … SET last_seq =
last_seq + n RETURNING last_seq`` (SQLite ≥ 3.35 and PostgreSQL), or
``SELECT … FOR UPDATE`` and an update where RETURNING is missing — so desks
registering at the same moment queue on that row and never get the same
number. The counter only goes up, and it is advanced in the same transaction
that records the case: a failed registration rolls both back, so there are no
gaps and no reuse.

A reserved block is a range of its workplace series taken in one step;
numbers from it are formatted with the workplace code (``2026/ВРМ3-0001``),
so they cannot collide with the main journal whatever the station does
offline.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Index, Integer, String, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.models import Base, Case, UTCDateTime, utcnow

MAIN = ""
# Workplace codes become part of case numbers and of cover-sheet QR codes.
CODE_RE = re.compile(r"^[0-9A-Za-zА-ЩЬЮЯҐЄІЇа-щьюяґєії][0-9A-Za-zА-ЩЬЮЯҐЄІЇа-щьюяґєії.\-]{0,15}$")
# Numbers the main journal skips at most when they were taken by hand (``ingest --case``).
_MAX_SKIPS = 10_000


class JournalCounter(Base):
    """The last sequence number taken in one journal (centre, year, series)."""

    __tablename__ = "journal_counters"

    centre: Mapped[str] = mapped_column(String(200), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(32), primary_key=True, default=MAIN)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


class JournalBlock(Base):
    """A range of a workplace series reserved for a station to number cases offline."""

    __tablename__ = "journal_blocks"
    __table_args__ = (Index("ix_journal_blocks_series", "centre", "year", "series"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    series: Mapped[str] = mapped_column(String(32))
    workplace: Mapped[str | None] = mapped_column(String(200))
    first_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    # The format in force when the block was reserved: its numbers never change.
    number_format: Mapped[str] = mapped_column(String(100))
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reserved_by: Mapped[str | None] = mapped_column(String(200))

    def number(self, seq: int) -> str:
        """The case number of ``seq`` in this block."""
        if not self.first_seq <= seq <= self.last_seq:
            raise OutOfBlock(f"номер {seq} поза резервом {self.first_seq}–{self.last_seq}")
        return format_number(
            self.number_format, year=self.year, seq=seq, centre=self.centre, workplace=self.series
        )


class JournalError(Exception):
    """The journal cannot give a number (message in Ukrainian)."""


class OutOfBlock(JournalError):
    """A sequence number outside its reserved block."""


@dataclass(frozen=True, slots=True)
class Taken:
    """A number taken from a journal."""

    number: str
    year: int
    seq: int
    series: str = MAIN


def local_year(at: datetime, timezone: str) -> int:
    """The year of ``at`` at the centre (a case registered at 00:30 on 1 January is next year's)."""
    return at.astimezone(ZoneInfo(timezone)).year


def format_number(fmt: str, *, year: int, seq: int, centre: str = "", workplace: str = "") -> str:
    """Apply a number format: ``{year}``, ``{yy}``, ``{seq}``, ``{centre}``, ``{workplace}``."""
    return fmt.format(
        year=year, yy=f"{year % 100:02d}", seq=seq, centre=centre, workplace=workplace
    )


def check_code(code: str) -> str:
    """A workplace code fit for case numbers, or JournalError."""
    if not CODE_RE.fullmatch(code):
        raise JournalError(
            "код робочого місця: 1–16 літер, цифр, «.» або «-», без пропусків (напр. ВРМ3)"
        )
    return code


def _ensure_counter(s: Session, centre: str, year: int, series: str) -> None:
    """Create the counter row if it is missing, without disturbing a concurrent creator."""
    dialect = s.get_bind().dialect.name
    values = {"centre": centre, "year": year, "series": series, "last_seq": 0}
    if dialect == "sqlite":
        s.execute(sqlite.insert(JournalCounter).values(**values).on_conflict_do_nothing())
        return
    if dialect == "postgresql":
        s.execute(postgresql.insert(JournalCounter).values(**values).on_conflict_do_nothing())
        return
    if s.get(JournalCounter, (centre, year, series)) is None:
        try:
            with s.begin_nested():
                s.add(JournalCounter(**values))
        except IntegrityError:
            pass  # another desk created it a moment ago


def advance(s: Session, centre: str, year: int, series: str = MAIN, count: int = 1) -> int:
    """Advance a journal's counter by ``count``; returns the first sequence number taken.

    Runs inside the caller's transaction: the row stays locked until it commits,
    so concurrent callers queue here rather than race.
    """
    if count < 1:
        raise ValueError("count must be positive")
    _ensure_counter(s, centre, year, series)
    where = (
        JournalCounter.centre == centre,
        JournalCounter.year == year,
        JournalCounter.series == series,
    )
    if s.get_bind().dialect.update_returning:
        last = s.execute(
            update(JournalCounter)
            .where(*where)
            .values(last_seq=JournalCounter.last_seq + count)
            .returning(JournalCounter.last_seq)
            .execution_options(synchronize_session=False)
        ).scalar_one()
    else:
        row = s.execute(select(JournalCounter).where(*where).with_for_update()).scalar_one()
        row.last_seq += count
        s.flush()
        last = row.last_seq
    return int(last) - count + 1


def next_number(s: Session, centre: str, at: datetime, fmt: str, timezone: str) -> Taken:
    """The next number of a centre's main journal for a case registered at ``at``.

    A number already used by a case (one created by hand with ``ingest --case``)
    is skipped, never shared.
    """
    year = local_year(at, timezone)
    for _ in range(_MAX_SKIPS):
        seq = advance(s, centre, year)
        number = format_number(fmt, year=year, seq=seq, centre=centre)
        taken = s.scalar(select(Case.id).where(Case.centre == centre, Case.number == number))
        if taken is None:
            return Taken(number, year, seq)
    raise JournalError("не вдалося знайти вільний номер у журналі")


def parse_number(fmt: str, number: str, *, centre: str = "") -> tuple[int, int] | None:
    """(year, seq) of ``number`` if it is written in the journal format ``fmt``, else None.

    Used for numbers carried over from a centre's earlier journal (``import``):
    a number in today's format moves the counter past it, so the desk never
    has to skip a run of imported numbers one by one.
    """
    parts: list[str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(fmt):
        parts.append(re.escape(literal))
        if name is None:
            continue
        if name == "year":
            parts.append(r"(?P<year>\d{4})")
        elif name == "yy":
            parts.append(r"(?P<yy>\d{2})")
        elif name == "seq":
            parts.append(r"(?P<seq>\d+)")
        elif name == "centre":
            parts.append(re.escape(centre))
        else:
            return None  # {workplace}: a block's number, never the main journal's
    m = re.fullmatch("".join(parts), number)
    if m is None or "seq" not in m.groupdict():
        return None
    if m.groupdict().get("year"):
        year = int(m["year"])
    elif m.groupdict().get("yy"):
        year = 2000 + int(m["yy"])
    else:
        return None
    return year, int(m["seq"])


def raise_counter(s: Session, centre: str, year: int, seq: int, series: str = MAIN) -> None:
    """Move a journal's counter up to ``seq`` (never down): an imported number is taken."""
    _ensure_counter(s, centre, year, series)
    s.execute(
        update(JournalCounter)
        .where(
            JournalCounter.centre == centre,
            JournalCounter.year == year,
            JournalCounter.series == series,
            JournalCounter.last_seq < seq,
        )
        .values(last_seq=seq)
        .execution_options(synchronize_session=False)
    )


def reserve_block(
    s: Session,
    *,
    centre: str,
    year: int,
    code: str,
    size: int,
    fmt: str,
    workplace: str | None,
    actor: str | None,
) -> JournalBlock:
    """Reserve the next ``size`` numbers of a workplace series for offline numbering."""
    check_code(code)
    if size < 1:
        raise JournalError("розмір резерву має бути додатним")
    first = advance(s, centre, year, code, size)
    block = JournalBlock(
        centre=centre,
        year=year,
        series=code,
        workplace=workplace,
        first_seq=first,
        last_seq=first + size - 1,
        number_format=fmt,
        reserved_by=actor,
    )
    s.add(block)
    s.flush()
    return block


def last_taken(s: Session, centre: str, year: int, series: str = MAIN) -> int:
    """The last sequence number taken in a journal (0 when none)."""
    row = s.get(JournalCounter, (centre, year, series))
    return row.last_seq if row is not None else 0
