"""Response models: the JSON shapes of the API, shared with the command line."""

from __future__ import annotations

from pydantic import BaseModel


class PageOut(BaseModel):
    number: int
    text: str


class DocumentOut(BaseModel):
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
    pages: list[PageOut]


class IngestOut(BaseModel):
    file: str
    status: str
    document_id: str | None
    reason: str | None
    code: str | None


class HitOut(BaseModel):
    document_id: str
    case: str | None
    score: float
    snippet: str
    page: int | None


class SearchOut(BaseModel):
    total: int
    hits: list[HitOut]
