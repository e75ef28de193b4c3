"""A Python script run in an interpreter of its own (state a process sets once:
OpenTelemetry's providers, which modules an import finds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_json(script: str, *args: str, stdin: str = "", timeout: float = 300) -> dict[str, Any]:
    """Run ``script`` (``python -c``) from the repository's root; its last line of JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
