"""The API search benchmark still runs end to end (tiny archive, real server), and its
clients time only what they should."""

from __future__ import annotations

import threading
from pathlib import Path
from types import ModuleType

import pytest

from tests import bench_module
from tests.services import isolated_schema


def load_bench() -> ModuleType:
    return bench_module.load_bench("api_search")


def test_warm_up_calls_come_first_and_are_not_timed() -> None:
    bench = load_bench()
    calls: list[tuple[str, int, int]] = []
    guard = threading.Lock()

    def record(name: str) -> object:
        def call(c: int, i: int) -> None:
            with guard:
                calls.append((name, c, i))

        return call

    latencies, wall = bench.run_clients(3, 12, record("timed"), 2, record("warm"))
    assert len(latencies) == 12 and wall > 0
    # Every client's warm-up ends before any client's first timed call.
    first_timed = min(n for n, call in enumerate(calls) if call[0] == "timed")
    assert sorted(c for name, c, _ in calls[:first_timed] if name == "warm") == [0, 0, 1, 1, 2, 2]
    assert {i for name, _, i in calls if name == "timed"} == set(range(12))


def test_a_failing_warm_up_is_reported_not_waited_for() -> None:
    bench = load_bench()

    def fail(c: int, i: int) -> None:
        if c == 1:
            raise RuntimeError("HTTP 500")

    with pytest.raises(RuntimeError, match="HTTP 500"):
        bench.run_clients(3, 6, lambda c, i: None, 1, fail)


# The bench's own choice (its Go clients when go is installed), and the Python clients.
@pytest.mark.parametrize("client", [None, "httpx"])
def test_bench_runs_end_to_end(tmp_path: Path, client: str | None) -> None:
    bench = load_bench()
    figures = bench.main(
        [
            *("--documents", "300", "--pages", "1", "--lemmas", "400"),
            *("--requests", "8", "--warmup", "2", "--levels", "1,4"),
            *("--audit-appends", "5", "--keep", str(tmp_path)),
            *(("--client", client) if client else ()),
        ]
    )
    assert figures["warmup_per_client"] == 2 and figures["requests_per_cell"] == 8
    cpu = 0.0
    for role in ("official", "administrator"):
        for kind in ("common word", "rare word", "phrase", "filtered"):
            assert figures["raw"][role][kind]["p50"] > 0
            for level in ("1", "4"):
                cell = figures["api"][role][kind][level]
                assert 0 < cell["p50"] <= cell["p95"] <= cell["p99"] and cell["rps"] > 0
                assert cell["server_cpu_ms"] >= 0
                cpu += cell["server_cpu_ms"]
    # The server's CPU is read in clock ticks (10 ms): a cell of 10 searches may read 0.
    assert cpu > 0
    assert figures["audit_chain_ok"] is True and figures["audit_entries_per_second"] > 0
    assert figures["server_rss_mib"] > 0


def test_bench_runs_on_the_scale_out_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL and Elasticsearch of scripts/services.sh; its schema and index dropped."""
    import httpx
    import psycopg

    bench = load_bench()
    made: list[dict[str, str]] = []
    real = bench.scale_out_services

    def record(tag: str) -> dict[str, str]:
        made.append(real(tag))
        return made[-1]

    monkeypatch.setattr(bench, "scale_out_services", record)
    figures = bench.main(
        [
            *("--documents", "300", "--pages", "1", "--lemmas", "400", "--scale-out"),
            *("--requests", "8", "--warmup", "1", "--levels", "1,4", "--kinds", "rare word"),
            *("--audit-appends", "5", "--keep", str(tmp_path)),
        ]
    )
    for role in ("official", "administrator"):
        assert figures["raw"][role]["rare word"]["p50"] > 0
        for level in ("1", "4"):
            assert figures["api"][role]["rare word"][level]["rps"] > 0
    assert figures["params"]["documents"] == 300
    assert figures["audit_chain_ok"] is True
    [services] = made
    assert "options=-csearch_path" in services["CNAP_DATABASE_URL"]
    # Nothing of the run is left on the services.
    index = services["CNAP_INDEX_URL"]
    base, name = index.split("/?index=")
    assert httpx.get(f"{base}/_cat/indices/{name}*?format=json").json() == []
    schema = isolated_schema(services["CNAP_DATABASE_URL"])
    plain = services["CNAP_DATABASE_URL"].split("?")[0].replace("+psycopg", "")
    with psycopg.connect(plain) as conn:
        found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        assert found.fetchone() is None
