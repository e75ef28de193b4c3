"""The one ingest path: accept (persist, record, queue) every file, then wait and report.

The command line, ``POST /api/documents`` (through ``usecases.ingest``), the
hot folder and the desk scanner all archive files through these functions;
the use cases add only what is theirs (access checks, audit, receiving an
upload).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from archive.models import DocState, PackageKind, Source
from archive.store.base import StoredObject
from backends import Archive
from ingest.consume import consume
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.pipeline import (
    Accepted,
    FinishedState,
    NotAFile,
    Outcome,
    finished_states,
    outcome_of,
)
from ingest.stages import DispatcherRef, DocumentQueued, Intake

DUPLICATE = "Цей файл уже є в архіві"
# How many of the next documents one read of finished states covers.
_READ_AHEAD = 500


@dataclass(frozen=True, slots=True)
class Input:
    """One file to archive: where it is now, how it is reported, the name it came with."""

    path: Path
    label: str
    original_name: str | None = None


Accepting = list[tuple[str, Accepted | Outcome]]

# Files stored ahead of their turn at once (see stored_ahead).
STORE_AHEAD = 4
T = TypeVar("T")


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
    # Closed on the way out, whatever happens: nothing more is stored ahead.
    with closing(_stored_ahead(archive, inputs)) as ahead:
        for item, stored in ahead:
            intake = Intake(
                item.path,
                actor=actor,
                source=source,
                original_name=item.original_name,
                case_number=case_number,
                package=package,
                stored=stored,
            )
            try:
                done = consume(archive, intake, ref)
            except NotAFile as exc:
                into.append(
                    (item.label, Outcome(item.label, "rejected", None, str(exc), "not_found"))
                )
                continue
            # Not marked as a batch, so the last stage took it: one document, submitted.
            assert isinstance(done, DocumentQueued)
            into.append((item.label, done.accepted))
    return into


def _stored_ahead(
    archive: Archive, inputs: Iterable[Input]
) -> Generator[tuple[Input, StoredObject | None], None, None]:
    if not isinstance(inputs, Sequence):
        # An iterator's file may exist only until the next one is asked for (an
        # upload is received just before its turn and dropped after it).
        for item in inputs:
            yield item, None
        return
    yield from stored_ahead(archive, inputs, lambda item: item.path)


def stored_ahead(
    archive: Archive, items: Sequence[T], path_of: Callable[[T], Path]
) -> Generator[tuple[T, StoredObject | None], None, None]:
    """Each item with its file already in the store, when storing it ahead worked.

    Storing a file is mostly waiting for the disk (its data and its directory are
    synced) or the network: the next :data:`STORE_AHEAD` are stored in threads
    while the caller records one, so those waits overlap. The caller records one
    file at a time, in order — a case is created once, the same bytes twice are
    found as such — passing the object to ``accept_file(stored=…)``, which uses it
    only if it is the file's bytes at that moment. Storing ahead may fail (no
    such file, an outage): ``None``, and the file is stored in its turn, which
    reports the failure as before. Only for files that stay where they are
    while the items are consumed (not for uploads received one at a time).
    Close the iterator when stopping early (``contextlib.closing``): what is
    still queued is then not stored (what was is only unrecorded bytes,
    collected after the store's grace period).
    """

    def store(path: Path) -> StoredObject | None:
        try:
            return archive.store.put_file(path) if path.is_file() else None
        except Exception:
            return None

    pool = ThreadPoolExecutor(STORE_AHEAD, thread_name_prefix="cnap-store")
    try:
        window: deque[tuple[T, Future[StoredObject | None]]] = deque()
        for item in items:
            window.append((item, pool.submit(store, path_of(item))))
            if len(window) > STORE_AHEAD:
                first, future = window.popleft()
                yield first, future.result()
        while window:
            first, future = window.popleft()
            yield first, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
    # Finished states read ahead, many at a time: a document found finished here
    # costs no query of its own when its turn comes.
    known: dict[str, FinishedState] = {}
    ids = [item.document_id for _, item in accepted if isinstance(item, Accepted)]
    position = 0
    for label, item in accepted:
        if isinstance(item, Outcome):
            yield item
            continue
        if not wait:
            yield Outcome(label, "accepted", item.document_id)
            continue
        if item.document_id not in known:
            dispatcher.wait([item.document_id])
            ahead = [i for i in ids[position : position + _READ_AHEAD] if i not in known]
            known.update(finished_states(archive, ahead))
        position += 1
        state = known.get(item.document_id) or FinishedState(DocState.accepted)
        outcome = outcome_of(label, item, state)
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
            [Input(p, str(p)) for p in files],
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
