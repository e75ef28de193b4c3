"""FastAPI dependencies: the one place where requests get the archive (and, next,
the caller's identity and the access policy)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.views import NotFound, load_document
from archive.context import Archive
from archive.models import Document
from ingest.dispatch import Dispatcher


def get_archive(request: Request) -> Archive:
    archive: Archive = request.app.state.archive
    return archive


def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


ArchiveDep = Annotated[Archive, Depends(get_archive)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]


def get_document(document_id: str, archive: ArchiveDep) -> Document:
    """The document named in the path, or 404."""
    try:
        return load_document(archive, document_id)
    except NotFound as exc:
        raise HTTPException(404, "Документ не знайдено") from exc


DocumentDep = Annotated[Document, Depends(get_document)]
