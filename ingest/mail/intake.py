"""One e-mail into the archive: recorded first, then its attachments into the case.

The whole message is stored and recorded (keyed by its Message-ID) before
anything else; a message seen before is only moved on. Attachments become
documents through the ordinary ingest (same bytes, same document: a restart
in the middle of a message archives nothing twice). The case comes from a
case number or a Diia sharing request id in the subject or the text; without
one the message is held, with its attachments, for a person to place.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from archive.models import Case, Document, PackageKind, Source, utcnow
from archive.sharing import MailMessage, SharingRequest
from backends import Archive
from ingest.errors import Rejected
from ingest.mail.message import Parsed, Unreadable, message_key, parse
from ingest.pipeline import accept_file
from ingest.preflight import check, limits_of
from ingest.sharing.pades import load_roots
from ingest.sharing.pades import validate as validate_pades

# "2026/00017", "2026/ВРМ1-0003": a year, a slash, the rest of the journal number.
_CASE_NUMBER = re.compile(r"(?<![\w/])((?:19|20)\d{2}/[\w-]{1,40})(?![\w/])")
_REQUEST_ID = re.compile(r"\b([0-9a-f]{32})\b")

HELD_NO_CASE = "У темі й тексті листа немає номера справи чи запиту; лист відкладено для перевірки"
HELD_NOTHING = (
    "Лист не містить жодного документа, який можна прийняти; його відкладено для перевірки"
)


@dataclass(slots=True)
class Taken:
    """What became of one message."""

    key: str
    state: str  # "archived" | "held"
    case_number: str | None
    code: str | None
    reason: str | None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    seen_before: bool = False

    @property
    def documents(self) -> list[str]:
        return [a["document_id"] for a in self.attachments if a.get("document_id")]


def take(
    archive: Archive,
    raw: bytes,
    *,
    submit: Callable[[str], None],
    actor: str,
) -> Taken:
    """Record and archive one message (idempotent by Message-ID)."""
    max_bytes = int(archive.settings.mail.max_attachment_mb * 1024 * 1024)
    try:
        parsed = parse(raw, max_bytes=max_bytes)
    except Unreadable as exc:
        return _unreadable(archive, raw, exc.code, exc.reason)
    except Exception:  # any message that breaks the parser is kept, not lost
        return _unreadable(archive, raw, "malformed", HELD_MALFORMED)
    key = message_key(raw, parsed.message_id)
    with archive.db.session() as s:
        row = s.scalar(select(MailMessage).where(MailMessage.key == key))
        if row is not None and row.state != "received":
            return _taken(s, row, seen_before=True)
    if row is None:
        raw_sha = archive.store.put_bytes(raw).sha256
        try:
            with archive.db.session() as s:
                s.add(
                    MailMessage(
                        key=key,
                        message_id=parsed.message_id or "",
                        raw_sha256=raw_sha,
                        state="received",
                        attachments=[],
                        sender=parsed.sender or None,
                    )
                )
        except IntegrityError:
            pass  # another worker recorded it a moment ago; finishing it again is harmless
    case_number = _find_case(archive, parsed)
    results: list[dict[str, Any]] = []
    for att in parsed.attachments:
        entry: dict[str, Any] = {
            "filename": att.filename,
            "sha256": att.sha256,
            "size": len(att.data),
        }
        if att.media_type is None:
            if att.data:
                archive.store.put_bytes(att.data)  # kept, with the message, for review
            results.append({**entry, "status": "rejected", "code": att.code, "reason": att.problem})
            continue
        if case_number is None:
            archive.store.put_bytes(att.data)
            results.append({**entry, "status": "held", "code": "no_case", "reason": HELD_NO_CASE})
            continue
        try:
            doc_id = _accept(archive, att.data, att.filename, case_number, actor)
        except Rejected as exc:
            archive.store.put_bytes(att.data)  # kept, with the message, for review
            results.append({**entry, "status": "rejected", "code": exc.code, "reason": exc.reason})
            continue
        submit(doc_id)
        results.append({**entry, "status": "archived", "document_id": doc_id})
    archived = [r for r in results if r["status"] == "archived"]
    if case_number is None:
        state, code, reason = "held", "no_case", HELD_NO_CASE
    elif not archived:
        state, code, reason = "held", "no_documents", HELD_NOTHING
    else:
        state, code, reason = "archived", None, None
    with archive.db.session() as s:
        row = s.scalar(select(MailMessage).where(MailMessage.key == key))
        assert row is not None
        case = s.scalar(select(Case).where(Case.number == case_number)) if case_number else None
        row.case_id = case.id if case is not None else None
        row.state, row.code, row.reason, row.attachments = state, code, reason, results
        return _taken(s, row)


HELD_MALFORMED = "Лист пошкоджений, його не вдалося прочитати; його збережено для перевірки"
NOT_HELD = "Лист уже розглянуто або він не чекає на перевірку"
NOTHING_TO_ATTACH = "У листі немає вкладень, які можна долучити; його можна лише відхилити"


class ReviewError(Exception):
    """A held message cannot be placed or rejected as asked (``code``, Ukrainian ``reason``)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _unreadable(archive: Archive, raw: bytes, code: str, reason: str) -> Taken:
    """A message the parser cannot take apart: stored whole and held, keyed by its bytes."""
    key = message_key(raw, "")
    raw_sha = archive.store.put_bytes(raw).sha256
    try:
        with archive.db.session() as s:
            s.add(
                MailMessage(
                    key=key,
                    message_id="",
                    raw_sha256=raw_sha,
                    state="held",
                    code=code,
                    reason=reason,
                    attachments=[],
                )
            )
        seen = False
    except IntegrityError:
        seen = True  # seen before: the record stands
    with archive.db.session() as s:
        row = s.scalar(select(MailMessage).where(MailMessage.key == key))
        assert row is not None
        return _taken(s, row, seen_before=seen)


