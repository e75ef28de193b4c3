"""Archiving files: ``ingest PATH…`` on the command line and ``POST /api/documents``.

Both go through :func:`ingest_files`: the caller must be allowed to upload to
this archive's centre; every file is persisted and recorded before it is
processed (a crash loses nothing); one ``document.upload`` entry names the
documents the call created or found again, whichever adapter it came from.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from archive.audit import Action
from archive.audit import Outcome as AuditOutcome
from archive.models import Case, PackageKind, Source
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.dispatch.base import NoWorkers
from ingest.pipeline import Accepted, Outcome
from ingest.service import Accepting, Input, accept_files, finish
from usecases.access import event, require_upload
from usecases.case_access import case_scope, known_case
from usecases.context import Context
from usecases.errors import Denied, Invalid, TooLarge, Unavailable
from usecases.policy import may_upload_into
from usecases.registry import use_case

_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Incoming:
    """A file received over the network: the name it came with and its bytes (read once)."""

    name: str
    stream: BinaryIO


# One outcome type for every ingest door: the pipeline's (``accepted``: queued, not waited for).
FileOutcome = Outcome


@dataclass(frozen=True, slots=True)
class IngestResult:
    """One outcome per input file, in input order."""

    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "rejected")


@use_case(Action.upload)
def ingest_files(
    ctx: Context,
    *,
    files: Sequence[Path | Incoming],
    source: Source,
    case: str | None = None,
    package: PackageKind = PackageKind.input,
    wait: bool = True,
    on_outcome: Callable[[FileOutcome], None] | None = None,
) -> IngestResult:
    """Archive files into ``case`` (or none), waiting until each is archived or rejected.

    ``on_outcome`` is called as each file is finished, in input order (the
    command line prints progress with it). With ``wait=False`` the files are
    queued and reported ``accepted``. Uses the context's dispatcher, or opens
    one for the call (picking up unfinished work of earlier runs first).
    """
    archive = ctx.archive
    require_upload(archive, ctx.events, ctx.principal)
    if case is not None:
        # A typo must not become a new case: only a registered one is filed into.
        known_case(archive, ctx.principal, case)
        _require_case(ctx, case)
    for f in files:
        if isinstance(f, Incoming) and not f.name.strip():
            raise Invalid("Файл надіслано без імені", code="no_file_name")
    own = ctx.dispatcher is None
    dispatcher = ctx.dispatcher or open_dispatcher(archive)
    try:
        if own:
            dispatcher.recover()
        items = _accept_all(ctx, dispatcher, files, case=case, package=package, source=source)
        outcomes: list[FileOutcome] = []
        try:
            for item in finish(archive, dispatcher, items, wait=wait, notes=True):
                outcomes.append(item)
                if on_outcome is not None:
                    on_outcome(item)
        except NoWorkers as exc:
            raise Unavailable(
                "Жоден worker не обробляє чергу: файли прийнято й буде оброблено, щойно "
                "запуститься worker (cnap-archive worker)",
                code="no_workers",
            ) from exc
        return IngestResult(outcomes)
    finally:
        if own:
            dispatcher.close()


def check_upload_parts(filenames: Sequence[str | None]) -> None:
    """One upload is one ``file`` part that carries a file name (``None``: a plain field).

    Raised before anything is read or stored; the message never repeats the content.
    """
    if len(filenames) != 1:
        raise Invalid("Надішліть рівно один файл у полі file", code="one_file")
    if filenames[0] is None or not filenames[0].strip():
        raise Invalid("Поле file має містити файл з іменем", code="no_file_name")


def _require_case(ctx: Context, number: str) -> None:
    """Adding to a case is decided by the policy like reading it in full (logged if refused).

    An unknown number is left to the case registration rules.
    """
    with ctx.archive.db.session() as s:
        found = s.scalar(
            select(Case).where(Case.centre == ctx.archive.settings.centre, Case.number == number)
        )
        scope = case_scope(found) if found is not None else None
    why = may_upload_into(ctx.principal, scope) if scope is not None else None
    if why is None:
        return
    ctx.events.publish(
        event(ctx.principal, Action.upload, AuditOutcome.denied, case=number, details={"why": why})
    )
    if why == "archived_case":
        raise Denied("Справу передано до архіву: нові документи до неї не додаються")
    raise Denied("Додавати документи можна лише до справ свого робочого місця")


def _receive(stream: BinaryIO, path: Path, limit: int) -> None:
    """Copy an upload to ``path``, stopping as soon as it is over the size limit."""
    total = 0
    with path.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if total > limit:
                break
            out.write(chunk)
    if total > limit:
        path.unlink(missing_ok=True)
        raise TooLarge(f"Файл завеликий: більше {limit // (1024 * 1024)} МБ", code="file_too_large")


def _accept_all(
    ctx: Context,
    dispatcher: Dispatcher,
    files: Sequence[Path | Incoming],
    *,
    case: str | None,
    package: PackageKind,
    source: Source,
) -> Accepting:
    """Persist, record and queue every file, and log the one upload entry."""
    archive = ctx.archive
    items: Accepting = []
    try:
        with tempfile.TemporaryDirectory(dir=archive.settings.work_dir) as tmp:
            limit = max_upload_bytes(archive.settings.ingest.max_file_mb)
            # Files on disk as a list (the next few are stored while one is
            # recorded); uploads one at a time, each received in its turn.
            on_disk = [Input(f, str(f)) for f in files if isinstance(f, Path)]
            accept_files(
                archive,
                dispatcher,
                on_disk if len(on_disk) == len(files) else _inputs(files, Path(tmp), limit),
                items,
                case_number=case,
                package=package,
                source=source,
                actor=ctx.actor,
            )
    finally:
        # Whatever was accepted before a failure is in the archive now: it is logged too.
        ids = list(dict.fromkeys(i.document_id for _, i in items if isinstance(i, Accepted)))
        ctx.events.publish(
            event(
                ctx.principal,
                Action.upload,
                document_id=ids[0] if len(ids) == 1 else None,
                case=case,
                documents=ids,
                details=_details(len(files), package, source),
            )
        )
    return items


def _inputs(files: Sequence[Path | Incoming], tmp: Path, limit: int) -> Iterator[Input]:
    """The files as inputs; an upload is received just before it is accepted, and dropped after."""
    for n, f in enumerate(files):
        if not isinstance(f, Incoming):
            yield Input(f, str(f))
            continue
        path = tmp / f"upload-{n}"
        # Nothing of an over-size upload is kept (issue 9, item 4).
        _receive(f.stream, path, limit)
        try:
            yield Input(path, f.name, f.name)
        finally:
            path.unlink(missing_ok=True)


def max_upload_bytes(max_file_mb: float) -> int:
    """The ``MAX_FILE_MB`` limit in bytes (HTTP stops a larger body while it streams)."""
    return int(max_file_mb * 1024 * 1024)


def _details(count: int, package: PackageKind, source: Source) -> dict[str, Any]:
    return {"files": count, "package": package.value, "source": source.value}
