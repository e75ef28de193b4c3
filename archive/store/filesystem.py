"""Embedded object store: content-addressed files on local disk."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

from archive.models import Tier
from archive.store.base import (
    CHUNK,
    IntegrityError,
    ListedObject,
    ObjectNotFound,
    RecordExists,
    StoredObject,
    UnsupportedStorageURL,
    check_record_name,
    check_sha256,
    sha256_file,
)


class FilesystemStore:
    """Objects at ``root/<tier>/ab/cd/<sha256>``, written atomically and read-only after."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for tier in Tier:
            (root / tier.value).mkdir(parents=True, exist_ok=True)
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_url(cls, url: str) -> FilesystemStore:
        """``file:///abs/path`` (or ``file://rel/path``, relative to the working directory)."""
        parsed = urlparse(url)
        if parsed.scheme != "file":
            raise UnsupportedStorageURL(f"not a file:// storage URL: {parsed.scheme!r}")
        return cls(Path(parsed.netloc + parsed.path))

    def path(self, sha256: str, tier: Tier = Tier.operational) -> Path:
        check_sha256(sha256)
        return self.root / tier.value / sha256[:2] / sha256[2:4] / sha256

    def put_file(self, path: Path, tier: Tier = Tier.operational) -> StoredObject:
        # Hashed while it is copied: the name is the digest of exactly the bytes
        # written, so a file changing meanwhile cannot be stored under a wrong name,
        # and the bytes are read once.
        tmp, digest = self._tmp_copy(path)
        target = self.path(digest, tier)
        if target.exists():
            tmp.unlink(missing_ok=True)
            _touch(target)
            return StoredObject(digest, target.stat().st_size, tier)
        return self._commit(tmp, digest, tier, verified=True)

    def put_bytes(self, data: bytes, tier: Tier = Tier.operational) -> StoredObject:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest, tier)
        if target.exists():
            _touch(target)
            return StoredObject(digest, len(data), tier)
        fd, name = tempfile.mkstemp(dir=self.root / "tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return self._commit(Path(name), digest, tier)

    # -- in place, for a worker on this machine (no copy through a working directory) --

    def local_path(self, sha256: str, tier: Tier = Tier.operational) -> Path:
        """The object's own (read-only) file, verified against its SHA-256, to read in place.

        What :meth:`fetch` checks, without the copy: a reader on this machine opens
        the stored file itself.
        """
        path = self.path(sha256, tier)
        try:
            actual = sha256_file(path)
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"{tier.value}/{sha256}") from exc
        if actual != sha256:
            raise IntegrityError(f"{tier.value}/{sha256}: content does not match its SHA-256")
        return path

    def staging_path(self, name: str) -> Path:
        """Where a file to be :meth:`adopt`-ed may be written (the store's own filesystem,
        so adopting it is a rename, not a copy). ``name`` must be unique to the caller."""
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"not a staging name: {name!r}")
        return self.root / "tmp" / f"staged-{name}"

    def adopt(self, path: Path, tier: Tier = Tier.operational) -> StoredObject:
        """Store a file written at a :meth:`staging_path`, moving it into place.

        The same guarantee as :meth:`put_file`: the file is hashed as it is read,
        its data is on disk (fsync) before the rename, and the rename before the
        call returns (directory fsync); the staged file is gone afterwards.
        """
        if path.parent != self.root / "tmp":
            raise ValueError("only a file at a staging path can be adopted")
        h = hashlib.sha256()
        try:
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    h.update(chunk)
                # Whoever wrote it may have synced it already: then this costs nothing.
                os.fsync(f.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        digest = h.hexdigest()
        target = self.path(digest, tier)
        if target.exists():
            path.unlink(missing_ok=True)
            _touch(target)
            return StoredObject(digest, target.stat().st_size, tier)
        return self._commit(path, digest, tier, verified=True)

    def exists(self, sha256: str, tier: Tier = Tier.operational) -> bool:
        return self.path(sha256, tier).exists()

    def read_bytes(self, sha256: str, tier: Tier = Tier.operational) -> bytes:
        try:
            data = self.path(sha256, tier).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"{tier.value}/{sha256}") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise IntegrityError(f"{tier.value}/{sha256}: content does not match its SHA-256")
        return data

    def iter_chunks(self, sha256: str, tier: Tier = Tier.operational) -> Iterator[bytes]:
        try:
            f = self.path(sha256, tier).open("rb")
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"{tier.value}/{sha256}") from exc
        h = hashlib.sha256()
        with f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
                yield chunk
        if h.hexdigest() != sha256:
            raise IntegrityError(f"{tier.value}/{sha256}: content does not match its SHA-256")

    def fetch(self, sha256: str, dest: Path, tier: Tier = Tier.operational) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        try:
            with tmp.open("wb") as out:
                for chunk in self.iter_chunks(sha256, tier):
                    out.write(chunk)
            tmp.replace(dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    def transfer(self, sha256: str, source: Tier, target: Tier) -> StoredObject:
        src = self.path(sha256, source)
        if not src.exists():
            if self.exists(sha256, target):
                return StoredObject(sha256, self.path(sha256, target).stat().st_size, target)
            raise ObjectNotFound(f"{source.value}/{sha256}")
        obj = self.put_file(src, target)
        if obj.sha256 != sha256:
            raise IntegrityError(f"{source.value}/{sha256}: content does not match its SHA-256")
        self.delete(sha256, source)
        return obj

    def delete(self, sha256: str, tier: Tier) -> None:
        p = self.path(sha256, tier)
        with contextlib.suppress(FileNotFoundError):
            p.chmod(0o600)
            p.unlink()
            _fsync_dir(p.parent)

    def iter_objects(self, tier: Tier) -> Iterator[ListedObject]:
        base = self.root / tier.value
        # Only ``ab/cd/<sha256>``: skips ``records/`` (audit seals) and stray files.
        for path in sorted(base.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*")):
            name = path.name
            if len(name) != 64 or name[:2] != path.parent.parent.name:
                continue
            try:
                check_sha256(name)
                st = path.stat()
            except (ValueError, FileNotFoundError):
                continue
            yield ListedObject(name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    # -- named write-once records (audit seals) -------------------------------

    def _record_path(self, name: str) -> Path:
        return self.root / Tier.archival.value / "records" / check_record_name(name)

    def put_record(self, name: str, data: bytes, *, retain_until: date) -> None:
        """Write-once file, read-only after: the process cannot overwrite it by mistake.

        ``retain_until`` is not enforceable on a local disk — whoever has
        root on the machine can still delete or replace the file (see
        docs/security.md); S3 with Object Lock is the store that proves it.
        """
        target = self._record_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o444)
        try:
            # link() fails when the name exists: write-once without a race.
            os.link(tmp, target)
        except FileExistsError as exc:
            raise RecordExists(name) from exc
        finally:
            os.unlink(tmp)
        _fsync_dir(target.parent)

    def list_records(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        base = self.root / Tier.archival.value / "records"
        folder = base / check_record_name(prefix.rstrip("/") + "/x").rsplit("/", 1)[0]
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                yield path.relative_to(base).as_posix(), path.read_bytes()

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own files."""

    def _tmp_copy(self, path: Path) -> tuple[Path, str]:
        """Copy to a temporary file; its path and the SHA-256 of what was written."""
        fd, name = tempfile.mkstemp(dir=self.root / "tmp")
        h = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as src:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Path(name), h.hexdigest()

    def _commit(
        self, tmp: Path, digest: str, tier: Tier, *, verified: bool = False
    ) -> StoredObject:
        """Verify the temp file (unless hashed as written), then rename it into place
        (atomic on one filesystem)."""
        try:
            if not verified and sha256_file(tmp) != digest:
                raise IntegrityError("the file changed while it was being stored")
            target = self.path(digest, tier)
            target.parent.mkdir(parents=True, exist_ok=True)
            size = tmp.stat().st_size
            tmp.chmod(0o444)  # write-once: nobody edits an archived object in place
            os.replace(tmp, target)
            _fsync_dir(target.parent)
            return StoredObject(digest, size, tier)
        finally:
            tmp.unlink(missing_ok=True)


def _touch(path: Path) -> None:
    """Mark an object as just stored (again): the garbage collector's grace period counts
    from here, so an old orphan that a new document is about to reference is not taken."""
    with contextlib.suppress(OSError):
        os.utime(path)


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
