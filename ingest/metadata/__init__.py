"""Metadata extraction: what each document is (its type), its dates, numbers and issuer.

Public API::

    DocType, VOCABULARY, label, parse_type, type_from_meta,  (vocabulary)
    group_of, types_in_group, resolve_types
    Model, Prediction, train, seed_samples                   (classifier)
    Field, extract                                           (fields on OCR text)
    extract_metadata(archive, document_id, pages)            (the ingest hook)
    correct_type, reclassify, metadata_of, retrain           (the use cases' helpers)

Everything runs on the CPU of the archive's own machine; no text leaves it.
"""

from __future__ import annotations

from archive.doctypes import (
    DIIA_TYPES,
    VOCABULARY,
    DocType,
    TypeInfo,
    group_of,
    label,
    parse_type,
    resolve_types,
    type_from_meta,
    types_in_group,
)
from ingest.metadata.classifier import Model, Prediction, Sample, seed_samples, train
from ingest.metadata.fields import FIELD_NAMES, PERSONAL, Field, extract
from ingest.metadata.records import (
    classify_and_store,
    classify_and_store_many,
    correct_type,
    extract_metadata,
    field_kind,
    metadata_of,
    reclassify,
    record_metadata,
    record_metadata_many,
)
from ingest.metadata.training import Trained, current_model, retrain

__all__ = [
    "DIIA_TYPES",
    "FIELD_NAMES",
    "PERSONAL",
    "VOCABULARY",
    "DocType",
    "Field",
    "Model",
    "Prediction",
    "Sample",
    "Trained",
    "TypeInfo",
    "classify_and_store",
    "classify_and_store_many",
    "correct_type",
    "current_model",
    "extract",
    "extract_metadata",
    "field_kind",
    "group_of",
    "label",
    "metadata_of",
    "parse_type",
    "reclassify",
    "record_metadata",
    "record_metadata_many",
    "resolve_types",
    "retrain",
    "seed_samples",
    "train",
    "type_from_meta",
    "types_in_group",
]
