"""Fixtures of the metadata database's contract tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.settings import Settings
from backends import Archive


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def db_archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    """An archive on each database: SQLite, and PostgreSQL of scripts/services.sh."""
    settings = Settings(data_dir=tmp_path / "data")
    if request.param == "postgresql":
        from tests.services import isolated_pg_url

        settings = Settings(data_dir=tmp_path / "data", database_url=isolated_pg_url())
    a = Archive(settings)
    a.init()
    yield a
    a.close()
