"""The crypto provider interface: open an encrypted CMS envelope, verify a signed CMS.

Diia sends every shared document as a signed PDF (CMS SignedData, ``*.p7s``)
inside an envelope encrypted to the acquirer's key (CMS EnvelopedData,
``*.p7e``). Which algorithms that takes depends on the keys: the Ukrainian
DSTU 4145 / GOST 34.311 ones need a certified library, RSA/ECDSA/AES ones the
standard implementation beside this module. Both answer this one interface.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


class CryptoError(Exception):
    """The input cannot be opened or parsed at all (a broken or foreign envelope).

    ``reason`` is one Ukrainian sentence for the person reviewing the delivery.
    """

    def __init__(self, reason: str, code: str = "broken_envelope") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Validity(enum.StrEnum):
    """What the verification of a signature concluded."""

    valid = "valid"  # intact, by a certificate chaining to a trusted root, valid at signing
    invalid = "invalid"  # the content or the signed attributes were altered
    untrusted = "untrusted"  # intact, but the signer's certificate does not chain to a root
    expired = "expired"  # intact, but the certificate was not valid at the signing time
    unknown = "unknown"  # could not be checked (an algorithm this provider lacks)


_REASONS = {
    Validity.valid: "Підпис дійсний",
    Validity.invalid: "Підпис недійсний: документ або підписані атрибути змінено",
    Validity.untrusted: "Сертифікат підписувача не походить від довіреного центру",
    Validity.expired: "Сертифікат підписувача не був чинним на час підписання",
    Validity.unknown: "Підпис не вдалося перевірити цим криптопровайдером",
}


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signed, as the certificate names them (no key material)."""

    subject: str
    issuer: str
    serial: str
    not_before: datetime | None = None
    not_after: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
        }


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of verifying one signed CMS: the content and what is known of its signature."""

    content: bytes
    validity: Validity
    signer: Signer | None = None
    signing_time: datetime | None = None
    provider: str = ""
    detail: str | None = None

    @property
    def reason(self) -> str:
        """One Ukrainian sentence for the person looking at the document."""
        return _REASONS[self.validity]

    def as_json(self) -> dict[str, Any]:
        """The signature as recorded on the document (no content, no key material)."""
        return {
            "validity": self.validity.value,
            "reason": self.reason,
            "signer": self.signer.as_json() if self.signer else None,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "provider": self.provider,
            "detail": self.detail,
        }


@runtime_checkable
class CryptoProvider(Protocol):
    """Opens what Diia sends; one implementation per family of algorithms."""

    name: str

    def decrypt(self, envelope: bytes) -> bytes:
        """The plaintext of an encrypted CMS envelope (DER or base64 of DER).

        Raises :class:`CryptoError` when it is not an envelope, is not for our
        key, or does not decrypt (tampered).
        """
        ...

    def verify(self, signed: bytes) -> Verification:
        """Verify a signed CMS with the content attached.

        A signature that does not check out is a result (``validity``), not an
        error: the document is kept with that state. Raises :class:`CryptoError`
        only when the input is not a signed CMS at all.
        """
        ...
