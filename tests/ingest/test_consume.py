"""The one ingest pipeline: ordered stages over a typed record."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.settings import Settings
from backends import Archive
from ingest.batch import CoverSheetSplit
from ingest.consume import STAGES, consume
from ingest.pipeline import NotAFile
from ingest.stages import AcceptDocument, DispatcherRef, DocumentQueued, Intake
from tests.synthetic import born_digital_pdf, ukrainian_lines


class Recorder:
    """A dispatcher that only records what it was given."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, document_id: str) -> None:
        self.submitted.append(document_id)

    def recover(self) -> list[str]:
        return []

    def wait(self, document_ids: object, timeout: float | None = None) -> None:
        return None

    def flush_index(self) -> None:
        return None

    def require_workers(self) -> None:
        return None

    def close(self) -> None:
        return None


def test_stage_order() -> None:
    assert isinstance(STAGES[0], CoverSheetSplit)
    assert isinstance(STAGES[-1], AcceptDocument)
    plain, batch = Intake(Path("a.pdf")), Intake(Path("b.pdf"), split=True)
    assert [s.able_to_run(plain) for s in STAGES] == [False, True]
    assert [s.able_to_run(batch) for s in STAGES] == [True, True]


def test_plain_file_is_accepted_as_one_document(tmp_path: Path) -> None:
    archive = Archive(Settings(data_dir=tmp_path / "data"))
    archive.init()
    pdf = born_digital_pdf([["Заява", *ukrainian_lines(1, 3)]], tmp_path / "a.pdf")
    recorder = Recorder()
    ref = DispatcherRef(archive, recorder)
    done = consume(archive, Intake(pdf, original_name="заява.pdf"), ref)
    assert isinstance(done, DocumentQueued)
    assert done.accepted.new and recorder.submitted == done.queued
    again = consume(archive, Intake(pdf), ref)
    assert isinstance(again, DocumentQueued) and not again.accepted.new
    ref.close()  # never closes the caller's dispatcher
    archive.close()


def test_missing_file_stops_before_anything_is_opened(tmp_path: Path) -> None:
    archive = Archive(Settings(data_dir=tmp_path / "data"))
    archive.init()
    ref = DispatcherRef(archive, None)
    for split in (False, True):
        with pytest.raises(NotAFile):
            consume(archive, Intake(tmp_path / "missing.pdf", split=split), ref)
    assert ref._own is None  # no dispatcher was opened for nothing
    archive.close()
