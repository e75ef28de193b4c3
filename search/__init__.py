"""Full-text search: the index interface, its backends, Ukrainian morphology."""

from __future__ import annotations

from search.base import (
    IndexDoc,
    IndexError_,
    SearchHit,
    SearchIndex,
    SearchQuery,
    SearchResult,
    UnsupportedIndexURL,
)
from search.factory import open_index

__all__ = [
    "IndexDoc",
    "IndexError_",
    "SearchHit",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "UnsupportedIndexURL",
    "open_index",
]
