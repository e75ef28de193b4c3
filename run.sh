#!/usr/bin/env bash
# Install everything (OCR packages when root, .venv, the package), archive the
# bundled sample scans on the embedded backends (no servers) and serve the API.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh
export CNAP_DATA_DIR=${CNAP_DATA_DIR:-$PWD/cnap-data}
.venv/bin/cnap-archive init
.venv/bin/cnap-archive ingest samples/* --case 2026/00001
.venv/bin/cnap-archive search "адміністративна послуга" --limit 3
host=${CNAP_HOST:-127.0.0.1}
port=${CNAP_PORT:-8000}
cat <<MSG
API: http://$host:$port/docs
The API needs a user; create one (password on standard input), e.g.:
  echo 'a long password' | .venv/bin/cnap-archive user add admin --role administrator
MSG
exec .venv/bin/cnap-archive serve --host "$host" --port "$port"
