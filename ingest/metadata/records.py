"""A document's type and fields in the database: classify, extract, store, correct.

:func:`extract_metadata` is the ingest hook: after a document's text is
known it reads the type (from the sharing metadata when that names it, else
from the classifier; a type a person set is kept) and the fields, and stores
them in their own transaction. Metadata is derived data: a failure here is
logged (never with document text) and does not fail the document; the
``metadata retrain --reclassify`` command fills in what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from archive.database import replace_document_rows
from archive.doctypes import DocType, type_from_meta
from archive.findings import identifier_key, identifier_ref
from archive.metadata_models import DocumentMetadata, MetadataField, TypeCorrection
from archive.models import DocState, Document, IndexOutbox, Page, utcnow
from backends import Archive
from common.pages import PageText
from ingest.metadata.classifier import Prediction, classifier_text
from ingest.metadata.fields import PERSONAL, Field, extract
from ingest.metadata.training import current_model
from pii import mask

log = logging.getLogger(__name__)

# The identifier kind a personal field is masked and logged as (``pii`` kinds
# where the document's number is one, so the DPO's look-ups find it too).
_NUMBER_KINDS: Mapping[DocType, str] = {
    DocType.passport_booklet: "passport",
    DocType.passport_id_card: "id_card",
    DocType.foreign_passport: "foreign_passport",
    DocType.taxpayer_card: "rnokpp",
}


def field_kind(doc_type: DocType, name: str) -> str | None:
    """The mask kind of a field, ``None`` for fields that are not personal data."""
    if name not in PERSONAL:
        return None
    if name == "applicant":
        return "name"
    if name == "series":
        return "document_series"
    return _NUMBER_KINDS.get(doc_type, "document_number")


def _identifier(doc_type: DocType, fields: Sequence[Field], f: Field) -> str:
    """The normalised identifier a personal field stands for (series + number for passports)."""
    if f.name == "number" and doc_type in (DocType.passport_booklet, DocType.foreign_passport):
        series = next((x.value for x in fields if x.name == "series"), "")
        return f"{series}{f.value}"
    return f.value


def mask_value(kind: str, value: str) -> str:
    if kind == "document_series":
        return "•" * len(value)
    return mask(value, kind)


def field_rows(
    key: bytes, document_id: str, doc_type: DocType, fields: Sequence[Field]
) -> list[dict[str, Any]]:
    """The ``metadata_fields`` rows of one document."""
    rows: list[dict[str, Any]] = []
    for f in fields:
        kind = field_kind(doc_type, f.name)
        ident = _identifier(doc_type, fields, f) if kind else ""
        rows.append(
            {
                "document_id": document_id,
                "name": f.name,
                "value": f.value[:500],
                "page": f.page,
                "char_start": f.start,
                "char_end": f.end,
                "personal": kind is not None,
                "kind": kind,
                "ref": identifier_ref(key, kind, ident) if kind else None,
                "masked": mask_value(kind, ident)[:500] if kind else None,
            }
        )
    return rows


def _replace_fields(s: Session, rows: Mapping[str, list[dict[str, Any]]]) -> None:
    """Replace the fields of several documents: one DELETE and one bulk INSERT."""
    replace_document_rows(s, MetadataField, rows)


def store_fields(
    s: Session, key: bytes, document_id: str, doc_type: DocType, fields: Sequence[Field]
) -> None:
    """Replace a document's fields."""
    _replace_fields(s, {document_id: field_rows(key, document_id, doc_type, fields)})


def _pages(s: Session, document_id: str) -> list[PageText]:
    rows = s.scalars(select(Page).where(Page.document_id == document_id).order_by(Page.number))
    return [PageText(p.number, p.text or "") for p in rows]


def classify_and_store(
    s: Session,
    archive: Archive,
    document_id: str,
    pages: Sequence[PageText],
    meta: Mapping[str, Any] | None,
) -> DocumentMetadata:
    """Type and fields of one document, stored (a corrected type is kept)."""
    return classify_and_store_many(s, archive, [(document_id, pages, meta)])[document_id]


