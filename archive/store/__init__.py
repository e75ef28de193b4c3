"""Object storage: choose the backend from ``CNAP_STORAGE_URL`` (dispatch on the scheme only).

Each backend parses its own URL (``FilesystemStore.from_url``,
``S3Store.from_url``); the S3 client is imported only when it is used.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

from archive.store.base import (
    IntegrityError,
    ObjectNotFound,
    ObjectStore,
    StoredObject,
    StoreError,
    UnsupportedStorageURL,
)
from archive.store.filesystem import FilesystemStore

__all__ = [
    "FilesystemStore",
    "IntegrityError",
    "ObjectNotFound",
    "ObjectStore",
    "StoreError",
    "StoredObject",
    "UnsupportedStorageURL",
    "open_store",
]


def _s3(url: str) -> ObjectStore:
    from archive.store.s3 import S3Store

    return S3Store.from_url(url)


_BACKENDS: dict[str, Callable[[str], ObjectStore]] = {
    "file": FilesystemStore.from_url,
    "s3": _s3,
    "minio": _s3,
}


def open_store(url: str) -> ObjectStore:
    """``file:///path`` (embedded) or ``s3://…`` (MinIO / any S3)."""
    scheme = urlparse(url).scheme
    backend = _BACKENDS.get(scheme)
    if backend is None:
        raise UnsupportedStorageURL(
            f"unsupported storage URL scheme {scheme!r} (use file:// or s3://)"
        )
    return backend(url)
