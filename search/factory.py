"""Choose the index backend from a URL (``CNAP_INDEX_URL``): dispatch on the scheme only.

Each backend parses its own URL (``TantivyIndex.from_url``,
``ElasticIndex.from_url``); backends are imported on first use, so a
deployment without a cluster never loads the Elasticsearch client.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from search.base import SearchIndex, UnsupportedIndexURL

SUPPORTED_SCHEMES = ("tantivy", "http", "https")


def _tantivy(url: str) -> SearchIndex:
    from search.tantivy_index import TantivyIndex

    return TantivyIndex.from_url(url)


def _elastic(url: str) -> SearchIndex:
    from search.elastic_index import ElasticIndex

    return ElasticIndex.from_url(url)


_BACKENDS: dict[str, Callable[[str], SearchIndex]] = {
    "tantivy": _tantivy,
    "http": _elastic,
    "https": _elastic,
}


def open_index(url: str) -> SearchIndex:
    """Open the index named by ``url``.

    ``tantivy:///abs/path`` or ``tantivy://rel/path`` selects the embedded
    Tantivy index (see :meth:`search.tantivy_index.TantivyIndex.from_url`),
    ``http(s)://host:port/?index=NAME`` Elasticsearch (see
    :meth:`search.elastic_index.ElasticIndex.from_url`).
    """
    backend = _BACKENDS.get(urlsplit(url).scheme.lower())
    if backend is None:
        supported = ", ".join(f"{s}://" for s in SUPPORTED_SCHEMES)
        raise UnsupportedIndexURL(f"unsupported index URL {url!r}; supported: {supported}")
    return backend(url)
