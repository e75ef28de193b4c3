"""Adapters only parse, call one use case and render (docs/architecture.md).

No module of the command line or the HTTP API opens a database session,
asks the access policy, or writes the audit log itself: those happen in the
use cases, once.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = [ROOT / "api", ROOT / "station"]

# Attribute calls an adapter must never make.
FORBIDDEN_CALLS = {
    "session": "opens a database session",
    "publish": "writes the audit log",
    "decide": "asks the access policy",
    "allows": "asks the access policy",
    "require": "asks the access policy",
    "require_upload": "asks the access policy",
    "open_document": "opens a document around the use cases",
}
# Modules an adapter must not import: the policy's internals, the database, the log.
FORBIDDEN_IMPORTS = {
    "usecases.access": "the access helpers belong to the use cases",
    "archive.database": "adapters do not talk to the database",
    "sqlalchemy": "adapters do not talk to the database",
}


def _adapter_files() -> list[Path]:
    return sorted(p for d in ADAPTERS if d.exists() for p in d.rglob("*.py"))


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
            if name in FORBIDDEN_CALLS:
                found.append(
                    f"{path.relative_to(ROOT)}:{node.lineno} {name}(): {FORBIDDEN_CALLS[name]}"
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for mod, why in FORBIDDEN_IMPORTS.items():
                if node.module == mod or node.module.startswith(mod + "."):
                    found.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} from {node.module}: {why}"
                    )
            if node.module == "usecases":
                for alias in node.names:
                    if f"usecases.{alias.name}" in FORBIDDEN_IMPORTS:
                        found.append(
                            f"{path.relative_to(ROOT)}:{node.lineno} import usecases.{alias.name}"
                        )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                for mod, why in FORBIDDEN_IMPORTS.items():
                    if alias.name == mod or alias.name.startswith(mod + "."):
                        found.append(
                            f"{path.relative_to(ROOT)}:{node.lineno} import {alias.name}: {why}"
                        )
    return found


def test_adapters_call_use_cases_and_nothing_below() -> None:
    problems = [v for p in _adapter_files() for v in _violations(p)]
    assert not problems, "\n".join(problems)
