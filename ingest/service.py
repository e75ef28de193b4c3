"""Ingest as the command line and the API use it: accept, dispatch, wait, report."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from archive.models import PackageKind, Source
from backends import Archive
from ingest.consume import consume
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.pipeline import Accepted, NotAFile, Outcome, outcome_for
from ingest.stages import DispatcherRef, DocumentQueued, Intake


def ingest_files(
    archive: Archive,
    files: Sequence[Path],
    *,
    case_number: str | None = None,
    package: PackageKind = PackageKind.input,
    source: Source = Source.scanner,
    actor: str | None = None,
    dispatcher: Dispatcher | None = None,
) -> Iterator[Outcome]:
    """Archive files, yielding one outcome per file in input order.

    Everything is accepted (persisted and recorded) first, so an interruption
    after that point loses nothing; unfinished work of earlier runs is picked up too.
    """
    own = dispatcher is None
    disp = dispatcher or open_dispatcher(archive)
    try:
        disp.recover()
        ref = DispatcherRef(archive, disp)
        accepted: list[tuple[Path, Accepted | Outcome]] = []
        for path in files:
            intake = Intake(
                path, actor=actor, source=source, case_number=case_number, package=package
            )
            try:
                done = consume(archive, intake, ref)
            except NotAFile as exc:
                accepted.append((path, Outcome(str(path), "rejected", None, str(exc), "not_found")))
                continue
            # Not marked as a batch, so the last stage took it: one document, submitted.
            assert isinstance(done, DocumentQueued)
            accepted.append((path, done.accepted))
        seen: set[str] = set()
        for path, item in accepted:
            if isinstance(item, Outcome):
                yield item
                continue
            disp.wait([item.document_id])
            outcome = outcome_for(archive, str(path), item)
            if item.document_id in seen and outcome.status == "archived":
                # The same bytes twice in one batch: archived once, the copy is a duplicate.
                outcome = Outcome(
                    str(path), "duplicate", item.document_id, "Цей файл уже є в архіві", "duplicate"
                )
            seen.add(item.document_id)
            yield outcome
    finally:
        if own:
            disp.close()