def attach_held(
    archive: Archive,
    message_id: int,
    *,
    case_number: str,
    submit: Callable[[str], None],
    actor: str,
) -> Taken:
    """Place a held message in a case chosen by a person: its held attachments become documents.

    The same message attached again to the same case answers from the record;
    accepting the same bytes into the same case is idempotent, so a run that
    died half-way is finished, not doubled.
    """
    with archive.db.session() as s:
        row = s.get(MailMessage, message_id)
        case = s.scalar(
            select(Case).where(Case.centre == archive.settings.centre, Case.number == case_number)
        )
        if row is None or case is None:
            raise ReviewError("not_held", NOT_HELD)
        placed_here = row.case_id == case.id and row.reviewed_by is not None
        if placed_here and row.state == "archived":
            return _taken(s, row, seen_before=True)
        if row.state != "held" and not (placed_here and row.state == "attaching"):
            raise ReviewError("not_held", NOT_HELD)
        waiting = [a for a in row.attachments if a.get("status") == "held"]
        if not waiting:
            raise ReviewError("nothing_to_attach", NOTHING_TO_ATTACH)
        row.state, row.case_id = "attaching", case.id
        row.reviewed_by, row.reviewed_at = actor[:200], utcnow()
        stored = list(row.attachments)
    results: list[dict[str, Any]] = []
    for a in stored:
        if a.get("status") != "held":
            results.append(a)
            continue
        data = archive.store.read_bytes(a["sha256"])
        try:
            doc_id = _accept(archive, data, a["filename"], case_number, actor)
        except Rejected as exc:
            results.append({**a, "status": "rejected", "code": exc.code, "reason": exc.reason})
            continue
        submit(doc_id)
        results.append(
            {**a, "status": "archived", "code": None, "reason": None, "document_id": doc_id}
        )
    placed = any(r.get("status") == "archived" for r in results)
    with archive.db.session() as s:
        row = s.get(MailMessage, message_id)
        assert row is not None
        row.attachments = results
        row.state, row.code, row.reason = (
            ("archived", None, None) if placed else ("held", "no_documents", HELD_NOTHING)
        )
        return _taken(s, row)


def reject_held(archive: Archive, message_id: int, *, reason: str, actor: str) -> Taken:
    """A person rejects a held message: it stays recorded and stored, with their reason."""
    with archive.db.session() as s:
        row = s.get(MailMessage, message_id)
        if row is None or row.state not in ("held", "rejected"):
            raise ReviewError("not_held", NOT_HELD)
        if row.state == "held":
            row.state = "rejected"
            row.reviewed_by, row.reviewed_at, row.review_reason = actor[:200], utcnow(), reason
        return _taken(s, row)


def mark_moved(archive: Archive, key: str) -> None:
    with archive.db.session() as s:
        row = s.scalar(select(MailMessage).where(MailMessage.key == key))
        if row is not None:
            row.moved = 1


def _accept(archive: Archive, data: bytes, filename: str, case_number: str, actor: str) -> str:
    work = archive.settings.work_dir
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        path = Path(tmp) / "attachment"
        path.write_bytes(data)
        # Refused here, with its reason on the message, rather than as a rejected document
        # in the case (an encrypted or broken PDF, a bomb of an image).
        check(path, limits_of(archive.settings))
        acc = accept_file(
            archive,
            path,
            case_number=case_number,
            package=PackageKind.input,
            source=Source.email,
            original_name=filename,
            actor=actor,
        )
    if acc.new and data.startswith(b"%PDF"):
        # Before the worker sees it: the signature is shown with the document.
        pades = validate_pades(data, load_roots(archive.settings.sharing.trusted_roots_file))
        if pades is not None:
            with archive.db.session() as s:
                doc = s.get(Document, acc.document_id)
                if doc is not None:
                    doc.meta = {**(doc.meta or {}), "pades": pades}
    return acc.document_id


def _find_case(archive: Archive, parsed: Parsed) -> str | None:
    """The first case number or sharing request id in the subject, then the text, that exists."""
    centre = archive.settings.centre
    with archive.db.session() as s:
        for text in (parsed.subject, parsed.text):
            for rid in _REQUEST_ID.findall(text):
                req = s.get(SharingRequest, rid)
                if req is not None:
                    case = s.get(Case, req.case_id)
                    if case is not None:
                        return case.number
            for number in _CASE_NUMBER.findall(text):
                found = s.scalar(select(Case).where(Case.centre == centre, Case.number == number))
                if found is not None:
                    return found.number
    return None


def _taken(s: Any, row: MailMessage, *, seen_before: bool = False) -> Taken:
    case = s.get(Case, row.case_id) if row.case_id is not None else None
    return Taken(
        row.key,
        row.state,
        case.number if case else None,
        row.code,
        row.reason,
        list(row.attachments),
        seen_before,
    )
