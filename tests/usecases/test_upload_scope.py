"""Issue 9, item 4 (use-case half): uploads are decided by the policy like reads — an
administrator cannot add documents to another workplace's case or to an archived case,
and nothing of a refused upload is read or kept."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import func, select

from archive.models import CaseStatus, Document, Source
from tests.usecases.conftest import DEPT, WORKPLACE, World
from tests.usecases.holes import Inline, make_case
from usecases.errors import Denied
from usecases.ingest import Incoming, ingest_files


def _count(world: World) -> int:
    with world.archive.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Document)) or 0)


@pytest.mark.parametrize(
    ("who", "workplace", "status"),
    [
        ("admin_wp", None, CaseStatus.registered),  # a case of the centre, not of her workplace
        ("admin", None, CaseStatus.archived),  # an archived case takes nothing new
        ("admin_wp", WORKPLACE, CaseStatus.archived),
    ],
)
def test_upload_outside_the_callers_cases_is_refused(
    world: World, who: str, workplace: str | None, status: CaseStatus
) -> None:
    number = f"2026/6{uuid.uuid4().hex[:4]}"
    make_case(world.archive, number, department=DEPT, workplace=workplace, status=status)
    stream = io.BytesIO(f"%PDF-1.7 не до цієї справи {number}".encode())
    before, start = _count(world), world.head()
    with pytest.raises(Denied):
        ingest_files(
            world.ctx(who, dispatcher=Inline(world.archive)),
            files=[Incoming("x.pdf", stream)],
            source=Source.upload,
            case=number,
        )
    assert stream.tell() == 0 and _count(world) == before
    (entry,) = world.since(start)
    assert (entry["action"], entry["outcome"]) == ("document.upload", "denied")


def test_own_workplace_case_takes_uploads(world: World) -> None:
    number = f"2026/6{uuid.uuid4().hex[:4]}"
    make_case(world.archive, number, department=DEPT, workplace=WORKPLACE)
    result = ingest_files(
        world.ctx("admin_wp", dispatcher=Inline(world.archive)),
        files=[Incoming("x.pdf", io.BytesIO(f"%PDF-1.7 своя справа {number}".encode()))],
        source=Source.upload,
        case=number,
    )
    assert result.outcomes[0].status == "archived"
