"""Personal data found in each document, stored as structured rows.

One row per identifier occurrence: its kind, the normalised value, the page,
the character span and the page-fraction boxes of the words under it (for
redaction). ``ref`` is a keyed hash (HMAC-SHA256) of kind and value: it lets
the access log name the identifiers an access exposed, and lets the
data-protection officer look them up, without writing the value itself into
the log, which outlives the documents.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import JSON, ForeignKey, Integer, String, bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.database import ListQuery, replace_document_rows
from archive.models import Base

if TYPE_CHECKING:
    from archive.settings import Settings
    from common.pages import PageText

# Metadata keys whose values name the applicant (a name is only taken from these).
_NAME_KEYS = ("name", "піб", "прізвище", "applicant", "заявник", "fullname")


class DocumentFinding(Base):
    """One identifier found in a document's pages or in the metadata it came with."""

    __tablename__ = "document_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(500))
    ref: Mapped[str] = mapped_column(String(64), index=True)
    masked: Mapped[str] = mapped_column(String(500))
    # None for identifiers found only in the metadata (no page, no position).
    page: Mapped[int | None] = mapped_column(Integer)
    char_start: Mapped[int | None] = mapped_column(Integer)
    char_end: Mapped[int | None] = mapped_column(Integer)
    # [[x0, y0, x1, y1], ...] in page fractions, origin top-left.
    boxes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(8), default="text")  # "text" | "meta"

    # The span API that ``pii.mask_text`` expects.
    @property
    def start(self) -> int:
        return self.char_start or 0

    @property
    def end(self) -> int:
        return self.char_end or 0


class FindingLike(Protocol):
    """The shape of ``pii.Finding``."""

    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def page(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def boxes(self) -> Sequence[tuple[float, float, float, float]]: ...


@dataclass(frozen=True, slots=True)
class Identifier:
    """A normalised identifier (a lookup key); ``repr`` hides the value."""

    kind: str
    value: str

    def __repr__(self) -> str:
        return f"Identifier(kind={self.kind!r})"


# Keys read from files, by path, with the file's identity when read: every search
# needs the key, and reading the file each time was a measurable part of one.
_file_keys: dict[Path, tuple[tuple[int, int], bytes]] = {}


def _read_key(path: Path) -> bytes:
    st = os.stat(path)
    stamp = (st.st_ino, st.st_mtime_ns)
    known = _file_keys.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    key = path.read_bytes().strip()
    _file_keys[path] = (stamp, key)
    return key


def identifier_key(settings: Settings) -> bytes:
    """The HMAC key: from the settings, else a random key kept in the data directory."""
    if settings.security.secret_key is not None:
        return settings.security.secret_key.get_secret_value().encode()
    path = settings.data_dir / "secret.key"
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32).hex().encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: theirs is the key
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    return key


def identifier_ref(key: bytes, kind: str, value: str) -> str:
    """Keyed hash of one normalised identifier (stable across documents and the log)."""
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


def classify(text: str, *, strict: bool = False) -> list[Identifier]:
    """What an identifier typed by a person (or given in metadata) may be, normalised.

    ``strict`` keeps only values that pass their check digits or shape; a
    person looking someone up gets every reading that fits the shape.
    """
    raw = text.strip()
    if not raw or not may_be_identifier(raw):
        return []
    return _readings(raw, strict)


def may_be_identifier(text: str) -> bool:
    """Whether :func:`classify` can find anything in ``text`` at all.

    Every kind but a name has a digit (or an e-mail's ``@``), and a name is two
    or three words: one word of letters is no identifier. Searched words are
    mostly such words, and ``classify`` runs every kind's normaliser on them.
    """
    return any(c.isdigit() or c.isspace() or c == "@" for c in text)


