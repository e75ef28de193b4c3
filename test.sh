#!/usr/bin/env bash
# Install everything, start the real test services (PostgreSQL, Redis, MinIO,
# Elasticsearch), then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh
./scripts/services.sh up
.venv/bin/ruff check .
.venv/bin/mypy
# The layers contract (docs/architecture.md): imports flow one way, no cycles.
.venv/bin/lint-imports
exec .venv/bin/pytest "$@"
