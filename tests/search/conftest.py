"""Fixtures for the search tests: one contract suite, run against every backend."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from search.base import IndexDoc, SearchIndex
from search.tantivy_index import TantivyIndex


def _tantivy(tmp_path: Path, n: int) -> SearchIndex:
    return TantivyIndex(tmp_path / f"tantivy-{n}")


def _elastic(tmp_path: Path, n: int) -> SearchIndex:
    from search.elastic_index import ElasticIndex
    from tests.services import service_urls

    # An alias (and template) of its own per index: tests run in parallel
    # sessions against the one shared cluster.
    base = service_urls()["CNAP_INDEX_URL"].rstrip("/")
    # refresh=true: visible at once instead of at the next 1 s refresh (the
    # wait_for default is covered in test_elastic.py).
    name = f"cnap-test-{uuid.uuid4().hex[:12]}-{n}"
    return ElasticIndex.from_url(f"{base}/?index={name}&refresh=true")


# Every test using ``index``/``make_index`` runs on each backend.
BACKENDS = [
    pytest.param(_tantivy, id="tantivy"),
    pytest.param(_elastic, id="elastic", marks=pytest.mark.services),
]

IndexFactory = Callable[[], SearchIndex]


@pytest.fixture(params=BACKENDS)
def make_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IndexFactory]:
    """Creates fresh, empty indexes of one backend; closes them afterwards."""
    created: list[SearchIndex] = []

    def factory() -> SearchIndex:
        index: SearchIndex = request.param(tmp_path, len(created))
        created.append(index)
        return index

    yield factory
    for index in created:
        # Removes what the test created (files, or indexes on the cluster).
        index.drop()
        index.close()


@pytest.fixture
def index(make_index: IndexFactory) -> SearchIndex:
    return make_index()


def make_doc(
    document_id: str,
    *pages: str,
    case: str | None = "2026/00001",
    package: str | None = "input",
    source: str = "scanner",
    archived_at: datetime | None = None,
    centre: str | None = "centre-1",
    department: str | None = "dept-1",
    title: str | None = None,
    doc_type: str | None = None,
    doc_type_group: str | None = None,
    doc_date: date | None = None,
) -> IndexDoc:
    """An IndexDoc with defaults for what a test does not care about."""
    return IndexDoc(
        document_id=document_id,
        case=case,
        package=package,
        source=source,
        archived_at=archived_at or datetime(2026, 3, 5, 10, 0),
        pages=list(pages),
        centre=centre,
        department=department,
        title=title,
        doc_type=doc_type,
        doc_type_group=doc_type_group,
        doc_date=doc_date,
    )
