"""The archive's backends opened together from the settings.

Database, object store and full-text index, each chosen by its URL
(``CNAP_DATABASE_URL``, ``CNAP_STORAGE_URL``, ``CNAP_INDEX_URL``). This layer
sits above ``search/`` and ``archive/`` (it opens both) and below the
pipelines and use cases that work with them.
"""

from __future__ import annotations

from backends.archive import Archive

__all__ = ["Archive"]
