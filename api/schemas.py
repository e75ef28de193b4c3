"""Response models: the JSON shapes of the API, shared with the command line."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class PageOut(BaseModel):
    number: int
    text: str


class IngestOut(BaseModel):
    file: str
    status: str
    document_id: str | None
    reason: str | None
    code: str | None
    # Warnings for the administrator: pages where OCR found no text.
    notes: list[str] = []


class HitOut(BaseModel):
    document_id: str
    case: str | None
    score: float
    snippet: str
    page: int | None


class SearchOut(BaseModel):
    total: int
    hits: list[HitOut]


class DocumentMetaOut(BaseModel):
    document_id: str
    sha256: str
    case: str | None
    package: str | None
    source: str
    state: str
    original_name: str
    media_type: str | None
    size: int
    page_count: int | None
    pdfa_sha256: str | None
    created_at: str
    archived_at: str | None
    reason: str | None
    code: str | None
    # {"pdfa": bool, "signed": bool, "notes": [...]} once archived.
    rendition: dict[str, Any] | None = None


class DocumentOut(DocumentMetaOut):
    pages: list[PageOut]


class FindingOut(BaseModel):
    kind: str
    value: str
    page: int | None
    start: int | None
    end: int | None
    boxes: list[list[float]]
    source: str


class IdentifierDocOut(BaseModel):
    document_id: str
    case: str | None
    pages: list[int]
    kinds: list[str]


class IdentifierSearchOut(BaseModel):
    total: int
    documents: list[IdentifierDocOut]


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


class UserOut(BaseModel):
    login: str
    role: str
    centre: str | None
    workplace: str | None
    department: str | None
    disabled: bool
    created_at: str
    pending: bool = False
    full_name: str | None = None
    position: str | None = None


class QueueRowOut(BaseModel):
    """One case in the desk's queue or the department's list (applicant masked below full)."""

    case_id: int
    number: str
    service: str | None
    applicant: str | None
    status: str
    department: str | None
    registered_at: str
    result_at: str | None = None
    # For an uncollected result: "post" after two months, "archive" after three.
    overdue: str | None = None


class DeskQueueOut(BaseModel):
    """The desk's day (``usecases.queue.desk_queue``)."""

    day: str
    today: list[QueueRowOut]
    waiting: list[QueueRowOut]
    ready: list[QueueRowOut]
    uncollected: list[QueueRowOut]


class DepartmentCasesOut(BaseModel):
    """The cases routed to the official's department (``usecases.queue.department_cases``)."""

    department: str
    open: list[QueueRowOut]
    done: list[QueueRowOut]


class MeOut(BaseModel):
    login: str
    role: str
    centre: str | None
    workplace: str | None
    department: str | None


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    seals: int
    first_broken: int | None
    problem: str | None
    head_seq: int


class BackendStateOut(BaseModel):
    name: str
    kind: str
    ok: bool
    ms: float
    detail: str


class BackendsHealthOut(BaseModel):
    """The backends as the sysadmin's health page shows them (``status``: ok or degraded)."""

    status: str
    backends: list[BackendStateOut]
