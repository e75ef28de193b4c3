"""Scale-out object store: MinIO or any S3, through the official ``minio`` client.

Layout: one bucket per tier, objects named ``ab/cd/<sha256>``. The archival
bucket is created with Object Lock (so retention can set compliance-mode
retain-until dates and legal holds) and both buckets are versioned.

Integrity: every upload carries the SHA-256 computed here as object metadata,
and the signature-v4 payload hash lets the server reject a corrupted part;
every read is hashed while streaming and refused if it does not match.
Transient failures are retried with exponential back-off, then surface as
``StoreError`` so the pipeline postpones the document instead of losing it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, unquote, urlparse

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED, CopySource
from minio.error import S3Error
from minio.helpers import genheaders
from minio.retention import Retention
from minio.versioningconfig import VersioningConfig

from archive.models import Tier
from archive.store.base import (
    CHUNK,
    IntegrityError,
    ObjectNotFound,
    RecordExists,
    StoredObject,
    StoreError,
    UnsupportedStorageURL,
    check_record_name,
    check_sha256,
    sha256_file,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

PART_SIZE = 16 * 1024 * 1024
SHA_META = "sha256"
_NOT_FOUND = {"NoSuchKey", "NoSuchObject", "NoSuchVersion"}


@dataclass(frozen=True, slots=True)
class S3Location:
    endpoint: str
    access_key: str
    secret_key: str
    secure: bool
    region: str | None
    buckets: dict[Tier, str]

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """``s3://ACCESS:SECRET@host:port/?operational=B1&archival=B2&secure=false``."""
        u = urlparse(url)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        prefix = u.path.strip("/") or "cnap"
        return cls(
            endpoint=u.netloc.rsplit("@", 1)[-1],
            access_key=unquote(u.username or ""),
            secret_key=unquote(u.password or ""),
            secure=q.get("secure", "true").lower() not in {"0", "false", "no"},
            region=q.get("region"),
            buckets={
                Tier.operational: q.get("operational", f"{prefix}-operational"),
                Tier.archival: q.get("archival", f"{prefix}-archival"),
            },
        )


_REFUSED = frozenset(
    {
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        # Object Lock: MinIO answers a WORM-protected delete with InvalidRequest.
        "InvalidRequest",
        "ObjectLocked",
    }
)


