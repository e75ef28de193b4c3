"""Issue 9, item 12: archived means searchable. An index update made while another
process holds the embedded index's writer waits in the outbox and is applied by the
writer-holder within seconds; the outbox state is visible (status, health)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from archive.models import DocState, Document, IndexOutbox, Source, utcnow
from archive.settings import Settings
from backends import Archive
from ingest.dispatch.base import flush_index_now
from ingest.dispatch.local import LocalDispatcher
from search.base import SearchQuery
from tests.usecases.conftest import HOME, run_cli
from usecases.maintenance import check_health

WORD = "квитанціяоплати"


def _archived_with_pending_update(archive: Archive) -> str:
    stored = archive.store.put_bytes(b"%PDF-1.7 outbox test")
    with archive.db.session() as s:
        doc = Document(source=Source.upload, original_name="a.pdf", sha256=stored.sha256,
                       size=stored.size, state=DocState.archived, archived_at=utcnow(),
                       pdfa_sha256=stored.sha256, page_count=1)  # fmt: skip
        s.add(doc)
        s.flush()
        from archive.models import Page

        s.add(Page(document_id=doc.id, number=1, text=f"Це {WORD} за послугу", ocr=False))
        s.add(IndexOutbox(document_id=doc.id, op="upsert"))
        return doc.id


def test_update_made_beside_the_writer_holder_is_applied_within_seconds(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", centre=HOME)
    holder = Archive(settings)
    holder.init()
    # ``watch`` running: its dispatcher holds the index writer.
    dispatcher = LocalDispatcher(holder, workers=1)
    try:
        holder.index.upsert([])
        other = Archive(Settings(data_dir=tmp_path / "data", centre=HOME))
        other.index._lock_timeout = 0.5  # type: ignore[attr-defined]
        try:
            doc_id = _archived_with_pending_update(other)
            flush_index_now(other)  # cannot take the writer: the row stays pending
            with other.db.session() as s:
                assert s.scalar(select(IndexOutbox.id)) is not None
            assert check_health(other).as_json()["index_outbox"]["pending"] >= 1
        finally:
            other.close()
        deadline = time.monotonic() + 15
        found: list[str] = []
        while time.monotonic() < deadline and not found:
            found = [h.document_id for h in holder.index.search(SearchQuery(WORD)).hits]
            time.sleep(0.2)
        assert found == [doc_id]
        assert check_health(holder).as_json() == {
            "status": "ok",
            "index_outbox": {"pending": 0, "oldest_seconds": None},
        }
    finally:
        dispatcher.close()
        holder.close()


def test_status_command_shows_the_outbox(tmp_path: Path) -> None:
    data = tmp_path / "data"
    archive = Archive(Settings(data_dir=data, centre=HOME))
    archive.init()
    _archived_with_pending_update(archive)
    archive.close()
    code, out = run_cli(data, "status", "--json")
    assert code == 0, out
    import json

    state = json.loads(out)
    assert state["index_outbox"]["pending"] == 1
    assert set(state) >= {"documents", "index_outbox"}
