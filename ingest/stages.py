"""The ingest pipeline as an ordered list of stages over one typed record.

Learned from paperless-ngx's consume plugins: every input goes through the
same ordered stages (:data:`ingest.consume.STAGES`); each stage says whether it
applies to the input, and a stage that takes the input over (cover-sheet
splitting: the parts are queued, the scan itself is not archived) stops the
consume by returning its result. The last stage, accepting the file as one
document, always answers. Processing (OCR, PDF/A, text, personal data) then
runs on each queued document through the dispatcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archive.models import PackageKind, Source
from archive.store.base import StoredObject
from backends import Archive
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.pipeline import Accepted, accept_file


@dataclass(slots=True)
class Intake:
    """One input file and what is known about it when it arrives."""

    path: Path
    actor: str | None = None
    source: Source = Source.scanner
    original_name: str | None = None  # as the sender named it (default: the file's name)
    case_number: str | None = None
    package: PackageKind = PackageKind.input
    # A scanned batch: cover sheets separate the packages of several cases.
    split: bool = False
    channel: str = "cli"  # the door a batch came in by (cli, hotfolder, api, station)
    # Put in the store ahead of its turn (see ingest.service.accept_files); checked
    # against the file's bytes before it is relied on.
    stored: StoredObject | None = None

    @property
    def name(self) -> str:
        return (self.original_name or self.path.name)[:500]


class Consumed(Protocol):
    """What a stage that stopped the consume did."""

    @property
    def queued(self) -> list[str]:
        """Documents submitted for processing (to wait for)."""
        ...


class DispatcherRef:
    """The dispatcher a consume hands documents to.

    A dispatcher the caller gave is used as it is; otherwise one is opened on
    first use (and picks up unfinished work), so an input that stops early
    (a batch seen before, an unreadable scan) opens none.
    """

    def __init__(self, archive: Archive, given: Dispatcher | None) -> None:
        self._archive = archive
        self._given = given
        self._own: Dispatcher | None = None

    def get(self) -> Dispatcher:
        if self._given is not None:
            return self._given
        if self._own is None:
            self._own = open_dispatcher(self._archive)
            self._own.recover()
        return self._own

    def close(self) -> None:
        """Close the dispatcher this reference opened (never the caller's)."""
        if self._own is not None:
            self._own.close()
            self._own = None


class Stage(Protocol):
    """One step of the consume."""

    def able_to_run(self, intake: Intake) -> bool:
        """Whether this stage applies to the input."""
        ...

    def run(self, archive: Archive, intake: Intake, dispatcher: DispatcherRef) -> Consumed | None:
        """Do the step; a result stops the consume, None passes the input on."""
        ...


@dataclass(slots=True)
class DocumentQueued:
    """The input was accepted as one document and submitted for processing."""

    accepted: Accepted

    @property
    def queued(self) -> list[str]:
        return [self.accepted.document_id]


class AcceptDocument:
    """The last stage: persist and record the file as one document, then submit it."""

    def able_to_run(self, intake: Intake) -> bool:
        return True

    def run(self, archive: Archive, intake: Intake, dispatcher: DispatcherRef) -> DocumentQueued:
        acc = accept_file(
            archive,
            intake.path,
            case_number=intake.case_number,
            package=intake.package,
            source=intake.source,
            original_name=intake.original_name,
            actor=intake.actor,
            stored=intake.stored,
        )
        dispatcher.get().submit(acc.document_id)
        return DocumentQueued(acc)


def run_stages(
    archive: Archive, intake: Intake, dispatcher: DispatcherRef, stages: Sequence[Stage]
) -> Consumed:
    """Run the stages in order until one takes the input over."""
    for stage in stages:
        if stage.able_to_run(intake):
            result = stage.run(archive, intake, dispatcher)
            if result is not None:
                return result
    raise RuntimeError("no ingest stage took the input (the last one always should)")
