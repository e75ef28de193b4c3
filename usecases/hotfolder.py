"""Files from the desk's scanners: one file of a watched hot folder, one SANE scan.

The watching and the scanning themselves (the folder's state machine in
:mod:`scanner.hotfolder`, ``scanimage`` in :mod:`scanner.sane`) belong to the
adapters; each file they produce is archived by one use case here, with
one audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.audit import Action
from archive.models import PackageKind
from usecases.access import event
from usecases.batches import BatchOutcome, batch_details, documents_of, ingest_one
from usecases.case_access import require_desk
from usecases.context import Context
from usecases.registry import use_case


def _allowed(ctx: Context, action: Action) -> None:
    require_desk(ctx.archive, ctx.events, ctx.principal, ctx.archive.settings.centre, action)


@use_case(None, why_unaudited="only checks that the caller may feed the archive; each file is")
def open_hot_folder(ctx: Context) -> None:
    """Refuse (and log the refusal) before a watcher starts for someone who may not scan."""
    _allowed(ctx, Action.hotfolder_file)


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What became of one hot-folder file.

    ``ok``: it goes to ``done/`` (else ``failed/``); ``note``: a reason file
    goes beside it even so (something held, or already archived);
    ``retry``: it could not be read now and stays for the next round.
    The explanation is ``message``, or the batch ``report`` to be rendered.
    """

    ok: bool
    note: bool = False
    message: str | None = None
    report: dict[str, Any] | None = None
    retry: str | None = None


@use_case(Action.hotfolder_file)
def take_hot_folder_file(ctx: Context, *, path: Path, split: bool = True) -> FileOutcome:
    """Archive one file a network scanner left in the hot folder (``watch``)."""
    _allowed(ctx, Action.hotfolder_file)
    p = ctx.principal
    documents: list[str] = []
    details: dict[str, Any] = {"split": split}
    if not split:
        from ingest.service import ingest_files

        (outcome,) = ingest_files(ctx.archive, [path], actor=p.login, dispatcher=ctx.dispatcher)
        details["status"] = outcome.status
        if outcome.document_id:
            documents.append(outcome.document_id)
        if outcome.status == "rejected":
            result = FileOutcome(False, message=outcome.reason or "відхилено")
        else:
            result = FileOutcome(True, message=f"{outcome.status}: {outcome.document_id}")
    else:
        try:
            batch = ingest_one(
                ctx.archive,
                path,
                actor=p.login,
                source="hotfolder",
                original_name=path.name,
                dispatcher=ctx.dispatcher,
            )
        except OSError as exc:
            result = FileOutcome(False, retry=str(exc))
            details["status"] = "retry"
        else:
            details.update(batch_details(batch))
            documents = documents_of(batch)
            data = batch.as_json()
            if batch.status == "failed":
                result = FileOutcome(False, message=f"{data['reason']} (код {data['code']})")
            elif batch.rejected:
                result = FileOutcome(False, report=data)
            else:
                result = FileOutcome(
                    True, note=batch.status in ("review", "duplicate"), report=data
                )
    ctx.events.publish(event(p, Action.hotfolder_file, documents=documents, details=details))
    return result


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """A scanned batch archived: split (``batch``) or as documents of one case (``documents``)."""

    batch: BatchOutcome | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        if self.batch is not None:
            return self.batch.rejected
        return any(d["status"] == "rejected" for d in self.documents)


@use_case(Action.scan_batch)
def archive_scan(
    ctx: Context,
    *,
    path: Path,
    split: bool = True,
    case: str | None = None,
    package: PackageKind = PackageKind.input,
) -> ScanOutcome:
    """Archive what the desk's scanner produced (``scan``): split at cover sheets, or
    (``split=False``) as one document of ``case``."""
    _allowed(ctx, Action.scan_batch)
    p = ctx.principal
    if split:
        batch = ingest_one(
            ctx.archive, path, actor=p.login, source="scan", dispatcher=ctx.dispatcher
        )
        ctx.events.publish(
            event(
                p,
                Action.scan_batch,
                documents=documents_of(batch),
                details={"split": True, **batch_details(batch)},
            )
        )
        return ScanOutcome(batch=batch)
    from ingest.service import ingest_files

    # The scan report keeps its own shape (no per-file notes).
    docs = [
        {k: v for k, v in o.as_json().items() if k != "notes"}
        for o in ingest_files(
            ctx.archive,
            [path],
            case_number=case,
            package=package,
            actor=p.login,
            dispatcher=ctx.dispatcher,
        )
    ]
    ctx.events.publish(
        event(
            p,
            Action.scan_batch,
            case=case,
            documents=[d["document_id"] for d in docs if d["document_id"]],
            details={"split": False, "status": [d["status"] for d in docs]},
        )
    )
    return ScanOutcome(documents=docs)


__all__ = ["FileOutcome", "ScanOutcome", "archive_scan", "open_hot_folder", "take_hot_folder_file"]
