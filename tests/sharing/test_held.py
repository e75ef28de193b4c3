"""The desk reviews held Diia deliveries and e-mail: list (masked), attach once, reject (kept)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.audit import AuditEntry
from archive.models import DocState, Document, utcnow
from archive.sharing import MailMessage, SharingDelivery, SharingRequest
from backends import Archive
from ingest.mail.intake import take
from tests.sharing.fake_diia import FakeDiia
from tests.sharing.pki import Pki
from tests.sharing.world import (
    OFFICIAL,
    OTHER_ADMIN,
    RNOKPP,
    SharingWorld,
    delivery,
    open_world,
    passport_pdf,
)
from usecases.errors import Conflict, Denied, Invalid, NotFound
from usecases.held import attach_held, list_held, reject_held
from usecases.sharing import receive_delivery, request_sharing


@pytest.fixture(scope="module")
def sw(
    tmp_path_factory: pytest.TempPathFactory, own_diia: FakeDiia, pki: Pki
) -> Iterator[SharingWorld]:
    with open_world(tmp_path_factory.mktemp("held") / "data", own_diia, pki) as world:
        yield world


def _docs(archive: Archive, number: str) -> list[Document]:
    with archive.db.session() as s:
        return list(s.scalars(select(Document).where(Document.case.has(number=number))))


def _actions(archive: Archive) -> list[str]:
    with archive.db.session() as s:
        return [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def mail_raw(subject: str, files: list[tuple[str, bytes]], mid: str) -> bytes:
    m = EmailMessage()
    m["From"] = "Тарас Шевченко <taras.shevchenko@example.com>"
    m["To"] = "cnap@example.gov.ua"
    m["Subject"] = subject
    m["Message-ID"] = mid
    m.set_content("Добрий день, надсилаю документи.")
    for name, data in files:
        m.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return bytes(m)


def test_held_delivery_listed_attached_once(sw: SharingWorld, tmp_path: Path) -> None:
    pdf = passport_pdf(tmp_path / "h.pdf", "відкладена-доставка")
    parts = delivery(sw.pki, "lost-request", {"internal-passport": pdf})
    held = receive_delivery(sw.diia(), request_id="lost-request-1", parts=parts)
    assert held.state == "held"

    listed = list_held(sw.ctx(), kind="delivery")
    item = next(i for i in listed.items if i.id == held.delivery_id)
    assert item.kind == "delivery" and item.code == "unknown_request"
    assert item.source == "203.0.113.7" and item.reason
    assert item.files[0]["type"] == "internal-passport"
    assert "intake.held" in _actions(sw.archive)

    number = sw.new_case()
    done = attach_held(sw.ctx(), kind="delivery", item_id=held.delivery_id, case=number)
    assert done.state == "archived" and done.case == number and not done.replay
    docs = _docs(sw.archive, number)
    assert [d.id for d in docs] == done.documents and docs[0].state == DocState.archived
    assert docs[0].meta["signature"]["validity"] == "valid"
    # Once: attached again to the same case, the record answers; nothing new.
    again = attach_held(sw.ctx(), kind="delivery", item_id=held.delivery_id, case=number)
    assert again.replay and again.documents == done.documents
    assert len(_docs(sw.archive, number)) == 1
    # Not to a second case, and it is no longer listed.
    with pytest.raises(Conflict):
        attach_held(sw.ctx(), kind="delivery", item_id=held.delivery_id, case=sw.new_case())
    assert held.delivery_id not in [i.id for i in list_held(sw.ctx()).items]
    with sw.archive.db.session() as s:
        row = s.get(SharingDelivery, held.delivery_id)
        assert row is not None and row.reviewed_by == "admin"
    assert _actions(sw.archive).count("intake.attach") == 2


def test_expired_delivery_rejected_and_kept(sw: SharingWorld, tmp_path: Path) -> None:
    number = sw.new_case()
    req = request_sharing(sw.ctx(), case=number)
    with sw.archive.db.session() as s:
        row = s.get(SharingRequest, req.request_id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
    parts = delivery(
        sw.pki, req.request_id, {"taxpayer-card": passport_pdf(tmp_path / "x.pdf", "відхилена")}
    )
    late = receive_delivery(sw.diia(), request_id=req.request_id, parts=parts)
    assert late.state == "held" and late.code == "expired_request"
    with pytest.raises(Invalid):
        reject_held(sw.ctx(), kind="delivery", item_id=late.delivery_id, reason="ні")
    done = reject_held(
        sw.ctx(),
        kind="delivery",
        item_id=late.delivery_id,
        reason="Заявник подав документи особисто, копія не потрібна",
    )
    assert done.state == "rejected"
    with sw.archive.db.session() as s:
        kept = s.get(SharingDelivery, late.delivery_id)
        assert kept is not None and kept.review_reason and kept.state == "rejected"
        assert all(sw.archive.store.exists(p["sha256"]) for p in kept.parts)
    with pytest.raises(Conflict):
        attach_held(sw.ctx(), kind="delivery", item_id=late.delivery_id, case=number)
    assert _docs(sw.archive, number) == []


def test_held_mail_masked_then_attached(sw: SharingWorld, tmp_path: Path) -> None:
    pdf = passport_pdf(tmp_path / "m.pdf", "лист-без-справи")
    raw = mail_raw("Документи", [(f"Shevchenko_{RNOKPP}.pdf", pdf)], "<held-1@test>")
    taken = take(sw.archive, raw, submit=lambda _d: None, actor="mail")
    assert taken.state == "held"
    with sw.archive.db.session() as s:
        row = s.scalar(select(MailMessage).where(MailMessage.key == taken.key))
        assert row is not None
        mid = row.id
    item = next(i for i in list_held(sw.ctx(), kind="mail").items if i.id == mid)
    shown = str(item.as_json())
    assert RNOKPP not in shown and "taras.shevchenko" not in shown and "Шевченко" not in shown
    assert item.source and "@" in item.source and item.files[0]["status"] == "held"
    number = sw.new_case()
    done = attach_held(sw.ctx(), kind="mail", item_id=mid, case=number)
    assert done.state == "archived" and len(done.documents) == 1
    doc = _docs(sw.archive, number)[0]
    assert doc.state == DocState.archived and doc.source.value == "email"
    again = attach_held(sw.ctx(), kind="mail", item_id=mid, case=number)
    assert again.replay and again.documents == done.documents
    assert len(_docs(sw.archive, number)) == 1


def test_only_the_centres_administrator_reviews(sw: SharingWorld) -> None:
    for p in (OTHER_ADMIN, OFFICIAL):
        with pytest.raises(Denied):
            list_held(sw.ctx(p))
        with pytest.raises(Denied):
            reject_held(sw.ctx(p), kind="mail", item_id=1, reason="Сторонній лист без справи")
    with pytest.raises(NotFound):
        attach_held(sw.ctx(), kind="mail", item_id=999_999, case=sw.new_case())
    with pytest.raises(Invalid):
        attach_held(sw.ctx(), kind="fax", item_id=1, case=sw.new_case())
