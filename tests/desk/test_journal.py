"""The registration journal: formats, years, skipped and reserved numbers, concurrent desks."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from archive import cases as ops
from archive.journal import (
    JournalError,
    OutOfBlock,
    check_code,
    local_year,
    next_number,
    reserve_block,
)
from archive.models import Case
from archive.settings import DeskSettings, Settings
from backends import Archive
from ingest.pipeline import accept_file
from tests.desk.desks import desk_work

CENTRE = "ЦНАП Житомир"


def _archive(tmp_path: Path, **desk: str) -> Archive:
    settings = Settings(data_dir=tmp_path / "data", centre=CENTRE, desk=DeskSettings(**desk))
    a = Archive(settings)
    a.init()
    return a


def _register(a: Archive, **kw: object) -> ops.Registered:
    with a.db.session() as s:
        return ops.register(s, a.settings, ops.Registration(service="Послуга", centre=CENTRE, **kw))  # type: ignore[arg-type]


def test_numbers_follow_the_format_and_restart_each_year(tmp_path: Path) -> None:
    a = _archive(tmp_path, number_format="{yy}-{seq:04d}")
    try:
        with a.db.session() as s:
            # 22:30 UTC on 31 December is already the new year in Kyiv.
            eve = datetime(2025, 12, 31, 21, 30, tzinfo=UTC)
            night = datetime(2025, 12, 31, 22, 30, tzinfo=UTC)
            fmt, tz = a.settings.desk.number_format, a.settings.desk.timezone
            assert [next_number(s, CENTRE, eve, fmt, tz).number for _ in range(2)] == [
                "25-0001",
                "25-0002",
            ]
            assert next_number(s, CENTRE, night, fmt, tz).number == "26-0001"
            assert next_number(s, "ЦНАП Бердичів", night, fmt, tz).number == "26-0001"
            assert next_number(s, CENTRE, eve, fmt, tz).number == "25-0003"
        assert local_year(night, "Europe/Kyiv") == 2026
    finally:
        a.close()


def test_formats_are_checked() -> None:
    for bad in ("{seq}", "{year}", "{year}|{seq}", "{year}/{seq}/{nope}"):
        with pytest.raises(ValidationError):
            DeskSettings(number_format=bad)
    with pytest.raises(ValidationError):
        DeskSettings(block_number_format="{year}/{seq}")
    assert check_code("ВРМ3") == "ВРМ3"
    for bad in ("", "ВРМ 3", "a|b", "x" * 17):
        with pytest.raises(JournalError):
            check_code(bad)


def test_a_number_taken_by_hand_is_skipped_not_shared(tmp_path: Path) -> None:
    a = _archive(tmp_path)
    try:
        year = local_year(datetime.now(UTC), a.settings.desk.timezone)
        pdf = tmp_path / "x.pdf"
        pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
        # ``ingest --case`` creates a case with whatever number it is given.
        accept_file(a, pdf, case_number=f"{year}/00001")
        assert _register(a).case.number == f"{year}/00002"
        assert _register(a).case.number == f"{year}/00003"
    finally:
        a.close()


def test_registration_is_idempotent_and_blocks_have_their_own_series(tmp_path: Path) -> None:
    a = _archive(tmp_path)
    try:
        first = _register(a, registration_id="reg-0001-aaaa")
        again = _register(a, registration_id="reg-0001-aaaa")
        assert again.case.id == first.case.id and not again.new
        with a.db.session() as s:
            b1 = reserve_block(
                s,
                centre=CENTRE,
                year=2026,
                code="ВРМ3",
                size=5,
                fmt=a.settings.desk.block_number_format,
                workplace="ВРМ Зарічне",
                actor="t",
            )
            b2 = reserve_block(
                s,
                centre=CENTRE,
                year=2026,
                code="ВРМ3",
                size=5,
                fmt=a.settings.desk.block_number_format,
                workplace="ВРМ Зарічне",
                actor="t",
            )
            assert (b1.first_seq, b1.last_seq, b2.first_seq) == (1, 5, 6)
            assert b1.number(1) == "2026/ВРМ3-0001"
            with pytest.raises(OutOfBlock):
                b1.number(6)
            block = s.get(type(b1), b1.id)
        offline = _register(a, block=block, block_seq=2, registration_id="reg-0002-bbbb")
        assert offline.case.number == "2026/ВРМ3-0002"
        # A second registration claiming the same block number is refused.
        with pytest.raises(ops.CaseError):
            _register(a, block=block, block_seq=2, registration_id="reg-0003-cccc")
    finally:
        a.close()


DESKS, PER_DESK = 4, 12


def _run_desks(data_dir: Path, url: str | None) -> tuple[list[str], list[tuple[int, int]]]:
    gate = data_dir / "go"
    # Forked desks are up in a moment (nothing in this process runs threads yet).
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(DESKS, mp_context=ctx) as pool:
        futures = [
            pool.submit(desk_work, str(data_dir), url, CENTRE, d, PER_DESK, str(gate))
            for d in range(DESKS)
        ]
        deadline = time.monotonic() + 120
        while len(list(data_dir.glob("go.ready-*"))) < DESKS and time.monotonic() < deadline:
            time.sleep(0.01)
        gate.touch()
        results = [f.result(timeout=120) for f in futures]
    return [n for r in results for n in r[0]], [b for r in results for b in r[1]]


def _check(a: Archive, numbers: list[str], blocks: list[tuple[int, int]]) -> None:
    year = local_year(datetime.now(UTC), a.settings.desk.timezone)
    total = DESKS * PER_DESK
    assert len(numbers) == total
    assert len(set(numbers)) == total, "two desks got the same number"
    # No gaps either: the counter moves with the registration's own transaction.
    assert sorted(numbers) == [f"{year}/{i:05d}" for i in range(1, total + 1)]
    with a.db.session() as s:
        assert s.query(Case).count() == total
    # Blocks reserved at the same time for one workplace tile its series exactly.
    covered = sorted(n for first, last in blocks for n in range(first, last + 1))
    assert covered == list(range(1, len(blocks) * 7 + 1))


def test_concurrent_desks_never_share_a_number_sqlite(tmp_path: Path) -> None:
    a = _archive(tmp_path)
    try:
        _check(a, *_run_desks(tmp_path / "data", None))
    finally:
        a.close()


@pytest.mark.services
def test_concurrent_desks_never_share_a_number_postgresql(tmp_path: Path) -> None:
    from tests.services import isolated_pg_url

    url = isolated_pg_url()
    settings = Settings(data_dir=tmp_path / "data", centre=CENTRE, database_url=url)
    a = Archive(settings)
    a.init()
    try:
        _check(a, *_run_desks(tmp_path / "data", url))
    finally:
        a.close()
