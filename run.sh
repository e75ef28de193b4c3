#!/usr/bin/env bash
# Install everything (OCR packages when root, .venv, the package), register a
# sample case, archive the bundled sample scans into it on the embedded
# backends (no servers) and serve the API.
set -euo pipefail
cd "$(dirname "$0")"
host=${CNAP_HOST:-127.0.0.1}
port=${CNAP_PORT:-8000}
export CNAP_DATA_DIR=${CNAP_DATA_DIR:-$PWD/cnap-data}
cat <<MSG
Цифровий архів ЦНАП — пробний запуск.
  Що далі: README.md, розділ «Для працівників ЦНАП» (що запускати щодня).
  Друковані форми (титульні аркуші, описи, листи проходження): $CNAP_DATA_DIR/print
  Веб-сторінки після запуску: http://$host:$port/  (API: http://$host:$port/docs)
MSG
./scripts/bootstrap.sh
.venv/bin/cnap-archive init
# Files are filed only into a registered case: register one, then archive into it.
number=$(.venv/bin/cnap-archive case register --service "Пробна справа (зразки сканів)" \
    --no-wait --json | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["number"])')
echo "Зареєстровано пробну справу № $number; архівуємо зразки до неї:"
.venv/bin/cnap-archive ingest samples/* --case "$number"
.venv/bin/cnap-archive search "адміністративна послуга" --limit 3
cat <<MSG

Справа № $number: .venv/bin/cnap-archive case show $number
Друковані форми: $CNAP_DATA_DIR/print
Веб-сторінки: http://$host:$port/   API: http://$host:$port/docs
Для сторінок і API потрібен користувач; створіть його (пароль — зі стандартного входу), напр.:
  echo 'довгий пароль' | .venv/bin/cnap-archive user add admin --role administrator \\
      --name "Іваненко Олена Петрівна" --position "адміністратор ЦНАП"
MSG
exec .venv/bin/cnap-archive serve --host "$host" --port "$port"
