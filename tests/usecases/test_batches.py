"""Scanned batches, held parts, station uploads, hot-folder files and scans, without HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.audit import AccessEvent, Action, Outcome
from archive.settings import Settings
from archive.users import Role
from backends import Archive
from ingest.dispatch import LocalDispatcher
from scanner.cover_sheet import CoverSheet
from tests.desk.paper import batch_pdf, doc
from usecases import batches, cases, hotfolder, uploads
from usecases.access import events_for
from usecases.context import Context
from usecases.errors import Conflict, Denied, Invalid, NotFound, TooLarge
from usecases.policy import Principal
from usecases.registry import USE_CASES

HOME = "ЦНАП Житомир"
ADMIN = Principal("olena", Role.administrator, HOME, address="test")
OTHER_ADMIN = Principal("petro", Role.administrator, "ЦНАП Бердичів", address="test")
OFFICIAL = Principal("oksana", Role.official, HOME, department="ДМС", address="test")


class Desk:
    def __init__(self, archive: Archive, dispatcher: LocalDispatcher) -> None:
        self.archive = archive
        self.dispatcher = dispatcher
        self.events = events_for(archive)
        self.seen: list[AccessEvent] = []
        self.events.subscribe(self.seen.append)

    def ctx(self, p: Principal) -> Context:
        return Context(self.archive, p, self.events, self.dispatcher)

    def call(self, fn: Callable[..., Any], p: Principal, **kw: Any) -> tuple[Any, list[Any]]:
        start = len(self.seen)
        result = fn(self.ctx(p), **kw)
        return result, [(e.action, e.outcome) for e in self.seen[start:]]

    def refused(
        self, fn: Callable[..., Any], p: Principal, error: type[Exception], **kw: Any
    ) -> list[Any]:
        start = len(self.seen)
        with pytest.raises(error):
            fn(self.ctx(p), **kw)
        return [(e.action, e.outcome) for e in self.seen[start:]]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    archive = Archive(Settings(data_dir=tmp_path_factory.mktemp("uc") / "data", centre=HOME))
    archive.init()
    dispatcher = LocalDispatcher(archive, workers=1)
    try:
        yield Desk(archive, dispatcher)
    finally:
        dispatcher.close()
        archive.close()


def _case(desk: Desk) -> str:
    done = cases.register_case(desk.ctx(ADMIN), service="Послуга", wait=True)
    return done.case.number


def test_every_batch_use_case_is_registered_with_its_action() -> None:
    want = {
        "batches.upload_batch": Action.batch_upload,
        "batches.list_held_parts": Action.batch_held,
        "batches.attach_held_part": Action.batch_attach,
        "uploads.start_upload": Action.station_upload,
        "uploads.upload_status": Action.station_upload_status,
        "uploads.append_upload": Action.station_upload_append,
        "uploads.complete_upload": Action.station_upload_complete,
        "hotfolder.take_hot_folder_file": Action.hotfolder_file,
        "hotfolder.archive_scan": Action.scan_batch,
    }
    assert {name: USE_CASES[name].audit for name in want} == want
    assert USE_CASES["hotfolder.open_hot_folder"].why_unaudited


def test_a_batch_is_split_held_listed_and_attached(desk: Desk, tmp_path: Path) -> None:
    number = _case(desk)
    pdf = batch_pdf(
        [doc("передмова"), CoverSheet(number, "input", HOME), doc("альфа")], tmp_path / "b.pdf"
    )
    logged = desk.refused(batches.upload_batch, OFFICIAL, Denied, path=pdf)
    assert logged == [(Action.batch_upload, Outcome.denied)]
    got, logged = desk.call(batches.upload_batch, ADMIN, path=pdf)
    assert logged == [(Action.batch_upload, Outcome.allowed)]
    assert got.status == "review" and not got.rejected
    held = [p for p in got.parts if p["state"] == "held"]
    assert [p["code"] for p in held] == ["leading_pages"]
    # An unreadable batch is a failed report, not an error (a run over many files goes on).
    bad = tmp_path / "cut.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    got_bad, logged = desk.call(batches.upload_batch, ADMIN, path=bad)
    assert logged == [(Action.batch_upload, Outcome.allowed)] and got_bad.rejected

    rows, logged = desk.call(batches.list_held_parts, ADMIN)
    assert logged == [(Action.batch_held, Outcome.allowed)]
    assert held[0]["part_id"] in [r["part_id"] for r in rows]
    assert desk.refused(batches.list_held_parts, OFFICIAL, Denied) == [
        (Action.batch_held, Outcome.denied)
    ]

    part = held[0]["part_id"]
    # Pages before the first cover sheet name no case: the administrator must.
    assert desk.refused(batches.attach_held_part, ADMIN, Conflict, part_id=part) == []
    assert (
        desk.refused(batches.attach_held_part, ADMIN, NotFound, part_id=part, case="2099/99999")
        == []
    )
    done, logged = desk.call(batches.attach_held_part, ADMIN, part_id=part, case=number)
    assert logged == [(Action.batch_attach, Outcome.allowed)]
    assert done["state"] == "attached" and done["case"] == number
    # Attached once: a second time is a conflict.
    assert desk.refused(batches.attach_held_part, ADMIN, Conflict, part_id=part) == []
    assert desk.refused(batches.attach_held_part, OTHER_ADMIN, Denied, part_id=part) == [
        (Action.batch_attach, Outcome.denied)
    ]


def test_the_upload_protocol(desk: Desk, tmp_path: Path) -> None:
    number = _case(desk)
    body = batch_pdf([CoverSheet(number, "input", HOME), doc("протокол")], tmp_path / "u.pdf")
    data = body.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    start = {"sha256": sha, "size": len(data), "name": "u.pdf"}
    assert desk.refused(uploads.start_upload, OFFICIAL, Denied, **start) == [
        (Action.station_upload, Outcome.denied)
    ]
    assert desk.refused(uploads.start_upload, ADMIN, TooLarge, **{**start, "size": 10**12}) == []
    assert desk.refused(uploads.upload_status, ADMIN, Invalid, sha256="nonsense") == []
    st, logged = desk.call(uploads.start_upload, ADMIN, **start)
    assert logged == [(Action.station_upload, Outcome.allowed)] and st.offset == 0
    half = len(data) // 2
    st, logged = desk.call(uploads.append_upload, ADMIN, sha256=sha, offset=0, data=data[:half])
    assert logged == [(Action.station_upload_append, Outcome.allowed)] and st.offset == half
    with pytest.raises(Conflict) as wrong:
        uploads.append_upload(desk.ctx(ADMIN), sha256=sha, offset=0, data=data[:half])
    assert wrong.value.details["offset"] == half
    assert desk.refused(uploads.complete_upload, ADMIN, Conflict, sha256=sha) == []
    desk.call(uploads.append_upload, ADMIN, sha256=sha, offset=half, data=data[half:])
    st, logged = desk.call(uploads.upload_status, ADMIN, sha256=sha)
    assert logged == [(Action.station_upload_status, Outcome.allowed)] and st.offset == len(data)
    st, logged = desk.call(uploads.complete_upload, ADMIN, sha256=sha)
    assert logged == [(Action.station_upload_complete, Outcome.allowed)]
    assert st.state == "processed" and [p["case"] for p in st.result["parts"]] == [number]
    again, _ = desk.call(uploads.complete_upload, ADMIN, sha256=sha)
    assert again.result["batch_id"] == st.result["batch_id"]


def test_hot_folder_files_and_scans(desk: Desk, tmp_path: Path) -> None:
    number = _case(desk)
    assert desk.refused(hotfolder.open_hot_folder, OFFICIAL, Denied) == [
        (Action.hotfolder_file, Outcome.denied)
    ]
    assert desk.call(hotfolder.open_hot_folder, ADMIN)[1] == []
    pdf = batch_pdf([CoverSheet(number, "input", HOME), doc("гамма")], tmp_path / "h.pdf")
    got, logged = desk.call(hotfolder.take_hot_folder_file, ADMIN, path=pdf)
    assert logged == [(Action.hotfolder_file, Outcome.allowed)]
    assert got.ok and not got.note and got.report["status"] == "done"
    again, _ = desk.call(hotfolder.take_hot_folder_file, ADMIN, path=pdf)
    assert again.ok and again.note and again.report["status"] == "duplicate"
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7 broken")
    got, _ = desk.call(hotfolder.take_hot_folder_file, ADMIN, path=bad)
    assert not got.ok and "код" in (got.message or "")

    scan = batch_pdf([doc("дельта")], tmp_path / "s.pdf")
    done, logged = desk.call(hotfolder.archive_scan, ADMIN, path=scan, split=False, case=number)
    assert logged == [(Action.scan_batch, Outcome.allowed)]
    assert [d["status"] for d in done.documents] == ["archived"] and not done.rejected
    assert desk.refused(hotfolder.archive_scan, OFFICIAL, Denied, path=scan) == [
        (Action.scan_batch, Outcome.denied)
    ]
