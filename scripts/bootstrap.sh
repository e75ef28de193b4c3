#!/usr/bin/env bash
# Install what cnap-archive needs on a fresh Debian machine: the OCR toolchain
# (when run as root), a virtual environment in .venv and the package itself.
# Safe to run again: every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  tesseract-ocr tesseract-ocr-ukr tesseract-ocr-eng ghostscript qpdf pngquant
  unpaper poppler-utils fonts-dejavu-core sane-utils
)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages (run as root or install them): ${missing[*]}" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.cnap-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  # The versions the suite last passed on (constraints.txt), not the newest of the day.
  .venv/bin/pip install -q -c constraints.txt -e ".[dev]"
  echo "$want" >"$stamp"
fi

# Browser tests (tests/web): Debian's chromium driven by Playwright from PyPI
# (executable_path=/usr/bin/chromium; never `playwright install`), and axe-core
# from npm into a cache outside the repository (the tests inject axe.min.js).
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  for p in chromium chromium-driver; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      echo "bootstrap: installing $p"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
    fi
  done
fi
AXE_VERSION=4.11.0
NPM_CACHE=${CNAP_NPM_CACHE:-/var/cache/cnap-archive/npm}
if command -v npm >/dev/null 2>&1 && [[ ! -f $NPM_CACHE/node_modules/axe-core/axe.min.js ]]; then
  if mkdir -p "$NPM_CACHE" 2>/dev/null; then
    npm install --silent --no-audit --no-fund --prefix "$NPM_CACHE" "axe-core@$AXE_VERSION" >/dev/null
  else
    echo "bootstrap: cannot write $NPM_CACHE (set CNAP_NPM_CACHE); browser tests skip axe-core" >&2
  fi
fi
