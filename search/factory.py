"""Choose the index backend from a URL (``CNAP_INDEX_URL``)."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from search.base import SearchIndex, UnsupportedIndexURL

SUPPORTED_SCHEMES = ("tantivy", "http", "https")
_TRUE = {"1", "true", "yes", "on"}


def open_index(url: str) -> SearchIndex:
    """Open the index named by ``url``.

    ``tantivy:///abs/path`` or ``tantivy://rel/path`` (relative to the working
    directory) selects the embedded Tantivy index. Options as query parameters:
    ``readonly=1`` (search only, never takes the writer lock) and
    ``tz=Europe/Kyiv`` (calendar of the date filters).

    ``http(s)://host:port/?index=NAME`` selects Elasticsearch (see
    :class:`search.elastic_index.ElasticIndex` for its options).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "tantivy":
        from search.tantivy_index import DEFAULT_TIMEZONE, TantivyIndex

        path = unquote(parts.netloc + parts.path)
        if not path:
            raise UnsupportedIndexURL(f"index URL {url!r} has no path: use tantivy:///abs/path")
        params = parse_qs(parts.query)
        readonly = params.get("readonly", ["0"])[-1].lower() in _TRUE
        timezone = params.get("tz", [DEFAULT_TIMEZONE])[-1]
        return TantivyIndex(path, readonly=readonly, timezone=timezone)
    if scheme in ("http", "https"):
        from search.elastic_index import ElasticIndex

        return ElasticIndex(url)
    supported = ", ".join(f"{s}://" for s in SUPPORTED_SCHEMES)
    raise UnsupportedIndexURL(f"unsupported index URL {url!r}; supported: {supported}")
