"""The spec promises the one error shape: every error status of every operation is
``application/problem+json`` with the Problem schema, so a client generated from the spec
can read every error the API answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.problems import MEDIA_TYPE, Problem
from archive.settings import Settings

SPEC: dict[str, Any] = create_app(Settings(data_dir=Path("unused"))).openapi()
OPERATIONS = [
    (method.upper(), path, op)
    for path, item in SPEC["paths"].items()
    for method, op in item.items()
    if isinstance(op, dict) and "responses" in op
]
REF = {"$ref": "#/components/schemas/Problem"}


@pytest.mark.parametrize(
    ("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_error_statuses_have_the_problem_shape(method: str, path: str, op: dict[str, Any]) -> None:
    errors = {int(s): r for s, r in op["responses"].items() if s.isdigit() and int(s) >= 400}
    assert {422, 503} <= set(errors), f"{method} {path}: {sorted(errors)}"
    if op.get("security"):
        assert {401, 403} <= set(errors), f"{method} {path} needs a token"
    if "{" in path:
        assert 404 in errors, f"{method} {path} names an object"
    for status, response in errors.items():
        assert response["content"] == {MEDIA_TYPE: {"schema": REF}}, (method, path, status)
        assert response["description"] and response["description"] != "Validation Error"
    if 401 in errors:
        assert "WWW-Authenticate" in errors[401]["headers"]
    if 429 in errors:
        assert "Retry-After" in errors[429]["headers"]


def test_the_framework_validation_shape_is_gone() -> None:
    schemas = SPEC["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert "HTTPValidationError" not in str(SPEC["paths"])


def test_problem_schema_is_the_model() -> None:
    schema = SPEC["components"]["schemas"]["Problem"]
    assert set(schema["required"]) == {"type", "title", "status", "detail", "code"}
    assert schema["properties"]["detail"]["type"] == "string"
    assert "FieldProblem" in SPEC["components"]["schemas"]
    Problem.model_validate(
        {"type": "urn:cnap-archive:error:invalid", "title": "Недопустимі дані", "status": 422,
         "detail": "Запит не пройшов перевірку: limit", "code": "invalid_request",
         "errors": [{"loc": ["query", "limit"], "type": "int_parsing",
                     "msg": "очікується ціле число"}]}
    )  # fmt: skip


def test_routes_of_uploads_declare_conflict_and_size() -> None:
    ops = {(m, p): op for m, p, op in OPERATIONS}
    patch = ops[("PATCH", "/api/uploads/{sha256}")]["responses"]
    assert {"409", "413"} <= set(patch)
    token = ops[("POST", "/api/auth/token")]["responses"]
    assert {"401", "429"} <= set(token) and "Retry-After" in token["429"]["headers"]


def test_search_lists_each_query_parameter_as_before_the_parameter_model() -> None:
    # The route takes one model (api.routes.search.SearchParams); a client generated from
    # the spec still sees separate query parameters, with the same names and limits.
    params = {p["name"]: p for p in SPEC["paths"]["/api/search"]["get"]["parameters"]}
    assert list(params) == [
        "q", "limit", "offset", "case", "package", "source",
        "from", "to", "type", "doc_from", "doc_to",
    ]  # fmt: skip
    assert all(p["in"] == "query" for p in params.values())
    assert params["q"]["required"] is True
    assert params["q"]["schema"]["maxLength"] == 1000
    assert (
        params["limit"]["schema"] | {"default": 10, "minimum": 1, "maximum": 1000}
        == (params["limit"]["schema"])
    )
    kinds = params["type"]["schema"]["anyOf"]
    assert {"type": "array", "items": {"type": "string"}, "maxItems": 200} in kinds