def _readings(raw: str, strict: bool) -> list[Identifier]:
    from pii import validators as v

    out: list[Identifier] = []
    compact = re.sub(r"[\s\-()]", "", raw)
    email = v.normalise_email(raw)
    if v.is_valid_email(email):
        return [Identifier("email", email)]
    iban = v.normalise_iban(raw)
    if v.is_valid_iban(iban) or (not strict and re.fullmatch(r"UA\d{27}", iban)):
        return [Identifier("iban", iban)]
    unzr = v.normalise_unzr(raw)
    if v.is_valid_unzr(unzr):
        out.append(Identifier("unzr", unzr))
    if compact.isascii() and compact.isdigit():
        if len(compact) == 10 and (not strict or v.is_valid_rnokpp(compact)):
            out.append(Identifier("rnokpp", compact))
        if len(compact) == 8 and (not strict or v.is_valid_edrpou(compact)):
            out.append(Identifier("edrpou", compact))
        if len(compact) == 9:
            out.append(Identifier("id_card", compact))
    phone = v.normalise_phone(raw)
    if phone is not None:
        out.append(Identifier("phone", phone))
    passport = v.normalise_passport(raw)
    if v.is_valid_passport(passport):
        out.append(Identifier("passport", passport))
    foreign = v.normalise_foreign_passport(raw)
    if v.is_valid_foreign_passport(foreign):
        out.append(Identifier("foreign_passport", foreign))
    if not out and not strict:
        name = v.normalise_name(raw)
        if v.is_valid_name(name):
            out.append(Identifier("name", name))
    return out


def metadata_identifiers(meta: Mapping[str, Any]) -> list[Identifier]:
    """Identifiers named by the metadata that arrived with a document (Diia sharing)."""
    from pii import validators as v

    found: list[Identifier] = []
    for key, value in meta.items():
        if not isinstance(value, str | int) or isinstance(value, bool):
            continue
        text = str(value)
        ids = classify(text, strict=True)
        if not ids and any(k in str(key).lower() for k in _NAME_KEYS):
            name = v.normalise_name(text)
            if v.is_valid_name(name):
                ids = [Identifier("name", name)]
        found.extend(ids)
    return found


def finding_rows(
    key: bytes,
    document_id: str,
    findings: Iterable[FindingLike],
    metadata: Iterable[Identifier] = (),
) -> list[dict[str, Any]]:
    """The ``document_findings`` rows of one document (page findings, then metadata ones)."""
    from pii import mask

    seen: set[tuple[str, str]] = set()
    rows: list[dict[str, Any]] = []
    for f in findings:
        seen.add((f.kind, f.value))
        rows.append(
            {
                "document_id": document_id,
                "kind": f.kind,
                "value": f.value,
                "ref": identifier_ref(key, f.kind, f.value),
                "masked": mask(f.value, f.kind),
                "page": f.page,
                "char_start": f.start,
                "char_end": f.end,
                "boxes": [list(b) for b in f.boxes],
                "source": "text",
            }
        )
    for ident in metadata:
        if (ident.kind, ident.value) in seen:
            continue
        seen.add((ident.kind, ident.value))
        rows.append(
            {
                "document_id": document_id,
                "kind": ident.kind,
                "value": ident.value,
                "ref": identifier_ref(key, ident.kind, ident.value),
                "masked": mask(ident.value, ident.kind),
                "page": None,
                "char_start": None,
                "char_end": None,
                "boxes": [],
                "source": "meta",
            }
        )
    return rows


def replace_findings_many(s: Session, rows: Mapping[str, list[dict[str, Any]]]) -> int:
    """Store the findings of several documents (rows by document), replacing earlier ones
    (processing may be retried); one DELETE and one bulk INSERT for them all."""
    return replace_document_rows(s, DocumentFinding, rows)


def replace_findings(
    s: Session,
    key: bytes,
    document_id: str,
    findings: Iterable[FindingLike],
    metadata: Iterable[Identifier] = (),
) -> int:
    """Store a document's findings, replacing earlier ones (processing may be retried)."""
    return replace_findings_many(
        s, {document_id: finding_rows(key, document_id, findings, metadata)}
    )


def _text_meta(meta: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(k): str(v)
        for k, v in meta.items()
        if isinstance(v, str | int) and not isinstance(v, bool)
    }


