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


def test_files_stored_ahead_are_recorded_in_order_and_checked(tmp_path: Path) -> None:
    """accept_files stores the next files while one is recorded; recording keeps the
    input order, the same bytes twice are one document, and a failure to store
    ahead only means the file is stored in its turn."""
    from archive.models import Document
    from ingest.pipeline import Accepted, Outcome
    from ingest.service import STORE_AHEAD, Input, accept_files

    archive = Archive(Settings(data_dir=tmp_path / "data"))
    archive.init()
    files = [
        born_digital_pdf([[f"Заява {i}", *ukrainian_lines(i, 3)]], tmp_path / f"{i}.pdf")
        for i in range(STORE_AHEAD * 3)
    ]
    real_put = archive.store.put_file
    calls: list[Path] = []

    def flaky_put(path: Path, *args: object, **kwargs: object) -> object:
        calls.append(path)
        if calls.count(path) == 1 and path == files[5]:
            raise OSError("the disk is busy")  # only when stored ahead
        return real_put(path, *args, **kwargs)  # type: ignore[arg-type]

    archive.store.put_file = flaky_put  # type: ignore[method-assign]
    inputs = [Input(p, p.name) for p in files]
    inputs.insert(3, Input(files[0], "again.pdf"))  # the same bytes twice
    inputs.insert(7, Input(tmp_path / "missing.pdf", "missing.pdf"))
    recorder = Recorder()
    into = accept_files(archive, recorder, inputs, [], case_number="ЦНАП-2026-000777")
    assert [label for label, _ in into] == [i.label for i in inputs]
    accepted = [a for _, a in into if isinstance(a, Accepted)]
    rejected = [o for _, o in into if isinstance(o, Outcome)]
    assert [o.code for o in rejected] == ["not_found"]
    assert len(accepted) == len(files) + 1
    assert accepted[3].document_id == accepted[0].document_id and not accepted[3].new
    assert len({a.document_id for a in accepted}) == len(files)
    with archive.db.session() as s:
        for a in accepted:
            doc = s.get(Document, a.document_id)
            assert doc is not None
            # Every recorded file's bytes are in the store, whoever stored them.
            assert archive.store.read_bytes(doc.sha256)
    # files[5] was stored in its turn after storing it ahead failed.
    assert calls.count(files[5]) == 2
    archive.close()


def test_bytes_stored_ahead_are_used_only_if_they_are_the_file(tmp_path: Path) -> None:
    """A file that changed after it was stored ahead is stored again, as it is now."""
    from ingest.pipeline import accept_file

    archive = Archive(Settings(data_dir=tmp_path / "data"))
    archive.init()
    pdf = born_digital_pdf([["Заява", *ukrainian_lines(8, 3)]], tmp_path / "a.pdf")
    ahead = archive.store.put_file(pdf)
    born_digital_pdf([["Інша заява", *ukrainian_lines(9, 3)]], pdf)  # changed since
    acc = accept_file(archive, pdf, stored=ahead)
    from archive.models import Document

    with archive.db.session() as s:
        doc = s.get(Document, acc.document_id)
        assert doc is not None and doc.sha256 != ahead.sha256
        assert archive.store.read_bytes(doc.sha256) == pdf.read_bytes()
    archive.close()
