"""The standard CMS crypto provider against certificates generated here."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.settings import SharingSettings
from ingest.sharing.crypto import CryptoError, CryptoProvider, Validity, load_provider
from tests.sharing.pki import Pki, _key, make_cert

PDF = b"%PDF-1.4\n% a test document\n"


def test_provider_is_the_interface(pki: Pki) -> None:
    assert isinstance(pki.provider(), CryptoProvider)


def test_unwrap_and_verify(pki: Pki) -> None:
    provider = pki.provider()
    signed = provider.decrypt(pki.wrap(PDF))
    v = provider.verify(signed)
    assert v.content == PDF
    assert v.validity is Validity.valid
    assert v.signer is not None and "Test Diia document seal" in v.signer.subject
    assert v.signing_time is not None
    assert abs(v.signing_time - datetime.now(UTC)) < timedelta(minutes=5)
    assert v.as_json()["reason"] == "Підпис дійсний"


def test_base64_parts_are_accepted(pki: Pki) -> None:
    provider = pki.provider()
    signed = provider.decrypt(base64.b64encode(pki.wrap(PDF)))
    assert provider.verify(base64.b64encode(signed)).content == PDF


def test_tampered_content_is_invalid(pki: Pki) -> None:
    signed = bytearray(pki.sign(PDF))
    at = bytes(signed).index(b"a test document")
    signed[at] ^= 0x01
    v = pki.provider().verify(bytes(signed))
    assert v.validity is Validity.invalid
    assert v.content != PDF  # the content is still handed back, to be kept as such


def test_unknown_signer_is_untrusted(pki: Pki) -> None:
    key = _key()
    self_signed = make_cert("Somebody", key)
    v = pki.provider().verify(pki.sign(PDF, key=key, cert=self_signed))
    assert v.validity is Validity.untrusted


def test_expired_signer(pki: Pki) -> None:
    key = _key()
    old = make_cert(
        "Old seal",
        key,
        issuer=(pki.ca, pki.ca_key),
        not_before=datetime.now(UTC) - timedelta(days=400),
        days=30,
    )
    v = pki.provider().verify(pki.sign(PDF, key=key, cert=old))
    assert v.validity is Validity.expired


def test_envelope_for_another_key(pki: Pki) -> None:
    other = make_cert("Other acquirer", _key())
    with pytest.raises(CryptoError) as err:
        pki.provider().decrypt(pki.encrypt(PDF, to=other))
    assert err.value.code == "undecryptable"


def test_tampered_envelope(pki: Pki) -> None:
    env = bytearray(pki.wrap(PDF))
    env[-20] ^= 0xFF
    with pytest.raises(CryptoError):
        pki.provider().decrypt(bytes(env))


@pytest.mark.parametrize("junk", [b"", b"garbage", b"\x30\x03\x02\x01\x01", PDF])
def test_not_a_container(pki: Pki, junk: bytes) -> None:
    with pytest.raises(CryptoError) as err:
        pki.provider().decrypt(junk)
    assert err.value.reason
    with pytest.raises(CryptoError):
        pki.provider().verify(junk)


def test_signed_where_envelope_expected(pki: Pki) -> None:
    with pytest.raises(CryptoError):
        pki.provider().decrypt(pki.sign(PDF))


def test_load_from_settings(pki: Pki, tmp_path: Path) -> None:
    files = pki.write(tmp_path)
    settings = SharingSettings(
        key_file=files["key"], certificate_file=files["cert"], trusted_roots_file=files["roots"]
    )
    provider = load_provider(settings)
    assert provider.verify(provider.decrypt(pki.wrap(PDF))).validity is Validity.valid


def test_plugin_provider(tmp_path: Path) -> None:
    settings = SharingSettings(crypto_provider="tests.sharing.fake_provider:make")
    provider = load_provider(settings)
    assert provider.name == "fake-dstu"
    with pytest.raises(CryptoError):
        load_provider(SharingSettings(crypto_provider="tests.sharing.fake_provider:broken"))


def test_unconfigured() -> None:
    with pytest.raises(CryptoError) as err:
        load_provider(SharingSettings())
    assert err.value.code == "not_configured"
