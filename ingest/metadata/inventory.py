"""The package's inventory (опис) checked against what was scanned.

An inventory lists documents by the names a person wrote at the desk («Заява»,
«Копія паспорта», «Довідка ВПО»). :func:`expected_types` reads such a title
into the types it may stand for (the vocabulary labels, their words and the
usual abbreviations); :func:`check_inventory` pairs listed titles with the
scanned documents' types and returns what is missing and what is extra.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from archive.doctypes import VOCABULARY, DocType, parse_type

_T = DocType
# Word stems (folded: lower case, ʼ → ') in the order tried; the first that
# occurs in the title decides. A more specific stem comes before a general one.
_STEMS: tuple[tuple[str, tuple[DocType, ...]], ...] = (
    ("заяв", (_T.application,)),
    ("закордон", (_T.foreign_passport,)),
    ("виїзд", (_T.foreign_passport,)),
    ("id-карт", (_T.passport_id_card,)),
    ("id карт", (_T.passport_id_card,)),
    ("книжечк", (_T.passport_booklet,)),
    ("паспорт", (_T.passport_booklet, _T.passport_id_card, _T.foreign_passport)),
    ("рнокпп", (_T.taxpayer_card,)),
    ("ідентифікаційн", (_T.taxpayer_card,)),
    ("платника податк", (_T.taxpayer_card,)),
    ("народженн", (_T.birth_certificate,)),
    ("шлюб", (_T.marriage_certificate,)),
    ("смерт", (_T.death_certificate,)),
    ("впо", (_T.certificate_idp,)),
    ("переміщен", (_T.certificate_idp,)),
    ("склад сім", (_T.certificate_family,)),
    ("зареєстрованих осіб", (_T.certificate_family,)),
    ("доход", (_T.certificate_income,)),
    ("витяг", (_T.registry_extract,)),
    ("транспортн", (_T.vehicle_registration,)),
    ("техпаспорт", (_T.vehicle_registration,)),
    ("посвідчення водія", (_T.driver_license,)),
    ("водійськ", (_T.driver_license,)),
    ("довірен", (_T.power_of_attorney,)),
    ("рішенн", (_T.decision,)),
    ("договір", (_T.contract,)),
    ("договор", (_T.contract,)),
    ("квитанці", (_T.payment_receipt,)),
    ("оплат", (_T.payment_receipt,)),
    ("платіжн", (_T.payment_receipt,)),
    ("опис", (_T.inventory,)),
    (
        "довідк",
        (_T.certificate_other, _T.certificate_idp, _T.certificate_family, _T.certificate_income),
    ),
)
_APOSTROPHES = re.compile("[’ʼ`‘]")


def _fold(text: str) -> str:
    return " ".join(_APOSTROPHES.sub("'", text).casefold().split())


def expected_types(title: str) -> tuple[DocType, ...]:
    """The types a listed title may stand for; empty when it names none the vocabulary knows."""
    exact = parse_type(title)
    if exact is not None:
        return (exact,)
    folded = _fold(title)
    for info in VOCABULARY.values():
        if info.code != _T.other and _fold(info.label) in folded:
            return (info.code,)
    for stem, types in _STEMS:
        if stem in folded:
            return types
    return ()


@dataclass(frozen=True, slots=True)
class Missing:
    """A listed document no scanned one matches."""

    title: str
    types: tuple[DocType, ...]


@dataclass(frozen=True, slots=True)
class InventoryCheck:
    missing: list[Missing] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # document ids
    # Scanned documents with no type yet: not judged either way.
    unclassified: list[str] = field(default_factory=list)


def check_inventory(
    titles: Sequence[str], scanned: Sequence[tuple[str, str | None]]
) -> InventoryCheck:
    """Pair listed ``titles`` with ``scanned`` (document id, type code or None).

    A title that names no known type is matched by a document of type
    ``other``. Titles with fewer possible types are paired first, so a
    general «Довідка» does not take the one document a «Довідка ВПО» needs.
    A scanned inventory (type ``inventory``) is never extra: it is the list itself.
    """
    rows = [(title, expected_types(title) or (_T.other,)) for title in titles]
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][1]))
    free = [(doc_id, code) for doc_id, code in scanned if code is not None]
    missing: dict[int, Missing] = {}
    for i in order:
        title, types = rows[i]
        wanted = {t.value for t in types}
        hit = next((n for n, (_, code) in enumerate(free) if code in wanted), None)
        if hit is None:
            missing[i] = Missing(title, types)
        else:
            free.pop(hit)
    return InventoryCheck(
        missing=[missing[i] for i in sorted(missing)],
        extra=[doc_id for doc_id, code in free if code != _T.inventory.value],
        unclassified=[doc_id for doc_id, code in scanned if code is None],
    )
