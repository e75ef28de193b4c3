"""Search hits are decided from Core rows (``policy.held_documents``): the same
decision, through the same case, as ``decide_document`` on loaded objects."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.models import Case, CaseDocument, CaseStatus, Document, Source, Tier
from archive.settings import Settings
from backends import Archive
from tests.usecases.conftest import HOME, OTHER, PRINCIPALS
from usecases.policy import decide_document, decide_held, held_documents


def _doc(n: int, case: Case | None, tier: Tier = Tier.operational) -> Document:
    return Document(
        id=f"doc-{n}",
        case_id=case.id if case else None,
        source=Source.scanner,
        original_name=f"{n}.pdf",
        sha256=hashlib.sha256(str(n).encode()).hexdigest(),
        size=1,
        pdfa_tier=tier,
    )


def test_held_documents_decide_like_loaded_documents(tmp_path: Path) -> None:
    archive = Archive(Settings(data_dir=tmp_path / "data", centre=HOME))
    archive.init()
    try:
        with archive.db.session() as s:
            mine = Case(
                number="2026/1", centre=HOME, department="ДМС", applicant_ref="Іван Петренко"
            )
            other = Case(number="2026/2", centre=OTHER, department="ДМС")
            elsewhere = Case(number="2026/3", centre=HOME, department="Інший", workplace="ВРМ")
            archived = Case(number="2019/4", centre=HOME, department="ДМС")
            archived.status = CaseStatus.archived
            s.add_all([mine, other, elsewhere, archived])
            s.flush()
            docs = [
                _doc(1, mine),
                _doc(2, other),
                _doc(3, None),  # no case: the archive's own centre
                _doc(4, elsewhere),  # held by a second case below
                _doc(5, archived),
                _doc(6, mine, Tier.archival),
            ]
            s.add_all(docs)
            s.flush()
            s.add(CaseDocument(case_id=mine.id, document_id="doc-4"))
        ids = [f"doc-{n}" for n in range(1, 8)]  # doc-7 does not exist
        with archive.db.engine.connect() as conn:
            held = held_documents(conn, ids, HOME)
        assert sorted(held) == ids[:6]
        assert len(held["doc-4"].scopes) == 2
        assert held["doc-1"].applicant_ref == "Іван Петренко"
        with archive.db.session() as s:
            loaded = {
                d.id: d
                for d in s.scalars(
                    select(Document).options(
                        selectinload(Document.case), selectinload(Document.cases)
                    )
                )
            }
            for who, p in PRINCIPALS.items():
                for doc_id, doc in loaded.items():
                    expected = decide_document(p, doc, HOME)
                    assert decide_held(p, held[doc_id].scopes) == expected, (who, doc_id)
    finally:
        archive.close()
