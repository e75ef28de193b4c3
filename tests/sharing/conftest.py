from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sharing.fake_diia import FakeDiia, start_fake_diia
from tests.sharing.pki import Pki, make_pki


@pytest.fixture(scope="session")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="session")
def fake_diia() -> Iterator[FakeDiia]:
    state, served = start_fake_diia()
    try:
        yield state
    finally:
        served.stop()


@pytest.fixture(scope="module")
def own_diia() -> Iterator[FakeDiia]:
    """A fake of a module's own: the session's fake counts calls for test_diia_client."""
    state, served = start_fake_diia()
    try:
        yield state
    finally:
        served.stop()
