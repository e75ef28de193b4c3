"""The archive as one object: settings, database, object store and index together."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from archive.database import Database
from archive.settings import Settings
from archive.store import ObjectStore, open_store

if TYPE_CHECKING:
    from search.base import SearchIndex


class Archive:
    """Opens the backends named by the settings; cheap to create, close when done."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(settings.resolved_database_url)

    @cached_property
    def store(self) -> ObjectStore:
        return open_store(self.settings.resolved_storage_url)

    @cached_property
    def index(self) -> SearchIndex:
        from search import open_index

        return open_index(self.settings.resolved_index_url)

    def init(self) -> None:
        """Create or upgrade everything (idempotent)."""
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        self.db.migrate()
        _ = self.store

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
        if "store" in self.__dict__:
            self.store.close()
        self.db.close()