def detects_again(meta: Mapping[str, Any] | None, found: object | None) -> bool:
    """Whether :func:`detected_rows` runs detection on the pages (needing their words)
    rather than taking what the worker process ``found``: nothing was found there,
    or the metadata names values to search for."""
    return found is None or bool(_text_meta(dict(meta or {})))


def detected_rows(
    key: bytes,
    document_id: str,
    pages: list[PageText],
    meta: Mapping[str, Any] | None,
    found: Sequence[FindingLike] | None = None,
) -> list[dict[str, Any]]:
    """The findings rows of a document's pages and metadata.

    ``found`` is what the worker process detected in the pages alone: used as it
    is when the metadata names no value to search for, else detection runs again
    here with those values (they are searched for literally in the text).
    """
    meta = dict(meta or {})
    if detects_again(meta, found):
        from pii import detect

        found = detect(pages, _text_meta(meta))
    assert found is not None  # detects_again holds whenever nothing was found
    return finding_rows(key, document_id, found, metadata_identifiers(meta))


def detect_and_store(
    s: Session,
    settings: Settings,
    document_id: str,
    pages: list[PageText],
    meta: Mapping[str, Any] | None,
) -> int:
    """Find personal data in the pages and the metadata of a document and store it."""
    rows = detected_rows(identifier_key(settings), document_id, pages, meta)
    return replace_findings_many(s, {document_id: rows})


def findings_for(s: Session, document_id: str, page: int | None = None) -> list[DocumentFinding]:
    """A document's findings (of one page when ``page`` is given), in page order."""
    q = select(DocumentFinding).where(DocumentFinding.document_id == document_id)
    if page is not None:
        q = q.where(DocumentFinding.page == page)
    return list(s.scalars(q.order_by(DocumentFinding.page, DocumentFinding.char_start)))


def findings_for_documents(
    s: Session, document_ids: Iterable[str]
) -> dict[str, list[DocumentFinding]]:
    """The findings of several documents in one query (search hits: no query per hit)."""
    ids = list(dict.fromkeys(document_ids))
    out: dict[str, list[DocumentFinding]] = {i: [] for i in ids}
    if not ids:
        return out
    q = (
        select(DocumentFinding)
        .where(DocumentFinding.document_id.in_(ids))
        .order_by(DocumentFinding.document_id, DocumentFinding.page, DocumentFinding.char_start)
    )
    for f in s.scalars(q):
        out[f.document_id].append(f)
    return out


@dataclass(frozen=True, slots=True)
class StoredIdentifier:
    """What a search hit needs of a stored finding (no position, no boxes)."""

    kind: str
    value: str
    masked: str
    ref: str
    source: str


_t = DocumentFinding
_IDENTIFIERS = ListQuery(
    select(_t.document_id, _t.kind, _t.value, _t.masked, _t.ref, _t.source)
    .where(_t.document_id.in_(bindparam("ids", expanding=True)))
    .order_by(_t.document_id, _t.page, _t.char_start)
)


def identifiers_for_documents(
    conn: Connection | Session, document_ids: Iterable[str]
) -> dict[str, list[StoredIdentifier]]:
    """The identifiers of several documents in one Core SELECT, in the order of
    :func:`findings_for_documents` (search hits: no ORM object per finding)."""
    ids = list(dict.fromkeys(document_ids))
    out: dict[str, list[StoredIdentifier]] = {i: [] for i in ids}
    if not ids:
        return out
    for doc_id, kind, value, masked, ref, source in _IDENTIFIERS.rows(conn, ids):
        out[doc_id].append(StoredIdentifier(kind, value, masked, ref, source))
    return out


def documents_with(s: Session, refs: Iterable[str]) -> list[str]:
    """Ids of the documents holding any of the identifiers (by ``ref``)."""
    refs = list(refs)
    if not refs:
        return []
    q = (
        select(DocumentFinding.document_id)
        .where(DocumentFinding.ref.in_(refs))
        .distinct()
        .order_by(DocumentFinding.document_id)
    )
    return list(s.scalars(q))
