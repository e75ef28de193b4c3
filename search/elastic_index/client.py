"""Reaching the cluster: the index URL, the client, and its errors translated at the edge.

Client errors become :class:`search.base.IndexError_` with the HTTP status and
the error type only: Elasticsearch error reasons can quote document text or the
query, which may be personal data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError, Elasticsearch

from search.base import IndexError_, UnsupportedIndexURL

DEFAULT_ALIAS = "cnap-documents"
DEFAULT_TIMEZONE = "Europe/Kyiv"
DEFAULT_TIMEOUT = 10.0  # seconds; bulk requests get BULK_TIMEOUT
BULK_TIMEOUT = 120.0

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,199}")
_FALSE = ("0", "false", "no", "off")


class _NoBodies(logging.Filter):
    """Drops elastic_transport's DEBUG records: they hold whole request and
    response bodies, that is document text and queries (personal data)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_NO_BODIES = _NoBodies()
# A filter, not a level: it holds even when an application sets every logger
# to DEBUG. Logger.addFilter ignores a filter it already has.
logging.getLogger("elastic_transport.node").addFilter(_NO_BODIES)


@dataclass(frozen=True, slots=True)
class ElasticTarget:
    """Everything an index URL says: where the cluster is and how to use it."""

    where: str  # scheme://host:port[/prefix], never with the password
    alias: str
    timezone: ZoneInfo
    timeout: float
    shards: int
    replicas: int | None  # None: 1 when the cluster has a second node
    refresh: str | bool  # "wait_for" or True
    username: str | None = None
    password: str | None = None
    verify_certs: bool | None = None  # HTTPS only
    ca_certs: str | None = None

    @classmethod
    def parse(cls, url: str) -> ElasticTarget:
        """``http(s)://[user:password@]host:port[/prefix][?options]``.

        Options: ``index`` (alias name, default ``cnap-documents``), ``tz``
        (calendar of the date filters, default ``Europe/Kyiv``), ``timeout``
        (seconds per request, default 10), ``refresh`` (``wait_for`` or
        ``true``: how an upsert becomes visible), ``shards`` (default 1),
        ``replicas`` (default: 1 when the cluster has a second node),
        ``verify_certs=0`` and ``ca_certs=PATH`` for HTTPS.
        """
        parts = urlsplit(url)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsupportedIndexURL("Elasticsearch index URL must be http(s)://host:port/")
        try:
            port = parts.port
        except ValueError:
            port = None
        if port is None:
            raise UnsupportedIndexURL("Elasticsearch index URL needs a port (host:9200)")
        alias = params.get("index", DEFAULT_ALIAS)
        if not _NAME_RE.fullmatch(alias) or alias.endswith("-next"):
            raise UnsupportedIndexURL(
                "index name must be lower-case letters, digits, '-', '_' or '.' "
                "(not starting with a sign, not ending in -next)"
            )
        try:
            timezone = ZoneInfo(params.get("tz", DEFAULT_TIMEZONE))
            timeout = float(params.get("timeout", DEFAULT_TIMEOUT))
            shards = int(params.get("shards", "1"))
            replicas = params.get("replicas")
            replica_count = int(replicas) if replicas is not None else None
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise UnsupportedIndexURL(f"bad option in the index URL: {exc}") from None
        refresh = params.get("refresh", "wait_for").lower()
        if refresh not in ("wait_for", "true"):
            raise UnsupportedIndexURL("refresh must be wait_for or true")
        host = parts.netloc.rpartition("@")[2]
        https = parts.scheme == "https"
        return cls(
            where=f"{parts.scheme}://{host}{parts.path.rstrip('/')}",
            alias=alias,
            timezone=timezone,
            timeout=timeout,
            shards=shards,
            replicas=replica_count,
            refresh=True if refresh == "true" else "wait_for",
            username=unquote(parts.username) if parts.username is not None else None,
            password=unquote(parts.password or "") if parts.username is not None else None,
            verify_certs=params.get("verify_certs", "1").lower() not in _FALSE if https else None,
            ca_certs=params.get("ca_certs") if https else None,
        )

    def connect(self) -> Elasticsearch:
        """A client for the cluster; nothing is sent until the first call."""
        auth = None
        if self.username is not None:
            auth = (self.username, self.password or "")
        extra: dict[str, Any] = {}
        if self.verify_certs is not None:
            extra["verify_certs"] = self.verify_certs
        if self.ca_certs is not None:
            extra["ca_certs"] = self.ca_certs
        return Elasticsearch(
            self.where,
            basic_auth=auth,
            request_timeout=self.timeout,
            # A refused connection is retried at once (a restarting node);
            # a timeout is not: retrying a slow cluster only adds load.
            max_retries=2,
            retry_on_timeout=False,
            **extra,
        )


def api_error(exc: ApiError) -> str:
    """Status and error types only: reasons may quote document text or the query."""
    types: list[str] = [str(exc.error)]
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        for cause in error.get("root_cause") or []:
            if isinstance(cause, dict) and cause.get("type") and cause["type"] not in types:
                types.append(str(cause["type"]))
    return f"HTTP {exc.meta.status} {', '.join(types)}"


@contextmanager
def translated_errors(where: str, action: str) -> Iterator[None]:
    """Client errors as :class:`IndexError_` (without quoting the server's reasons)."""
    try:
        yield
    except ApiError as exc:
        raise IndexError_(f"Elasticsearch {action} failed at {where}: {api_error(exc)}") from None
    except (TransportConnectionError, ConnectionTimeout) as exc:
        raise IndexError_(
            f"Elasticsearch at {where} is unreachable ({action}): "
            f"{type(exc).__name__}: {exc.message}"
        ) from None
    except TransportError as exc:
        # e.g. SerializationError, whose message would quote the data.
        raise IndexError_(
            f"Elasticsearch {action} failed at {where}: {type(exc).__name__}"
        ) from None
