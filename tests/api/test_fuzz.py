"""API fuzzing from the OpenAPI spec (schemathesis strategies, requests sent in process to
the running app): no 5xx, and no way around authentication or the policy, for anonymous
callers and for every role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from archive.settings import Settings
from archive.users import get_user
from tests.api.conftest import ROLES, World, build_world
from tests.api.test_matrix import MATRIX
from usecases.security import issue_token

# The spec of the app as built (no archive is opened to produce it).
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings(data_dir=Path("unused"))).openapi())
OPERATIONS = {r.ok().label: r.ok() for r in SCHEMA.get_all_operations()}


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # A world of its own: fuzzed calls create and disable users.
    yield from build_world(Path(tmp_path_factory.mktemp("fuzz")))


def _token(world: World, login: str) -> str:
    with world.archive.db.session() as s:
        user = get_user(s, login)
        assert user is not None
        uid = user.id
    token, _ = issue_token(world.archive.db, uid, 5)
    return token


def _send(world: World, case: Any, token: str | None) -> Any:
    kw = case.as_transport_kwargs(base_url="http://testserver")
    headers = {k: v for k, v in (kw.pop("headers") or {}).items() if k.lower() != "authorization"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    method, url = kw.pop("method"), kw.pop("url")
    cookies = kw.pop("cookies", None)
    if cookies:
        world.http.cookies.clear()
        for k, v in cookies.items():
            world.http.cookies.set(k, str(v))
    r = world.http.request(method, url, headers=headers, follow_redirects=False, **kw)
    world.http.cookies.clear()
    return r


def test_spec_covers_the_matrix() -> None:
    assert {tuple(label.split(" ", 1)) for label in OPERATIONS} == set(MATRIX)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_fuzz(fuzz_world: World, label: str) -> None:
    op = OPERATIONS[label]
    key = (op.method.upper(), op.path)
    rule = MATRIX[key]
    public = isinstance(rule, tuple)
    tokens = {role: _token(fuzz_world, role) for role in ROLES}

    @given(case=op.as_strategy())
    @settings(
        max_examples=4,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        anon = _send(fuzz_world, case, None)
        assert anon.status_code < 500, anon.text
        if not public:
            # Malformed requests may be refused before identity is asked (400, 404, 422);
            # nothing succeeds without a token.
            assert anon.status_code in (400, 401, 404, 405, 422), (
                f"{label}: {anon.status_code} without a token"
            )
        # A public route does not look at the token: one signed-in caller is enough.
        for role in ROLES[:1] if public else ROLES:
            if key == ("POST", "/api/documents") and role == "admin":
                continue  # would run OCR on random bytes (the ingest tests cover bad files)
            r = _send(fuzz_world, case, tokens[role])
            assert r.status_code < 500, f"{role} {label}: {r.status_code} {r.text[:300]}"
            if not public and role not in rule:
                reason = str((case.query or {}).get("reason") or "")
                if len(reason.strip()) < 10:  # with a reason, break-glass is the rule
                    assert r.status_code >= 400, f"{role} reached {label}: {r.status_code}"

    run()
