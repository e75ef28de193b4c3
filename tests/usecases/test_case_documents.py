"""Issue 9, item 3: a file accepted into a case is in that case.

The same bytes handed in for a second case are stored once, and every case
that received them holds the document (its package, its history); access and
search through one case never name another case holding the same document.
"""

from __future__ import annotations

import io
import threading
import uuid
from typing import Any

from archive.models import Source
from tests.usecases.conftest import DEPT, World
from tests.usecases.holes import Inline, make_case
from usecases.cases import show_case
from usecases.documents import read_metadata
from usecases.ingest import Incoming, ingest_files
from usecases.search import search


def _upload(world: World, case: str, body: bytes, name: str = "картка.pdf") -> Any:
    result = ingest_files(
        world.ctx("admin", dispatcher=Inline(world.archive)),
        files=[Incoming(name, io.BytesIO(body))],
        source=Source.upload,
        case=case,
    )
    return result.outcomes[0]


def _held(world: World, number: str) -> tuple[list[str], list[str]]:
    data = show_case(world.ctx("admin"), number=number).as_json()
    docs = [d for p in data["packages"] if p["kind"] == "input" for d in p["documents"]]
    return docs, [r["event"] for r in data["routing"]]


def test_same_bytes_for_a_second_case_are_held_by_both(world: World) -> None:
    tag = uuid.uuid4().hex[:8]
    first, second = f"2026/7{tag[:3]}1", f"2026/7{tag[:3]}2"
    make_case(world.archive, first, department=DEPT)
    make_case(world.archive, second, department="Інший")
    body = f"%PDF-1.7 спільна облікова картка платника {tag}".encode()

    one = _upload(world, first, body)
    two = _upload(world, second, body)
    assert one.status == "archived" and two.status == "archived", (one, two)
    assert one.document_id == two.document_id
    for number in (first, second):
        docs, events = _held(world, number)
        assert one.document_id in docs, number
        assert "document.received" in events and "document.archived" in events, number

    # Again into the same case: nothing new, and the answer says so.
    again = _upload(world, second, body)
    assert again.status == "duplicate" and again.document_id == one.document_id
    assert _held(world, second)[0].count(one.document_id) == 1


def test_access_through_one_case_never_names_the_other(world: World) -> None:
    tag = uuid.uuid4().hex[:8]
    mine, theirs = f"2026/8{tag[:3]}1", f"2026/8{tag[:3]}2"
    make_case(world.archive, theirs, department=DEPT)
    make_case(world.archive, mine, department="Інший")
    body = f"%PDF-1.7 паспорт громадянина спільний {tag}".encode()
    doc_id = _upload(world, theirs, body).document_id
    assert _upload(world, mine, body).document_id == doc_id

    # official_b reads cases of "Інший": the document is visible through ``mine`` only.
    start = world.head()
    meta = read_metadata(world.ctx("official_b"), document_id=doc_id).as_json()
    assert meta["case"] == mine
    (entry,) = world.since(start)
    assert entry["case"] == mine and theirs not in str(entry)

    found = search(world.ctx("official_b"), text=tag)
    assert [h.document_id for h in found.hits] == [doc_id]
    assert found.hits[0].case == mine and found.total == 1
    by_case = search(world.ctx("official_b"), text=tag, case=mine)
    assert [h.document_id for h in by_case.hits] == [doc_id]


def test_parallel_uploads_of_one_file_into_four_cases(world: World) -> None:
    tag = uuid.uuid4().hex[:8]
    numbers = [f"2026/9{tag[:3]}{n}" for n in range(4)]
    for number in numbers:
        make_case(world.archive, number, department=DEPT)
    body = f"%PDF-1.7 довідка ВПО {tag}".encode()
    outcomes: dict[str, Any] = {}
    errors: list[BaseException] = []
    gate = threading.Barrier(len(numbers))

    def go(number: str) -> None:
        try:
            gate.wait()
            outcomes[number] = _upload(world, number, body)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    ids = {o.document_id for o in outcomes.values()}
    assert len(ids) == 1, outcomes
    for number in numbers:
        assert outcomes[number].status == "archived", outcomes[number]
        assert ids <= set(_held(world, number)[0]), number
