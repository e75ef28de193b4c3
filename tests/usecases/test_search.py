"""Search and identifier lookup called directly: scope, masking, one audit entry per call."""

from __future__ import annotations

import pytest

from archive.models import PackageKind
from tests.api.helpers import RNOKPP
from tests.usecases.conftest import World
from usecases import search
from usecases.errors import Denied


def test_search_returns_only_documents_in_scope(world: World) -> None:
    start = world.head()
    result = search.search(world.ctx("admin"), text="заява")
    ids = {h.document_id for h in result.hits}
    assert world.docs["home"].id in ids and world.docs["other_centre"].id not in ids
    assert result.as_json()["total"] == result.total
    (entry,) = world.since(start)
    assert entry["action"] == "search" and set(entry["documents"]) == ids
    assert entry["details"]["query"] == "заява"


def test_search_masks_snippets_below_full_access(world: World) -> None:
    # Issue 9: a search by the identifier itself needs the lookup's clearance (full
    # access), so the masked level is seen through a search by its label.
    result = search.search(world.ctx("admin_wp"), text="РНОКПП")
    assert result.hits and all(RNOKPP not in h.snippet for h in result.hits)
    by_value = search.search(world.ctx("admin_wp"), text=RNOKPP)
    assert by_value.total == len(by_value.hits)


def test_search_filters_are_typed_and_logged(world: World) -> None:
    start = world.head()
    search.search(world.ctx("admin"), text="заява", package=PackageKind.output, limit=3)
    (entry,) = world.since(start)
    assert entry["details"]["filters"] == {"package": "output"}
    assert entry["details"]["limit"] == 3


@pytest.mark.parametrize("who", ["dpo", "sysadmin"])
def test_search_denied_is_logged(world: World, who: str) -> None:
    start = world.head()
    with pytest.raises(Denied):
        search.search(world.ctx(who), text="заява")
    (entry,) = world.since(start)
    assert (entry["action"], entry["outcome"]) == ("search", "denied")


def test_identifier_lookup(world: World) -> None:
    start = world.head()
    found = search.lookup_identifier(world.ctx("official"), value=RNOKPP)
    assert [d.document_id for d in found.documents] == [world.docs["home"].id]
    assert found.documents[0].pages == [1] and "rnokpp" in found.documents[0].kinds
    (entry,) = world.since(start)
    assert entry["action"] == "search.identifier"
    assert entry["identifiers"] and RNOKPP not in str(entry["identifiers"])
    with pytest.raises(Denied):
        search.lookup_identifier(world.ctx("dpo"), value=RNOKPP)
