"""Retention on a real MinIO (Object Lock): compliance retain-until and legal holds are set
and really refuse deletion; the two-year clock travel also runs against MinIO.

The buckets are the test's own (``isolated_s3_url``); their locked objects stay until the
retain-until dates pass — that is the point of compliance mode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error

from archive.models import Tier
from archive.settings import Settings
from archive.store import StoreError
from archive.store.s3 import S3Store
from retention import archival
from tests.retention.conftest import CENTRE, Centre, make_case, objects, open_centre
from tests.retention.test_lifecycle import test_two_years as _two_years
from tests.services import isolated_s3_url
from usecases import retention as uc

pytestmark = pytest.mark.services
D = dt.date


@pytest.fixture
def s3_centre(tmp_path: Path) -> Iterator[Centre]:
    yield from open_centre(
        Settings(data_dir=tmp_path / "data", centre=CENTRE, storage_url=isolated_s3_url())
    )


def _s3(c: Centre) -> S3Store:
    store = c.archive.store
    assert isinstance(store, S3Store)
    return store


def _versions(store: S3Store, sha: str) -> list[str | None]:
    bucket, key = store._bucket(Tier.archival), store.key(sha)
    return [
        o.version_id
        for o in store.client.list_objects(bucket, prefix=key, include_version=True)
        if o.object_name == key
    ]


def _refused(store: S3Store, sha: str) -> None:
    """Deleting every version of the archival object is refused by MinIO itself."""
    bucket, key = store._bucket(Tier.archival), store.key(sha)
    versions = _versions(store, sha)
    assert versions
    for v in versions:
        with pytest.raises(S3Error) as exc:
            store.client.remove_object(bucket, key, version_id=v)
        # MinIO: "Object is WORM protected and cannot be overwritten".
        assert exc.value.code in {"AccessDenied", "InvalidRequest"}, exc.value.code
    with pytest.raises(StoreError):
        store.delete(sha, Tier.archival)
    assert store.exists(sha, Tier.archival)
    assert store.read_bytes(sha, Tier.archival)


def test_transfer_locks_in_compliance_mode_and_hold_sets_the_flag(s3_centre: Centre) -> None:
    c = s3_centre
    store = _s3(c)
    number = make_case(c, 1, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None)
    before = objects(c, Tier.operational)
    plan = uc.draft_plan(c.ctx(), as_of=D(2026, 5, 4))
    uc.approve_plan(c.ctx(), number=plan.number, decision="ЕК-5")
    rep = uc.apply_plan(c.ctx(), number=plan.number)
    assert rep["by_action"] == {"transfer": 1}
    moved = before - objects(c, Tier.operational)
    assert len(moved) == 1
    sha = next(iter(moved))
    bucket, key = store._bucket(Tier.archival), store.key(sha)
    ret = store.client.get_object_retention(bucket, key)
    assert ret is not None and ret.mode == COMPLIANCE
    # 3 years (the nomenclature entry 01-06) from 1 January after the transfer year.
    assert ret.retain_until_date is not None
    assert ret.retain_until_date.date() == D(2030, 1, 1)
    assert not store.client.is_object_legal_hold_enabled(bucket, key)
    _refused(store, sha)
    # Compliance mode cannot be shortened, not even by the archive's own credentials.
    from minio.retention import Retention

    with pytest.raises(S3Error):
        store.client.set_object_retention(
            bucket, key, Retention(COMPLIANCE, dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        )
    # A legal hold on the case sets the object's legal-hold flag; releasing clears it.
    uc.place_hold(c.ctx(), target=number, reason="судовий спір № 7")
    assert store.client.is_object_legal_hold_enabled(bucket, key)
    uc.release_hold(c.ctx(), case=number, reason="спір завершено")
    assert not store.client.is_object_legal_hold_enabled(bucket, key)
    # The bag of the transfer streams the object from the archival bucket.
    import bagit

    bagit.Bag(str(rep["bag"])).validate()


def test_legal_hold_alone_refuses_deletion(s3_centre: Centre) -> None:
    store = _s3(s3_centre)
    obj = store.put_bytes(b"archival copy without a retain-until date", Tier.archival)
    archival.set_hold(store, obj.sha256, True)
    _refused(store, obj.sha256)
    archival.set_hold(store, obj.sha256, False)
    store.delete(obj.sha256, Tier.archival)  # no retention, no hold: it goes
    assert not store.exists(obj.sha256, Tier.archival)


def test_two_years_on_minio(s3_centre: Centre) -> None:
    _two_years(s3_centre)
