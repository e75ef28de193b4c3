"""Issue 9, item 11 (first half): ``ingest`` with a broker and no worker consuming the
queue says so within seconds and ends with a clear error; the files stay accepted."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.models import DocState, Document, Source
from archive.settings import Settings
from archive.users import Role
from backends import Archive
from tests.services import service_urls
from usecases.access import events_for
from usecases.context import Context
from usecases.errors import Unavailable
from usecases.ingest import Incoming, ingest_files
from usecases.policy import Principal

pytestmark = pytest.mark.services


def test_ingest_without_a_worker_fails_fast_and_keeps_the_file(tmp_path: Path) -> None:
    base = service_urls()["CNAP_BROKER_URL"].rsplit("/", 1)[0]
    # A database of its own: no other test's worker answers there.
    settings = Settings(data_dir=tmp_path / "data", centre="ЦНАП", broker_url=f"{base}/13")
    archive = Archive(settings)
    archive.init()
    try:
        ctx = Context(archive, Principal("local:op", Role.administrator, None, local=True),
                      events_for(archive))  # fmt: skip
        started = time.monotonic()
        with pytest.raises(Unavailable) as exc:
            ingest_files(ctx, files=[Incoming("a.pdf", io.BytesIO(b"%PDF-1.7 wait"))],
                         source=Source.upload)  # fmt: skip
        assert time.monotonic() - started < 15
        assert "worker" in exc.value.message
        with archive.db.session() as s:
            assert s.scalar(select(Document.state)) == DocState.accepted
    finally:
        archive.close()
