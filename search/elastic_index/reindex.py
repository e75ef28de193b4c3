"""Zero-downtime rebuild: fill a new generation while the old one serves, then swap.

While a rebuild runs, the alias ``NAME-next`` points at the new generation and
every writer (in any process) writes there too; deletes leave a *tombstone*
there so the rebuild cannot resurrect a document it read before the delete.
The rebuild writes with "create", so a live write that reached the new
generation first (newer data, or a tombstone) wins. Searches ignore
tombstones; the rebuild removes them after the swap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

from search.base import IndexDoc, IndexError_
from search.elastic_index import bulk
from search.elastic_index.generations import Generations
from search.morphology import UkrainianAnalyzer

log = logging.getLogger(__name__)

# A write to NAME-next answered 404: the rebuild finished (the alias write that
# follows reaches the new generation) or was abandoned. Either way, fine.
REBUILD_GONE = frozenset({404})


def fill_and_swap(
    gens: Generations,
    bulk_es: Elasticsearch,
    new: str,
    docs: Iterable[IndexDoc],
    analyzer: UkrainianAnalyzer,
    template_settings: dict[str, Any],
) -> int:
    """Index ``docs`` into ``new`` (from :func:`begin`), then swap the alias to it.

    Returns the number of documents read; on failure the new generation is
    deleted and the old one stays live.
    """
    count = 0
    try:

        def counted() -> Iterator[IndexDoc]:
            nonlocal count
            for doc in docs:
                count += 1
                yield doc

        bulk.pipeline(
            bulk.chunks(bulk.index_ops(counted(), "create", analyzer)),
            lambda chunk, _last: bulk.send(bulk_es, gens.next, chunk, False, frozenset({409})),
        )
        old = finish(gens, new, template_settings)
    except BaseException:
        abandon(gens.es, new)
        raise
    gens.delete(old)
    purge_tombstones(gens, bulk_es, new)
    log.info("search index %s rebuilt: %d documents in %s", gens.alias, count, new)
    return count


def begin(gens: Generations) -> str:
    """Create the new generation behind ``NAME-next``; refuse a second rebuild."""
    generations = gens.aliases()
    running = sorted(name for name, aliases in generations.items() if gens.next in aliases)
    if running:
        raise IndexError_(
            f"another rebuild of {gens.alias} is running into {running[0]}; if it died, "
            f"delete that index (DELETE /{running[0]}) and start again"
        )
    # Leftovers of a crash between a swap and the deletion of the old index.
    gens.delete(sorted(name for name, aliases in generations.items() if not aliases))
    # No refreshes and no replicas while bulk loading; set back before the swap.
    settings = {
        "refresh_interval": "-1",
        "number_of_replicas": 0,
        "auto_expand_replicas": "false",
    }
    new = gens.create({gens.next: {}}, settings)
    rivals = gens.indices_of(gens.next)
    if rivals != [new] and min(rivals) != new:
        # Two rebuilds started at the same moment: the older name goes on.
        gens.delete([new])
        raise IndexError_(f"another rebuild of {gens.alias} started at the same time")
    return new


def finish(gens: Generations, new: str, template_settings: dict[str, Any]) -> list[str]:
    """Make ``new`` searchable and swap the alias to it; returns the old generations."""
    settings: dict[str, Any] = {"refresh_interval": None}
    if "auto_expand_replicas" in template_settings:
        settings["auto_expand_replicas"] = template_settings["auto_expand_replicas"]
    else:
        settings["number_of_replicas"] = template_settings["number_of_replicas"]
    es = gens.es
    es.indices.put_settings(index=new, settings=settings)
    es.indices.refresh(index=new)
    es.cluster.health(index=new, wait_for_status="yellow", timeout="60s")
    old = gens.live()
    gens.swap_to(new, old, drop_next=True)
    return old


def abandon(es: Elasticsearch, new: str) -> None:
    try:
        es.indices.delete(index=new, ignore_unavailable=True)
    except (ApiError, TransportError) as exc:
        log.warning("could not delete the abandoned search index %s: %s", new, type(exc).__name__)


def purge_tombstones(gens: Generations, bulk_es: Elasticsearch, index: str) -> None:
    """Remove the tombstones left by deletes during the rebuild.

    Best effort: searches and counts skip tombstones anyway.
    """
    es = gens.es
    try:
        es.indices.refresh(index=index)
        for _ in range(1000):  # bounded: each round removes or skips what it found
            found = es.search(
                index=index,
                query={"term": {"tombstone": True}},
                size=bulk.BULK_DOCS,
                source=False,
                seq_no_primary_term=True,
            )["hits"]["hits"]
            # Only if unchanged since: a live upsert may have replaced the
            # tombstone with a document (409 then).
            ops = [
                bulk.Op(
                    bulk.json_line(
                        {
                            "delete": {
                                "_id": hit["_id"],
                                "if_seq_no": hit["_seq_no"],
                                "if_primary_term": hit["_primary_term"],
                            }
                        }
                    )
                )
                for hit in found
            ]
            if ops:
                # Through the alias: bulk requests here must never create an index.
                bulk.send(bulk_es, gens.alias, ops, True, frozenset({404, 409}))
            if len(found) < bulk.BULK_DOCS:
                return
    except (ApiError, TransportError, IndexError_) as exc:
        log.warning("could not remove tombstones from %s: %s", index, type(exc).__name__)