class S3Store:
    """Content-addressed, write-once objects in two S3 buckets."""

    def __init__(self, loc: S3Location, *, attempts: int = 10, backoff: float = 0.5) -> None:
        self.loc = loc
        self.attempts = attempts
        self.backoff = backoff
        self._http = http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=120),
            retries=urllib3.Retry(total=0),  # we retry ourselves, with back-off
            maxsize=16,
        )
        self.client = Minio(
            self.loc.endpoint,
            access_key=self.loc.access_key,
            secret_key=self.loc.secret_key,
            secure=self.loc.secure,
            region=self.loc.region,
            http_client=http,
        )
        self._retry(self._ensure_buckets)

    @classmethod
    def from_url(cls, url: str, *, attempts: int = 10, backoff: float = 0.5) -> S3Store:
        """``s3://`` or ``minio://`` URL, see :meth:`S3Location.parse`."""
        if urlparse(url).scheme not in {"s3", "minio"}:
            raise UnsupportedStorageURL("not an s3:// storage URL")
        return cls(S3Location.parse(url), attempts=attempts, backoff=backoff)

    # -- set-up ---------------------------------------------------------------

    def _ensure_buckets(self) -> None:
        for tier, bucket in self.loc.buckets.items():
            if not self.client.bucket_exists(bucket):
                with contextlib.suppress(S3Error):  # created concurrently by another node
                    self.client.make_bucket(bucket, object_lock=tier == Tier.archival)
            self.client.set_bucket_versioning(bucket, VersioningConfig(ENABLED))

    # -- helpers --------------------------------------------------------------

    def _retry(self, fn: Callable[[], T]) -> T:
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except S3Error as exc:
                if exc.code in _NOT_FOUND:
                    raise ObjectNotFound(exc.code) from exc
                if exc.code == "PreconditionFailed":  # a conditional write-once put
                    raise RecordExists(exc.code) from exc
                if exc.code in _REFUSED:
                    raise StoreError(f"S3 refused the request: {exc.code}") from exc
                err: Exception = exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                err = exc
            if attempt == self.attempts:
                raise StoreError(f"object storage unavailable: {type(err).__name__}") from err
            log.warning("object storage call failed (%s), retry %d", type(err).__name__, attempt)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    @staticmethod
    def key(sha256: str) -> str:
        check_sha256(sha256)
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _bucket(self, tier: Tier) -> str:
        return self.loc.buckets[tier]

    def _size(self, sha256: str, tier: Tier) -> int | None:
        def stat() -> int | None:
            try:
                st = self.client.stat_object(self._bucket(tier), self.key(sha256))
            except S3Error as exc:
                if exc.code in _NOT_FOUND:
                    return None
                raise
            return st.size

        return self._retry(stat)

    # -- ObjectStore ------------------------------------------------------------

    def put_file(self, path: Path, tier: Tier = Tier.operational) -> StoredObject:
        digest = sha256_file(path)
        size = self._size(digest, tier)
        if size is not None:
            return StoredObject(digest, size, tier)
        length = path.stat().st_size

        def upload() -> None:
            with path.open("rb") as f:
                self.client.put_object(
                    self._bucket(tier),
                    self.key(digest),
                    f,
                    length,
                    metadata={SHA_META: digest},
                    part_size=PART_SIZE,
                )

        self._retry(upload)
        if sha256_file(path) != digest:
            raise IntegrityError("the file changed while it was being stored")
        return StoredObject(digest, length, tier)

    def put_bytes(self, data: bytes, tier: Tier = Tier.operational) -> StoredObject:
        digest = hashlib.sha256(data).hexdigest()
        if self._size(digest, tier) is None:
            self._retry(
                lambda: self.client.put_object(
                    self._bucket(tier),
                    self.key(digest),
                    io.BytesIO(data),
                    len(data),
                    metadata={SHA_META: digest},
                )
            )
        return StoredObject(digest, len(data), tier)

    def exists(self, sha256: str, tier: Tier = Tier.operational) -> bool:
        return self._size(sha256, tier) is not None

    def iter_chunks(self, sha256: str, tier: Tier = Tier.operational) -> Iterator[bytes]:
        resp = self._retry(lambda: self.client.get_object(self._bucket(tier), self.key(sha256)))
        h = hashlib.sha256()
        try:
            for chunk in resp.stream(CHUNK):
                h.update(chunk)
                yield chunk
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreError("object storage connection lost while reading") from exc
        finally:
            resp.close()
            resp.release_conn()
        if h.hexdigest() != sha256:
            raise IntegrityError(f"{tier.value}/{sha256}: content does not match its SHA-256")

    def read_bytes(self, sha256: str, tier: Tier = Tier.operational) -> bytes:
        return b"".join(self.iter_chunks(sha256, tier))

    def fetch(self, sha256: str, dest: Path, tier: Tier = Tier.operational) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        try:
            for _ in range(self.attempts):
                try:
                    with tmp.open("wb") as out:
                        for chunk in self.iter_chunks(sha256, tier):
                            out.write(chunk)
                    break
                except StoreError as exc:
                    if isinstance(exc, ObjectNotFound | IntegrityError):
                        raise
                    time.sleep(self.backoff)
            else:
                raise StoreError("object storage unavailable while reading")
            tmp.replace(dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    def transfer(self, sha256: str, source: Tier, target: Tier) -> StoredObject:
        size = self._size(sha256, source)
        if size is None:
            have = self._size(sha256, target)
            if have is not None:
                return StoredObject(sha256, have, target)
            raise ObjectNotFound(f"{source.value}/{sha256}")
        if self._size(sha256, target) is None:
            self._retry(
                lambda: self.client.copy_object(
                    self._bucket(target),
                    self.key(sha256),
                    CopySource(self._bucket(source), self.key(sha256)),
                )
            )
        # Verify the copy (iter_chunks checks the hash) before the source goes.
        for _ in self.iter_chunks(sha256, target):
            pass
        self.delete(sha256, source)
        return StoredObject(sha256, size, target)

    # -- named write-once records (audit seals) -------------------------------

    def put_record(self, name: str, data: bytes, *, retain_until: date) -> None:
        """A locked object in the archival bucket; an existing name is refused.

        ``If-None-Match: *`` makes the write conditional, so a second write of
        the same name fails instead of stacking a new version; the version
        written is under compliance-mode retention until ``retain_until``, so
        it cannot be deleted or overwritten by anyone before then.
        """
        bucket, key = self._bucket(Tier.archival), f"records/{check_record_name(name)}"
        until = datetime.combine(retain_until, datetime.min.time(), tzinfo=UTC)

        headers = genheaders(None, None, None, Retention(COMPLIANCE, until), False)
        headers["Content-Type"] = "application/json"
        # minio's public put_object would turn If-None-Match into user metadata.
        headers["If-None-Match"] = "*"
        headers["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()

        def upload() -> None:
            self.client._put_object(bucket, key, data, headers)

        self._retry(upload)

    def list_records(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        bucket = self._bucket(Tier.archival)
        root = f"records/{check_record_name(prefix.rstrip('/') + '/x').rsplit('/', 1)[0]}/"

        def listing() -> list[tuple[str, str | None]]:
            return [
                (str(o.object_name), o.version_id)
                for o in self.client.list_objects(
                    bucket, prefix=root, recursive=True, include_version=True
                )
                if not o.is_delete_marker
            ]

        for key, version in sorted(self._retry(listing)):

            def read(key: str = key, version: str | None = version) -> bytes:
                resp = self.client.get_object(bucket, key, version_id=version)
                try:
                    return bytes(resp.read())
                finally:
                    resp.close()
                    resp.release_conn()

            yield key.removeprefix("records/"), self._retry(read)

    def delete(self, sha256: str, tier: Tier) -> None:
        """Remove every version (an Object-Locked archival version refuses: StoreError)."""
        bucket, key = self._bucket(tier), self.key(sha256)

        def remove_all() -> None:
            for obj in self.client.list_objects(bucket, prefix=key, include_version=True):
                if obj.object_name == key:
                    self.client.remove_object(bucket, key, version_id=obj.version_id)

        self._retry(remove_all)

    def close(self) -> None:
        """Close the pooled connections to the server."""
        self._http.clear()
