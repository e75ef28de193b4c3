"""Request → (fake) deeplink → an encrypted delivery → documents in the case, searchable, masked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.findings import findings_for
from archive.models import DocState, Document, utcnow
from archive.sharing import SharingDelivery, SharingRequest
from backends import Archive
from tests.sharing.fake_diia import FakeDiia
from tests.sharing.pki import Pki
from tests.sharing.world import (
    OFFICIAL,
    OTHER_ADMIN,
    PASSPORT,
    RNOKPP,
    SharingWorld,
    delivery,
    open_world,
    passport_pdf,
)
from usecases import search
from usecases.errors import Denied, Invalid, NotFound
from usecases.sharing import document_sharing, receive_delivery, request_sharing, sharing_sheet


@pytest.fixture(scope="module")
def sw(
    tmp_path_factory: pytest.TempPathFactory, fake_diia: FakeDiia, pki: Pki
) -> Iterator[SharingWorld]:
    with open_world(tmp_path_factory.mktemp("sharing") / "data", fake_diia, pki) as world:
        yield world


def _docs(sw: SharingWorld, number: str) -> list[Document]:
    with sw.archive.db.session() as s:
        return list(s.scalars(select(Document).where(Document.case.has(number=number))))


def test_end_to_end(sw: SharingWorld, tmp_path: Path) -> None:
    number = sw.new_case()
    req = request_sharing(sw.ctx(), case=number)
    assert req.deeplink == sw.fake.deeplink_for(req.request_id)
    assert sw.fake.requests[-1]["requestId"] == req.request_id
    png = sharing_sheet(sw.ctx(), request_id=req.request_id, kind="png")
    assert png.content.startswith(b"\x89PNG")
    pdf = sharing_sheet(sw.ctx(), request_id=req.request_id, kind="pdf")
    assert pdf.content.startswith(b"%PDF")

    parts = delivery(
        sw.pki,
        req.request_id,
        {
            "internal-passport": passport_pdf(tmp_path / "p.pdf", "паспорт-е2е"),
            "taxpayer-card": passport_pdf(tmp_path / "t.pdf", "картка-е2е"),
        },
    )
    result = receive_delivery(sw.diia(), request_id=req.request_id, parts=parts)
    assert result.state == "archived", result
    assert result.case == number and not result.replay
    docs = _docs(sw, number)
    assert len(docs) == 2 and all(d.state == DocState.archived for d in docs)
    passport = next(d for d in docs if d.meta["document_type"] == "internal-passport")
    assert passport.source.value == "sharing"
    assert passport.meta["signature"]["validity"] == "valid"
    # The signed container is kept as the evidential original.
    assert sw.archive.store.exists(passport.meta["evidence"]["sha256"])
    # Identifiers from the metadata were detected (and are masked below full access).
    with sw.archive.db.session() as s:
        kinds = {(f.kind, f.source) for d in docs for f in findings_for(s, d.id)}
    assert ("passport", "meta") in kinds and ("rnokpp", "meta") in kinds
    full = document_sharing(sw.ctx(), document_id=passport.id)
    assert full.fields is not None and full.fields["docNumber"] == PASSPORT
    # Searchable in the case.
    hits = search.search(sw.ctx(), text="паспорт-е2е")
    assert passport.id in [h.document_id for h in hits.hits]
    # A replay of the same delivery is answered from the record.
    again = receive_delivery(sw.diia(), request_id=req.request_id, parts=parts)
    assert again.replay and again.delivery_id == result.delivery_id
    assert len(_docs(sw, number)) == 2


def test_masked_for_a_reader_below_full(sw: SharingWorld, tmp_path: Path) -> None:
    number = sw.new_case()
    req = request_sharing(sw.ctx(), case=number)
    parts = delivery(
        sw.pki, req.request_id, {"taxpayer-card": passport_pdf(tmp_path / "m.pdf", "маска")}
    )
    receive_delivery(sw.diia(), request_id=req.request_id, parts=parts)
    doc = _docs(sw, number)[0]
    # An official of another department sees nothing; the admin of another centre is masked.
    masked = document_sharing(sw.ctx(_same_centre_other_workplace()), document_id=doc.id)
    assert masked.masked and masked.fields is not None
    assert masked.fields["rnokpp"] != RNOKPP and masked.fields["rnokpp"].endswith(RNOKPP[-2:])


def _same_centre_other_workplace():  # type: ignore[no-untyped-def]
    from archive.users import Role
    from usecases.policy import Principal

    return Principal("admin_wp", Role.administrator, "ЦНАП Житомир", "ВРМ Інше", address="test")


def test_unknown_and_expired_are_held(sw: SharingWorld, tmp_path: Path) -> None:
    parts = delivery(
        sw.pki, "nope", {"internal-passport": passport_pdf(tmp_path / "u.pdf", "невідомий")}
    )
    held = receive_delivery(sw.diia(), request_id="no-such-request", parts=parts)
    assert (
        held.state == "held"
        and held.code == "unknown_request"
        and "збережено" in (held.reason or "")
    )
    number = sw.new_case()
    req = request_sharing(sw.ctx(), case=number)
    with sw.archive.db.session() as s:
        row = s.get(SharingRequest, req.request_id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
    late = receive_delivery(
        sw.diia(),
        request_id=req.request_id,
        parts=delivery(
            sw.pki, req.request_id, {"internal-passport": passport_pdf(tmp_path / "e.pdf", "пізно")}
        ),
    )
    assert late.state == "held" and late.code == "expired_request"
    assert _docs(sw, number) == []
    with sw.archive.db.session() as s:
        kept = s.get(SharingDelivery, late.delivery_id)
        assert kept is not None
        assert all(sw.archive.store.exists(p["sha256"]) for p in kept.parts)


def test_bad_parts_are_kept_and_the_rest_goes_on(sw: SharingWorld, tmp_path: Path) -> None:
    number = sw.new_case()
    req = request_sharing(sw.ctx(), case=number)
    good = passport_pdf(tmp_path / "g.pdf", "добрий")
    parts = delivery(sw.pki, req.request_id, {"internal-passport": good})
    # A tampered envelope, and a document signed by a key nobody trusts.
    broken = bytearray(sw.pki.wrap(passport_pdf(tmp_path / "b.pdf", "зламаний")))
    broken[-30] ^= 0xFF
    from tests.sharing.pki import _key, make_cert
    from usecases.sharing import DeliveryPart

    stranger_key = _key()
    stranger = make_cert("Stranger", stranger_key)
    untrusted = sw.pki.encrypt(
        sw.pki.sign(passport_pdf(tmp_path / "s.pdf", "чужий"), key=stranger_key, cert=stranger)
    )
    parts += [
        DeliveryPart("driver-license", "d.p7s.p7e", bytes(broken)),
        DeliveryPart("vehicle-license", "v.p7s.p7e", untrusted),
    ]
    result = receive_delivery(sw.diia(), request_id=req.request_id, parts=parts)
    assert result.state == "partial"
    by_name = {p["name"]: p for p in result.parts}
    assert by_name["driver-license"]["status"] == "rejected" and by_name["driver-license"]["reason"]
    assert by_name["vehicle-license"]["status"] == "archived"
    assert by_name["vehicle-license"]["signature"] == "untrusted"
    shown = document_sharing(sw.ctx(), document_id=by_name["vehicle-license"]["document_id"])
    assert shown.signature is not None and shown.signature["validity"] == "untrusted"
    assert "довіреного" in shown.signature["reason"]


def test_only_the_centres_administrator_requests(sw: SharingWorld) -> None:
    number = sw.new_case()
    for p in (OTHER_ADMIN, OFFICIAL):
        # A case outside the caller's scope is refused like a missing one (issue 9, item 8).
        with pytest.raises((Denied, NotFound)):
            request_sharing(sw.ctx(p), case=number)


def test_no_request_id(sw: SharingWorld) -> None:
    with pytest.raises(Invalid):
        receive_delivery(sw.diia(), request_id=" ", parts=[])


def _archive(sw: SharingWorld) -> Archive:
    return sw.archive


def test_pades_signed_pdf_inside_the_envelope(sw: SharingWorld, tmp_path: Path) -> None:
    from tests.sharing.test_pades import signed_pdf

    number = sw.new_case()
    req = request_sharing(sw.ctx(), case=number)
    pdf = signed_pdf(sw.pki, tmp_path, "Свідоцтво з підписом")
    parts = delivery(sw.pki, req.request_id, {"birth-certificate": pdf})
    result = receive_delivery(sw.diia(), request_id=req.request_id, parts=parts)
    assert result.state == "archived", result
    shown = document_sharing(sw.ctx(), document_id=result.parts[0]["document_id"])
    assert shown.pades is not None and shown.pades["validity"] == "valid"
    assert shown.pades["signatures"][0]["signer"]
    doc = _docs(sw, number)[0]
    # Kept byte for byte (the pipeline does not rewrite a signed PDF).
    assert doc.sha256 == __import__("hashlib").sha256(pdf).hexdigest()
    assert doc.state == DocState.archived
