"""Fixtures for the desk: an archive of a named centre, and one dispatcher for a module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.settings import Settings
from backends import Archive
from ingest.dispatch import LocalDispatcher

HOME = "ЦНАП Житомир"


@pytest.fixture(scope="module")
def desk_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("desk") / "data", centre=HOME)
    archive = Archive(settings)
    archive.init()
    yield archive
    archive.close()


@pytest.fixture(scope="module")
def dispatcher(desk_archive: Archive) -> Iterator[LocalDispatcher]:
    d = LocalDispatcher(desk_archive, workers=2)
    yield d
    d.close()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
