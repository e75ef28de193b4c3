"""E-mail intake against a real Dovecot (scripts/services.sh): killed mid-message, restarted."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from archive import cases as ops
from archive.models import DocState, Document
from archive.settings import MailSettings, Settings
from archive.sharing import MailMessage
from backends import Archive
from ingest.mail.imap import Mailbox
from tests.services import ENV_FILE
from tests.synthetic import born_digital_pdf

pytestmark = pytest.mark.services
REPO = Path(__file__).resolve().parents[2]
HOME = "ЦНАП Житомир"


def imap_url() -> str:
    url = os.environ.get("CNAP_TEST_IMAP_URL")
    if not url and ENV_FILE.exists():
        for line in ENV_FILE.read_text().splitlines():
            if line.startswith("CNAP_TEST_IMAP_URL="):
                url = line.split("=", 1)[1].strip().strip("'\"")
    if not url:
        pytest.fail("CNAP_TEST_IMAP_URL is missing: start dovecot with scripts/services.sh up")
    return url


@pytest.fixture
def mailbox_settings() -> Iterator[MailSettings]:
    tag = uuid.uuid4().hex[:8]
    ms = MailSettings(
        imap_url=imap_url(),
        mailbox=f"t{tag}",
        processed_folder=f"t{tag}-done",
        held_folder=f"t{tag}-held",
    )
    with Mailbox(ms.imap_url or "", "INBOX") as box:
        box.create_folder(ms.mailbox)
    yield ms


def _message(subject: str, body: str, files: list[tuple[str, bytes, str]], mid: str) -> bytes:
    m = EmailMessage()
    m["From"] = "citizen@example.com"
    m["To"] = "cnap@example.gov.ua"
    m["Subject"] = subject
    m["Message-ID"] = mid
    m.set_content(body)
    for name, data, ctype in files:
        main, sub = ctype.split("/")
        m.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return bytes(m)


def _png(text: str) -> bytes:
    img = Image.new("L", (1200, 500), 255)
    ImageDraw.Draw(img).text((60, 200), text, fill=0)
    out = io.BytesIO()
    img.save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def _pdf(tmp: Path, text: str) -> bytes:
    return born_digital_pdf(
        [[text, "Копія документа, надіслана електронною поштою"]],
        tmp / f"{hashlib.md5(text.encode()).hexdigest()}.pdf",
    ).read_bytes()


def _cli(data: Path, ms: MailSettings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CNAP_DATA_DIR": str(data),
        "CNAP_CENTRE": HOME,
        "CNAP_MAIL__IMAP_URL": ms.imap_url or "",
        "CNAP_MAIL__MAILBOX": ms.mailbox,
        "CNAP_MAIL__PROCESSED_FOLDER": ms.processed_folder,
        "CNAP_MAIL__HELD_FOLDER": ms.held_folder,
        "OMP_THREAD_LIMIT": "1",
    }
    for name in ("CNAP_DATABASE_URL", "CNAP_STORAGE_URL", "CNAP_INDEX_URL", "CNAP_BROKER_URL"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "api", "mail", "--json"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_killed_mid_message_each_attachment_archived_once(
    tmp_path: Path, mailbox_settings: MailSettings
) -> None:
    data = tmp_path / "data"
    archive = Archive(Settings(data_dir=data, centre=HOME))
    archive.init()
    with archive.db.session() as s:
        number = ops.register(
            s, archive.settings, ops.Registration(service="Послуга", centre=HOME)
        ).case.number
    ms = mailbox_settings
    files = [
        ("zayava.pdf", _pdf(tmp_path, "Заява перша"), "application/pdf"),
        ("foto.png", _png("PASPORT COPY 1"), "image/png"),
        ("dovidka.pdf", _pdf(tmp_path, "Довідка друга"), "application/pdf"),
    ]
    other = [("kopia.pdf", _pdf(tmp_path, "Копія третя"), "application/pdf")]
    with Mailbox(ms.imap_url or "", ms.mailbox) as box:
        box.append(
            ms.mailbox, _message(f"Документи до справи {number}", "Добрий день", files, "<m1@test>")
        )
        box.append(
            ms.mailbox,
            _message("Документи", f"Прошу додати до справи № {number}.", other, "<m2@test>"),
        )
        box.append(
            ms.mailbox,
            _message(
                "Без номера",
                "Ось документ",
                [("x.pdf", _pdf(tmp_path, "Без справи"), "application/pdf")],
                "<m3@test>",
            ),
        )
        box.append(
            ms.mailbox,
            _message(
                f"Справа {number}",
                "архів",
                [
                    ("bomb.zip", b"PK\x03\x04" + b"\x00" * 100, "application/zip"),
                    ("notes.txt.exe", b"MZ....", "application/octet-stream"),
                ],
                "<m4@test>",
            ),
        )
    # First run: killed as soon as the first attachment of the first message is in.
    proc = _cli(data, ms)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            with archive.db.session() as s:
                if (s.scalar(select(func.count()).select_from(Document)) or 0) >= 1:
                    break
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL  # it really died in the middle
    with archive.db.session() as s:
        after_kill = s.scalar(select(func.count()).select_from(Document)) or 0
    assert 1 <= after_kill < len(files) + len(other)
    # Restart (twice: the second finds nothing new).
    for _ in range(2):
        proc = _cli(data, ms)
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode in (0, 3), err.decode()
    with archive.db.session() as s:
        docs = list(s.scalars(select(Document)))
        messages = list(s.scalars(select(MailMessage)))
    expected = {hashlib.sha256(d).hexdigest() for _, d, _ in files + other}
    assert sorted(d.sha256 for d in docs) == sorted(expected)  # each attachment once
    assert all(d.state == DocState.archived and d.source.value == "email" for d in docs), [
        (d.state, d.error) for d in docs
    ]
    assert {m.message_id: m.state for m in messages} == {
        "<m1@test>": "archived",
        "<m2@test>": "archived",
        "<m3@test>": "held",
        "<m4@test>": "held",
    }
    bomb = next(m for m in messages if m.message_id == "<m4@test>")
    assert {a["code"] for a in bomb.attachments} == {"archive", "unsupported"}
    assert all(archive.store.exists(m.raw_sha256) for m in messages)  # every message kept
    with Mailbox(ms.imap_url or "", ms.mailbox) as box:
        assert box.count(ms.mailbox) == 0
        assert box.count(ms.processed_folder) == 2
        assert box.count(ms.held_folder) == 2
    archive.close()
