"""The document-type vocabulary: domain data, kept in :mod:`archive.doctypes` so that
retention rules (which select by type) can read it too; re-exported here."""

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

__all__ = [
    "DIIA_TYPES",
    "VOCABULARY",
    "DocType",
    "TypeInfo",
    "group_of",
    "label",
    "parse_type",
    "resolve_types",
    "type_from_meta",
    "types_in_group",
]