def classify_and_store_many(
    s: Session,
    archive: Archive,
    items: Sequence[tuple[str, Sequence[PageText], Mapping[str, Any] | None]],
    counts: Mapping[str, Any] | None = None,
) -> dict[str, DocumentMetadata]:
    """:func:`classify_and_store` for several documents: the ones the classifier reads
    are classified in one vectorised call, and their fields written in one INSERT.

    ``counts``: the documents' :func:`~ingest.metadata.classifier.text_counts`, when
    the worker process counted them already (used when every one is there)."""
    ids = [document_id for document_id, _, _ in items]
    rows = {
        r.document_id: r
        for r in s.scalars(select(DocumentMetadata).where(DocumentMetadata.document_id.in_(ids)))
    }
    chosen: dict[str, tuple[Prediction, str]] = {}
    to_model: list[tuple[str, str]] = []
    for document_id, pages, meta in items:
        row = rows.get(document_id)
        named = type_from_meta(meta)
        if row is not None and row.source == "correction":
            chosen[document_id] = (Prediction(DocType(row.type), 1.0), "correction")
        elif named is not None:
            chosen[document_id] = (Prediction(named, 1.0), "meta")
        else:
            to_model.append((document_id, classifier_text(p.text for p in pages)))
    sha: str | None = None
    if to_model:
        model, sha = current_model(s, archive)
        if counts is not None and all(i in counts for i, _ in to_model):
            predictions = model.classify_counts([counts[i] for i, _ in to_model])
        else:
            predictions = model.classify_many([text for _, text in to_model])
        for (document_id, _), prediction in zip(to_model, predictions, strict=True):
            chosen[document_id] = (prediction, "model")
    key = identifier_key(archive.settings)
    now = utcnow()
    fields: dict[str, list[dict[str, Any]]] = {}
    for document_id, pages, _ in items:
        prediction, source = chosen[document_id]
        row = rows.get(document_id)
        if row is None:
            row = rows[document_id] = DocumentMetadata(document_id=document_id)
            s.add(row)
        row.type = prediction.type.value
        row.confidence = prediction.confidence
        row.source = source
        row.second_type = prediction.second.value if prediction.second else None
        row.second_confidence = prediction.second_confidence if prediction.second else None
        row.model_sha256 = sha if source == "model" else None
        row.classified_at = now
        fields[document_id] = field_rows(
            key, document_id, prediction.type, extract(pages, prediction.type)
        )
    _replace_fields(s, fields)
    return rows


def extract_metadata(
    archive: Archive, document_id: str, pages: Sequence[PageText] | None = None
) -> str | None:
    """The ingest hook: classify and extract one archived document. Returns its type."""
    try:
        with archive.db.session() as s:
            return record_metadata(s, archive, document_id, pages)
    except Exception:
        # Derived data: the document stays archived; the reason goes to the log
        # without its text (exception messages of the stages carry none).
        log.exception("metadata extraction failed for document %s", document_id)
        return None


def record_metadata(
    s: Session, archive: Archive, document_id: str, pages: Sequence[PageText] | None = None
) -> str | None:
    """Classify and extract one archived document in the caller's transaction; its type."""
    return record_metadata_many(s, archive, [(document_id, pages)]).get(document_id)


def record_metadata_many(
    s: Session,
    archive: Archive,
    items: Sequence[tuple[str, Sequence[PageText] | None]],
    counts: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """:func:`record_metadata` for several documents at once; the type of each archived one.

    ``counts``: see :func:`classify_and_store_many`."""
    ids = [document_id for document_id, _ in items]
    docs = {
        d.id: d
        for d in s.scalars(
            select(Document).where(Document.id.in_(ids), Document.state == DocState.archived)
        )
    }
    todo = [
        (
            document_id,
            list(pages) if pages is not None else _pages(s, document_id),
            docs[document_id].meta,
        )
        for document_id, pages in items
        if document_id in docs
    ]
    if not todo:
        return {}
    rows = classify_and_store_many(s, archive, todo, counts)
    # The index carries the type and dates once it has the fields (docs/metadata.md).
    s.execute(insert(IndexOutbox), [{"document_id": i, "op": "upsert"} for i, _, _ in todo])
    return {i: rows[i].type for i, _, _ in todo}


def correct_type(
    s: Session, archive: Archive, document_id: str, new_type: DocType, actor: str
) -> DocumentMetadata:
    """Set a document's type by hand, keep the correction, and re-read its fields."""
    row = s.get(DocumentMetadata, document_id)
    old = row.type if row is not None else None
    s.add(
        TypeCorrection(document_id=document_id, old_type=old, new_type=new_type.value, actor=actor)
    )
    if row is None:
        row = DocumentMetadata(document_id=document_id)
        s.add(row)
    now = utcnow()
    row.type = new_type.value
    row.confidence = 1.0
    row.source = "correction"
    row.second_type = None
    row.second_confidence = None
    row.classified_at = row.classified_at or now
    row.corrected_by = actor
    row.corrected_at = now
    pages = _pages(s, document_id)
    store_fields(
        s, identifier_key(archive.settings), document_id, new_type, extract(pages, new_type)
    )
    return row


def reclassify(archive: Archive, *, only_missing: bool = False) -> int:
    """Classify again every archived document whose type no person set. Returns the count."""
    with archive.db.session() as s:
        q = select(Document.id).where(Document.state == DocState.archived)
        ids = list(s.scalars(q))
        corrected = set(
            s.scalars(
                select(DocumentMetadata.document_id).where(DocumentMetadata.source == "correction")
            )
        )
        known = set(s.scalars(select(DocumentMetadata.document_id))) if only_missing else set()
    count = 0
    for document_id in ids:
        if document_id in corrected or document_id in known:
            continue
        if extract_metadata(archive, document_id) is not None:
            count += 1
    return count


def metadata_of(
    s: Session, document_id: str
) -> tuple[DocumentMetadata | None, list[MetadataField]]:
    """A document's stored type and fields (fields in page and position order)."""
    fields = list(
        s.scalars(
            select(MetadataField)
            .where(MetadataField.document_id == document_id)
            .order_by(MetadataField.page, MetadataField.char_start)
        )
    )
    return s.get(DocumentMetadata, document_id), fields
