"""An embedded archive with documents in and out of each caller's scope, and one context
per role; the use cases are called directly, without HTTP or the command line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive.audit import Events
from archive.models import CaseStatus
from archive.settings import Settings
from archive.users import Role
from backends import Archive
from tests.api.helpers import Made, application, make_document
from usecases.access import events_for
from usecases.context import Context
from usecases.policy import Principal
from usecases.subject import entries_json

HOME = "ЦНАП Житомир"
OTHER = "ЦНАП Бердичів"
DEPT = "ДМС"
WORKPLACE = "ВРМ Зарічне"

PRINCIPALS: dict[str, Principal] = {
    "admin": Principal("admin", Role.administrator, HOME, address="test"),
    "admin_wp": Principal("admin_wp", Role.administrator, HOME, WORKPLACE, address="test"),
    "admin_other": Principal("admin_other", Role.administrator, OTHER, address="test"),
    "official": Principal("official", Role.official, HOME, department=DEPT, address="test"),
    "official_b": Principal("official_b", Role.official, HOME, department="Інший", address="test"),
    "archivist": Principal("archivist", Role.archivist, HOME, address="test"),
    "dpo": Principal("dpo", Role.dpo, HOME, address="test"),
    "sysadmin": Principal("sysadmin", Role.sysadmin, HOME, address="test"),
    "local": Principal("local:op", Role.administrator, None, local=True, address="cli:op@host"),
}


@dataclass
class World:
    archive: Archive
    events: Events
    docs: dict[str, Made]

    def ctx(self, who: str, **kw: Any) -> Context:
        return Context(self.archive, PRINCIPALS[who], self.events, **kw)

    def head(self) -> int:
        rows = self.events.log.entries(limit=100_000)
        return rows[-1].seq if rows else 0

    def since(self, seq: int) -> list[dict[str, Any]]:
        rows = self.events.log.entries(limit=100_000)
        return [e for e in entries_json(rows) if int(e["seq"]) > seq]


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data: Path = tmp_path_factory.mktemp("usecases") / "data"
    archive = Archive(Settings(data_dir=data, centre=HOME))
    archive.init()
    docs = {
        "home": make_document(archive, application("домашня"), case="2026/0001",
                              department=DEPT),
        "other_centre": make_document(archive, application("бердичівська"), case="2026/0002",
                                      centre=OTHER, department=DEPT),
        "archival": make_document(archive, application("архівна"), case="2019/0003",
                                  department="Земельний відділ", status=CaseStatus.archived),
    }  # fmt: skip
    try:
        yield World(archive, events_for(archive), docs)
    finally:
        archive.close()
