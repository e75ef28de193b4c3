"""Work dispatch: who runs the processing of accepted documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Dispatcher(Protocol):
    """Runs ``process_document`` for submitted documents, somewhere."""

    def submit(self, document_id: str) -> None:
        """Queue a document for processing (submitting twice is harmless)."""

    def recover(self) -> list[str]:
        """Queue every document accepted but not finished; returns their ids."""

    def wait(self, document_ids: Iterable[str], timeout: float | None = None) -> None:
        """Block until each document is archived or rejected."""

    def close(self) -> None:
        """Stop accepting work and release the workers."""
