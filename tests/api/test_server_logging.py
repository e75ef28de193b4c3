"""The server's logging: every process writes the scrubbed application log, the
HTTP access log is off unless asked for (``CNAP_SERVER__ACCESS_LOG``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import api.app
from api.cli import app as cli
from api.logs import ScrubFilter, SharedRotatingFileHandler
from archive.settings import ServerSettings


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """Put the root logger back as it was (configure_logging replaces its handlers)."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in saved:
            handler.close()
    root.handlers[:] = saved
    root.setLevel(level)


def test_the_access_log_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServerSettings().access_log is False
    monkeypatch.setenv("CNAP_SERVER__ACCESS_LOG", "true")
    from archive.settings import Settings

    assert Settings().server.access_log is True


@pytest.mark.parametrize("workers", ["1", "3"])
@pytest.mark.parametrize("access", ["false", "true"])
def test_serve_passes_the_access_log_and_the_workers_factory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, root_handlers: None, workers: str, access: str
) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda target, **kw: calls.append((target, kw)))
    monkeypatch.setattr(api.app, "create_app", lambda settings: "the app")
    monkeypatch.setenv("CNAP_SERVER__ACCESS_LOG", access)
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "serve", "--workers", workers])
    assert result.exit_code == 0, result.output
    [(target, kw)] = calls
    assert kw["access_log"] is (access == "true")
    assert kw["log_config"] is None
    if workers == "1":
        assert target == "the app"
    else:
        # Each worker process builds its app through the factory that sets up its logging.
        assert target == "api.app:create_worker_app" and kw["factory"] is True


def test_a_worker_logs_to_the_application_log_scrubbed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, root_handlers: None
) -> None:
    monkeypatch.setenv("CNAP_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(api.app, "create_app", lambda settings: settings)
    settings: Any = api.app.create_worker_app()
    assert settings.data_dir == tmp_path
    [handler] = logging.getLogger().handlers
    assert isinstance(handler, SharedRotatingFileHandler)
    assert any(isinstance(f, ScrubFilter) for f in handler.filters)
    logging.getLogger("cnap.test").warning("пошук 3184710691 не вдався")
    handler.flush()
    text = (tmp_path / "logs" / "cnap-archive.log").read_text(encoding="utf-8")
    assert "не вдався" in text and "3184710691" not in text


def test_processes_sharing_the_log_rotate_it_once_and_lose_no_line(tmp_path: Path) -> None:
    # Two handlers on one file stand for two worker processes.
    path = tmp_path / "cnap-archive.log"
    first, second = (SharedRotatingFileHandler(path, 400, 100) for _ in range(2))
    for h in (first, second):
        h.setFormatter(logging.Formatter("%(message)s"))
    lines = [f"рядок {i:03d} " + "x" * 30 for i in range(120)]
    try:
        for i, line in enumerate(lines):
            handler = first if i % 3 else second
            handler.handle(logging.LogRecord("t", logging.INFO, __file__, 1, line, None, None))
    finally:
        first.close()
        second.close()
    files = [path, *sorted(tmp_path.glob("cnap-archive.log.*"), key=lambda p: int(p.suffix[1:]))]
    written = [ln for p in reversed(files) for ln in p.read_text(encoding="utf-8").splitlines()]
    assert written == lines  # each line once, and in order: nobody wrote into an old file
    assert len(files) > 5
    # No file grew past the limit by more than one line.
    assert all(p.stat().st_size <= 400 + len(lines[0].encode()) + 1 for p in files)
