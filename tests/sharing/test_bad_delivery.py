"""Bad Diia deliveries (issue 14, item 5): each refused or held with a reason, kept, the rest on.

One delivery carries a good document beside a tampered envelope, junk that is
no envelope, a document whose signed content was altered, a ZIP bomb and an
encrypted PDF inside good envelopes: the good one is archived, each other part
has its reason, and every byte received stays in the store.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from sqlalchemy import select

from archive.models import DocState, Document
from archive.sharing import SharingDelivery
from tests.sharing.fake_diia import FakeDiia
from tests.sharing.pki import Pki
from tests.sharing.world import SharingWorld, delivery, open_world, passport_pdf
from usecases.errors import TooLarge
from usecases.sharing import DeliveryPart, receive_delivery, request_sharing


@pytest.fixture(scope="module")
def sw(
    tmp_path_factory: pytest.TempPathFactory, own_diia: FakeDiia, pki: Pki
) -> Iterator[SharingWorld]:
    with open_world(tmp_path_factory.mktemp("bad-delivery") / "data", own_diia, pki) as world:
        yield world


def zip_bomb(megabytes: int = 64) -> bytes:
    """A small ZIP that expands to ``megabytes`` of zeros (never to be opened)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("passport.pdf", b"%PDF-1.7\n" + b"\x00" * (megabytes * 1024 * 1024))
    return out.getvalue()


def encrypted_pdf(tmp: Path, text: str) -> bytes:
    plain = passport_pdf(tmp / "plain.pdf", text)
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(plain)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner-secret", user="user-secret"))
    return out.getvalue()


def altered_signature(pki: Pki, pdf: bytes) -> bytes:
    """A signed container whose document was changed after signing (same length)."""
    signed = bytearray(pki.sign(pdf))
    at = bytes(signed).find(b"/Producer") if b"/Producer" in signed else bytes(signed).find(b"obj")
    signed[at + 1] ^= 0x01
    return pki.encrypt(bytes(signed))


def test_bad_parts_each_with_a_reason_the_rest_archived(sw: SharingWorld, tmp_path: Path) -> None:
    number = sw.new_case()
    req = request_sharing(sw.ctx(), case=number)
    good = passport_pdf(tmp_path / "good.pdf", "добра-копія")
    parts = delivery(sw.pki, req.request_id, {"internal-passport": good})
    tampered = bytearray(sw.pki.wrap(passport_pdf(tmp_path / "t.pdf", "змінений-конверт")))
    tampered[len(tampered) // 2] ^= 0xFF
    parts += [
        DeliveryPart("driver-license", "d.p7s.p7e", bytes(tampered)),
        DeliveryPart("vehicle-license", "v.p7s.p7e", b"not an envelope at all"),
        DeliveryPart(
            "birth-certificate",
            "b.p7s.p7e",
            altered_signature(sw.pki, passport_pdf(tmp_path / "a.pdf", "змінений-підпис")),
        ),
        DeliveryPart("foreign-passport", "f.p7s.p7e", sw.pki.wrap(zip_bomb())),
        DeliveryPart("taxpayer-card", "c.p7s.p7e", sw.pki.wrap(encrypted_pdf(tmp_path, "зашифр"))),
    ]
    result = receive_delivery(sw.diia(), request_id=req.request_id, parts=parts)
    assert result.state == "partial" and result.reason
    by = {p["name"]: p for p in result.parts}
    assert by["internal-passport"]["status"] == "archived"
    # A changed ciphertext decrypts to changed bytes (CBC has no integrity of its own): the
    # signature catches it, the document is kept with the signature recorded as invalid.
    assert by["driver-license"]["signature"] == "invalid"
    assert by["driver-license"]["code"] == "signature_invalid" and by["driver-license"]["reason"]
    # Junk that is no envelope at all is refused with a reason (its bytes are kept).
    assert by["vehicle-license"]["status"] == "rejected"
    assert by["vehicle-license"]["code"] == "broken_envelope" and by["vehicle-license"]["reason"]
    # Altered after signing: kept, with the signature recorded as invalid and shown so.
    assert by["birth-certificate"]["signature"] == "invalid", by["birth-certificate"]
    assert by["birth-certificate"]["reason"]
    # A ZIP in the envelope is never taken for a PDF, nor opened; an encrypted PDF is refused.
    assert by["foreign-passport"]["status"] == "rejected"
    assert by["foreign-passport"]["code"] == "unsupported_type"
    assert by["taxpayer-card"]["status"] == "rejected"
    assert by["taxpayer-card"]["code"] == "encrypted"
    assert "парол" in by["taxpayer-card"]["reason"]
    # Every byte received is kept; the refused documents' signed containers too.
    with sw.archive.db.session() as s:
        row = s.get(SharingDelivery, result.delivery_id)
        assert row is not None
        assert all(sw.archive.store.exists(p["sha256"]) for p in row.parts)
        assert sw.archive.store.exists(by["foreign-passport"]["container_sha256"])
        docs = list(s.scalars(select(Document).where(Document.case.has(number=number))))
    assert len(docs) == 3 and all(d.state == DocState.archived for d in docs)
    assert not any(d.meta.get("document_type") == "foreign-passport" for d in docs)


def test_tampered_metadata_keeps_the_documents(sw: SharingWorld, tmp_path: Path) -> None:
    number = sw.new_case()
    req = request_sharing(sw.ctx(), case=number)
    parts = delivery(
        sw.pki, req.request_id, {"internal-passport": passport_pdf(tmp_path / "m.pdf", "мета")}
    )
    parts[-1] = DeliveryPart("encodeData", None, b"garbage that is no envelope")
    result = receive_delivery(sw.diia(), request_id=req.request_id, parts=parts)
    assert result.parts[0]["status"] == "archived"
    assert result.code == "bad_metadata" and "Метадані" in (result.reason or "")


def test_wrong_request_id_held_and_the_next_goes_on(sw: SharingWorld, tmp_path: Path) -> None:
    pdf = passport_pdf(tmp_path / "w.pdf", "чужий-запит")
    wrong = receive_delivery(
        sw.diia(),
        request_id="0" * 32,
        parts=delivery(sw.pki, "0" * 32, {"internal-passport": pdf}),
    )
    assert wrong.state == "held" and wrong.code == "unknown_request"
    number = sw.new_case()
    req = request_sharing(sw.ctx(), case=number)
    ok = receive_delivery(
        sw.diia(),
        request_id=req.request_id,
        parts=delivery(
            sw.pki, req.request_id, {"internal-passport": passport_pdf(tmp_path / "n.pdf", "далі")}
        ),
    )
    assert ok.state == "archived"


def test_oversized_delivery_refused_with_a_reason(sw: SharingWorld) -> None:
    """Over ``CNAP_SHARING__MAX_DELIVERY_MB`` a delivery is refused at the door (HTTP 413)."""
    settings = sw.archive.settings.sharing
    before = settings.max_delivery_mb
    settings.max_delivery_mb = 0.01
    try:
        with pytest.raises(TooLarge) as err:
            receive_delivery(
                sw.diia(),
                request_id="big",
                parts=[DeliveryPart("internal-passport", "x", b"\x00" * 20_000)],
            )
        assert "розмір" in err.value.message
    finally:
        settings.max_delivery_mb = before
