"""A group of documents is recorded with bulk writes and one classifier call: the same
result as document by document, and a retried run replaces what an earlier one wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from archive.findings import DocumentFinding
from archive.metadata_models import DocumentMetadata, MetadataField
from archive.models import Case, CaseEvent, DocState, Document, IndexOutbox, Page
from backends import Archive
from common.pages import PageText, Word, word_rows
from ingest.indexing import flush_outbox, index_doc, index_docs
from ingest.job import JobResult
from ingest.metadata import DocType
from ingest.metadata.classifier import classifier_text, seed_model, text_counts
from ingest.metadata.seed import specimen
from ingest.ocr import OcrOptions
from ingest.pipeline import _release, accept_file, process_batch, process_document
from ingest.preflight import Limits
from pii import detect
from search.base import SearchQuery

KINDS = (DocType.power_of_attorney, DocType.passport_booklet, DocType.taxpayer_card)


TEXTS = [
    specimen(kind, i).text + "\nРНОКПП 3012409876, тел. +380 67 123 45 67"
    for i, kind in enumerate(KINDS * 2)
]


def _runner(*, in_worker: bool) -> Any:
    """A stand-in for the worker process: the text of each file; its identifiers and
    classifier counts too when ``in_worker`` (as the real job does), else left to the
    orchestrating process."""

    def run(
        source: Path, output_pdf: Path, work: Path, limits: Limits, options: OcrOptions
    ) -> JobResult:
        text = TEXTS[int(source.read_bytes().split()[2])]
        output_pdf.write_bytes(b"%PDF-1.7 rendition of " + source.read_bytes())
        words = [Word(w, 0.1, 0.1, 0.2, 0.2) for w in text.split()[:5]]
        pages = [PageText(1, text, words=words, ocr=False), PageText(2, "друга сторінка")]
        return JobResult(
            media_type="application/pdf",
            pdfa_path=output_pdf,
            pages=pages,
            findings=detect(pages) if in_worker else None,
            text_counts=text_counts(classifier_text(p.text for p in pages)) if in_worker else None,
            counted=in_worker,
            words_json=[json.dumps(word_rows(p.words)) for p in pages] if in_worker else None,
        )

    return run


def _accept(
    archive: Archive, tmp_path: Path, case: str | None = None, copy: str = "a"
) -> list[str]:
    ids = []
    for i in range(len(TEXTS)):
        path = tmp_path / f"in-{copy}-{i}.pdf"
        path.write_bytes(f"%PDF-1.7 document {i} {copy}".encode())
        ids.append(accept_file(archive, path, case_number=case).document_id)
    return ids


def _recorded(archive: Archive, ids: list[str]) -> dict[str, Any]:
    """What the database holds for the documents, by their position (ids differ)."""
    out: dict[str, Any] = {}
    with archive.db.session() as s:
        for n, i in enumerate(ids):
            doc = s.get(Document, i)
            assert doc is not None
            meta = s.get(DocumentMetadata, i)
            out[f"doc{n}"] = (
                doc.state,
                doc.page_count,
                meta.type if meta else None,
                meta.confidence if meta else None,
                [(p.number, p.text, p.words) for p in doc.pages],
                sorted(
                    (f.kind, f.value, f.page, f.char_start, f.char_end, f.masked, f.ref, f.source)
                    for f in s.scalars(
                        select(DocumentFinding).where(DocumentFinding.document_id == i)
                    )
                ),
                sorted(
                    (f.name, f.value, f.page, f.personal, f.kind, f.ref, f.masked)
                    for f in s.scalars(select(MetadataField).where(MetadataField.document_id == i))
                ),
            )
    return out


def test_batch_classification_is_per_document_classification() -> None:
    model = seed_model()
    texts = [specimen(k, i).text for i, k in enumerate(KINDS)] + ["", "   ", "довідка"]
    assert model.classify_many(texts) == [model.classify(t) for t in texts]
    assert model.classify_many([]) == []


def test_counts_from_the_worker_classify_as_the_text() -> None:
    # The worker process counts the n-grams, this process weighs them: same answers,
    # one document or several, and counting twice changes nothing (weighing copies).
    model = seed_model()
    texts = [specimen(k, i).text for i, k in enumerate(KINDS)] + ["", "   ", "довідка"]
    counts = [text_counts(t) for t in texts]
    assert counts[-3] is None and counts[-2] is None
    assert model.classify_counts(counts) == model.classify_many(texts)
    assert model.classify_counts(counts[:1]) == [model.classify(texts[0])]
    assert model.classify_counts(counts) == model.classify_many(texts)
    assert model.classify_counts([]) == []


def test_a_group_is_recorded_as_document_by_document(archive: Archive, tmp_path: Path) -> None:
    one = _accept(archive, tmp_path, copy="one")
    for i in one:
        assert process_document(archive, i, _runner(in_worker=False), "w:1:1")
    by_one = _recorded(archive, one)
    group = _accept(archive, tmp_path, copy="group")
    assert process_batch(archive, group, _runner(in_worker=True), "w:1:1") == []
    assert _recorded(archive, group) == by_one
    # Identifiers detected, and each document of its own type.
    assert all(rec[5] for rec in by_one.values())
    assert {rec[2] for rec in by_one.values()} == {k.value for k in KINDS}


def test_a_retried_group_replaces_what_it_wrote(archive: Archive, tmp_path: Path) -> None:
    ids = _accept(archive, tmp_path, case="К-1")
    run = _runner(in_worker=True)
    assert process_batch(archive, ids, run, "w:1:1") == []
    first = _recorded(archive, ids)
    # An interrupted run's leftovers: the documents are given back and processed again.
    with archive.db.session() as s:
        for i in ids:
            s.get(Document, i).state = DocState.processing  # type: ignore[union-attr]
    for i in ids:
        _release(archive, i)
    assert process_batch(archive, ids, run, "w:1:1") == []
    assert _recorded(archive, ids) == first
    with archive.db.session() as s:
        pages = s.scalar(select(func.count()).select_from(Page))
        assert pages == 2 * len(ids)
        case = s.scalar(select(Case).where(Case.number == "К-1"))
        assert case is not None
        archived = s.scalars(
            select(CaseEvent).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == "document.archived"
            )
        ).all()
        # The history tells each time a document was archived, with its pages.
        assert {e.details["document_id"] for e in archived} == set(ids)
        assert all(e.details["pages"] == 2 for e in archived)
        assert (s.scalar(select(func.count()).select_from(IndexOutbox)) or 0) > 0


def test_index_documents_of_a_group_are_those_of_one(archive: Archive, tmp_path: Path) -> None:
    ids = _accept(archive, tmp_path, case="К-2")
    assert process_batch(archive, ids, _runner(in_worker=True), "w:1:1") == []
    with archive.db.session() as s:
        docs = [s.get(Document, i) for i in ids]
        assert all(d is not None for d in docs)
        group = index_docs(s, docs, "centre")  # type: ignore[arg-type]
        assert group == [index_doc(s, d, "centre") for d in docs]  # type: ignore[arg-type]
        assert group[0].case == "К-2" and group[0].pages[1] == "друга сторінка"
        assert group[0].doc_type is not None
    flush_outbox(archive)
    assert archive.index.search(SearchQuery(text="сторінка", limit=1)).total == len(ids)


def test_values_the_metadata_names_are_looked_for_again(archive: Archive) -> None:
    """The worker detects in the pages alone; values the metadata names (searched for
    literally) make the orchestrating process detect again with them."""
    from archive.findings import detected_rows, identifier_key

    key = identifier_key(archive.settings)
    pages = [PageText(1, "Заявник: Шевченко Тарас Григорович, РНОКПП 3012409876")]
    found = detect(pages)
    assert detected_rows(key, "d", pages, {}, found) == detected_rows(key, "d", pages, {})
    meta = {"applicant_name": "Шевченко Тарас Григорович"}
    assert detected_rows(key, "d", pages, meta, []) == detected_rows(key, "d", pages, meta)
    assert detected_rows(key, "d", pages, meta, [])
