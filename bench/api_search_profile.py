"""CPU per ``GET /api/search`` request, in process, with a cProfile of the path.

Runs the real app (``api.app.create_app``, lifespan included) on an archive
built by ``bench/api_search.py --keep DIR`` and sends it searches through the
ASGI interface directly (no sockets, no HTTP client), one at a time. Prints
CPU ms per request (process time), beside the same for ``/api/health`` (the
framework's floor) and the raw index's search of the same queries, then the
top of the profile.

    .venv/bin/python bench/api_search_profile.py /var/tmp/api20k --role official
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api_search import ensure_users, make_queries, raw_query  # noqa: E402
from search_latency import Corpus, build_vocabulary  # noqa: E402

from api.app import create_app  # noqa: E402
from archive.settings import Settings  # noqa: E402
from backends import Archive  # noqa: E402


async def call(app: Any, path: str, query: str, token: str) -> tuple[int, bytes]:
    """One request through the ASGI interface; status and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "root_path": "",
    }
    status = 0
    body = bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)


@contextlib.contextmanager
def _inline_threadpool() -> Iterator[None]:
    import fastapi.dependencies.utils as deps
    import fastapi.routing as routing

    import api.query_route as query_route

    async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    saved = [(m, m.run_in_threadpool) for m in (deps, routing, query_route)]  # type: ignore[attr-defined]
    for m, _ in saved:
        setattr(m, "run_in_threadpool", inline)  # noqa: B010 - not exported by the modules
    try:
        yield
    finally:
        for m, fn in saved:
            setattr(m, "run_in_threadpool", fn)  # noqa: B010


async def run(args: argparse.Namespace) -> None:
    import json

    data_dir = args.data_dir.resolve()
    params = json.loads((data_dir / "bench.json").read_text())["params"]
    settings = Settings(data_dir=data_dir)
    archive = Archive(settings)
    archive.init()
    tokens = ensure_users(archive)
    archive.close()
    corpus = Corpus(build_vocabulary(params["lemmas"], params["seed"]), params["seed"], 200)
    queries = make_queries(corpus, params["documents"], args.requests, params["seed"])[args.kind]
    token = tokens[args.role]

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        qs = [urlencode(q.params(args.limit)) for q in queries]
        for q in qs[:20]:  # warm-up: analyser, index, caches
            status, body = await call(app, "/api/search", q, token)
            assert status == 200, body[:300]

        rounds = []
        for _ in range(3):
            started = time.process_time()
            for _ in range(args.requests):
                await call(app, "/api/health", "", token)
            rounds.append((time.process_time() - started) * 1000 / args.requests)
        health = min(rounds)

        index = app.state.archive.index
        started = time.process_time()
        for query in queries:
            index.search(raw_query(query, args.role, args.limit))
        raw = (time.process_time() - started) * 1000 / len(queries)

        # cProfile sees one thread: run the sync routes and dependencies inline while profiling.
        prof = cProfile.Profile(time.process_time)
        started = time.process_time()
        wall = time.perf_counter()
        with _inline_threadpool():
            prof.enable()
            for q in qs:
                status, body = await call(app, "/api/search", q, token)
                assert status == 200, body[:300]
            prof.disable()
        search = (time.process_time() - started) * 1000 / len(qs)
        wall_ms = (time.perf_counter() - wall) * 1000 / len(qs)

        # Without the profiler: the honest CPU figure (the least of three rounds,
        # as the machine may be shared).
        rounds = []
        for _ in range(3):
            started = time.process_time()
            for q in qs:
                await call(app, "/api/search", q, token)
            rounds.append((time.process_time() - started) * 1000 / len(qs))
        plain = min(rounds)

    print(f"role {args.role}, {args.kind}, limit {args.limit}, {len(qs)} requests")
    print(f"  /api/search  CPU {plain:6.2f} ms/request (profiled {search:.2f}, wall {wall_ms:.2f})")
    print(f"  /api/health  CPU {health:6.2f} ms/request (the framework's floor)")
    print(f"  raw index    CPU {raw:6.2f} ms/search")
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats(args.sort).print_stats(args.filter or "", args.top)
    print(out.getvalue())


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path, help="an archive built by api_search.py --keep")
    ap.add_argument("--role", default="official")
    ap.add_argument("--kind", default="common word")
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--sort", default="cumulative")
    ap.add_argument("--top", type=int, default=45)
    ap.add_argument("--filter", help="only functions whose path matches (a regex)")
    asyncio.run(run(ap.parse_args(argv)))


if __name__ == "__main__":
    main()
