"""Archiving files: ``ingest PATH…`` on the command line and ``POST /api/documents``.

Both go through :func:`ingest_files`: the caller must be allowed to upload to
this archive's centre; every file is persisted and recorded before it is
processed (a crash loses nothing); one ``document.upload`` entry names the
documents the call created or found again, whichever adapter it came from.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Literal

from sqlalchemy import select

from archive.audit import Action, Outcome
from archive.models import Case, PackageKind, Source
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.dispatch.base import NoWorkers
from ingest.pipeline import Accepted, NotAFile, accept_file, outcome_for
from usecases.access import event, require_upload
from usecases.case_access import case_scope, known_case
from usecases.context import Context
from usecases.errors import Denied, Invalid, TooLarge, Unavailable
from usecases.policy import may_upload_into
from usecases.registry import use_case

Status = Literal["archived", "duplicate", "rejected", "accepted"]
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Incoming:
    """A file received over the network: the name it came with and its bytes (read once)."""

    name: str
    stream: BinaryIO


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """The answer for one input file (``accepted``: still being processed, not waited for)."""

    file: str
    status: Status
    document_id: str | None
    reason: str | None = None
    code: str | None = None
    # Warnings for the administrator (pages where OCR found no text).
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "document_id": self.document_id,
            "reason": self.reason,
            "code": self.code,
            "notes": list(self.notes),
        }


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
        seen: set[str] = set()
        for label, item in items:
            if not isinstance(item, FileOutcome):
                item = _finish(ctx, dispatcher, label, item, seen) if wait else _queued(label, item)
            outcomes.append(item)
            if on_outcome is not None:
                on_outcome(item)
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
        event(ctx.principal, Action.upload, Outcome.denied, case=number, details={"why": why})
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
) -> list[tuple[str, Accepted | FileOutcome]]:
    """Persist and record every file, queue it, and log the one upload entry."""
    archive = ctx.archive
    items: list[tuple[str, Accepted | FileOutcome]] = []
    try:
        with tempfile.TemporaryDirectory(dir=archive.settings.work_dir) as tmp:
            for n, f in enumerate(files):
                if isinstance(f, Incoming):
                    path, label, name = Path(tmp) / f"upload-{n}", f.name, f.name
                    # Nothing of an over-size upload is kept (issue 9, item 4).
                    _receive(f.stream, path, max_upload_bytes(archive.settings.ingest.max_file_mb))
                else:
                    path, label, name = f, str(f), None
                try:
                    acc = accept_file(
                        archive,
                        path,
                        case_number=case,
                        package=package,
                        source=source,
                        original_name=name,
                        actor=ctx.actor,
                    )
                except NotAFile as exc:
                    items.append(
                        (label, FileOutcome(label, "rejected", None, str(exc), "not_found"))
                    )
                    continue
                finally:
                    if name is not None:
                        path.unlink(missing_ok=True)
                dispatcher.submit(acc.document_id)
                items.append((label, acc))
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


def max_upload_bytes(max_file_mb: float) -> int:
    """The ``MAX_FILE_MB`` limit in bytes (HTTP stops a larger body while it streams)."""
    return int(max_file_mb * 1024 * 1024)


def _details(count: int, package: PackageKind, source: Source) -> dict[str, Any]:
    return {"files": count, "package": package.value, "source": source.value}


def _finish(
    ctx: Context, dispatcher: Dispatcher, label: str, acc: Accepted, seen: set[str]
) -> FileOutcome:
    try:
        # With a broker: somebody must be consuming the queue, or we would wait forever.
        dispatcher.require_workers()
        dispatcher.wait([acc.document_id])
    except NoWorkers as exc:
        raise Unavailable(
            "Жоден worker не обробляє чергу: файли прийнято й буде оброблено, щойно "
            "запуститься worker (cnap-archive worker)",
            code="no_workers",
        ) from exc
    o = outcome_for(ctx.archive, label, acc)
    out = FileOutcome(o.file, o.status, o.document_id, o.reason, o.code)
    if acc.document_id in seen and out.status == "archived":
        # The same bytes twice in one call: archived once, the copy is a duplicate.
        out = FileOutcome(
            label, "duplicate", acc.document_id, "Цей файл уже є в архіві", "duplicate"
        )
    seen.add(acc.document_id)
    if out.status == "archived" and out.document_id:
        # Nothing is archived silently empty: pages without text are told at once.
        out = replace(out, notes=_notes(ctx, out.document_id))
    return out


def _notes(ctx: Context, document_id: str) -> tuple[str, ...]:
    from archive.cases import empty_pages_note, pages_without_text

    with ctx.archive.db.session() as s:
        empty = pages_without_text(s, [document_id]).get(document_id)
    return (empty_pages_note(empty),) if empty else ()


def _queued(label: str, acc: Accepted) -> FileOutcome:
    return FileOutcome(label, "accepted", acc.document_id)
