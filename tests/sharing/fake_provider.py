"""A plug-in provider as a certified library's adapter would be shaped (tests only)."""

from __future__ import annotations

from archive.settings import SharingSettings
from ingest.sharing.crypto import CryptoError, Validity, Verification


class _Plugin:
    name = "fake-dstu"

    def decrypt(self, envelope: bytes) -> bytes:
        raise CryptoError("not a real DSTU provider")

    def verify(self, signed: bytes) -> Verification:
        return Verification(signed, Validity.unknown, provider=self.name)


def make(settings: SharingSettings) -> _Plugin:
    return _Plugin()


def broken(settings: SharingSettings) -> object:
    return object()
