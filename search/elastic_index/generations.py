"""Versioned indexes behind an alias.

``NAME`` is an alias over one concrete index ``NAME-<UTC timestamp>`` (a
*generation*) created from the composable index template ``NAME``. Reads and
writes use the alias. While a rebuild runs, the alias ``NAME-next`` points at
the new generation (see :mod:`search.elastic_index.reindex`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from search.elastic_index.mapping import FORMAT_VERSION, TEMPLATE_PRIORITY

log = logging.getLogger(__name__)

_TIMESTAMP = "%Y%m%d%H%M%S%f"  # 20 digits, sorts by creation time


class Generations:
    """The generations of one alias, and the alias of a rebuild under way."""

    def __init__(self, es: Elasticsearch, alias: str) -> None:
        self.es = es
        self.alias = alias
        self.next = f"{alias}-next"
        self._generation_re = re.compile(re.escape(alias) + r"-\d{20}")

    def put_template(self, body: dict[str, Any]) -> None:
        self.es.indices.put_index_template(
            name=self.alias,
            index_patterns=[f"{self.alias}-*"],
            priority=TEMPLATE_PRIORITY,
            template=body,
            meta={"managed_by": "cnap-archive", "format": FORMAT_VERSION},
        )

    def delete_template(self) -> None:
        with suppress(NotFoundError):
            self.es.indices.delete_index_template(name=self.alias)

    def aliases(self) -> dict[str, set[str]]:
        """Every generation of this index and the aliases it carries."""
        found = self.es.indices.get_alias(index=f"{self.alias}-*", expand_wildcards="all")
        return {
            name: set((info.get("aliases") or {}).keys())
            for name, info in found.body.items()
            if self._generation_re.fullmatch(name)
        }

    def indices_of(self, alias: str) -> list[str]:
        try:
            return sorted(self.es.indices.get_alias(name=alias).body)
        except NotFoundError:
            return []

    def live(self) -> list[str]:
        """The generations behind the alias (one, unless a swap was interrupted)."""
        return self.indices_of(self.alias)

    def rebuilding(self) -> bool:
        """Is a rebuild running (then writes must reach its index too)?"""
        return any(self.next in aliases for aliases in self.aliases().values())

    def create(self, aliases: dict[str, Any], settings: dict[str, Any]) -> str:
        name = f"{self.alias}-{datetime.now(UTC).strftime(_TIMESTAMP)}"
        self.es.indices.create(index=name, aliases=aliases, settings=settings or None)
        return name

    def swap_to(self, new: str, old: Sequence[str], *, drop_next: bool = False) -> None:
        """Point the alias at ``new`` instead of ``old`` in one atomic step."""
        actions: list[dict[str, Any]] = [
            {"remove": {"index": name, "alias": self.alias}} for name in old
        ]
        actions.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
        if drop_next:
            # Dropping the -next alias in the same step: from now on writers see
            # one index and nothing is written to the old one unseen.
            actions.append({"remove": {"index": new, "alias": self.next}})
        self.es.indices.update_aliases(actions=actions)

    def delete(self, names: Sequence[str]) -> None:
        """Delete indexes, best effort: a leftover costs disk, not correctness."""
        if not names:
            return
        try:
            self.es.indices.delete(index=",".join(names), ignore_unavailable=True)
        except (ApiError, TransportError) as exc:
            # The next rebuild removes what is left.
            log.warning(
                "could not delete old search indexes %s: %s", ", ".join(names), type(exc).__name__
            )
