"""Choose the dispatcher from ``CNAP_BROKER_URL`` (unset: in-process pool)."""

from __future__ import annotations

from backends import Archive
from ingest.dispatch.base import Dispatcher
from ingest.dispatch.local import LocalDispatcher

__all__ = ["Dispatcher", "LocalDispatcher", "open_dispatcher"]


def open_dispatcher(archive: Archive) -> Dispatcher:
    url = archive.settings.broker_url
    if not url:
        return LocalDispatcher(archive)
    if url.startswith(("redis://", "rediss://")):
        from ingest.dispatch.celery_dispatch import CeleryDispatcher

        return CeleryDispatcher(archive)
    raise ValueError(f"unsupported broker URL {url!r} (use redis:// or leave it unset)")
