"""Audit by construction: every use case is registered, and the registry enforces its entry."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import usecases
from archive.audit import Action, Outcome
from archive.users import Role
from backends import Archive
from usecases import access
from usecases.context import Context
from usecases.errors import Denied
from usecases.policy import Principal
from usecases.registry import USE_CASES, AuditMissing, use_case

# Support modules: the helpers the use cases share (they take a Context but are
# steps of a use case, never called by an adapter — tests/test_adapters_are_thin.py).
SUPPORT = {"access", "context", "registry", "errors", "policy", "disclosure", "redact", "views"}


def _modules() -> Iterator[Any]:
    for info in pkgutil.iter_modules(usecases.__path__):
        if info.name not in SUPPORT:
            yield importlib.import_module(f"usecases.{info.name}")


def _takes_context(fn: Any) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    if not params:
        return False
    ann = params[0].annotation
    return ann is Context or ann == "Context"


def test_every_function_taking_a_context_is_a_registered_use_case() -> None:
    modules = list(_modules())  # importing registers them
    registered = {uc.func for uc in USE_CASES.values()}
    missing = []
    for module in modules:
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn):
                continue
            if getattr(fn, "__module__", None) != module.__name__:
                continue
            if _takes_context(fn) and fn not in registered:
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"use cases without @use_case (audit by construction): {missing}"


def test_every_use_case_declares_its_audit_action_or_why_not() -> None:
    list(_modules())
    assert USE_CASES, "no use case registered"
    for uc in USE_CASES.values():
        assert uc.audit is not None or (uc.why_unaudited or "").strip(), uc.name


def test_unaudited_use_cases_need_a_reason() -> None:
    with pytest.raises(ValueError):
        use_case(None)


@pytest.fixture
def ctx(archive: Archive) -> Context:
    p = Principal(login="tester", role=Role.administrator, centre=None, address="test")
    return Context(archive=archive, principal=p, events=access.events_for(archive))


def test_a_use_case_that_forgets_its_entry_fails_closed(ctx: Context) -> None:
    @use_case(Action.case_read)
    def forgetful(c: Context) -> str:
        return "personal data"

    with pytest.raises(AuditMissing):
        forgetful(ctx)


def test_a_use_case_with_its_entry_returns(ctx: Context) -> None:
    @use_case(Action.case_read)
    def careful(c: Context) -> str:
        c.events.publish(access.event(c.principal, Action.case_read))
        return "ok"

    assert careful(ctx) == "ok"
    entries = ctx.events.log.entries(actions=[Action.case_read.value])
    assert [e.action for e in entries] == [Action.case_read.value]


def test_two_entries_of_the_same_action_are_refused(ctx: Context) -> None:
    @use_case(Action.case_read)
    def chatty(c: Context) -> str:
        c.events.publish(access.event(c.principal, Action.case_read))
        c.events.publish(access.event(c.principal, Action.case_read))
        return "x"

    with pytest.raises(AuditMissing):
        chatty(ctx)


def test_a_denial_is_logged_and_raised(ctx: Context) -> None:
    @use_case(Action.case_read)
    def refusing(c: Context) -> str:
        c.events.publish(access.event(c.principal, Action.case_read, Outcome.denied))
        raise Denied("ні")

    with pytest.raises(Denied):
        refusing(ctx)
    entries = ctx.events.log.entries(actions=[Action.case_read.value])
    assert [e.outcome for e in entries] == [Outcome.denied.value]


# --- one layer for every door: what a web page does, the JSON API or the CLI does too ----

ROOT = Path(__file__).resolve().parents[2]
# Use cases that only a web page needs, and why.
WEB_ONLY = {
    # The menu of pages the caller may open: a concern of the pages themselves.
    ("usecases.screens", "my_screens"),
}


def _use_cases_called(paths: list[Path]) -> set[tuple[str, str]]:
    """(module, function) of every registered use case the files name (``uc.fn`` or ``fn``)."""
    list(_modules())
    known = {(uc.func.__module__, uc.func.__name__) for uc in USE_CASES.values()}
    found: set[tuple[str, str]] = set()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: dict[str, str] = {}
        functions: dict[str, tuple[str, str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "usecases":
                for a in node.names:
                    modules[a.asname or a.name] = f"usecases.{a.name}"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("usecases."):
                for a in node.names:
                    functions[a.asname or a.name] = (str(node.module), a.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("usecases."):
                        modules[a.asname or a.name] = a.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in modules:
                    found.add((modules[node.value.id], node.attr))
            elif isinstance(node, ast.Name) and node.id in functions:
                found.add(functions[node.id])
    return found & known


def test_no_use_case_is_reachable_from_the_web_pages_only() -> None:
    # Issue 8: one layer of use cases; a list only a page shows is a drift an API
    # client (the desk's front-end, a client generated from the spec) cannot follow.
    api = ROOT / "api"
    web = _use_cases_called(sorted((api / "web").rglob("*.py")))
    others = [p for p in api.rglob("*.py") if (api / "web") not in p.parents]
    elsewhere = _use_cases_called(others)
    missing = sorted(f"{m}.{f}" for m, f in web - elsewhere - WEB_ONLY)
    assert not missing, f"use cases reachable from the web pages only: {missing}"
    assert web >= WEB_ONLY, "WEB_ONLY names a use case the pages no longer call"
