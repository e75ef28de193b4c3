"""constraints.txt pins every dependency pyproject.toml names, and .venv was built from it."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version and " " not in version, f"not a pin: {line!r}"
        pins[canonicalize_name(name)] = version
    return pins


def _required() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = [*project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return {canonicalize_name(Requirement(spec).name) for spec in specs}


def test_every_dependency_is_pinned() -> None:
    pins = _pins()
    missing = sorted(_required() - pins.keys())
    assert not missing, f"add to constraints.txt (scripts/update-constraints.sh): {missing}"


def test_the_pins_are_what_is_installed() -> None:
    """scripts/bootstrap.sh installs with ``-c constraints.txt`` (its stamp hashes the file)."""
    pins = _pins()
    wrong = {}
    for name in _required():
        installed = metadata.version(name)
        if installed != pins[name]:
            wrong[name] = (pins[name], installed)
    assert not wrong, f"pinned vs installed (run scripts/bootstrap.sh): {wrong}"
