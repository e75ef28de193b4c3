"""The document-type vocabulary: what a centre receives and issues.

Codes are stable ASCII words (stored in the database, used in search filters
and retention rules); labels are what a person reads. ``group`` gathers kinds
of one family (every «довідка» is in the ``certificate`` group), so a rule or
a filter can name the family instead of each kind. docs/metadata.md lists the
vocabulary with examples.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class DocType(enum.StrEnum):
    """Kinds of documents; ``other`` is everything the vocabulary does not name."""

    application = "application"
    passport_booklet = "passport_booklet"
    passport_id_card = "passport_id_card"
    foreign_passport = "foreign_passport"
    taxpayer_card = "taxpayer_card"
    birth_certificate = "birth_certificate"
    marriage_certificate = "marriage_certificate"
    death_certificate = "death_certificate"
    certificate_idp = "certificate_idp"
    certificate_family = "certificate_family"
    certificate_income = "certificate_income"
    certificate_other = "certificate_other"
    registry_extract = "registry_extract"
    decision = "decision"
    contract = "contract"
    power_of_attorney = "power_of_attorney"
    payment_receipt = "payment_receipt"
    inventory = "inventory"
    driver_license = "driver_license"
    vehicle_registration = "vehicle_registration"
    other = "other"


@dataclass(frozen=True, slots=True)
class TypeInfo:
    code: DocType
    label: str
    group: str
    # Field names this kind of document usually carries (for the page and the bench).
    fields: tuple[str, ...]


_ID = ("series", "number", "issue_date", "issuer")
_ID_VALID = ("number", "issue_date", "valid_until", "issuer")

VOCABULARY: Mapping[DocType, TypeInfo] = {
    t.code: t
    for t in (
        TypeInfo(
            DocType.application, "Заява", "application", ("issue_date", "service", "applicant")
        ),
        TypeInfo(
            DocType.passport_booklet, "Паспорт громадянина України (книжечка)", "identity", _ID
        ),
        TypeInfo(
            DocType.passport_id_card,
            "Паспорт громадянина України (ID-картка)",
            "identity",
            _ID_VALID,
        ),
        TypeInfo(
            DocType.foreign_passport,
            "Паспорт громадянина України для виїзду за кордон",
            "identity",
            ("series", "number", "issue_date", "valid_until", "issuer"),
        ),
        TypeInfo(
            DocType.taxpayer_card,
            "Картка платника податків (РНОКПП)",
            "identity",
            ("number", "issue_date", "issuer"),
        ),
        TypeInfo(DocType.birth_certificate, "Свідоцтво про народження", "civil_status", _ID),
        TypeInfo(DocType.marriage_certificate, "Свідоцтво про шлюб", "civil_status", _ID),
        TypeInfo(DocType.death_certificate, "Свідоцтво про смерть", "civil_status", _ID),
        TypeInfo(
            DocType.certificate_idp,
            "Довідка про взяття на облік внутрішньо переміщеної особи (ВПО)",
            "certificate",
            ("number", "issue_date", "issuer"),
        ),
        TypeInfo(
            DocType.certificate_family,
            "Довідка про склад сім'ї (зареєстрованих осіб)",
            "certificate",
            ("number", "issue_date", "issuer"),
        ),
        TypeInfo(
            DocType.certificate_income,
            "Довідка про доходи",
            "certificate",
            ("number", "issue_date", "issuer"),
        ),
        TypeInfo(
            DocType.certificate_other,
            "Довідка (інша)",
            "certificate",
            ("number", "issue_date", "issuer"),
        ),
        TypeInfo(
            DocType.registry_extract,
            "Витяг з реєстру",
            "extract",
            ("number", "issue_date", "issuer"),
        ),
        TypeInfo(DocType.decision, "Рішення", "decision", ("number", "issue_date", "issuer")),
        TypeInfo(DocType.contract, "Договір", "contract", ("number", "issue_date")),
        TypeInfo(
            DocType.power_of_attorney,
            "Довіреність",
            "contract",
            ("series", "number", "issue_date", "valid_until", "issuer"),
        ),
        TypeInfo(
            DocType.payment_receipt,
            "Квитанція про оплату",
            "payment",
            ("number", "issue_date", "issuer"),
        ),
        TypeInfo(
            DocType.inventory,
            "Опис вхідного пакета документів",
            "inventory",
            ("number", "issue_date"),
        ),
        TypeInfo(
            DocType.driver_license,
            "Посвідчення водія",
            "identity",
            ("series", "number", "issue_date", "valid_until", "issuer"),
        ),
        TypeInfo(
            DocType.vehicle_registration,
            "Свідоцтво про реєстрацію транспортного засобу",
            "vehicle",
            ("series", "number", "issue_date", "issuer"),
        ),
        TypeInfo(DocType.other, "Інше", "other", ()),
    )
}

# Diia sharing sends one file part per document type; its names map to ours.
DIIA_TYPES: Mapping[str, DocType] = {
    "internal-passport": DocType.passport_id_card,
    "foreign-passport": DocType.foreign_passport,
    "taxpayer-card": DocType.taxpayer_card,
    "birth-certificate": DocType.birth_certificate,
    "reference-internally-displaced-person": DocType.certificate_idp,
    "driver-license": DocType.driver_license,
    "vehicle-license": DocType.vehicle_registration,
}

# Keys of a document's arrival metadata that may name its type.
META_TYPE_KEYS = ("document_type", "documentType", "diia_type", "type")


def label(code: str) -> str:
    """The Ukrainian name of a type code (the code itself when unknown)."""
    try:
        return VOCABULARY[DocType(code)].label
    except ValueError:
        return code


def group_of(code: str) -> str | None:
    """The group of a type code (None when unknown)."""
    try:
        return VOCABULARY[DocType(code)].group
    except ValueError:
        return None


def types_in_group(group: str) -> list[DocType]:
    """Every type of a group (empty when no type is in it)."""
    return [info.code for info in VOCABULARY.values() if info.group == group.strip().casefold()]


def resolve_types(value: str) -> list[DocType]:
    """What a filter ``type:<value>`` names: one type (code, label, Diia name) or a group."""
    found = parse_type(value)
    return [found] if found is not None else types_in_group(value)


def parse_type(value: str) -> DocType | None:
    """A type from a code, a Diia type name or a Ukrainian label (case-insensitive)."""
    v = value.strip()
    if not v:
        return None
    try:
        return DocType(v)
    except ValueError:
        pass
    if v in DIIA_TYPES:
        return DIIA_TYPES[v]
    low = v.casefold()
    for info in VOCABULARY.values():
        if info.label.casefold() == low:
            return info.code
    return None


def type_from_meta(meta: Mapping[str, object] | None) -> DocType | None:
    """The type a shared document's metadata names (Diia sends it with every file)."""
    for key in META_TYPE_KEYS:
        value = (meta or {}).get(key)
        if isinstance(value, str):
            found = parse_type(value)
            if found is not None:
                return found
    return None
