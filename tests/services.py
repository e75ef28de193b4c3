"""The real servers started by scripts/services.sh, for tests marked ``services``.

A missing service is a failure, never a skip: run ``scripts/services.sh``
(``./test.sh`` does) or deselect with ``-m "not services"`` on purpose.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

import pytest

REPO = Path(__file__).resolve().parent.parent
ENV_FILE = REPO / ".services.env"
NAMES = ("CNAP_DATABASE_URL", "CNAP_STORAGE_URL", "CNAP_INDEX_URL", "CNAP_BROKER_URL")


def service_urls() -> dict[str, str]:
    if not ENV_FILE.exists():
        pytest.fail(f"{ENV_FILE} is missing: start the services with scripts/services.sh")
    urls: dict[str, str] = {}
    for line in ENV_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            urls[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    missing = [n for n in NAMES if n not in urls]
    if missing:
        pytest.fail(f"{ENV_FILE} lacks {', '.join(missing)}")
    return urls


def isolated_s3_url() -> str:
    """The MinIO URL with buckets of their own, so tests never share objects."""
    u = urlparse(service_urls()["CNAP_STORAGE_URL"])
    tag = uuid.uuid4().hex[:10]
    query = urlencode(
        {"operational": f"t-{tag}-operational", "archival": f"t-{tag}-archival", "secure": "false"}
    )
    return urlunparse(u._replace(path="/", query=query))


def isolated_pg_url() -> str:
    """The PostgreSQL URL with a fresh schema of its own on the search path."""
    import psycopg

    url = service_urls()["CNAP_DATABASE_URL"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}{_SEARCH_PATH}{schema}"


_SEARCH_PATH = "options=-csearch_path%3D"


def isolated_schema(url: str) -> str:
    """The schema of a URL made by :func:`isolated_pg_url`."""
    return url.rsplit(_SEARCH_PATH, 1)[1]


def drop_isolated_pg(url: str) -> None:
    """Drop the schema of a URL made by :func:`isolated_pg_url`, with all it holds."""
    import psycopg

    plain = url.split("?", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{isolated_schema(url)}" CASCADE')


def services_script(*args: str) -> None:
    """Stop or start one service (failure drills)."""
    subprocess.run(
        [str(REPO / "scripts" / "services.sh"), *args],
        check=True,
        env={**os.environ},
        timeout=300,
        capture_output=True,
    )
