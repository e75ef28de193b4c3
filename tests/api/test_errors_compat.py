"""Every use-case error has an HTTP answer (the interim handler of ``api.errors_compat``)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors_compat import STATUS, install
from usecases.errors import ERRORS, ArchiveError, RateLimited, Unauthenticated


def _make(cls: type[ArchiveError]) -> ArchiveError:
    if cls is RateLimited:
        return RateLimited("Забагато спроб", 7)
    return cls("Повідомлення")


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_every_error_is_answered(cls: type[ArchiveError]) -> None:
    app = FastAPI()
    install(app)

    @app.get("/x")
    def boom() -> None:
        raise _make(cls)

    r = TestClient(app).get("/x")
    assert r.status_code == STATUS[cls] and r.json() == {"detail": _make(cls).message}
    if cls is Unauthenticated:
        assert r.headers["www-authenticate"] == "Bearer"
    if cls is RateLimited:
        assert r.headers["retry-after"] == "7"
