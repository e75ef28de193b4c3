"""Search filters by document type and the document's own date, end to end: the hook
stores the type and fields, the indexer carries them, the use case resolves names."""

from __future__ import annotations

from datetime import date

import pytest

from backends import Archive
from ingest.metadata import DocType, extract_metadata
from ingest.metadata.seed import specimen
from search.query import split_type_filters
from tests.metadata.helpers import ctx_for, put_document
from usecases import metadata as uc
from usecases.errors import Invalid
from usecases.search import search


def _ids(archive: Archive, text: str = "", **kwargs: object) -> set[str]:
    result = search(ctx_for(archive), text=text, limit=100, **kwargs)  # type: ignore[arg-type]
    return {h.document_id for h in result.hits}


def test_split_type_filters() -> None:
    assert split_type_filters('довідка type:application тип:"Свідоцтво про шлюб"') == (
        "довідка",
        ["application", "Свідоцтво про шлюб"],
    )
    assert split_type_filters("ключ:значення type:") == ("ключ:значення type:", [])


def test_search_by_type_label_group_and_document_date(archive: Archive) -> None:
    idp = specimen(DocType.certificate_idp, 3)
    booklet = specimen(DocType.passport_booklet, 4)
    a = put_document(archive, idp.text)
    b = put_document(archive, booklet.text)
    assert extract_metadata(archive, a) == "certificate_idp"
    assert extract_metadata(archive, b) == "passport_booklet"
    assert _ids(archive, types=["certificate_idp"]) == {a}
    assert _ids(archive, "type:certificate_idp") == {a}
    assert _ids(archive, types=["Довідка про доходи", "certificate_idp"]) == {a}
    assert _ids(archive, "type:certificate") == {a}  # the group
    assert _ids(archive, "тип:identity") == {b}
    assert _ids(archive, types=["identity", "certificate"]) == {a, b}
    issued = date.fromisoformat(idp.fields["issue_date"])
    assert a in _ids(archive, doc_date_from=issued, doc_date_to=issued)
    assert a not in _ids(archive, doc_date_from=date(issued.year + 1, 1, 1))
    with pytest.raises(Invalid):
        search(ctx_for(archive), text="type:nonsense")


def test_corrected_type_reaches_the_index(archive: Archive) -> None:
    doc = put_document(archive, specimen(DocType.contract, 2).text)
    extract_metadata(archive, doc)
    assert doc not in _ids(archive, types=["decision"])
    uc.correct_document_type(ctx_for(archive), document_id=doc, type="decision")
    assert _ids(archive, types=["decision"]) == {doc}
