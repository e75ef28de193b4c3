"""A small centre's life for retention tests: cases registered, results ready, some
collected, some with no contact, some held; documents with stored objects."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive import cases as ops
from archive.audit import Events
from archive.models import (
    Case,
    CaseStatus,
    DocState,
    Document,
    Package,
    PackageKind,
    Page,
    Source,
    Tier,
)
from archive.settings import Settings
from archive.users import Role
from backends import Archive
from usecases import access
from usecases.context import Context
from usecases.policy import Principal

CENTRE = "ЦНАП Тест"


@dataclass
class Centre:
    archive: Archive
    events: Events

    def ctx(self, role: Role = Role.archivist, login: str = "arch") -> Context:
        return Context(self.archive, Principal(login, role, centre=CENTRE), self.events)


def at(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(10, 0), tzinfo=dt.UTC)


def make_case(
    c: Centre,
    n: int,
    *,
    registered: dt.date,
    ready: dt.date | None,
    collected: dt.date | None = None,
    contact: str | None = "вул. Тестова, 1",
    service: str = "Реєстрація місця проживання",
) -> str:
    """A case with an input document and (when ready) an output document."""
    a = c.archive
    with a.db.session() as s:
        reg = ops.Registration(
            service=service,
            centre=CENTRE,
            contact=contact,
            registered_at=at(registered),
            actor="admin",
        )
        case = ops.register(s, a.settings, reg).case
        for kind, day in ((PackageKind.input, registered), (PackageKind.output, ready)):
            if day is None:
                continue
            pkg = s.query(Package).filter_by(case_id=case.id, kind=kind).one_or_none()
            if pkg is None:
                pkg = Package(case_id=case.id, kind=kind, inventory=[])
                s.add(pkg)
                s.flush()
            pkg.received_at = at(day)
            body = f"{kind} {case.number} {n}".encode()
            obj = a.store.put_bytes(body)
            doc = Document(
                case_id=case.id,
                package_id=pkg.id,
                source=Source.scanner,
                original_name=f"{kind}.pdf",
                sha256=obj.sha256,
                size=len(body),
                state=DocState.archived,
                page_count=1,
            )
            s.add(doc)
            s.flush()
            s.add(Page(document_id=doc.id, number=1, text=f"текст {n}"))
        if ready is not None:
            case.status = CaseStatus.result_received
        if collected is not None:
            ops.issue(
                s,
                case,
                ops.Recipient.applicant,
                "admin",
                identity_document="паспорт",
                at=at(collected),
            )
        return case.number


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Centre]:
    yield from open_centre(Settings(data_dir=tmp_path / "data", centre=CENTRE))


def open_centre(settings: Settings) -> Iterator[Centre]:
    archive = Archive(settings)
    archive.init()
    try:
        yield Centre(archive, access.events_for(archive))
    finally:
        archive.close()


def objects(c: Centre, tier: Tier) -> set[str]:
    """The SHA-256 of every object in a tier (files on disk, or keys of the S3 bucket)."""
    from archive.store.s3 import S3Store

    store = c.archive.store
    if isinstance(store, S3Store):
        bucket = store._bucket(tier)
        return {
            str(o.object_name).rsplit("/", 1)[-1]
            for o in store.client.list_objects(bucket, recursive=True)
        }
    root = c.archive.settings.data_dir / "store" / tier.value
    return {p.name for p in root.rglob("*") if p.is_file()}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["CENTRE", "Case", "Centre", "at", "make_case", "objects"]
