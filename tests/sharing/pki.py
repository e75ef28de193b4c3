"""Test certificates and Diia-like containers, generated for each test run.

A signer CA and a signer certificate (standing in for Diia's document seal),
an acquirer key pair (the centre), and helpers that sign a PDF as CMS
SignedData and encrypt it to the acquirer as CMS EnvelopedData — the
``*.p7s.p7e`` shape Diia posts, with standard algorithms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from ingest.sharing.crypto.standard import StandardCms


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_cert(
    cn: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None,
    ca: bool = False,
    not_before: datetime | None = None,
    days: int = 365,
) -> x509.Certificate:
    start = not_before or datetime.now(UTC) - timedelta(days=1)
    issuer_name = issuer[0].subject if issuer else _name(cn)
    signing_key = issuer[1] if issuer else key
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        b = b.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=False,
        )
    return b.sign(signing_key, hashes.SHA256())


@dataclass
class Pki:
    ca_key: rsa.RSAPrivateKey
    ca: x509.Certificate
    signer_key: rsa.RSAPrivateKey
    signer: x509.Certificate
    acquirer_key: rsa.RSAPrivateKey
    acquirer: x509.Certificate

    def provider(self) -> StandardCms:
        return StandardCms(
            certificate=self.acquirer, private_key=self.acquirer_key, trusted_roots=[self.ca]
        )

    def sign(
        self,
        content: bytes,
        *,
        key: rsa.RSAPrivateKey | None = None,
        cert: x509.Certificate | None = None,
    ) -> bytes:
        """An attached CMS SignedData (DER) with the signing time as a signed attribute."""
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(content)
            .add_signer(cert or self.signer, key or self.signer_key, hashes.SHA256())
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
        )

    def encrypt(self, content: bytes, to: x509.Certificate | None = None) -> bytes:
        """A CMS EnvelopedData (DER) encrypted to the acquirer's certificate."""
        return (
            pkcs7.PKCS7EnvelopeBuilder()
            .set_data(content)
            .add_recipient(to or self.acquirer)
            .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
        )

    def wrap(self, content: bytes) -> bytes:
        """``*.p7s.p7e``: signed, then encrypted to the acquirer."""
        return self.encrypt(self.sign(content))

    def write(self, directory: Path) -> dict[str, Path]:
        """The acquirer's key and certificate and the trusted root as PEM files."""
        directory.mkdir(parents=True, exist_ok=True)
        files = {
            "key": directory / "acquirer.key",
            "cert": directory / "acquirer.pem",
            "roots": directory / "roots.pem",
        }
        files["key"].write_bytes(
            self.acquirer_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        files["cert"].write_bytes(self.acquirer.public_bytes(serialization.Encoding.PEM))
        files["roots"].write_bytes(self.ca.public_bytes(serialization.Encoding.PEM))
        return files


def make_pki() -> Pki:
    ca_key = _key()
    ca = make_cert("Test Diia CA", ca_key, ca=True, days=3650)
    signer_key = _key()
    signer = make_cert("Test Diia document seal", signer_key, issuer=(ca, ca_key))
    acquirer_key = _key()
    acquirer = make_cert("Test CNAP acquirer", acquirer_key)
    return Pki(ca_key, ca, signer_key, signer, acquirer_key, acquirer)
