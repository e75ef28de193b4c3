"""One error taxonomy, mapped once: every class of ``usecases.errors`` (and any subclass a
use case module defines) has an HTTP status and an exit code, and every error response
of the API is RFC 9457 problem details with a Ukrainian ``detail`` string."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, HTTPException, Query
from fastapi.testclient import TestClient

import usecases
from api import problems
from api.exit_codes import EXIT_CODES, ExitCode, exit_code_for
from api.problems import MEDIA_TYPE, STATUS, Problem, status_of
from tests.api.conftest import World
from usecases import errors
from usecases.errors import ArchiveError


def _subclasses(cls: type[ArchiveError]) -> Iterator[type[ArchiveError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def all_errors() -> list[type[ArchiveError]]:
    """Every subclass of ArchiveError, after importing every use-case module."""
    for info in pkgutil.walk_packages(usecases.__path__, "usecases."):
        importlib.import_module(info.name)
    return sorted(set(_subclasses(ArchiveError)), key=lambda c: (c.__module__, c.__qualname__))


def test_the_taxonomy_is_the_tuple_of_errors() -> None:
    direct = set(ArchiveError.__subclasses__())
    assert direct == set(errors.ERRORS), "a new kind of error belongs in usecases/errors.py"


@pytest.mark.parametrize("cls", errors.ERRORS, ids=lambda c: c.__name__)
def test_every_kind_has_a_status_and_an_exit_code(cls: type[ArchiveError]) -> None:
    assert cls in STATUS, f"{cls.__name__} has no HTTP status in api/problems.py"
    assert cls in EXIT_CODES, f"{cls.__name__} has no exit code in api/exit_codes.py"


def test_every_subclass_anywhere_is_mapped() -> None:
    for cls in all_errors():
        exc = _make(cls)
        assert 400 <= status_of(exc) < 600 and status_of(exc) != 500, cls
        assert exit_code_for(exc) in (ExitCode.refused, ExitCode.unavailable), cls


def test_the_table() -> None:
    expected = {
        "NotFound": (404, 1),
        "Denied": (403, 1),
        "Unauthenticated": (401, 1),
        "Conflict": (409, 1),
        "Invalid": (422, 1),
        "TooLarge": (413, 1),
        "RateLimited": (429, 1),
        "Unavailable": (503, 4),
    }
    got = {c.__name__: (STATUS[c], int(EXIT_CODES[c])) for c in errors.ERRORS}
    assert got == expected


def _make(cls: type[ArchiveError]) -> ArchiveError:
    if issubclass(cls, errors.RateLimited):
        return cls("Забагато спроб входу; спробуйте за хвилину", 60)  # type: ignore[call-arg]
    return cls("Справу не знайдено", code="case_not_found")


@pytest.fixture(scope="module")
def raising() -> TestClient:
    """A small app with the shared machinery and a route raising each error."""
    app = FastAPI()
    problems.install(app)
    by_name = {c.__name__: c for c in errors.ERRORS}

    @app.get("/raise/{name}")
    def raise_(name: str) -> None:
        raise _make(by_name[name])

    @app.get("/http/{status}")
    def http(status: int) -> None:
        raise HTTPException(status, "Частина завелика", headers={"Upload-Offset": "5"})

    @app.get("/typed")
    def typed(limit: int = Query(ge=1)) -> dict[str, int]:
        return {"limit": limit}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("РНОКПП 1234567890 inside")

    return TestClient(app, raise_server_exceptions=False)


def _problem(r: object) -> Problem:
    resp = r  # httpx.Response
    assert resp.headers["content-type"] == MEDIA_TYPE  # type: ignore[attr-defined]
    return Problem.model_validate(resp.json())  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", errors.ERRORS, ids=lambda c: c.__name__)
def test_each_error_is_a_problem(raising: TestClient, cls: type[ArchiveError]) -> None:
    r = raising.get(f"/raise/{cls.__name__}")
    assert r.status_code == STATUS[cls]
    body = _problem(r)
    assert body.status == STATUS[cls]
    assert body.detail == _make(cls).message  # the Ukrainian sentence, as a string
    assert body.code == ("case_not_found" if cls is not errors.RateLimited else "rate_limited")
    assert body.type == f"urn:cnap-archive:error:{cls.kind}"
    assert body.title and body.errors is None
    if cls is errors.Unauthenticated:
        assert r.headers["www-authenticate"] == "Bearer"
    if cls is errors.RateLimited:
        assert r.headers["retry-after"] == "60"


def test_http_exception_keeps_detail_and_headers(raising: TestClient) -> None:
    r = raising.get("/http/413")
    body = _problem(r)
    assert (r.status_code, body.detail, body.code) == (413, "Частина завелика", "too_large")
    assert r.headers["upload-offset"] == "5"


def test_validation_is_a_problem_without_the_input(raising: TestClient) -> None:
    r = raising.get("/typed", params={"limit": "0"})
    body = _problem(r)
    assert r.status_code == 422 and body.code == "invalid_request"
    assert body.errors and body.errors[0].loc == ["query", "limit"]
    assert "limit" in body.detail and "не менше 1" in body.errors[0].msg
    r = raising.get("/typed", params={"limit": "1234567890x"})
    assert "1234567890" not in r.text  # submitted values are never echoed


def test_a_bug_is_a_problem_without_its_text(raising: TestClient) -> None:
    r = raising.get("/boom")
    body = _problem(r)
    assert r.status_code == 500 and body.code == "internal"
    assert "1234567890" not in r.text and "RuntimeError" not in r.text


# --- the real app -----------------------------------------------------------------------------


def test_unknown_path_and_method(world: World) -> None:
    r = world.http.get("/api/nothing-here")
    body = _problem(r)
    assert r.status_code == 404 and body.detail == "Не знайдено"
    r = world.http.delete("/api/health")
    assert r.status_code == 405 and _problem(r).code == "method_not_allowed"


def test_anonymous_is_401_problem(world: World) -> None:
    r = world.http.get("/api/search", params={"q": "заява"})
    body = _problem(r)
    assert r.status_code == 401 and body.detail == "Потрібна автентифікація"
    assert r.headers["www-authenticate"] == "Bearer"


def test_bad_query_is_422_problem(world: World) -> None:
    r = world.http.get(
        "/api/search", params={"q": "заява", "limit": "abc"}, headers=world.headers("admin")
    )
    body = _problem(r)
    assert r.status_code == 422 and body.errors
    assert [e.loc for e in body.errors] == [["query", "limit"]]
    assert body.errors[0].msg == "очікується ціле число"


def test_business_422_keeps_its_sentence(world: World) -> None:
    # Today's tests and clients read "detail" as the Ukrainian sentence.
    r = world.http.post(
        "/api/users",
        json={"login": "newofficial", "role": "official", "password": "correct horse battery"},
        headers=world.headers("sysadmin"),
    )
    assert r.status_code == 422
    body = _problem(r)
    assert isinstance(body.detail, str) and "підрозділ" in body.detail


def test_missing_document_is_404_problem(world: World) -> None:
    r = world.get("admin", "/api/documents/0123456789abcdef0123456789abcdef")
    body = _problem(r)
    assert r.status_code == 404 and body.code == "not_found"
    other = world.get("admin", f"/api/documents/{world.docs['other_centre'].id}")
    # Outside the caller's scope looks exactly like missing (or is refused, never shown).
    assert other.status_code in (403, 404) and _problem(other).status == other.status_code
