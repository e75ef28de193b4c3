"""Archiving files through the one ingest use case, from the command line and directly:
the upload right is checked, and every call writes one ``document.upload`` entry."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from archive.models import PackageKind, Source
from archive.settings import Settings
from backends import Archive
from tests.usecases.conftest import HOME, World
from usecases import maintenance
from usecases.access import events_for
from usecases.errors import Denied
from usecases.ingest import FileOutcome, Incoming, ingest_files
from usecases.subject import entries_json


class Recording:
    """A dispatcher that only remembers what it was given (no processing)."""

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, document_id: str) -> None:
        self.submitted.append(document_id)

    def recover(self) -> list[str]:
        return []

    def wait(self, document_ids: Iterable[str], timeout: float | None = None) -> None:
        pass

    def flush_index(self) -> None:
        pass

    def require_workers(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_ingest_accepts_queues_and_logs_once(world: World, tmp_path: Path) -> None:
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(b"%PDF-1.7 first")
    b.write_bytes(b"%PDF-1.7 second")
    disp = Recording()
    seen: list[FileOutcome] = []
    start = world.head()
    result = ingest_files(
        world.ctx("admin", dispatcher=disp),
        files=[a, tmp_path / "missing.pdf", Incoming("скан.pdf", io.BytesIO(b"%PDF-1.7 third"))],
        source=Source.scanner,
        case="2026/0001",
        package=PackageKind.output,
        wait=False,
        on_outcome=seen.append,
    )
    assert [o.status for o in result.outcomes] == ["accepted", "rejected", "accepted"]
    assert seen == result.outcomes and result.rejected == 1
    assert result.outcomes[2].file == "скан.pdf"
    ids = [o.document_id for o in result.outcomes if o.document_id]
    assert disp.submitted == ids
    (entry,) = world.since(start)
    assert (entry["action"], entry["actor"], entry["case"]) == ("document.upload", "admin",
                                                                "2026/0001")  # fmt: skip
    assert entry["documents"] == ids and entry["document_id"] is None
    assert entry["details"] == {"files": 3, "package": "output", "source": "scanner"}


def test_one_file_names_its_document(world: World, tmp_path: Path) -> None:
    start = world.head()
    result = ingest_files(
        world.ctx("admin", dispatcher=Recording()),
        files=[Incoming("one.pdf", io.BytesIO(b"%PDF-1.7 one"))],
        source=Source.upload,
        wait=False,
    )
    (entry,) = world.since(start)
    assert entry["document_id"] == result.outcomes[0].document_id


@pytest.mark.parametrize("who", ["official", "admin_other", "sysadmin"])
def test_ingest_denied_before_anything_is_read(world: World, who: str) -> None:
    stream = io.BytesIO(b"%PDF-1.7 never read")
    start = world.head()
    with pytest.raises(Denied):
        ingest_files(
            world.ctx(who, dispatcher=Recording()),
            files=[Incoming("x.pdf", stream)],
            source=Source.upload,
        )
    assert stream.tell() == 0
    (entry,) = world.since(start)
    assert (entry["action"], entry["outcome"]) == ("document.upload", "denied")


@pytest.mark.parametrize(("who", "allowed"), [("local", True), ("sysadmin", True),
                                               ("admin", False), ("dpo", False)])  # fmt: skip
def test_reindex_is_for_the_sysadmin_and_the_console(world: World, who: str, allowed: bool) -> None:
    start = world.head()
    if allowed:
        assert maintenance.rebuild_index(world.ctx(who)).documents >= 3
        assert maintenance.init_archive(world.ctx(who)).data_dir == world.archive.settings.data_dir
        assert [e["action"] for e in world.since(start)] == ["index.rebuild", "archive.init"]
    else:
        with pytest.raises(Denied):
            maintenance.rebuild_index(world.ctx(who))
        (entry,) = world.since(start)
        assert (entry["action"], entry["outcome"]) == ("index.rebuild", "denied")


def test_command_line_ingest_is_audited(tmp_path: Path) -> None:
    data = tmp_path / "data"
    junk = tmp_path / "broken.pdf"
    junk.write_bytes(b"%PDF-1.7\n\x00junk")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        result = CliRunner().invoke(
            app,
            ["ingest", str(junk), "--json", "--source", "sharing"],
            env={"CNAP_DATA_DIR": str(data), "CNAP_CENTRE": HOME},
        )
    finally:
        for h in root.handlers:
            if h not in handlers:
                h.close()
        root.handlers[:], root.level = handlers, level
    assert result.exit_code == 1, (result.stdout, result.stderr)
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "rejected" and outcome["file"] == str(junk)
    archive = Archive(Settings(data_dir=data, centre=HOME))
    try:
        rows = entries_json(events_for(archive).log.entries(limit=1000))
    finally:
        archive.close()
    uploads = [e for e in rows if e["action"] == "document.upload"]
    assert len(uploads) == 1
    assert uploads[0]["documents"] == [outcome["document_id"]]
    assert uploads[0]["actor"].startswith("local:") and uploads[0]["address"].startswith("cli:")
    assert uploads[0]["details"]["source"] == "sharing"


def test_an_unknown_case_is_refused_not_made_up(world: World) -> None:
    from usecases.errors import NotFound

    stream = io.BytesIO(b"%PDF-1.7 never read")
    with pytest.raises(NotFound) as refused:
        ingest_files(
            world.ctx("admin", dispatcher=Recording()),
            files=[Incoming("x.pdf", stream)],
            source=Source.upload,
            case="2026/001",
        )
    assert refused.value.details["suggestions"][0] == "2026/0001"
    # Another centre's case is not suggested (nor is its existence told).
    assert "2026/0002" not in refused.value.message
    assert stream.tell() == 0
