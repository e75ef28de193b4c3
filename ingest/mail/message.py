"""A received e-mail taken apart: Message-ID, subject, text, and its file attachments.

Parsing is lenient (``email`` records defects rather than failing), so a
malformed message still yields what can be read and is otherwise held. Only
PDF, JPEG, PNG and TIFF become documents, recognised by their first bytes,
not by the name or type the sender gave. Archives (zip, rar, 7z, gzip) are
refused without being opened: nothing here ever decompresses a bomb.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_ARCHIVES = (b"PK\x03\x04", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh")
# A message nests multiparts and forwarded messages; parsing them is recursive and
# slows down with depth, so one nested deeper than any real mail is held unparsed.
MAX_CONTAINERS = 200
_CONTAINER = re.compile(rb"content-type:\s*(?:multipart/|message/rfc822)", re.IGNORECASE)
# Text parts and signatures: never documents, never reported.
_IGNORED_TYPES = ("text/", "multipart/", "message/delivery-status", "application/pgp-signature")


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes
    media_type: str | None  # None: not a kind that becomes a document
    problem: str | None = None
    code: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(slots=True)
class Parsed:
    message_id: str
    subject: str
    text: str
    sender: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def message_key(raw: bytes, message_id: str) -> str:
    """What makes a message the same message again: its Message-ID, else its bytes."""
    basis = message_id.strip().encode() if message_id.strip() else raw
    return hashlib.sha256(basis).hexdigest()


class Unreadable(Exception):
    """A message that cannot be taken apart (``code``, Ukrainian ``reason``): it is held whole."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


TOO_NESTED = (
    "Лист містить забагато вкладених частин чи пересланих листів; його збережено для перевірки"
)


def parse(raw: bytes, *, max_bytes: int) -> Parsed:
    """Take a message apart; :class:`Unreadable` for one nested beyond :data:`MAX_CONTAINERS`."""
    if len(_CONTAINER.findall(raw)) > MAX_CONTAINERS:
        raise Unreadable("too_nested", TOO_NESTED)
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    defects = [type(d).__name__ for d in msg.defects]
    parsed = Parsed(
        message_id=str(msg.get("Message-ID", "") or "").strip()[:998],
        subject=_header(msg, "Subject"),
        text="",
        sender=_header(msg, "From")[:320],
        defects=defects,
    )
    texts: list[str] = []
    for part in msg.walk():
        defects.extend(type(d).__name__ for d in getattr(part, "defects", []))
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        name = part.get_filename()
        if ctype in ("text/plain", "text/html") and not name:
            try:
                content = part.get_content()
            except (LookupError, ValueError):
                continue
            if isinstance(content, str):
                texts.append(re.sub(r"<[^>]+>", " ", content) if ctype == "text/html" else content)
            continue
        if ctype.startswith(_IGNORED_TYPES) and not name:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        parsed.attachments.append(_attachment(name or "вкладення", payload, max_bytes))
    parsed.text = "\n".join(texts)[:100_000]
    return parsed


def _attachment(name: str, data: bytes, max_bytes: int) -> Attachment:
    name = name.replace("/", "_").replace("\\", "_")[:200]
    if len(data) > max_bytes:
        return Attachment(
            name, b"", None, "Вкладення завелике; надішліть його меншими частинами", "too_large"
        )
    if data.startswith(_ARCHIVES):
        return Attachment(
            name,
            data,
            None,
            "Архіви не приймаються; надішліть файли PDF, JPEG, PNG або TIFF окремо",
            "archive",
        )
    for magic, media in _KINDS:
        if data.startswith(magic):
            return Attachment(name, data, media)
    return Attachment(
        name,
        data,
        None,
        "Тип вкладення не підтримано; приймаються PDF, JPEG, PNG і TIFF",
        "unsupported",
    )


def _header(msg: EmailMessage, name: str) -> str:
    try:
        return str(msg.get(name, "") or "")[:1000]
    except (ValueError, LookupError):
        return ""
