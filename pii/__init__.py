"""Personal data in page text: detection, validation and masking.

Public API::

    detect(pages, metadata=None) -> list[Finding]
    mask(value, kind) -> str
    mask_text(text, findings) -> str

plus the validators in :mod:`pii.validators`. Nothing in this package
logs: identifiers and page text are personal data (docs/personal-data.md).
"""

from __future__ import annotations

from .detector import KINDS, Finding, Kind, detect
from .masking import BULLET, mask, mask_span, mask_text
from .validators import (
    RnokppInfo,
    is_valid_edrpou,
    is_valid_email,
    is_valid_foreign_passport,
    is_valid_iban,
    is_valid_id_card,
    is_valid_name,
    is_valid_passport,
    is_valid_phone,
    is_valid_rnokpp,
    is_valid_unzr,
    rnokpp_info,
)

__all__ = [
    "BULLET",
    "KINDS",
    "Finding",
    "Kind",
    "RnokppInfo",
    "detect",
    "is_valid_edrpou",
    "is_valid_email",
    "is_valid_foreign_passport",
    "is_valid_iban",
    "is_valid_id_card",
    "is_valid_name",
    "is_valid_passport",
    "is_valid_phone",
    "is_valid_rnokpp",
    "is_valid_unzr",
    "mask",
    "mask_span",
    "mask_text",
    "rnokpp_info",
]
