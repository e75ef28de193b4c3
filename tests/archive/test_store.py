"""Contract tests of the object store, run against every implementation."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.models import Tier
from archive.store import (
    FilesystemStore,
    IntegrityError,
    ObjectNotFound,
    ObjectStore,
    UnsupportedStorageURL,
    open_store,
)


@pytest.fixture(params=["filesystem", pytest.param("s3", marks=pytest.mark.services)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "filesystem":
        built = open_store(f"file://{tmp_path}/store")
        assert isinstance(built, FilesystemStore)
    else:
        from archive.store.s3 import S3Store
        from tests.services import isolated_s3_url

        built = open_store(isolated_s3_url())
        assert isinstance(built, S3Store)
    yield built
    built.close()


def test_put_and_read_back_verified(store: ObjectStore, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    obj = store.put_file(src)
    assert obj.sha256 == hashlib.sha256(data).hexdigest()
    assert obj.size == len(data)
    assert store.exists(obj.sha256)
    assert not store.exists(obj.sha256, Tier.archival)
    assert store.read_bytes(obj.sha256) == data
    assert b"".join(store.iter_chunks(obj.sha256)) == data
    out = store.fetch(obj.sha256, tmp_path / "out" / "copy.bin")
    assert out.read_bytes() == data


def test_large_file_multipart(store: ObjectStore, tmp_path: Path) -> None:
    # Bigger than one multipart part of the S3 store (16 MiB).
    src = tmp_path / "big.bin"
    with src.open("wb") as f:
        for _ in range(40):
            f.write(os.urandom(1024 * 1024))
    obj = store.put_file(src)
    assert obj.size == 40 * 1024 * 1024
    out = store.fetch(obj.sha256, tmp_path / "back.bin")
    assert hashlib.sha256(out.read_bytes()).hexdigest() == obj.sha256


def test_write_once_and_idempotent(store: ObjectStore) -> None:
    a = store.put_bytes(b"same bytes")
    b = store.put_bytes(b"same bytes")
    assert a == b


def test_missing_object(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.read_bytes("0" * 64)
    with pytest.raises(ValueError):
        store.read_bytes("../../etc/passwd")


def test_transfer_between_tiers(store: ObjectStore) -> None:
    obj = store.put_bytes(b"result kept three months, then archived")
    moved = store.transfer(obj.sha256, Tier.operational, Tier.archival)
    assert moved.tier == Tier.archival
    assert store.exists(obj.sha256, Tier.archival)
    assert not store.exists(obj.sha256, Tier.operational)
    assert store.read_bytes(obj.sha256, Tier.archival) == b"result kept three months, then archived"
    # Transferring again is harmless (a retried retention run).
    assert store.transfer(obj.sha256, Tier.operational, Tier.archival).tier == Tier.archival


def test_corruption_detected_on_read(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path / "store")
    obj = store.put_bytes(b"original content")
    path = store.path(obj.sha256)
    path.chmod(0o644)
    path.write_bytes(b"tampered content")
    with pytest.raises(IntegrityError):
        store.read_bytes(obj.sha256)
    with pytest.raises(IntegrityError):
        b"".join(store.iter_chunks(obj.sha256))
    with pytest.raises(IntegrityError):
        store.fetch(obj.sha256, tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_no_temp_files_left(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path / "store")
    for i in range(5):
        store.put_bytes(f"object {i}".encode())
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
    stored = [p for p in (tmp_path / "store" / "operational").rglob("*") if p.is_file()]
    assert len(stored) == 5
    assert all(not os.access(p, os.W_OK) or os.geteuid() == 0 for p in stored)
    assert all(p.stat().st_mode & 0o222 == 0 for p in stored)


def test_delete_removes_the_object(store: ObjectStore) -> None:
    obj = store.put_bytes(b"destroyed by a destruction act")
    store.delete(obj.sha256, Tier.operational)
    assert not store.exists(obj.sha256)
    with pytest.raises(ObjectNotFound):
        store.read_bytes(obj.sha256)
    store.delete(obj.sha256, Tier.operational)  # deleting again is harmless


def test_filesystem_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = open_store(f"file://{tmp_path}/abs")
    assert isinstance(absolute, FilesystemStore) and absolute.root == tmp_path / "abs"
    monkeypatch.chdir(tmp_path)
    relative = open_store("file://rel/store")
    assert isinstance(relative, FilesystemStore) and relative.root == Path("rel/store")
    assert (tmp_path / "rel" / "store" / "operational").is_dir()


@pytest.mark.parametrize("url", ["ftp://host/x", "/no/scheme", "tantivy:///x"])
def test_unsupported_storage_url(url: str) -> None:
    with pytest.raises(UnsupportedStorageURL, match="unsupported storage URL"):
        open_store(url)
    with pytest.raises(ValueError):  # as before: a configuration error
        open_store(url)


def test_iter_objects_lists_the_tier_without_records(store: ObjectStore) -> None:
    """``store gc`` lists objects by name, size and time; seal records are not objects."""
    from datetime import UTC, date, datetime, timedelta

    a = store.put_bytes(b"one operational object")
    b = store.put_bytes(b"two", Tier.archival)
    store.put_record(
        "audit-seals/test/000000000001-seal.json",
        b"{}",
        retain_until=date.today() + timedelta(days=1),
    )
    listed = {o.sha256: o for o in store.iter_objects(Tier.operational)}
    assert set(listed) == {a.sha256}
    assert listed[a.sha256].size == a.size
    assert abs(listed[a.sha256].modified - datetime.now(UTC)) < timedelta(minutes=5)
    assert [o.sha256 for o in store.iter_objects(Tier.archival)] == [b.sha256]


def test_adopting_a_staged_file_stores_it_in_place(tmp_path: Path) -> None:
    # A worker on this machine writes the rendition beside the store's objects; storing
    # it is a rename: same name, bytes, read-only mode and durability as put_file.
    store = FilesystemStore(tmp_path / "store")
    staged = store.staging_path("doc-1.pdf")
    data = b"%PDF-1.7 rendition"
    staged.write_bytes(data)
    obj = store.adopt(staged)
    assert obj.sha256 == hashlib.sha256(data).hexdigest() and obj.size == len(data)
    assert not staged.exists()
    assert store.read_bytes(obj.sha256) == data
    assert store.path(obj.sha256).stat().st_mode & 0o777 == 0o444
    # Idempotent: the same bytes staged again leave one object and no staged file.
    staged.write_bytes(data)
    assert store.adopt(staged) == obj
    assert not staged.exists()
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_only_staged_files_are_adopted(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path / "store")
    elsewhere = tmp_path / "x.pdf"
    elsewhere.write_bytes(b"x")
    with pytest.raises(ValueError):
        store.adopt(elsewhere)
    assert elsewhere.exists()
    for bad in ("", "../x", "a/b", ".hidden"):
        with pytest.raises(ValueError):
            store.staging_path(bad)


def test_local_path_is_the_verified_object(tmp_path: Path) -> None:
    # The worker reads the stored original in place, checked as fetch checks a copy.
    store = FilesystemStore(tmp_path / "store")
    src = tmp_path / "in.bin"
    src.write_bytes(b"original bytes")
    obj = store.put_file(src)
    assert store.local_path(obj.sha256) == store.path(obj.sha256)
    path = store.path(obj.sha256)
    path.chmod(0o644)
    path.write_bytes(b"rotted bytes!!")
    with pytest.raises(IntegrityError):
        store.local_path(obj.sha256)
    with pytest.raises(ObjectNotFound):
        store.local_path("0" * 64)
