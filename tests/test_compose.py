"""compose.yaml parses, and every setting it passes is one the application reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from archive.settings import Settings

COMPOSE = Path(__file__).resolve().parent.parent / "compose.yaml"


def _setting_names(model: type[Any] = Settings, prefix: str = "CNAP_") -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        env = f"{prefix}{name.upper()}"
        names.add(env)
        sub = field.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            names |= _setting_names(sub, f"{env}__")
    return names


def test_compose_parses_and_uses_real_settings() -> None:
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc["services"]
    for required in ("api", "worker", "postgres", "redis", "minio", "elasticsearch"):
        assert required in services, required
    known = _setting_names()
    for backend in (
        "CNAP_DATABASE_URL",
        "CNAP_STORAGE_URL",
        "CNAP_INDEX_URL",
        "CNAP_BROKER_URL",
        "CNAP_DATA_DIR",
    ):
        assert backend in known
    for name in ("api", "worker"):
        svc = services[name]
        env = svc.get("environment", {})
        keys = set(env) if isinstance(env, dict) else {e.split("=", 1)[0] for e in env}
        cnap = {k for k in keys if k.startswith("CNAP_")}
        assert cnap, f"{name} passes no settings"
        assert cnap <= known, f"{name}: unknown settings {sorted(cnap - known)}"
        assert {
            "CNAP_DATABASE_URL",
            "CNAP_STORAGE_URL",
            "CNAP_INDEX_URL",
            "CNAP_BROKER_URL",
        } <= cnap
        assert env["CNAP_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["CNAP_STORAGE_URL"].startswith("s3://")
        assert env["CNAP_INDEX_URL"].startswith("http")
        assert env["CNAP_BROKER_URL"].startswith("redis://")
    assert services["api"]["command"][:2] == ["cnap-archive", "serve"]
    assert services["worker"]["command"][:2] == ["cnap-archive", "worker"]
    for name, svc in services.items():
        if name in {"api", "postgres", "redis", "minio", "elasticsearch"}:
            assert "healthcheck" in svc, f"{name} has no health check"
