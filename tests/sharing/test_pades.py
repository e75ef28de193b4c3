"""PAdES signatures validated with pyHanko, against a PDF signed here with the test PKI."""

from __future__ import annotations

import io
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ingest.sharing.pades import load_roots, validate
from tests.sharing.pki import Pki
from tests.synthetic import born_digital_pdf


def signed_pdf(pki: Pki, tmp: Path, text: str = "Підписаний документ") -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from ingest.sharing.pades import ready

    ready()

    key = tmp / "signer.key"
    cert = tmp / "signer.pem"
    ca = tmp / "ca.pem"
    key.write_bytes(
        pki.signer_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert.write_bytes(pki.signer.public_bytes(serialization.Encoding.PEM))
    ca.write_bytes(pki.ca.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=(str(ca),))
    assert signer is not None
    src = born_digital_pdf([[text]], tmp / "plain.pdf").read_bytes()
    out = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(src)),
        signers.PdfSignatureMetadata(field_name="Signature1"),
        signer=signer,
        output=out,
    )
    return out.getvalue()


def test_valid_untrusted_and_tampered(pki: Pki, tmp_path: Path) -> None:
    data = signed_pdf(pki, tmp_path)
    roots_file = tmp_path / "roots.pem"
    roots_file.write_bytes(pki.ca.public_bytes(serialization.Encoding.PEM))
    ok = validate(data, load_roots(roots_file))
    assert ok is not None and ok["validity"] == "valid", ok
    sig = ok["signatures"][0]
    assert "Test Diia document seal" in sig["signer"] and sig["signing_time"]
    assert validate(data, [])["validity"] == "untrusted"  # type: ignore[index]
    # One byte of the signed original changed (inside the first signed byte range).
    tampered = bytearray(data)
    tampered[200] ^= 0x20
    bad = validate(bytes(tampered), load_roots(roots_file))
    assert bad is not None and bad["validity"] in ("invalid", "unreadable"), bad


def test_unsigned_and_not_pdf(tmp_path: Path) -> None:
    plain = born_digital_pdf([["Без підпису"]], tmp_path / "p.pdf").read_bytes()
    assert validate(plain, []) is None
    assert validate(b"not a pdf", []) is None
