"""The one ingest path: accept (persist, record, queue) every file, then wait and report.

The command line, ``POST /api/documents`` (through ``usecases.ingest``), the
hot folder and the desk scanner all archive files through these functions;
the use cases add only what is theirs (access checks, audit, receiving an
upload).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from archive.models import PackageKind, Source
from backends import Archive
from ingest.consume import consume
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.pipeline import Accepted, NotAFile, Outcome, outcome_for
from ingest.stages import DispatcherRef, DocumentQueued, Intake

DUPLICATE = "Цей файл уже є в архіві"


@dataclass(frozen=True, slots=True)
class Input:
    """One file to archive: where it is now, how it is reported, the name it came with."""

    path: Path
    label: str
    original_name: str | None = None


Accepting = list[tuple[str, Accepted | Outcome]]


def accept_files(
    archive: Archive,
    dispatcher: Dispatcher,
    inputs: Iterable[Input],
    into: Accepting,
    *,
    case_number: str | None = None,
    package: PackageKind = PackageKind.input,
    source: Source = Source.scanner,
    actor: str | None = None,
) -> Accepting:
    """Persist, record and queue every input, appending to ``into`` as each is accepted.

    ``into`` is the caller's, so that after a failure it still holds what was
    accepted (in the archive now, to be logged). Everything is accepted before
    anything is waited for: an interruption after that point loses nothing.
    """
    ref = DispatcherRef(archive, dispatcher)
    for item in inputs:
        intake = Intake(
            item.path,
            actor=actor,
            source=source,
            original_name=item.original_name,
            case_number=case_number,
            package=package,
        )
        try:
            done = consume(archive, intake, ref)
        except NotAFile as exc:
            into.append((item.label, Outcome(item.label, "rejected", None, str(exc), "not_found")))
            continue
        # Not marked as a batch, so the last stage took it: one document, submitted.
        assert isinstance(done, DocumentQueued)
        into.append((item.label, done.accepted))
    return into


def finish(
    archive: Archive,
    dispatcher: Dispatcher,
    accepted: Accepting,
    *,
    wait: bool = True,
    notes: bool = False,
) -> Iterator[Outcome]:
    """One outcome per accepted input, in input order, each once its document is finished.

    With ``wait=False`` nothing is waited for: queued files are ``accepted``.
    ``notes`` adds the warnings on pages archived without text.
    """
    if wait:
        # With a broker somebody must consume the queue, or we would wait forever.
        dispatcher.require_workers()
    seen: set[str] = set()
    for label, item in accepted:
        if isinstance(item, Outcome):
            yield item
            continue
        if not wait:
            yield Outcome(label, "accepted", item.document_id)
            continue
        dispatcher.wait([item.document_id])
        outcome = outcome_for(archive, label, item)
        if item.document_id in seen and outcome.status == "archived":
            # The same bytes twice in one call: archived once, the copy is a duplicate.
            outcome = Outcome(label, "duplicate", item.document_id, DUPLICATE, "duplicate")
        seen.add(item.document_id)
        if notes and outcome.status == "archived" and outcome.document_id:
            # Nothing is archived silently empty: pages without text are told at once.
            outcome = replace(outcome, notes=_empty_pages(archive, outcome.document_id))
        yield outcome


def _empty_pages(archive: Archive, document_id: str) -> tuple[str, ...]:
    from archive.cases import empty_pages_note, pages_without_text

    with archive.db.session() as s:
        empty = pages_without_text(s, [document_id]).get(document_id)
    return (empty_pages_note(empty),) if empty else ()


def ingest_files(
    archive: Archive,
    files: Sequence[Path],
    *,
    case_number: str | None = None,
    package: PackageKind = PackageKind.input,
    source: Source = Source.scanner,
    actor: str | None = None,
    dispatcher: Dispatcher | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Archive files from disk and wait for them: :func:`accept_files` then :func:`finish`.

    Uses ``dispatcher``, or opens one for the call (picking up unfinished work
    of earlier runs first).
    """
    own = dispatcher is None
    disp = dispatcher or open_dispatcher(archive)
    try:
        if own:
            disp.recover()
        accepted = accept_files(
            archive,
            disp,
            (Input(p, str(p)) for p in files),
            [],
            case_number=case_number,
            package=package,
            source=source,
            actor=actor,
        )
        outcomes: list[Outcome] = []
        for outcome in finish(archive, disp, accepted):
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
        return outcomes
    finally:
        if own:
            disp.close()
