"""``store gc``: abandoned upload parts and unreferenced operational objects go; nothing else."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.audit import Action, Events
from archive.models import Document, Source, Tier
from archive.settings import Settings
from archive.store.filesystem import FilesystemStore
from backends import Archive
from tests.usecases.conftest import HOME, PRINCIPALS
from usecases.context import Context, events_for
from usecases.errors import Denied, Invalid
from usecases.store_gc import collect_garbage

DAY = 24 * 3600


@pytest.fixture
def gc_world(tmp_path: Path) -> Iterator[tuple[Archive, Events]]:
    archive = Archive(Settings(data_dir=tmp_path / "data", centre=HOME))
    archive.init()
    try:
        yield archive, events_for(archive)
    finally:
        archive.close()


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def _obj(archive: Archive, data: bytes, tier: Tier = Tier.operational, old: bool = True) -> str:
    sha = archive.store.put_bytes(data, tier).sha256
    store = archive.store
    assert isinstance(store, FilesystemStore)
    if old:
        _age(store.path(sha, tier), 3 * DAY)
    return sha


def _ctx(archive: Archive, events: Events, who: str) -> Context:
    return Context(archive, PRINCIPALS[who], events)


def _gc_entries(events: Events) -> list[Any]:
    return [e for e in events.log.entries(limit=100_000) if e.action == Action.store_gc.value]


def test_dry_run_lists_apply_deletes_and_referenced_objects_stay(
    gc_world: tuple[Archive, Events],
) -> None:
    archive, events = gc_world
    original = _obj(archive, b"original bytes")
    pdfa = _obj(archive, b"pdf/a bytes")
    with archive.db.session() as s:
        s.add(
            Document(
                source=Source.upload, original_name="a.pdf", sha256=original, size=14,
                pdfa_sha256=pdfa,
            )
        )  # fmt: skip
    collect_garbage(_ctx(archive, events, "sysadmin"), apply=False, older_than_hours=24)
    seal = events.log.seal(archive.store)  # the log has one entry now: something to seal
    assert seal is not None
    store = archive.store
    assert isinstance(store, FilesystemStore)
    _age(store.path(seal.object_sha256, Tier.archival), 3 * DAY)
    orphan = _obj(archive, b"an abandoned partial ingest")
    fresh = _obj(archive, b"stored a moment ago, its row not yet written", old=False)
    uploads = archive.settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    stale = uploads / f"{'a' * 64}.part"
    stale.write_bytes(b"x" * 10)
    _age(stale, 2 * DAY)
    active = uploads / f"{'b' * 64}.part"
    active.write_bytes(b"y" * 5)

    before = len(_gc_entries(events))
    dry = collect_garbage(_ctx(archive, events, "sysadmin"), apply=False, older_than_hours=24)
    assert {(g.kind, g.sha256) for g in dry.candidates} == {
        ("object", orphan),
        ("upload", "a" * 64),
    }
    assert dry.deleted == [] and dry.bytes == len(b"an abandoned partial ingest") + 10
    assert store.exists(orphan) and stale.exists()  # a dry run deletes nothing
    assert len(_gc_entries(events)) == before + 1
    json.dumps(dry.as_json())

    done = collect_garbage(_ctx(archive, events, "local"), apply=True, older_than_hours=24)
    assert {g.sha256 for g in done.deleted} == {orphan, "a" * 64}
    assert not store.exists(orphan) and not stale.exists()
    assert store.exists(original) and store.exists(pdfa) and store.exists(fresh)
    assert store.exists(seal.object_sha256, Tier.archival) and active.exists()
    entries = _gc_entries(events)
    assert len(entries) == before + 2  # exactly one entry per run
    assert entries[-1].actor == PRINCIPALS["local"].login


def test_a_completed_upload_part_is_not_collected_by_this_rule(
    gc_world: tuple[Archive, Events],
) -> None:
    from archive.batches import StationUpload

    archive, events = gc_world
    sha = "c" * 64
    with archive.db.session() as s:
        s.add(StationUpload(sha256=sha, size=3, name="x", kind="batch", meta={}, state="processed"))
    part = archive.settings.data_dir / "uploads" / f"{sha}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"abc")
    _age(part, 3 * DAY)
    report = collect_garbage(_ctx(archive, events, "sysadmin"), apply=True, older_than_hours=1)
    assert report.deleted == [] and part.exists()


@pytest.mark.parametrize("who", ["admin", "archivist", "dpo", "official"])
def test_only_the_sysadmin_or_the_console(gc_world: tuple[Archive, Events], who: str) -> None:
    archive, events = gc_world
    orphan = _obj(archive, b"orphan")
    with pytest.raises(Denied):
        collect_garbage(_ctx(archive, events, who), apply=True, older_than_hours=24)
    assert archive.store.exists(orphan)
    denied = _gc_entries(events)
    assert len(denied) == 1 and denied[0].outcome == "denied"


def test_a_grace_period_under_an_hour_is_refused(gc_world: tuple[Archive, Events]) -> None:
    archive, events = gc_world
    with pytest.raises(Invalid):
        collect_garbage(_ctx(archive, events, "sysadmin"), apply=True, older_than_hours=0)


def test_the_command_dry_run_and_json(
    gc_world: tuple[Archive, Events], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    archive, _ = gc_world
    orphan = _obj(archive, b"orphan for the command")
    monkeypatch.setenv("CNAP_DATA_DIR", str(archive.settings.data_dir))
    runner = CliRunner()
    res = runner.invoke(app, ["store", "gc", "--json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.output)
    assert [c["sha256"] for c in body["candidates"]] == [orphan] and not body["applied"]
    res = runner.invoke(app, ["store", "gc", "--apply"])
    assert res.exit_code == 0, res.output
    assert "Видалено: 1" in res.output and not archive.store.exists(orphan)
