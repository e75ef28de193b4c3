"""Use cases over an embedded archive: the hook stores type and fields, access and masking,
corrections kept and learnt from, and no document text in the application log."""

from __future__ import annotations

import logging
import random

import pytest
from sqlalchemy import select

from archive.audit import Action, Outcome
from archive.metadata_models import ClassifierModel, DocumentMetadata, TypeCorrection
from archive.users import Role
from backends import Archive
from ingest.metadata import DocType, extract_metadata
from ingest.metadata.seed import specimen
from tests.metadata.helpers import DEPT, ctx_for, put_document
from tests.metadata.test_classifier import _new_layout
from usecases import metadata as uc
from usecases.errors import Denied, Invalid, NotFound
from usecases.registry import USE_CASES


def _entries(archive: Archive, action: Action) -> list[object]:
    from usecases.context import events_for

    return [e for e in events_for(archive).log.entries(limit=10_000) if e.action == action.value]


def test_hook_stores_type_and_fields(archive: Archive) -> None:
    spec = specimen(DocType.passport_booklet, 5)
    doc = put_document(archive, spec.text)
    assert extract_metadata(archive, doc) == "passport_booklet"
    with archive.db.session() as s:
        row = s.get(DocumentMetadata, doc)
        assert row is not None and row.source == "model" and 0.0 < row.confidence <= 1.0
    view = uc.show_metadata(ctx_for(archive), document_id=doc)
    got = {f.name: f.value for f in view.fields}
    assert got["number"] == spec.fields["number"]
    assert got["issue_date"] == spec.fields["issue_date"]
    # The administrator of the centre reads in full; the log names what was shown.
    entry = _entries(archive, Action.document_fields)[-1]
    assert entry.identifiers and all("masked" in i for i in entry.identifiers)  # type: ignore[attr-defined]


def test_shared_document_takes_its_type_from_metadata(archive: Archive) -> None:
    doc = put_document(
        archive, "будь-який текст", meta={"document_type": "taxpayer-card", "request_id": "r1"}
    )
    extract_metadata(archive, doc)
    view = uc.show_metadata(ctx_for(archive), document_id=doc)
    assert (view.type, view.source, view.confidence) == ("taxpayer_card", "meta", 1.0)


def test_personal_fields_masked_below_full_access(archive: Archive) -> None:
    spec = specimen(DocType.passport_id_card, 2)
    doc = put_document(archive, spec.text)
    extract_metadata(archive, doc)
    view = uc.show_metadata(ctx_for(archive, Role.dpo, login="dpo"), document_id=doc)
    fields = {f.name: f for f in view.fields}
    assert view.masked and view.type == "passport_id_card"
    assert fields["number"].value != spec.fields["number"] and "•" in fields["number"].value
    assert fields["issue_date"].value == spec.fields["issue_date"]  # dates are not masked
    entry = _entries(archive, Action.document_fields)[-1]
    assert not entry.identifiers  # type: ignore[attr-defined]


def test_out_of_scope_is_not_found_and_logged(archive: Archive) -> None:
    doc = put_document(archive, specimen(DocType.decision, 1).text)
    stranger = ctx_for(archive, Role.official, login="official_b", department="Інший відділ")
    with pytest.raises(NotFound):
        uc.show_metadata(stranger, document_id=doc)
    assert _entries(archive, Action.document_fields)[-1].outcome == Outcome.denied.value  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        uc.show_metadata(ctx_for(archive), document_id="0" * 32)


def test_correct_type_needs_the_content_level(archive: Archive) -> None:
    doc = put_document(archive, specimen(DocType.contract, 1).text)
    with pytest.raises(Denied):
        uc.correct_document_type(
            ctx_for(archive, Role.dpo, login="dpo"), document_id=doc, type="decision"
        )
    with pytest.raises(Invalid):
        uc.correct_document_type(ctx_for(archive), document_id=doc, type="не тип")
    official = ctx_for(archive, Role.official, login="official", department=DEPT)
    view = uc.correct_document_type(official, document_id=doc, type="Рішення")
    assert (view.type, view.source, view.confidence) == ("decision", "correction", 1.0)
    with archive.db.session() as s:
        rows = list(s.scalars(select(TypeCorrection).where(TypeCorrection.document_id == doc)))
    assert [(r.new_type, r.actor) for r in rows] == [("decision", "official")]
    # Processing the document again keeps what a person said.
    extract_metadata(archive, doc)
    assert uc.show_metadata(official, document_id=doc).type == "decision"


def test_twenty_corrections_then_retrain(
    archive: Archive, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(3)
    ctx = ctx_for(archive)
    caplog.set_level(logging.DEBUG)
    first = [put_document(archive, _new_layout(rng)) for _ in range(20)]
    for doc in first:
        assert extract_metadata(archive, doc) != "contract"
        uc.correct_document_type(ctx, document_id=doc, type="contract")
    result = uc.retrain_classifier(ctx)
    assert result.trained.corrections == 20
    with archive.db.session() as s:
        assert s.scalar(select(ClassifierModel.sha256)) == result.trained.sha256
    assert archive.store.exists(result.trained.sha256)
    fresh = [put_document(archive, _new_layout(rng)) for _ in range(5)]
    assert [extract_metadata(archive, d) for d in fresh] == ["contract"] * 5
    # No document text in the application log.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Споживач" not in logged and "водоканалу" not in logged


def test_retrain_is_for_administrators(archive: Archive) -> None:
    with pytest.raises(Denied):
        uc.retrain_classifier(ctx_for(archive, Role.dpo, login="dpo"))


def test_use_cases_are_registered_with_their_actions() -> None:
    assert USE_CASES["metadata.show_metadata"].audit == Action.document_fields
    assert USE_CASES["metadata.correct_document_type"].audit == Action.document_type_correct
    assert USE_CASES["metadata.retrain_classifier"].audit == Action.metadata_retrain
    assert USE_CASES["metadata.list_document_types"].audit is None
