"""Crypto providers for Diia sharing, chosen by ``CNAP_SHARING__CRYPTO_PROVIDER``."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ingest.sharing.crypto.base import (
    CryptoError,
    CryptoProvider,
    Signer,
    Validity,
    Verification,
)

if TYPE_CHECKING:
    from archive.settings import SharingSettings

__all__ = [
    "CryptoError",
    "CryptoProvider",
    "Signer",
    "Validity",
    "Verification",
    "load_provider",
]


def load_provider(settings: SharingSettings) -> CryptoProvider:
    """The configured provider: ``standard``, or ``package.module:factory``.

    A factory is called with the sharing settings and returns a provider (the
    adapter of a certified DSTU 4145 library, docs/sharing.md).
    """
    spec = settings.crypto_provider.strip()
    if spec == "standard":
        from ingest.sharing.crypto.standard import StandardCms

        if settings.key_file is None or settings.certificate_file is None:
            raise CryptoError(
                "Не налаштовано ключ і сертифікат отримувача (CNAP_SHARING__KEY_FILE, "
                "CNAP_SHARING__CERTIFICATE_FILE)",
                "not_configured",
            )
        password = (
            settings.key_password.get_secret_value().encode() if settings.key_password else None
        )
        roots = settings.trusted_roots_file.read_bytes() if settings.trusted_roots_file else b""
        return StandardCms.from_pem(
            certificate=settings.certificate_file.read_bytes(),
            private_key=settings.key_file.read_bytes(),
            password=password,
            trusted_roots=roots,
        )
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise CryptoError(
            "Криптопровайдер задається як «standard» або «модуль:фабрика»", "not_configured"
        )
    factory = getattr(importlib.import_module(module_name), attr)
    provider = factory(settings)
    if not isinstance(provider, CryptoProvider):
        raise CryptoError(
            "Фабрика криптопровайдера повернула об'єкт без потрібного інтерфейсу", "not_configured"
        )
    return provider
