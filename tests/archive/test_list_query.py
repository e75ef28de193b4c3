"""``archive.database.ListQuery`` runs a search's per-hit reads through the driver's
cursor: it must return what SQLAlchemy's own execution of the same statement returns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from archive.database import ListQuery
from archive.findings import _IDENTIFIERS, identifiers_for_documents
from archive.models import Case, CaseDocument, CaseStatus, Tier
from archive.settings import Settings
from backends import Archive
from tests.api.helpers import application, make_document
from usecases.policy import _held_query, held_documents

HOME = "ЦНАП Житомир"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    a = Archive(Settings(data_dir=tmp_path_factory.mktemp("lq"), centre=HOME))
    a.init()
    yield a
    a.close()


@pytest.fixture(scope="module")
def ids(archive: Archive) -> list[str]:
    made = [
        make_document(archive, application("одна"), case="2026/0001", department="ДМС"),
        make_document(archive, application("друга"), case="2019/0002",
                      status=CaseStatus.archived, workplace="ВРМ"),
        make_document(archive, application("третя"), case="2026/0003", centre="ЦНАП Бердичів"),
        make_document(archive, application("без справи")),
    ]  # fmt: skip
    with archive.db.session() as s:
        # The first document handed in for a second case too: two holders.
        second = made[2]
        case_id = s.scalar(select(Case.id).where(Case.number == second.case))
        s.add(CaseDocument(case_id=case_id, document_id=made[0].id))
    return [m.id for m in made]


def _core(conn: object, q: ListQuery, values: list[str]) -> list[tuple[object, ...]]:
    return [tuple(r) for r in conn.execute(q.stmt, {"ids": values})]  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", [_held_query(), _IDENTIFIERS], ids=["held", "identifiers"])
def test_same_rows_as_core(archive: Archive, ids: list[str], query: ListQuery) -> None:
    cases = [ids, ids[:1], ids[1:3], [*ids, "0" * 32], ["0" * 32], list(reversed(ids))]
    with archive.db.engine.connect() as conn:
        for values in cases * 2:  # the second round uses the SQL compiled in the first
            fast = query.rows(conn, values)
            assert fast == _core(conn, query, values), values
        assert query.rows(conn, ids)


def test_enums_compare_as_before(archive: Archive, ids: list[str]) -> None:
    with archive.db.engine.connect() as conn:
        rows = _held_query().rows(conn, ids)
    tiers = {r[1] for r in rows}
    assert tiers <= {t.value for t in Tier} and all(r[1] == Tier(r[1]) for r in rows)
    assert CaseStatus.archived in {r[7] for r in rows}


def test_held_and_identifiers_from_a_session(archive: Archive, ids: list[str]) -> None:
    with archive.db.engine.connect() as conn:
        held = held_documents(conn, ids, HOME)
        found = identifiers_for_documents(conn, ids)
    with archive.db.session() as s:
        assert held_documents(s, ids, HOME) == held
        assert identifiers_for_documents(s, ids) == found
    assert len(held[ids[0]].scopes) == 2  # both of its cases
    assert held[ids[1]].scopes[0].archival and not held[ids[0]].scopes[0].archival
    assert held[ids[3]].scopes[0].centre == HOME and held[ids[3]].scopes[0].case is None
    assert {f.kind for f in found[ids[0]]} >= {"rnokpp", "iban"}
