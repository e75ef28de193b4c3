"""Archiving files: ``ingest PATH…`` on the command line and ``POST /api/documents``.

Both go through :func:`ingest_files`: the caller must be allowed to upload to
this archive's centre; every file is persisted and recorded before it is
processed (a crash loses nothing); one ``document.upload`` entry names the
documents the call created or found again, whichever adapter it came from.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Literal

from archive.audit import Action
from archive.models import PackageKind, Source
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.pipeline import Accepted, NotAFile, accept_file, outcome_for
from usecases.access import event, require_upload
from usecases.case_access import known_case
from usecases.context import Context
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
                    with path.open("wb") as out:
                        shutil.copyfileobj(f.stream, out, _CHUNK)
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


def _details(count: int, package: PackageKind, source: Source) -> dict[str, Any]:
    return {"files": count, "package": package.value, "source": source.value}


def _finish(
    ctx: Context, dispatcher: Dispatcher, label: str, acc: Accepted, seen: set[str]
) -> FileOutcome:
    dispatcher.wait([acc.document_id])
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
