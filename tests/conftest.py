"""Shared fixtures: a fresh archive on the embedded backends in a temp directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.settings import Settings
from backends import Archive


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    a = Archive(settings)
    a.init()
    yield a
    a.close()
