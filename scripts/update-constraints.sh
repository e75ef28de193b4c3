#!/usr/bin/env bash
# Move constraints.txt to the newest releases that pyproject.toml allows: install the
# package unconstrained into a throw-away virtual environment and write down what came.
# Then run ./test.sh (the bootstrap reinstalls .venv from the new file) and commit the
# file only if the suite passes.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --upgrade pip >/dev/null
"$tmp/venv/bin/pip" install -q ".[dev]"
{
  sed -n '/^#/p' constraints.txt
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v -i -E '^cnap[-_]archive *(==|@)'
} >"$tmp/constraints.txt"
mv "$tmp/constraints.txt" constraints.txt
git --no-pager diff --stat -- constraints.txt || true
echo "update-constraints: constraints.txt rewritten; now run ./test.sh"
