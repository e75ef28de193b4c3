"""Cases carried over from a centre's earlier electronic archive (``cnap-archive import``).

An imported case keeps what it was: its own number from the old journal, its
dates (registered, sent, result, closed) and its department. It is marked by
a registration id derived from its centre and number, so a run that was
killed and started again recognises the case it created before — and tells it
apart from a case of the same number registered at the desk, which is a
clash. The journal of rows done (:class:`ImportRow`, keyed by the manifest's
SHA-256 and the row) lets a rerun skip what is finished without reading a
single file again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.cases import CaseRegistration, Delivery, Notify
from archive.journal import local_year, parse_number, raise_counter
from archive.models import (
    Base,
    Case,
    CaseEvent,
    CaseStatus,
    Package,
    PackageKind,
    UTCDateTime,
    utcnow,
)
from archive.settings import Settings


class ImportRow(Base):
    """A manifest row whose case and files are in the archive (a rerun skips it)."""

    __tablename__ = "import_rows"

    manifest_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    row: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_by: Mapped[str | None] = mapped_column(String(200))


@dataclass(frozen=True, slots=True)
class ImportedCase:
    """A case as the earlier archive recorded it (dates are aware datetimes)."""

    number: str
    service: str
    registered_at: dt.datetime
    applicant: str | None = None
    department: str | None = None
    sent_at: dt.datetime | None = None
    result_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


class ImportClash(Exception):
    """The number is taken by another case (message in Ukrainian, no personal data)."""


def import_marker(centre: str, number: str) -> str:
    """The registration id of the imported case ``number`` of ``centre`` (64 characters max)."""
    digest = hashlib.sha256(f"{centre}\x00{number}".encode()).hexdigest()
    return f"import-{digest[:57]}"


def rows_done(s: Session, manifest_sha256: str) -> set[int]:
    """Rows of this manifest finished by an earlier run."""
    return set(s.scalars(select(ImportRow.row).where(ImportRow.manifest_sha256 == manifest_sha256)))


def mark_done(
    s: Session, manifest_sha256: str, row: int, case_id: int, documents: int, actor: str | None
) -> None:
    if s.get(ImportRow, (manifest_sha256, row)) is None:
        s.add(
            ImportRow(
                manifest_sha256=manifest_sha256,
                row=row,
                case_id=case_id,
                documents=documents,
                done_by=actor,
            )
        )


def import_case(
    s: Session,
    settings: Settings,
    spec: ImportedCase,
    *,
    actor: str | None,
    manifest: str,
    row: int,
    documents: int,
) -> tuple[Case, bool]:
    """Record ``spec`` as it was; returns the case and whether this call created it.

    The same case created by an earlier (interrupted) import is returned as it
    is. Any other case with the number is an :class:`ImportClash`.
    """
    centre = settings.centre
    marker = import_marker(centre, spec.number)
    found = s.scalar(select(Case).where(Case.centre == centre, Case.number == spec.number))
    if found is not None:
        reg = s.get(CaseRegistration, found.id)
        same = (
            reg is not None
            and reg.registration_id == marker
            and found.service == spec.service
            and found.registered_at == spec.registered_at
        )
        if not same:
            raise ImportClash("номер уже має інша справа в архіві")
        return found, False
    status = CaseStatus.registered
    if spec.sent_at is not None:
        status = CaseStatus.sent
    if spec.result_at is not None:
        status = CaseStatus.result_received
    if spec.closed_at is not None:
        status = CaseStatus.issued
    case = Case(
        number=spec.number,
        service=spec.service,
        centre=centre,
        department=spec.department,
        applicant_ref=spec.applicant,
        status=status,
        notify_method=Notify.none.value,
        delivery_method=Delivery.none.value,
        registered_at=spec.registered_at,
        closed_at=spec.closed_at,
    )
    s.add(case)
    s.flush()
    tz = settings.desk.timezone
    parsed = parse_number(settings.desk.number_format, spec.number, centre=centre)
    if parsed is not None:
        # Today's journal continues after the old one: its numbers are taken.
        raise_counter(s, centre, parsed[0], parsed[1])
    year, seq = parsed or (local_year(spec.registered_at, tz), 0)
    s.add(
        CaseRegistration(
            case_id=case.id,
            registration_id=marker,
            year=year,
            seq=seq,
            registered_by=actor,
            offline=False,
        )
    )
    s.add(
        Package(
            case_id=case.id,
            kind=PackageKind.input,
            inventory=[],
            received_at=spec.registered_at,
        )
    )
    if spec.result_at is not None or spec.closed_at is not None:
        s.add(
            Package(
                case_id=case.id,
                kind=PackageKind.output,
                inventory=[],
                received_at=spec.result_at,
                issued_at=spec.closed_at,
            )
        )

    def add(kind: str, at: dt.datetime, **details: Any) -> None:
        s.add(CaseEvent(case_id=case.id, kind=kind, actor=actor, at=at, details=details))

    # The routing sheet as the old archive knew it: counts and dates, never people.
    add(
        "case.registered",
        spec.registered_at,
        number=spec.number,
        documents=documents,
        sheets="—",
        notify=Notify.none.value,
        delivery=Delivery.none.value,
        offline=False,
        imported=True,
    )
    if spec.sent_at is not None:
        add("case.sent", spec.sent_at, department=spec.department or "—")
    if spec.result_at is not None:
        add("result.received", spec.result_at)
    if spec.closed_at is not None:
        add("case.closed", spec.closed_at, imported=True)
    add("case.imported", utcnow(), manifest=manifest[:12], row=row)
    s.flush()
    return case, True


__all__ = [
    "ImportClash",
    "ImportRow",
    "ImportedCase",
    "import_case",
    "import_marker",
    "mark_done",
    "rows_done",
]
