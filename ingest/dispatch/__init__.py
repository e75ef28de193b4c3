"""Choose the dispatcher from ``CNAP_BROKER_URL`` (unset: in-process pool).

Dispatch on the scheme only; each dispatcher checks its own URL
(``LocalDispatcher.from_url``, ``CeleryDispatcher.from_url``). Celery is
imported only when a broker is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from backends import Archive
from ingest.dispatch.base import Dispatcher
from ingest.dispatch.local import LocalDispatcher

__all__ = ["Dispatcher", "LocalDispatcher", "open_dispatcher"]


def _celery(url: str | None, archive: Archive) -> Dispatcher:
    from ingest.dispatch.celery_dispatch import CeleryDispatcher

    return CeleryDispatcher.from_url(url, archive)


_BACKENDS: dict[str, Callable[[str | None, Archive], Dispatcher]] = {
    "": LocalDispatcher.from_url,
    "redis": _celery,
    "rediss": _celery,
}


def open_dispatcher(archive: Archive) -> Dispatcher:
    url = archive.settings.broker_url
    scheme = urlsplit(url).scheme.lower() if url else ""
    backend = _BACKENDS.get(scheme) if scheme or not url else None
    if backend is None:
        raise ValueError(f"unsupported broker URL {url!r} (use redis:// or leave it unset)")
    return backend(url, archive)
