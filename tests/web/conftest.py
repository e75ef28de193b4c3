"""The web pages over the API tests' world: a user of every role, documents in and out of
scope. ``web(login)`` is a TestClient signed in through the sign-in form."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, World, build_world

CSRF_RE = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "the page has no CSRF field"
    return m.group(1)


def sign_in(http: TestClient, login: str, password: str = PASSWORD) -> TestClient:
    form = http.get("/login")
    r = http.post(
        "/login",
        data={"login": login, "password": password, "csrf": csrf_of(form.text), "back": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return http


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("webworld"))


@pytest.fixture
def web(world: World) -> Callable[[str], TestClient]:
    def make(login: str) -> TestClient:
        return sign_in(TestClient(world.app), login)

    return make


@pytest.fixture
def anon(world: World) -> TestClient:
    return TestClient(world.app)


def screenshots_dir() -> Path:
    d = Path(__file__).parent / "screenshots"
    d.mkdir(exist_ok=True)
    return d
