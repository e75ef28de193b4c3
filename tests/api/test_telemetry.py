"""What FastAPI's own OpenTelemetry would export from the archive's server.

Newer FastAPI releases trace every request as soon as an OpenTelemetry provider
is configured in the process (``opentelemetry-instrument``, or
``FASTAPI_OTEL_AUTO_CONFIGURE``): a span per request with the URL's path and
query, and log records of exceptions. A search's query holds names and
identifiers, so the app turns the spans and the log records off and keeps the
request metrics. Each case runs in a process of its own, because a process's
OpenTelemetry providers are set once.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any
from urllib.parse import unquote_plus

import pytest

from tests.fresh_process import run_json

WORDS = "Шевченко 3012345678"
# An older FastAPI has no telemetry of its own, and so exports nothing itself.
FASTAPI_TELEMETRY = find_spec("fastapi.telemetry") is not None

_SCRIPT = """
import json, sys, tempfile
from pathlib import Path

from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

spans = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(tracer_provider)
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
logs = InMemoryLogExporter()
logger_provider = LoggerProvider()
logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
_logs.set_logger_provider(logger_provider)

import api.app
if sys.argv[1] == "fastapi-defaults":
    api.app._fastapi_telemetry = lambda: {}

from fastapi.testclient import TestClient
from archive.settings import Settings
from archive.users import Role, add_user
from usecases.security import hash_password

with tempfile.TemporaryDirectory() as tmp:
    app = api.app.create_app(Settings(data_dir=Path(tmp) / "data", centre="ЦНАП Житомир"))
    with TestClient(app) as http:
        with app.state.archive.db.session() as s:
            add_user(s, "official", Role.official, password_hash=hash_password("pw-pw-pw-pw"),
                     centre="ЦНАП Житомир", department="ДМС")
        token = http.post(
            "/api/auth/token", data={"username": "official", "password": "pw-pw-pw-pw"}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        statuses = [
            http.get("/api/search", params={"q": sys.stdin.read()}, headers=auth).status_code,
            http.get("/api/documents/0123456789abcdef", headers=auth).status_code,
        ]

exported = {
    "statuses": statuses,
    "spans": [json.dumps(dict(s.attributes or {}), ensure_ascii=False)
              for s in spans.get_finished_spans()],
    "logs": [str(r) for r in logs.get_finished_logs()],
    "metrics": sorted(
        m.name
        for rm in reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    ),
}
print(json.dumps(exported, ensure_ascii=False))
"""


def _exported(mode: str) -> dict[str, Any]:
    return run_json(_SCRIPT, mode, stdin=WORDS)


def test_fastapi_defaults_would_export_a_search_s_words() -> None:
    """The hazard is real: with FastAPI's defaults, a span carries the query."""
    if not FASTAPI_TELEMETRY:
        pytest.skip("this FastAPI has no telemetry of its own")
    out = _exported("fastapi-defaults")
    assert out["statuses"] == [200, 404]
    # url.query, percent-encoded: the name and the РНОКПП as typed.
    assert any("Шевченко" in s and "3012345678" in s for s in map(unquote_plus, out["spans"]))


def test_the_server_exports_request_metrics_only() -> None:
    out = _exported("archive")
    assert out["statuses"] == [200, 404]
    assert out["spans"] == []
    assert out["logs"] == []
    assert not any("Шевченко" in m or "3012345678" in m for m in out["metrics"])
    if FASTAPI_TELEMETRY:
        assert "http.server.request.duration" in out["metrics"]
