"""Writing in bulk: NDJSON operations, chunks, back-off on 429, analysis overlapped with sending."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from search.base import IndexDoc, IndexError_
from search.elastic_index.mapping import document_source
from search.morphology import UkrainianAnalyzer

BULK_DOCS = 500
_BULK_BYTES = 8 * 2**20
_RETRY_429 = (1.0, 2.0, 4.0)  # back-off before resending items the cluster rejected


def json_line(value: Any) -> bytes:
    # ensure_ascii=False halves the size of Cyrillic text; a lone surrogate
    # (from badly decoded input) becomes "?" instead of failing the batch.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


@dataclass(slots=True)
class Op:
    """One bulk operation: the action line and the document line (if any)."""

    action: bytes
    source: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.action) + (len(self.source) + 1 if self.source is not None else 0) + 1


def index_ops(docs: Iterable[IndexDoc], op: str, analyzer: UkrainianAnalyzer) -> Iterator[Op]:
    """``op`` ("index" or "create") for each document, analysed lazily."""
    for doc in docs:
        yield Op(
            json_line({op: {"_id": doc.document_id}}), json_line(document_source(doc, analyzer))
        )


def delete_ops(ids: Iterable[str]) -> list[Op]:
    return [Op(json_line({"delete": {"_id": i}})) for i in ids]


def tombstone_ops(ids: Iterable[str]) -> list[Op]:
    return [
        Op(json_line({"index": {"_id": i}}), json_line({"document_id": i, "tombstone": True}))
        for i in ids
    ]


def chunks(ops: Iterable[Op]) -> Iterator[list[Op]]:
    """Requests of at most BULK_DOCS operations and about 8 MiB."""
    chunk: list[Op] = []
    size = 0
    for op in ops:
        chunk.append(op)
        size += op.size
        if len(chunk) >= BULK_DOCS or size >= _BULK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def send(
    es: Elasticsearch, target: str, ops: Sequence[Op], refresh: str | bool, ok: frozenset[int]
) -> None:
    """Send one bulk request to an alias; resend items rejected with 429.

    Items answered with a status in ``ok`` count as done.
    """
    for delay in (*_RETRY_429, None):
        body = b"".join(
            op.action + b"\n" + (op.source + b"\n" if op.source is not None else b"") for op in ops
        )
        # Bytes pass through the client's serializer untouched (the stubs
        # only know lists of dicts): NDJSON built once, its size known.
        response = es.bulk(
            index=target,
            operations=body,  # type: ignore[arg-type]
            refresh=refresh,
            require_alias=True,
        )
        if not response["errors"]:
            return
        retry: list[Op] = []
        failed: dict[str, int] = {}
        for op, item in zip(ops, response["items"], strict=True):
            result = next(iter(item.values()))
            status = int(result.get("status", 500))
            if status < 300 or status in ok:
                continue
            if status == 429:
                retry.append(op)
                continue
            error = result.get("error")
            kind = str(error.get("type")) if isinstance(error, dict) else str(status)
            failed[kind] = failed.get(kind, 0) + 1
        if failed:
            summary = ", ".join(f"{n} {kind}" for kind, n in sorted(failed.items()))
            raise IndexError_(f"Elasticsearch rejected documents in {target}: {summary}")
        if not retry:
            return
        if delay is None:
            raise IndexError_(f"Elasticsearch kept rejecting {len(retry)} documents (429)")
        time.sleep(delay)
        ops = retry


def pipeline(requests: Iterable[list[Op]], send_one: Callable[[list[Op], bool], None]) -> int:
    """Send each chunk in the background while the next is analysed.

    ``send_one(chunk, last)`` learns which chunk is the last (it refreshes).
    Returns the number of chunks sent.
    """
    sent = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="es-bulk") as pool:
        pending: Future[None] | None = None
        held: list[Op] | None = None
        try:
            for chunk in requests:
                if held is not None:
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(send_one, held, False)
                    sent += 1
                held = chunk
        finally:
            if pending is not None:
                pending.result()
        if held is not None:
            send_one(held, True)
            sent += 1
    return sent
