"""The batch state machine in the database: processing → done | review | failed.

A batch is recorded by its SHA-256 before it is split; a run interrupted
anywhere carries on with the same record, and a failed batch is tried again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from archive.batches import BatchPart, BatchState, PartState, ScanBatch
from archive.models import utcnow
from backends import Archive
from ingest.batch.report import BatchReport


def find_batch(archive: Archive, sha256: str) -> ScanBatch | None:
    with archive.db.session() as s:
        return s.scalar(select(ScanBatch).where(ScanBatch.sha256 == sha256))


def record_failed(
    archive: Archive,
    sha: str,
    size: int,
    name: str,
    source: str,
    actor: str | None,
    code: str,
    reason: str,
) -> None:
    try:
        with archive.db.session() as s:
            s.add(
                ScanBatch(
                    sha256=sha,
                    size=size,
                    original_name=name,
                    source=source,
                    actor=actor,
                    state=BatchState.failed,
                    stored=False,
                    finished_at=utcnow(),
                    error=reason,
                    report={"code": code, "reason": reason},
                )
            )
    except IntegrityError:
        pass  # recorded already


def open_batch(
    archive: Archive,
    sha: str,
    size: int,
    name: str,
    source: str,
    actor: str | None,
    stored: bool,
    pages: int,
) -> str:
    try:
        with archive.db.session() as s:
            known = s.scalar(select(ScanBatch).where(ScanBatch.sha256 == sha))
            if known is not None:
                # An interrupted run (or a failed one being retried): carry on with it.
                known.state = BatchState.processing
                known.stored = known.stored or stored
                return known.id
            batch = ScanBatch(
                sha256=sha,
                size=size,
                original_name=name,
                source=source,
                actor=actor,
                state=BatchState.processing,
                stored=stored,
                pages=pages,
                report={},
            )
            s.add(batch)
            s.flush()
            return batch.id
    except IntegrityError:
        with archive.db.session() as s:
            known = s.scalar(select(ScanBatch).where(ScanBatch.sha256 == sha))
            assert known is not None
            return known.id


def finish_batch(archive: Archive, batch_id: str, report: BatchReport) -> None:
    with archive.db.session() as s:
        batch = s.get(ScanBatch, batch_id)
        assert batch is not None
        batch.state = report.status
        batch.pages = report.pages
        batch.report = report.as_json()
        batch.finished_at = utcnow()
        batch.error = None


def fail_batch(archive: Archive, batch_id: str, code: str, reason: str) -> None:
    with archive.db.session() as s:
        batch = s.get(ScanBatch, batch_id)
        assert batch is not None
        batch.state = BatchState.failed
        batch.error = reason
        batch.report = {"code": code, "reason": reason}
        batch.finished_at = utcnow()


def refresh_batch_state(archive: Archive, batch_id: str) -> None:
    with archive.db.session() as s:
        batch = s.get(ScanBatch, batch_id)
        if batch is None or batch.state != BatchState.review:
            return
        held = s.scalar(
            select(BatchPart.id)
            .where(BatchPart.batch_id == batch_id, BatchPart.state == PartState.held)
            .limit(1)
        )
        if held is None:
            batch.state = BatchState.done
