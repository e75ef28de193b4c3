"""The object store interface: content-addressed, write-once, two tiers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from archive.models import Tier

CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredObject:
    sha256: str
    size: int
    tier: Tier


@dataclass(frozen=True, slots=True)
class ListedObject:
    """One object found by :meth:`ObjectStore.iter_objects`: name, size, last write."""

    sha256: str
    size: int
    modified: datetime


class StoreError(Exception):
    """The object store failed; the operation may be retried."""


class ObjectNotFound(StoreError):
    """No object with that SHA-256 in that tier."""


class IntegrityError(StoreError):
    """The stored bytes no longer match their SHA-256: never serve them."""


class RecordExists(StoreError):
    """A write-once record of that name is already in the archival tier."""


RECORD_NAME = re.compile(r"^[a-z0-9-]+(/[A-Za-z0-9._-]+)+$")


def check_record_name(name: str) -> str:
    """Record names are plain relative paths (``audit-seals/000000000042-seal.json``)."""
    if not RECORD_NAME.match(name) or ".." in name:
        raise ValueError(f"not a record name: {name!r}")
    return name


class UnsupportedStorageURL(ValueError):
    """The storage URL names no backend this build provides (a configuration
    error, not a StoreError: retrying does not help)."""


class ObjectStore(Protocol):
    """Objects are named by the SHA-256 of their bytes and never overwritten."""

    def put_file(self, path: Path, tier: Tier = Tier.operational) -> StoredObject:
        """Store a file (idempotent: storing the same bytes again is a no-op)."""

    def put_bytes(self, data: bytes, tier: Tier = Tier.operational) -> StoredObject:
        """Store bytes (idempotent)."""

    def exists(self, sha256: str, tier: Tier = Tier.operational) -> bool:
        """Whether the object is in the tier."""

    def read_bytes(self, sha256: str, tier: Tier = Tier.operational) -> bytes:
        """The object's bytes, verified against its SHA-256."""

    def fetch(self, sha256: str, dest: Path, tier: Tier = Tier.operational) -> Path:
        """Copy the object to ``dest`` (atomically), verified against its SHA-256."""

    def iter_chunks(self, sha256: str, tier: Tier = Tier.operational) -> Iterator[bytes]:
        """Stream the object; raises IntegrityError at the end if the bytes differ."""

    def transfer(self, sha256: str, source: Tier, target: Tier) -> StoredObject:
        """Move an object between tiers (copy, verify, then remove from the source)."""

    def delete(self, sha256: str, tier: Tier) -> None:
        """Remove an object (destruction acts only; the archival tier may refuse)."""

    def iter_objects(self, tier: Tier) -> Iterator[ListedObject]:
        """Every content-addressed object of the tier (named records are not objects).

        ``modified`` is when the bytes were last stored; the filesystem store
        refreshes it when the same bytes are stored again, so a garbage
        collector's grace period also covers a re-ingest of an orphan.
        """

    def put_record(self, name: str, data: bytes, *, retain_until: date) -> None:
        """Write a named, write-once record to the archival tier (raises RecordExists).

        On S3 the record is locked in compliance mode until ``retain_until``, so
        nobody — the root account included — can delete or overwrite it before.
        """

    def list_records(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        """Every record under ``prefix`` — on S3 every version of it — with its bytes."""

    def close(self) -> None:
        """Release connections; the store is not used after this."""


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256_stream(stream: BinaryIO) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def check_sha256(sha256: str) -> str:
    """Reject anything that is not a lower-case hex SHA-256 (keys become paths)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return sha256
