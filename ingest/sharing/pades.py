"""Signatures embedded in PDFs (PAdES), validated with pyHanko.

Diia's documents and many e-mailed copies carry a signature inside the PDF.
Each one is checked for integrity (the signed bytes unchanged), validity of
the cryptography, and trust (the signer's certificate chains to a configured
root, with no fetching over the network: revocation is not checked here and
the result says so). The answer is recorded on the document; a PDF whose
signatures do not check out is still archived, with that state.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as ax509

log = logging.getLogger(__name__)

_REASONS = {
    "valid": "Підпис у PDF дійсний",
    "invalid": "Підпис у PDF недійсний: документ змінено після підписання",
    "untrusted": "Підпис у PDF цілий, але сертифікат підписувача не походить від довіреного центру",
    "unreadable": "Підписи в PDF не вдалося прочитати",
    "encrypted": "PDF зашифровано; його підписи не перевірено",
}


def load_roots(path: Path | None) -> list[ax509.Certificate]:
    """The trusted roots from a PEM bundle (none when unset)."""
    if path is None:
        return []
    out = []
    for _, _, der in pem.unarmor(path.read_bytes(), multiple=True):
        out.append(ax509.Certificate.load(der))
    return out


def ready() -> None:
    """Import pyHanko and let asn1crypto see the OIDs it registers.

    pyHanko adds CMS attributes and X.509 extensions to asn1crypto's maps at
    import time but not to the reverse maps asn1crypto caches on first use;
    if CMS was parsed before (the crypto provider does), signing or validating
    a PDF then fails on a name like ``signing_certificate_v2``. Dropping the
    caches makes asn1crypto rebuild them with pyHanko's names.
    """
    import pyhanko.sign.general  # noqa: F401  (registers the attributes)
    from asn1crypto import cms

    for cls in (cms.CMSAttributeType, ax509.ExtensionId):
        if cls._reverse_map is not None:
            cls._reverse_map = {name: oid for oid, name in cls._map.items()}


def validate(data: bytes, roots: list[ax509.Certificate]) -> dict[str, Any] | None:
    """The PDF's signatures and what validating them found; None for an unsigned PDF."""
    if not data.startswith(b"%PDF"):
        return None
    ready()
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            return _summary("encrypted", [])
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError):
        return None  # not a PDF pyHanko can read: the pipeline's preflight says why
    if not signatures:
        return None
    found: list[dict[str, Any]] = []
    for sig in signatures:
        try:
            vc = ValidationContext(trust_roots=roots, allow_fetching=False)
            status = validate_pdf_signature(sig, vc)
        except Exception:  # a malformed signature dictionary: recorded, never fatal
            log.warning("a PDF signature could not be validated", exc_info=True)
            found.append({"field": sig.field_name, "validity": "unreadable"})
            continue
        cert = status.signing_cert
        if not (status.intact and status.valid):
            validity = "invalid"
        elif not status.trusted:
            validity = "untrusted"
        else:
            validity = "valid"
        found.append(
            {
                "field": sig.field_name,
                "validity": validity,
                "signer": cert.subject.human_friendly if cert is not None else None,
                "issuer": cert.issuer.human_friendly if cert is not None else None,
                "signing_time": status.signer_reported_dt.isoformat()
                if status.signer_reported_dt
                else None,
                "coverage": status.coverage.name if status.coverage is not None else None,
                "revocation_checked": False,
            }
        )
    order = ["invalid", "unreadable", "untrusted", "valid"]
    worst = min((f["validity"] for f in found), key=order.index)
    return _summary(worst, found)


def _summary(validity: str, signatures: list[dict[str, Any]]) -> dict[str, Any]:
    return {"validity": validity, "reason": _REASONS[validity], "signatures": signatures}
