"""The crypto provider over standard CMS algorithms (RSA / ECDSA, AES, SHA-2).

Decryption is `cryptography`'s PKCS#7/CMS EnvelopedData support; verification
parses the SignedData with `asn1crypto` and checks, with `cryptography`, the
message digest, the signature over the signed attributes and the signer's
certificate chain up to the configured trusted roots at the signing time.
The Ukrainian DSTU 4145 / GOST 34.311 algorithms are not here: a certified
library plugs in through the same interface (docs/sharing.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from ingest.sharing.crypto.base import CryptoError, Signer, Validity, Verification

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# Chains longer than this are refused (a loop or a hostile certificate bag).
_MAX_CHAIN = 8


def der_or_base64(data: bytes) -> bytes:
    """DER as given, or decoded from base64 (Diia's parts come either way)."""
    # DER is never stripped: its last bytes may well be whitespace values.
    if data[:1] == b"\x30":
        return data
    try:
        return base64.b64decode(data.strip(), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("Вміст не є криптографічним контейнером CMS") from exc


class StandardCms:
    """RSA/ECDSA + AES CMS, with the acquirer's key and the trusted signer roots."""

    name = "standard-cms"

    def __init__(
        self,
        *,
        certificate: x509.Certificate,
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        trusted_roots: Sequence[x509.Certificate] = (),
    ) -> None:
        self._cert = certificate
        self._key = private_key
        self._roots = list(trusted_roots)

    @classmethod
    def from_pem(
        cls,
        *,
        certificate: bytes,
        private_key: bytes,
        password: bytes | None = None,
        trusted_roots: bytes = b"",
    ) -> StandardCms:
        """Build from PEM bytes (the acquirer's certificate and key, a bundle of roots)."""
        key = serialization.load_pem_private_key(private_key, password)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise CryptoError("Ключ отримувача має бути RSA або EC", "bad_key")
        roots = x509.load_pem_x509_certificates(trusted_roots) if trusted_roots.strip() else []
        return cls(
            certificate=x509.load_pem_x509_certificate(certificate),
            private_key=key,
            trusted_roots=roots,
        )

    # --- envelope ----------------------------------------------------------

    def decrypt(self, envelope: bytes) -> bytes:
        der = der_or_base64(envelope)
        try:
            info = cms.ContentInfo.load(der)
            kind = info["content_type"].native
        except (ValueError, TypeError) as exc:
            raise CryptoError("Конверт пошкоджено: це не контейнер CMS") from exc
        if kind != "enveloped_data":
            raise CryptoError("Очікувався зашифрований конверт CMS, отримано інший вміст")
        if not isinstance(self._key, rsa.RSAPrivateKey):
            raise CryptoError("Розшифрування підтримане лише для ключа RSA", "bad_key")
        try:
            return pkcs7.pkcs7_decrypt_der(der, self._cert, self._key, [])
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise CryptoError(
                "Конверт не вдалося розшифрувати: він пошкоджений, змінений "
                "або зашифрований не для ключа цього ЦНАП",
                "undecryptable",
            ) from exc

    # --- signature ---------------------------------------------------------

    def verify(self, signed: bytes) -> Verification:
        der = der_or_base64(signed)
        try:
            info = cms.ContentInfo.load(der)
            if info["content_type"].native != "signed_data":
                raise CryptoError("Очікувався підписаний контейнер CMS, отримано інший вміст")
            sd = info["content"]
            content = sd["encap_content_info"]["content"].native
            signer_infos = list(sd["signer_infos"])
            certs = [
                x509.load_der_x509_certificate(c.chosen.dump())
                for c in (sd["certificates"] or [])
                if c.name == "certificate"
            ]
        except CryptoError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise CryptoError("Підписаний контейнер пошкоджено") from exc
        if not isinstance(content, bytes):
            raise CryptoError("Підписаний контейнер не містить документа (відокремлений підпис)")
        if not signer_infos:
            raise CryptoError("Підписаний контейнер не містить жодного підпису")
        return self._check(content, signer_infos[0], certs)

    def _check(
        self, content: bytes, si: cms.SignerInfo, certs: list[x509.Certificate]
    ) -> Verification:
        cert = _signer_cert(si, certs)
        signer = _signer(cert) if cert is not None else None
        attrs = si["signed_attrs"]
        signing_time = _signing_time(attrs)

        def result(validity: Validity, detail: str | None = None) -> Verification:
            return Verification(content, validity, signer, signing_time, self.name, detail)

        if cert is None:
            return result(Validity.untrusted, "signer certificate not included")
        digest_name = si["digest_algorithm"]["algorithm"].native
        hash_cls = _HASHES.get(digest_name)
        if hash_cls is None:
            return result(Validity.unknown, f"digest {digest_name}")
        if attrs:
            md = _attr(attrs, "message_digest")
            if md is None or md != hashlib.new(digest_name, content).digest():
                return result(Validity.invalid, "message digest mismatch")
            # The signature covers the attributes DER-encoded as a SET (not [0] IMPLICIT).
            to_verify = b"\x31" + attrs.dump()[1:]
        else:
            to_verify = content
        try:
            algo = si["signature_algorithm"].signature_algo
        except ValueError:
            return result(Validity.unknown, "signature algorithm")
        try:
            _verify_sig(cert.public_key(), si["signature"].native, to_verify, algo, hash_cls())
        except InvalidSignature:
            return result(Validity.invalid, "signature mismatch")
        except UnsupportedAlgorithm:
            return result(Validity.unknown, f"signature {algo}")
        chain = self._chain(cert, certs)
        if chain is None:
            return result(Validity.untrusted, "no chain to a trusted root")
        at = signing_time or datetime.now(UTC)
        for c in chain:
            if not (c.not_valid_before_utc <= at <= c.not_valid_after_utc):
                return result(Validity.expired, "certificate not valid at signing time")
        return result(Validity.valid)

    def _chain(
        self, cert: x509.Certificate, bag: list[x509.Certificate]
    ) -> list[x509.Certificate] | None:
        roots = {r.fingerprint(hashes.SHA256()): r for r in self._roots}
        chain = [cert]
        current = cert
        for _ in range(_MAX_CHAIN):
            if current.fingerprint(hashes.SHA256()) in roots:
                return chain
            issuer = _issuer_of(current, [*self._roots, *bag])
            if issuer is None or issuer is current:
                return None
            chain.append(issuer)
            current = issuer
        return None


def _issuer_of(cert: x509.Certificate, pool: list[x509.Certificate]) -> x509.Certificate | None:
    for candidate in pool:
        if candidate.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        if candidate.fingerprint(hashes.SHA256()) == cert.fingerprint(hashes.SHA256()):
            # Self-signed and not a trusted root: the chain ends here, untrusted.
            return None
        return candidate
    return None


def _verify_sig(
    key: object, signature: bytes, data: bytes, algo: str, hash_alg: hashes.HashAlgorithm
) -> None:
    if isinstance(key, rsa.RSAPublicKey):
        if algo == "rsassa_pss":
            pad: padding.AsymmetricPadding = padding.PSS(
                mgf=padding.MGF1(hash_alg), salt_length=padding.PSS.AUTO
            )
        else:
            pad = padding.PKCS1v15()
        key.verify(signature, data, pad, hash_alg)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(hash_alg))
    else:
        raise UnsupportedAlgorithm("key type")


def _signer_cert(si: cms.SignerInfo, certs: list[x509.Certificate]) -> x509.Certificate | None:
    sid = si["sid"]
    for c in certs:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if (
                c.serial_number == ias["serial_number"].native
                and c.issuer.public_bytes() == ias["issuer"].dump()
            ):
                return c
        else:
            try:
                ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            except x509.ExtensionNotFound:
                continue
            if ski.digest == sid.chosen.native:
                return c
    return None


def _signer(cert: x509.Certificate) -> Signer:
    return Signer(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _attr(attrs: cms.CMSAttributes, name: str) -> object | None:
    for a in attrs or []:
        if a["type"].native == name:
            values = a["values"]
            return values[0].native if len(values) else None
    return None


def _signing_time(attrs: cms.CMSAttributes) -> datetime | None:
    value = _attr(attrs, "signing_time") if attrs else None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None
