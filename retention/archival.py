"""The archival tier: move verified copies there and lock them.

On S3 the archival bucket has Object Lock: each object gets a compliance-mode
retain-until date from the rule (nobody can shorten it) and, for a held case,
the object legal-hold flag. On the filesystem store archival files are
read-only and every transfer writes a manifest signed with the archive's key
(HMAC-SHA256) into the archival tier. The operational copy goes only after
the archival copy has been read back and its SHA-256 matched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from archive.models import Tier
from archive.store import ObjectStore, StoreError


def _s3(store: ObjectStore) -> Any | None:
    from archive.store.s3 import S3Store

    return store if isinstance(store, S3Store) else None


def verify(store: ObjectStore, sha256: str, tier: Tier) -> None:
    """Read the object back; raises IntegrityError when its bytes do not match."""
    for _ in store.iter_chunks(sha256, tier):
        pass


def move(store: ObjectStore, sha256: str, *, retain_until: dt.date | None, held: bool) -> None:
    """Operational → archival, verified, locked; idempotent (a repeat finds it done)."""
    have_target = store.exists(sha256, Tier.archival)
    if not have_target:
        if not store.exists(sha256, Tier.operational):
            raise StoreError(f"{sha256}: немає ні оперативної, ні архівної копії")
        data_path = None
        s3 = _s3(store)
        if s3 is not None:
            from minio.commonconfig import CopySource

            s3._retry(
                lambda: s3.client.copy_object(
                    s3._bucket(Tier.archival),
                    s3.key(sha256),
                    CopySource(s3._bucket(Tier.operational), s3.key(sha256)),
                )
            )
        else:
            data_path = store.path(sha256, Tier.operational)  # type: ignore[attr-defined]
            store.put_file(data_path, Tier.archival)
    verify(store, sha256, Tier.archival)
    lock(store, sha256, retain_until=retain_until, held=held)
    store.delete(sha256, Tier.operational)


def lock(store: ObjectStore, sha256: str, *, retain_until: dt.date | None, held: bool) -> None:
    """Compliance retain-until and the legal-hold flag on S3 (no-op elsewhere)."""
    s3 = _s3(store)
    if s3 is None:
        return
    from minio.commonconfig import COMPLIANCE
    from minio.retention import Retention

    bucket, key = s3._bucket(Tier.archival), s3.key(sha256)
    if retain_until is not None:
        until = dt.datetime.combine(retain_until, dt.time(), tzinfo=dt.UTC)
        current = s3._retry(lambda: _retention(s3, bucket, key))
        # Compliance mode can only be extended, never shortened.
        if current is None or current < until:
            s3._retry(
                lambda: s3.client.set_object_retention(bucket, key, Retention(COMPLIANCE, until))
            )
    _legal_hold(s3, bucket, key, held)


def _legal_hold(s3: Any, bucket: str, key: str, held: bool) -> None:
    if held:
        s3._retry(lambda: s3.client.enable_object_legal_hold(bucket, key))
    else:
        s3._retry(lambda: s3.client.disable_object_legal_hold(bucket, key))


def _retention(s3: Any, bucket: str, key: str) -> dt.datetime | None:
    from minio.error import S3Error

    try:
        r = s3.client.get_object_retention(bucket, key)
    except S3Error as exc:
        if exc.code in {"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"}:
            return None
        raise
    return r.retain_until_date if r is not None else None


def set_hold(store: ObjectStore, sha256: str, held: bool) -> None:
    """Set or clear the S3 legal-hold flag of an archival object (no-op elsewhere)."""
    s3 = _s3(store)
    if s3 is None or not store.exists(sha256, Tier.archival):
        return
    _legal_hold(s3, s3._bucket(Tier.archival), s3.key(sha256), held)


def signed_manifest(key: bytes, body: dict[str, Any]) -> bytes:
    """A manifest with its HMAC-SHA256 signature (canonical JSON, deterministic)."""
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sig = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {"manifest": body, "hmac_sha256": sig}, sort_keys=True, ensure_ascii=False, indent=1
    ).encode()


def check_manifest(key: bytes, data: bytes) -> bool:
    doc = json.loads(data)
    payload = json.dumps(doc["manifest"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    want = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, str(doc.get("hmac_sha256", "")))
