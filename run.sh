#!/usr/bin/env bash
# Install everything (OCR packages when root, .venv, the package), archive the
# bundled sample scans on the embedded backends and serve the API.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh
export CNAP_DATA_DIR=${CNAP_DATA_DIR:-$PWD/cnap-data}
.venv/bin/cnap-archive init
.venv/bin/cnap-archive ingest samples/* --case 2026/00001
echo "API: http://${CNAP_HOST:-127.0.0.1}:${CNAP_PORT:-8000}/docs"
exec .venv/bin/cnap-archive serve --host "${CNAP_HOST:-127.0.0.1}" --port "${CNAP_PORT:-8000}"
