"""The scale-out full-text index on Elasticsearch: :class:`ElasticIndex`.

One concern a module: :mod:`.client` (the URL, the client, errors translated
at the edge), :mod:`.mapping` (mapping, settings, document source),
:mod:`.query` (query building), :mod:`.bulk` (bulk writes),
:mod:`.generations` (versioned indexes behind an alias), :mod:`.reindex`
(zero-downtime rebuild) and :mod:`.index` (the index class).
"""

from __future__ import annotations

from search.elastic_index.client import DEFAULT_ALIAS, DEFAULT_TIMEZONE, ElasticTarget
from search.elastic_index.index import ElasticIndex
from search.elastic_index.mapping import FORMAT_VERSION

__all__ = ["DEFAULT_ALIAS", "DEFAULT_TIMEZONE", "FORMAT_VERSION", "ElasticIndex", "ElasticTarget"]
