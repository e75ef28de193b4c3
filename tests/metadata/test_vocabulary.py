"""The vocabulary: every type has a label and seed templates; names parse both ways."""

from __future__ import annotations

from ingest.metadata import DIIA_TYPES, VOCABULARY, DocType, label, parse_type, type_from_meta
from ingest.metadata.seed import TEMPLATES, corpus, specimen


def test_every_type_is_documented_and_generated() -> None:
    assert set(VOCABULARY) == set(DocType)
    assert set(TEMPLATES) == set(DocType)
    for kind in DocType:
        assert VOCABULARY[kind].label
        spec = specimen(kind, 1)
        assert spec.type == kind and spec.lines
        assert set(spec.fields) <= {*VOCABULARY[kind].fields}, kind


def test_specimens_are_deterministic() -> None:
    assert [s.text for s in corpus(2, seed=3)] == [s.text for s in corpus(2, seed=3)]
    assert specimen(DocType.application, 1).text != specimen(DocType.application, 2).text


def test_parse_type_from_code_label_and_diia_name() -> None:
    assert parse_type("passport_booklet") == DocType.passport_booklet
    assert parse_type("заява") == DocType.application
    assert parse_type("taxpayer-card") == DocType.taxpayer_card
    assert parse_type("нісенітниця") is None
    assert label("certificate_idp").startswith("Довідка")
    assert set(DIIA_TYPES.values()) <= set(DocType)


def test_shared_documents_take_the_type_from_their_metadata() -> None:
    assert type_from_meta({"document_type": "internal-passport"}) == DocType.passport_id_card
    assert type_from_meta({"type": "reference-internally-displaced-person"}) == (
        DocType.certificate_idp
    )
    assert type_from_meta({"request_id": "x"}) is None
    assert type_from_meta(None) is None
