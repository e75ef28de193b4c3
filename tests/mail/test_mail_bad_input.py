"""Bad e-mail (issue 14, item 5) against a real Dovecot: each held or refused with a reason,
every message kept (in the store and in a mailbox folder), the rest going on."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pikepdf
import pytest
from sqlalchemy import select

from archive import cases as ops
from archive.models import DocState, Document
from archive.settings import MailSettings, Settings
from archive.sharing import MailMessage
from archive.users import Role
from backends import Archive
from ingest.mail import intake
from ingest.mail.imap import Mailbox
from tests.mail.test_mail_imap import HOME, _message, _pdf, imap_url
from tests.sharing.test_bad_delivery import zip_bomb
from usecases.access import events_for
from usecases.context import Context
from usecases.mail import take_mail
from usecases.policy import Principal

ADMIN = Principal("admin", Role.administrator, HOME, address="test")


def nested(depth: int, mid: str) -> bytes:
    """A message of ``depth`` multiparts inside each other (parsing is recursive)."""
    head = f"From: a@example.com\r\nSubject: x\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n"
    body = b""
    for i in range(depth):
        body += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
    body += b"Content-Type: text/plain\r\n\r\nhi\r\n"
    for i in reversed(range(depth)):
        body += b"--b%d--\r\n" % i
    return head.encode() + body


def malformed(number: str, mid: str) -> bytes:
    """A multipart whose boundary never closes, with broken base64 and a junk header line."""
    return (
        f"From: citizen@example.com\r\nSubject: Справа {number}\r\nMessage-ID: {mid}\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="zzz"\r\n'
        "this line is not a header\r\n\r\n"
        '--zzz\r\nContent-Type: application/pdf; name="a.pdf"\r\n'
        'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="a.pdf"'
        "\r\n\r\n%%%not*base64@@@\r\n--zz"
    ).encode()


def encrypted(tmp: Path) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_pdf(tmp, "Зашифрований документ"))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="o-secret", user="u-secret"))
    return out.getvalue()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Archive, MailSettings, str]]:
    tag = uuid.uuid4().hex[:8]
    ms = MailSettings(
        imap_url=imap_url(),
        mailbox=f"b{tag}",
        processed_folder=f"b{tag}-done",
        held_folder=f"b{tag}-held",
        max_attachment_mb=0.2,
    )
    with Mailbox(ms.imap_url or "", "INBOX") as box:
        box.create_folder(ms.mailbox)
    archive = Archive(Settings(data_dir=tmp_path / "data", centre=HOME, mail=ms))
    archive.init()
    with archive.db.session() as s:
        number = ops.register(
            s, archive.settings, ops.Registration(service="Послуга", centre=HOME)
        ).case.number
    try:
        yield archive, ms, number
    finally:
        archive.close()


@pytest.mark.services
def test_bad_mail_is_held_or_refused_with_a_reason_and_kept(
    tmp_path: Path, world: tuple[Archive, MailSettings, str]
) -> None:
    archive, ms, number = world
    good = _pdf(tmp_path, "Добра копія")
    big = _pdf(tmp_path, "Великий " + "документ " * 10) + b"%" + b"0" * 300_000
    pdf = "application/pdf"
    messages = {
        "<malformed@t>": malformed(number, "<malformed@t>"),
        "<nested@t>": nested(300, "<nested@t>"),
        "<wrong-id@t>": _message(
            "Документи з Дії",
            f"Запит {'ab' * 16}",  # a request id nobody made
            [("a.pdf", _pdf(tmp_path, "Невідомий запит"), pdf)],
            "<wrong-id@t>",
        ),
        "<big@t>": _message(
            f"Справа {number}", "", [("big.pdf", big, pdf), ("ok.pdf", good, pdf)], "<big@t>"
        ),
        "<bomb@t>": _message(
            f"Справа {number}", "", [("docs.zip", zip_bomb(), "application/zip")], "<bomb@t>"
        ),
        "<encrypted@t>": _message(
            f"Справа {number}", "", [("locked.pdf", encrypted(tmp_path), pdf)], "<encrypted@t>"
        ),
    }
    with Mailbox(ms.imap_url or "", ms.mailbox) as box:
        for raw in messages.values():
            box.append(ms.mailbox, raw)
    run = take_mail(Context(archive, ADMIN, events_for(archive)))
    assert len(run.messages) == len(messages)
    with archive.db.session() as s:
        rows = {m.message_id or "<nested@t>": m for m in s.scalars(select(MailMessage))}
        docs = list(s.scalars(select(Document)))
    assert set(rows) == set(messages)
    state = {k: (r.state, r.code) for k, r in rows.items()}
    assert state["<malformed@t>"] == ("held", "no_documents")
    assert state["<nested@t>"] == ("held", "too_nested")
    assert state["<wrong-id@t>"] == ("held", "no_case")
    assert state["<big@t>"] == ("archived", None)
    assert state["<bomb@t>"] == ("held", "no_documents")
    assert state["<encrypted@t>"] == ("held", "no_documents")
    codes = {k: {a.get("code") for a in r.attachments} for k, r in rows.items()}
    assert codes["<big@t>"] == {"too_large", None}
    assert codes["<bomb@t>"] == {"archive"}
    assert codes["<encrypted@t>"] == {"encrypted"}
    assert all(a["reason"] for r in rows.values() for a in r.attachments if a.get("code"))
    assert all(r.reason for r in rows.values() if r.state == "held")
    # The rest went on: the good attachment is archived in the case, nothing else became one.
    assert [d.original_name for d in docs] == ["ok.pdf"] and docs[0].state == DocState.archived
    # Every message is kept: whole in the store, and moved (never deleted) in the mailbox.
    assert all(archive.store.exists(r.raw_sha256) for r in rows.values())
    with Mailbox(ms.imap_url or "", ms.mailbox) as box:
        assert box.count(ms.mailbox) == 0
        assert box.count(ms.processed_folder) == 1
        assert box.count(ms.held_folder) == len(messages) - 1


def test_a_message_that_breaks_the_parser_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = Archive(Settings(data_dir=tmp_path / "data", centre=HOME))
    archive.init()
    try:
        raw = _message("x", "y", [], "<boom@t>")

        def boom(_raw: bytes, *, max_bytes: int) -> object:
            raise RecursionError("maximum recursion depth exceeded")

        monkeypatch.setattr(intake, "parse", boom)
        taken = intake.take(archive, raw, submit=lambda _d: None, actor="mail")
        assert taken.state == "held" and taken.code == "malformed" and taken.reason
        again = intake.take(archive, raw, submit=lambda _d: None, actor="mail")
        assert again.key == taken.key and again.seen_before
        with archive.db.session() as s:
            row = s.scalar(select(MailMessage).where(MailMessage.key == taken.key))
            assert row is not None and archive.store.read_bytes(row.raw_sha256) == raw
    finally:
        archive.close()


def test_an_oversized_attachment_alone_is_held(tmp_path: Path) -> None:
    ms = MailSettings(max_attachment_mb=0.01)
    archive = Archive(Settings(data_dir=tmp_path / "data", centre=HOME, mail=ms))
    archive.init()
    try:
        with archive.db.session() as s:
            number = ops.register(
                s, archive.settings, ops.Registration(service="Послуга", centre=HOME)
            ).case.number
        m = EmailMessage()
        m["Subject"], m["Message-ID"] = f"Справа {number}", "<huge@t>"
        m.set_content("Документ")
        m.add_attachment(b"%PDF-1.7\n" + b"0" * 50_000, maintype="application", subtype="pdf",
                         filename="huge.pdf")  # fmt: skip
        taken = intake.take(archive, bytes(m), submit=lambda _d: None, actor="mail")
        assert taken.state == "held" and taken.attachments[0]["code"] == "too_large"
        assert "завелике" in taken.attachments[0]["reason"]
    finally:
        archive.close()
