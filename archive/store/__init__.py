"""Object storage: choose the backend from ``CNAP_STORAGE_URL``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from archive.store.base import (
    IntegrityError,
    ObjectNotFound,
    ObjectStore,
    StoredObject,
    StoreError,
)
from archive.store.filesystem import FilesystemStore

__all__ = [
    "FilesystemStore",
    "IntegrityError",
    "ObjectNotFound",
    "ObjectStore",
    "StoreError",
    "StoredObject",
    "open_store",
]


def open_store(url: str) -> ObjectStore:
    """``file:///path`` (embedded) or ``s3://…`` (MinIO / any S3)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return FilesystemStore(Path(parsed.netloc + parsed.path))
    if parsed.scheme in {"s3", "minio"}:
        from archive.store.s3 import S3Store

        return S3Store(url)
    raise ValueError(f"unsupported storage URL scheme {parsed.scheme!r} (use file:// or s3://)")
