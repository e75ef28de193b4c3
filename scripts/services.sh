#!/usr/bin/env bash
# Provision and run the scale-out servers on loopback for the test suite:
# PostgreSQL, Redis, MinIO and Elasticsearch, and Dovecot (IMAP, for e-mail
# intake). Writes their URLs to .services.env in the repository root. See
# docs/services.md.
#
#   scripts/services.sh [up]                  install what is missing, start all, write .services.env
#   scripts/services.sh start   [SERVICE...]  start (all, or the named ones) and wait until healthy
#   scripts/services.sh stop    [SERVICE...]  stop (all, or the named ones)
#   scripts/services.sh restart [SERVICE...]
#   scripts/services.sh status  [SERVICE...]  exit 0 when all named services are healthy, 3 if not
#   scripts/services.sh verify                smoke-test the features the project relies on
#   scripts/services.sh env                   print the environment file
#   scripts/services.sh logs SERVICE          tail a service's log
#
# SERVICE is one of: postgres (pg), redis, minio, elasticsearch (es), dovecot (imap).
# Runs as root (apt-get, system users, runuser); status, env and logs work as
# any user. Safe to run again: a healthy service is only re-checked.
set -euo pipefail
umask 022

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${CNAP_SERVICES_DIR:-/var/tmp/cnap-services}
CACHE=${CNAP_CACHE_DIR:-/var/cache/cnap-archive}
ENV_FILE=${CNAP_SERVICES_ENV_FILE:-$REPO/.services.env}
TIMEOUT=${CNAP_SERVICES_TIMEOUT:-180}
HOST=127.0.0.1

PG_PORT=${CNAP_PG_PORT:-55432}
PG_USER=${CNAP_PG_USER:-cnap}
PG_PASSWORD=${CNAP_PG_PASSWORD:-cnap-test-password}
PG_DB=${CNAP_PG_DB:-cnap}

REDIS_PORT=${CNAP_REDIS_PORT:-56379}

# MinIO's RELEASE.* tags are not semver, and the module proxy here serves neither
# them nor the last release's pseudo-version (RELEASE.2025-10-15T17-29-55Z =
# v0.0.0-20251015172955-9e49d5e7a648); @latest is the final commit of the now
# archived repository, which contains that release.
MINIO_VERSION=${CNAP_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}
MINIO_PORT=${CNAP_MINIO_PORT:-59000}
MINIO_ACCESS_KEY=${CNAP_MINIO_ACCESS_KEY:-cnap-minio}
MINIO_SECRET_KEY=${CNAP_MINIO_SECRET_KEY:-cnap-minio-secret}
MINIO_REGION=${CNAP_MINIO_REGION:-us-east-1}
BUCKET_OPERATIONAL=${CNAP_BUCKET_OPERATIONAL:-cnap-operational}
BUCKET_ARCHIVAL=${CNAP_BUCKET_ARCHIVAL:-cnap-archival}

# 8.19 is the newest line published as integ-test-zip; it runs on JDK 17.
ES_VERSION=${CNAP_ES_VERSION:-8.19.21}
ES_PORT=${CNAP_ES_PORT:-59200}
ES_TRANSPORT_PORT=${CNAP_ES_TRANSPORT_PORT:-59300}
ES_HEAP=${CNAP_ES_HEAP:-512m}
ES_USER=${CNAP_ES_USER:-cnap-es}
ES_FAST_START=${CNAP_ES_FAST_START:-1}
MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

IMAP_PORT=${CNAP_IMAP_PORT:-51143}
IMAP_USER=${CNAP_IMAP_USER:-cnap-mail}
IMAP_PASSWORD=${CNAP_IMAP_PASSWORD:-cnap-mail-password}
MAIL_OWNER=${CNAP_MAIL_OWNER:-cnap-mail}

ALL_SERVICES=(postgres redis minio elasticsearch dovecot)

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s; }

# ---------------------------------------------------------------- helpers --

is_root() { [[ $(id -u) -eq 0 ]]; }

APT_UPDATED=
apt_install() {
  is_root || die "need root to install Debian packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z $APT_UPDATED ]]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "installing Debian packages: $*"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
}

# Percent-encode a URL component (credentials may hold any character).
urlencode() {
  local LC_ALL=C s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# pid_of FILE PATTERN: the live pid recorded in FILE whose command line matches PATTERN.
pid_of() {
  local file=$1 pattern=$2 pid
  [[ -s $file ]] || return 1
  pid=$(head -n 1 "$file" | tr -dc '0-9')
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern" || return 1
  printf '%s\n' "$pid"
}

# stop_pid NAME PID [GRACE]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 grace=${3:-60} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || { log "$name stopped"; return 0; }
    sleep 0.2
  done
  log "$name did not stop in ${grace}s; killing pid $pid"
  kill -KILL "$pid" 2>/dev/null || true
}

show_log() {
  local f
  for f in "$@"; do
    [[ -s $f ]] || continue
    printf '\n----- last lines of %s -----\n' "$f" >&2
    tail -n 40 "$f" | cut -c1-400 >&2
  done
}

# wait_healthy NAME CHECK_FN PID_FN LOG...: poll until healthy; fail with the log tail.
wait_healthy() {
  local name=$1 check=$2 pidfn=$3 start
  shift 3
  start=$(now)
  until "$check"; do
    if ! "$pidfn" >/dev/null; then
      show_log "$@"
      die "$name exited during start-up"
    fi
    if (($(now) - start > TIMEOUT)); then
      show_log "$@"
      die "$name not healthy after ${TIMEOUT}s"
    fi
    sleep 0.5
  done
}

# Refuse to start on a port that some other program already holds.
check_port_free() {
  local name=$1 port=$2
  if port_open "$port"; then
    die "port $HOST:$port is taken by another process, not by our $name (see: ss -ltnp 'sport = :$port')"
  fi
}

ensure_user() {
  local user=$1
  id "$user" >/dev/null 2>&1 && return 0
  is_root || die "need root to create the system user $user"
  useradd --system --user-group --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin "$user"
}

# ------------------------------------------------------------- PostgreSQL --

PG_DIR=$STATE/postgres
PG_DATA=$PG_DIR/data
PG_SOCK=$PG_DIR/run
PG_LOG=$PG_DIR/postgres.log

pg_bindir() {
  local d best=''
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/postgres ]] && best=$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n 1)
  done
  [[ -n $best ]] && printf '%s\n' "$best"
}

postgres_pid() { pid_of "$PG_DATA/postmaster.pid" postgres 2>/dev/null | head -n 1; }
postgres_healthy() { pg_isready -q -h "$HOST" -p "$PG_PORT" -d postgres 2>/dev/null; }
pg_psql() { runuser -u postgres -- psql -X -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }

postgres_prepare() {
  if [[ -z $(pg_bindir) ]] || ! command -v pg_isready >/dev/null; then need_packages postgresql; fi
  PG_BIN=$(pg_bindir) || die "no PostgreSQL server binaries under /usr/lib/postgresql"
  id postgres >/dev/null 2>&1 || die "the postgres system user is missing (Debian's postgresql package creates it)"
  install -d -o postgres -g postgres -m 0700 "$PG_DIR" "$PG_SOCK"
  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    log "postgres: initdb $PG_DATA"
    rm -rf "$PG_DATA"
    # ICU Ukrainian collation so ORDER BY puts є, і, ї, ґ where a reader expects them.
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 \
      --locale=C.UTF-8 --locale-provider=icu --icu-locale=uk-UA \
      --auth-local=peer --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 \
      || { show_log "$PG_DIR/initdb.log"; die "postgres: initdb failed"; }
    echo "include_if_exists = 'cnap.conf'" >>"$PG_DATA/postgresql.conf"
  fi
  # Rewritten every time so a changed port or setting here takes effect.
  # fsync=off: a killed server loses nothing (the OS keeps the page cache), only
  # a machine crash would; fine for a throw-away test server, and much faster.
  cat >"$PG_DATA/cnap.conf" <<EOF
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
fsync = off
full_page_writes = off
max_connections = 200
log_min_messages = warning
EOF
  chown postgres:postgres "$PG_DATA/cnap.conf"
}

postgres_start() {
  if [[ -n $(postgres_pid) ]]; then
    wait_healthy postgres postgres_healthy postgres_pid "$PG_LOG"
  else
    check_port_free postgres "$PG_PORT"
    log "postgres: starting on $HOST:$PG_PORT"
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -s start >/dev/null 9>&- \
      || { show_log "$PG_LOG"; die "postgres failed to start"; }
    wait_healthy postgres postgres_healthy postgres_pid "$PG_LOG"
  fi
  # Role and database: created once, password reset every time (it may have changed).
  local pw=${PG_PASSWORD//\'/\'\'}
  if [[ -z $(pg_psql -tA -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'") ]]; then
    pg_psql -d postgres -c "CREATE ROLE \"$PG_USER\" LOGIN CREATEDB PASSWORD '$pw'"
  else
    pg_psql -d postgres -c "ALTER ROLE \"$PG_USER\" LOGIN CREATEDB PASSWORD '$pw'"
  fi
  if [[ -z $(pg_psql -tA -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ]]; then
    pg_psql -d postgres -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\""
  fi
}

postgres_stop() {
  local pid
  pid=$(postgres_pid) || true
  [[ -n $pid ]] || return 0
  PG_BIN=$(pg_bindir)
  # fast: roll back open transactions and disconnect clients, then a clean shutdown.
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop \
    || stop_pid postgres "$pid" 30
  log "postgres stopped"
}

# ------------------------------------------------------------------ Redis --

REDIS_DIR=$STATE/redis
REDIS_LOG=$REDIS_DIR/redis.log
REDIS_PIDFILE=$REDIS_DIR/redis.pid

redis_pid() { pid_of "$REDIS_PIDFILE" redis-server; }
redis_healthy() { [[ $(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

redis_prepare() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    need_packages redis-server
  fi
  local owner=root
  id redis >/dev/null 2>&1 && owner=redis
  install -d -o "$owner" -g "$owner" -m 0750 "$REDIS_DIR" "$REDIS_DIR/data"
  # Append-only file: queued Celery messages survive a stop/start drill.
  cat >"$REDIS_DIR/redis.conf" <<EOF
bind $HOST
port $REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_PIDFILE
logfile $REDIS_LOG
dir $REDIS_DIR/data
appendonly yes
appendfsync everysec
save ""
EOF
  chown "$owner:$owner" "$REDIS_DIR/redis.conf"
  REDIS_OWNER=$owner
}

redis_start() {
  if [[ -z $(redis_pid) ]]; then
    check_port_free redis "$REDIS_PORT"
    log "redis: starting on $HOST:$REDIS_PORT"
    runuser -u "$REDIS_OWNER" -- redis-server "$REDIS_DIR/redis.conf" 9>&- \
      || { show_log "$REDIS_LOG"; die "redis failed to start"; }
    sleep 0.2
  fi
  wait_healthy redis redis_healthy redis_pid "$REDIS_LOG"
}

redis_stop() {
  local pid
  pid=$(redis_pid) || true
  [[ -n $pid ]] || return 0
  stop_pid redis "$pid" 30
}

# ------------------------------------------------------------------ MinIO --

MINIO_DIR=$STATE/minio
MINIO_LOG=$MINIO_DIR/minio.log
MINIO_PIDFILE=$MINIO_DIR/minio.pid
MINIO_BIN=$CACHE/bin/minio-$MINIO_VERSION

minio_pid() { pid_of "$MINIO_PIDFILE" "minio.* server"; }
minio_healthy() { curl -fsS -o /dev/null --max-time 2 "http://$HOST:$MINIO_PORT/minio/health/live" 2>/dev/null; }

# s3 METHOD PATH BODY [curl args...]: a SigV4-signed request to MinIO. Query
# keys carry an explicit "=" and the payload hash is sent as a header: curl 7.88
# signs neither the way S3 expects on its own.
s3() {
  local method=$1 path=$2 body=$3 hash
  shift 3
  hash=$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)
  local args=(-fsS --max-time 30 --aws-sigv4 "aws:amz:$MINIO_REGION:s3"
    --user "$MINIO_ACCESS_KEY:$MINIO_SECRET_KEY" -H "x-amz-content-sha256: $hash")
  if [[ $method == HEAD ]]; then args+=(-I); else args+=(-X "$method"); fi
  if [[ -n $body ]]; then args+=(--data-binary "$body"); fi
  curl "${args[@]}" "$@" "http://$HOST:$MINIO_PORT$path"
}

minio_prepare() {
  command -v curl >/dev/null || need_packages curl ca-certificates
  if [[ ! -x $MINIO_BIN ]] || ! "$MINIO_BIN" --version >/dev/null 2>&1; then
    command -v go >/dev/null || die "minio: the Go toolchain (go) is needed to build MinIO"
    local t0 tmp
    t0=$(now)
    mkdir -p "$CACHE/bin" "$CACHE/go/mod" "$CACHE/go/build"
    tmp=$(mktemp -d "$CACHE/minio-build.XXXXXX")
    log "minio: building github.com/minio/minio@$MINIO_VERSION with $(go version | cut -d' ' -f3) (first run only; takes minutes)"
    if ! env GOBIN="$tmp" GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" \
      GOTOOLCHAIN=local GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0 \
      go install "github.com/minio/minio@$MINIO_VERSION" >"$tmp/build.log" 2>&1; then
      show_log "$tmp/build.log"
      die "minio: build failed (log: $tmp/build.log)"
    fi
    mv -f "$tmp/minio" "$MINIO_BIN"
    rm -rf "$tmp"
    log "minio: built in $(($(now) - t0))s -> $MINIO_BIN"
  fi
  install -d -m 0750 "$MINIO_DIR" "$MINIO_DIR/data"
}

minio_start() {
  if [[ -z $(minio_pid) ]]; then
    check_port_free minio "$MINIO_PORT"
    log "minio: starting on $HOST:$MINIO_PORT"
    # setsid + nohup: the server outlives this script and its terminal.
    MINIO_ROOT_USER=$MINIO_ACCESS_KEY MINIO_ROOT_PASSWORD=$MINIO_SECRET_KEY \
      MINIO_SITE_REGION=$MINIO_REGION MINIO_BROWSER=off MINIO_UPDATE=off \
      setsid nohup "$MINIO_BIN" server --quiet --anonymous \
      --address "$HOST:$MINIO_PORT" --console-address "$HOST:$((MINIO_PORT + 1))" \
      "$MINIO_DIR/data" >>"$MINIO_LOG" 2>&1 </dev/null 9>&- &
    echo $! >"$MINIO_PIDFILE"
  fi
  wait_healthy minio minio_healthy minio_pid "$MINIO_LOG"
  minio_buckets
}

# The operational bucket is versioned; the archival one is created with Object
# Lock (which implies versioning and can only be switched on at creation).
minio_buckets() {
  local b
  for b in "$BUCKET_OPERATIONAL" "$BUCKET_ARCHIVAL"; do
    if ! s3 HEAD "/$b" '' -o /dev/null 2>/dev/null; then
      log "minio: creating bucket $b"
      if [[ $b == "$BUCKET_ARCHIVAL" ]]; then
        s3 PUT "/$b" '' -H "x-amz-bucket-object-lock-enabled: true" -o /dev/null
      else
        s3 PUT "/$b" '' -o /dev/null
      fi
    fi
  done
  s3 PUT "/$BUCKET_OPERATIONAL?versioning=" \
    '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>' \
    -o /dev/null
  s3 GET "/$BUCKET_ARCHIVAL?object-lock=" '' | grep -q '<ObjectLockEnabled>Enabled</ObjectLockEnabled>' \
    || die "minio: bucket $BUCKET_ARCHIVAL has no Object Lock (delete it: it must be created with the lock)"
}

minio_stop() {
  local pid
  pid=$(minio_pid) || true
  [[ -n $pid ]] || return 0
  stop_pid minio "$pid" 30
}

# ---------------------------------------------------------- Elasticsearch --

ES_DIR=$STATE/elasticsearch
ES_HOME=$CACHE/elasticsearch/elasticsearch-$ES_VERSION
ES_CONF=$ES_DIR/config
ES_PIDFILE=$ES_DIR/elasticsearch.pid
ES_START_LOG=$ES_DIR/start.log
ES_LOG=$ES_DIR/logs/cnap-services.log

es_pid() { pid_of "$ES_PIDFILE" org.elasticsearch; }
es_healthy() {
  curl -fsS --max-time 5 -o /dev/null \
    "http://$HOST:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null
}

# A JDK that Elasticsearch 8 supports (17 or 21); Debian's OpenJDK 17 by default.
es_java_home() {
  local j v
  if [[ -n ${CNAP_ES_JAVA_HOME:-} ]]; then printf '%s\n' "$CNAP_ES_JAVA_HOME"; return 0; fi
  for j in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-21-openjdk-* /usr/lib/jvm/*; do
    [[ -x $j/bin/java ]] || continue
    v=$("$j/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [[ $v == 17 || $v == 21 ]]; then printf '%s\n' "$j"; return 0; fi
  done
  return 1
}

es_prepare() {
  command -v curl >/dev/null || need_packages curl ca-certificates
  ES_JAVA=$(es_java_home) || { need_packages openjdk-17-jre-headless; ES_JAVA=$(es_java_home); } \
    || die "elasticsearch: no JDK 17 or 21 found"
  if [[ ! -x $ES_HOME/bin/elasticsearch ]]; then
    command -v unzip >/dev/null || need_packages unzip
    command -v mvn >/dev/null || need_packages maven
    local t0 tmp
    t0=$(now)
    mkdir -p "$CACHE/elasticsearch"
    tmp=$(mktemp -d "$CACHE/elasticsearch/fetch.XXXXXX")
    log "elasticsearch: fetching org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip with Maven"
    if ! (cd "$tmp" && mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" \
      "$MAVEN_DEPENDENCY_PLUGIN:copy" \
      -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
      -DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1); then
      show_log "$tmp/mvn.log"
      die "elasticsearch: download failed"
    fi
    unzip -q "$tmp/elasticsearch-$ES_VERSION.zip" -d "$tmp/unpacked"
    mv "$tmp/unpacked/elasticsearch-$ES_VERSION" "$ES_HOME"
    rm -rf "$tmp"
    log "elasticsearch: fetched and unpacked in $(($(now) - t0))s -> $ES_HOME"
  fi
  ensure_user "$ES_USER"
  install -d -o "$ES_USER" -g "$ES_USER" -m 0750 "$ES_DIR" "$ES_DIR/data" "$ES_DIR/logs" \
    "$ES_DIR/tmp" "$ES_CONF" "$ES_CONF/jvm.options.d"
  # Our own config directory: the unpacked distribution stays read-only and shared.
  cp "$ES_HOME/config/jvm.options" "$ES_HOME/config/log4j2.properties" "$ES_CONF/"
  # The integ-test-zip carries only the core modules plus x-pack security, so no
  # setting of a missing module (ml, geoip, watcher...) may appear here.
  cat >"$ES_CONF/elasticsearch.yml" <<EOF
cluster.name: cnap-services
node.name: cnap-test
path.data: $ES_DIR/data
path.logs: $ES_DIR/logs
network.host: $HOST
http.port: $ES_PORT
transport.port: $ES_TRANSPORT_PORT
discovery.type: single-node
xpack.security.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
  rm -f "$ES_CONF"/jvm.options.d/*.options
  {
    printf -- '-Xms%s\n-Xmx%s\n' "$ES_HEAP" "$ES_HEAP"
    # C1 only: the node starts in ~14 s instead of ~28 s on two cores, at some
    # cost in peak speed; CNAP_ES_FAST_START=0 for benchmarks.
    if [[ $ES_FAST_START == 1 ]]; then echo '-XX:TieredStopAtLevel=1'; fi
  } >"$ES_CONF/jvm.options.d/cnap.options"
  chown -R "$ES_USER:$ES_USER" "$ES_CONF"
}

es_start() {
  if [[ -z $(es_pid) ]]; then
    check_port_free elasticsearch "$ES_PORT"
    check_port_free elasticsearch "$ES_TRANSPORT_PORT"
    log "elasticsearch: starting on $HOST:$ES_PORT (JDK $ES_JAVA, heap $ES_HEAP)"
    rm -f "$ES_PIDFILE"
    # -d returns once the node is up (or has failed), leaving it in the background.
    if ! (cd "$ES_DIR" && runuser -u "$ES_USER" -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
      ES_JAVA_HOME="$ES_JAVA" ES_PATH_CONF="$ES_CONF" ES_TMPDIR="$ES_DIR/tmp" \
      setsid "$ES_HOME/bin/elasticsearch" -d -p "$ES_PIDFILE" >"$ES_START_LOG" 2>&1 </dev/null 9>&-); then
      show_log "$ES_START_LOG" "$ES_LOG"
      die "elasticsearch failed to start"
    fi
  fi
  wait_healthy elasticsearch es_healthy es_pid "$ES_START_LOG" "$ES_LOG"
}

es_stop() {
  local pid
  pid=$(es_pid) || true
  [[ -n $pid ]] || return 0
  stop_pid elasticsearch "$pid" 60
}

# ---------------------------------------------------------------- Dovecot --
# An IMAP server for the e-mail intake tests: one test user, Maildir under the
# state directory, plain-text login on loopback only (no TLS: nothing leaves
# the machine).

DOVECOT_DIR=$STATE/dovecot
DOVECOT_LOG=$DOVECOT_DIR/dovecot.log
DOVECOT_CONF=$DOVECOT_DIR/dovecot.conf

dovecot_pid() { pid_of "$DOVECOT_DIR/run/master.pid" dovecot; }
dovecot_healthy() {
  local greeting
  port_open "$IMAP_PORT" || return 1
  greeting=$(timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$IMAP_PORT; head -n 1 <&3" 2>/dev/null) || true
  [[ $greeting == "* OK"* ]]
}

dovecot_prepare() {
  [[ -x /usr/sbin/dovecot ]] || need_packages dovecot-imapd
  ensure_user "$MAIL_OWNER"
  mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/mail" "$DOVECOT_DIR/state"
  chown "$MAIL_OWNER:$MAIL_OWNER" "$DOVECOT_DIR/mail"
  # The password file: {PLAIN} is fine for a loopback test server.
  printf '%s:{PLAIN}%s\n' "$IMAP_USER" "$IMAP_PASSWORD" >"$DOVECOT_DIR/users"
  chmod 0640 "$DOVECOT_DIR/users"
  chgrp dovecot "$DOVECOT_DIR/users" 2>/dev/null || true
  cat >"$DOVECOT_CONF" <<EOF
# Written by scripts/services.sh: a loopback IMAP server for cnap-archive's tests.
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_LOG
protocols = imap
listen = $HOST
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$DOVECOT_DIR/mail/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DOVECOT_DIR/users
}
userdb {
  driver = static
  args = uid=$MAIL_OWNER gid=$MAIL_OWNER home=$DOVECOT_DIR/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Archived {
    auto = create
  }
  mailbox Held {
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    address = $HOST
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
}

dovecot_start() {
  if [[ -z $(dovecot_pid) ]]; then
    check_port_free dovecot "$IMAP_PORT"
    log "dovecot: starting on $HOST:$IMAP_PORT"
    # Its own log; the daemon must not hold the caller's stdout open.
    /usr/sbin/dovecot -c "$DOVECOT_CONF" 9>&- >>"$DOVECOT_LOG" 2>&1 || { show_log "$DOVECOT_LOG"; die "dovecot failed to start"; }
  fi
  wait_healthy dovecot dovecot_healthy dovecot_pid "$DOVECOT_LOG"
}

dovecot_stop() {
  local pid
  pid=$(dovecot_pid) || true
  [[ -n $pid ]] || return 0
  stop_pid dovecot "$pid" 30
}

# ------------------------------------------------------------- dispatch --

canon() {
  case $1 in
    postgres | postgresql | pg) echo postgres ;;
    redis) echo redis ;;
    minio | s3) echo minio ;;
    elasticsearch | es) echo elasticsearch ;;
    dovecot | imap) echo dovecot ;;
    *) die "unknown service '$1' (postgres, redis, minio, elasticsearch, dovecot)" ;;
  esac
}

fn() { # fn SERVICE ACTION -> function name
  case $1 in elasticsearch) echo "es_$2" ;; *) echo "$1_$2" ;; esac
}

services_from_args() {
  local s
  if (($# == 0)); then printf '%s\n' "${ALL_SERVICES[@]}"; return; fi
  for s in "$@"; do canon "$s"; done
}

url_of() {
  case $1 in
    postgres) printf 'postgresql+psycopg://%s:%s@%s:%s/%s' "$(urlencode "$PG_USER")" \
      "$(urlencode "$PG_PASSWORD")" "$HOST" "$PG_PORT" "$(urlencode "$PG_DB")" ;;
    redis) printf 'redis://%s:%s/0' "$HOST" "$REDIS_PORT" ;;
    minio) printf 's3://%s:%s@%s:%s/?operational=%s&archival=%s&region=%s&secure=false' \
      "$(urlencode "$MINIO_ACCESS_KEY")" "$(urlencode "$MINIO_SECRET_KEY")" "$HOST" "$MINIO_PORT" \
      "$BUCKET_OPERATIONAL" "$BUCKET_ARCHIVAL" "$MINIO_REGION" ;;
    elasticsearch) printf 'http://%s:%s' "$HOST" "$ES_PORT" ;;
    dovecot) printf 'imap://%s:%s@%s:%s/' "$(urlencode "$IMAP_USER")" "$(urlencode "$IMAP_PASSWORD")" \
      "$HOST" "$IMAP_PORT" ;;
  esac
}

write_env() {
  local tmp
  tmp=$(mktemp "$ENV_FILE.XXXXXX")
  {
    echo "# Written by scripts/services.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); servers in $STATE"
    # Single quotes: the S3 URL holds "&". Credentials are percent-encoded, so no
    # value contains a quote; the file reads the same in bash and python-dotenv.
    echo "CNAP_DATABASE_URL='$(url_of postgres)'"
    echo "CNAP_STORAGE_URL='$(url_of minio)'"
    echo "CNAP_INDEX_URL='$(url_of elasticsearch)'"
    echo "CNAP_BROKER_URL='$(url_of redis)'"
    # The e-mail intake tests' mailbox (the archive reads mail only when CNAP_MAIL__IMAP_URL is set).
    echo "CNAP_TEST_IMAP_URL='$(url_of dovecot)'"
  } >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
  log "wrote $ENV_FILE"
}

# fd 9 holds the lock; every server is started with 9>&- so it does not inherit it.
lock() {
  is_root || die "run as root (sudo $0 ...): the servers run as their own system users"
  mkdir -p "$STATE"
  chmod 0755 "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 900 9 || die "another services.sh holds $STATE/.lock"
}

cmd_start() {
  local s t0 timings=()
  lock
  for s in $(services_from_args "$@"); do
    t0=$(now)
    "$(fn "$s" prepare)"
    "$(fn "$s" start)"
    timings+=("$s $(($(now) - t0))s")
  done
  log "healthy: ${timings[*]}"
}

cmd_up() {
  cmd_start "$@"
  write_env
}

cmd_stop() {
  local s services
  lock
  mapfile -t services < <(services_from_args "$@")
  # Reverse order: the index and the store go before the database.
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do
    s=${services[i]}
    "$(fn "$s" stop)"
  done
}

cmd_status() {
  local s pid state rc=0
  for s in $(services_from_args "$@"); do
    pid=$("$(fn "$s" pid)" 2>/dev/null) || pid=
    if "$(fn "$s" healthy)"; then
      state=healthy
    elif [[ -n $pid ]]; then
      state=unhealthy; rc=3
    else
      state=stopped; rc=3
    fi
    printf '%-14s %-10s pid=%-8s %s\n' "$s" "$state" "${pid:--}" "$(url_of "$s" | sed -E 's#//([^:/@]*):[^@]*@#//\1:***@#')"
  done
  return $rc
}

cmd_logs() {
  (($# == 1)) || die "usage: services.sh logs SERVICE"
  case $(canon "$1") in
    postgres) tail -n 100 "$PG_LOG" ;;
    redis) tail -n 100 "$REDIS_LOG" ;;
    minio) tail -n 100 "$MINIO_LOG" ;;
    elasticsearch) tail -n 100 "$ES_START_LOG" "$ES_LOG" ;;
    dovecot) tail -n 100 "$DOVECOT_LOG" ;;
  esac
}

# Smoke test of what the project relies on, against the running servers.
cmd_verify() {
  local es="http://$HOST:$ES_PORT" j=(-H 'Content-Type: application/json') out key v
  cmd_status >/dev/null || die "not all services are healthy (scripts/services.sh status)"
  PGPASSWORD=$PG_PASSWORD psql -X -q -h "$HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" \
    -v ON_ERROR_STOP=1 -tA -c "SELECT 1" | grep -qx 1 || die "verify: postgres login failed"
  log "verify: postgres password login ok"

  # MinIO: versioning keeps both writes; a retained version cannot be deleted.
  key=verify-$$-$RANDOM
  s3 PUT "/$BUCKET_ARCHIVAL/$key" one -o /dev/null
  s3 PUT "/$BUCKET_ARCHIVAL/$key" two -D - -o /dev/null >"$STATE/.hdr"
  v=$(sed -n 's/^x-amz-version-id: *//Ip' "$STATE/.hdr" | tr -d '\r')
  [[ -n $v ]] || die "verify: minio returned no version id"
  local retention='<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2099-01-01T00:00:00Z</RetainUntilDate></Retention>'
  s3 PUT "/$BUCKET_ARCHIVAL/$key?retention=&versionId=$v" "$retention" -o /dev/null \
    -H "Content-MD5: $(printf '%s' "$retention" | openssl md5 -binary | base64)"
  if s3 DELETE "/$BUCKET_ARCHIVAL/$key?versionId=$v" '' -o /dev/null 2>/dev/null; then
    die "verify: minio deleted a version under retention"
  fi
  s3 DELETE "/$BUCKET_ARCHIVAL/$key?versionId=$v" '' -H "x-amz-bypass-governance-retention: true" -o /dev/null
  local left
  left=$(s3 GET "/$BUCKET_ARCHIVAL?prefix=$key&versions=" '' | grep -o '<VersionId>[^<]*' | cut -d'>' -f2)
  [[ $(wc -w <<<"$left") == 1 ]] || die "verify: expected one version left after deleting the other"
  for v in $left; do
    s3 DELETE "/$BUCKET_ARCHIVAL/$key?versionId=$v" '' -H "x-amz-bypass-governance-retention: true" -o /dev/null
  done
  log "verify: minio versioning and Object Lock (governance retention) ok"

  # Elasticsearch: template with a whitespace analyzer, alias, bulk, highlight.
  curl -fsS "${j[@]}" -X DELETE "$es/cnap-verify-*" -o /dev/null || true
  curl -fsS "${j[@]}" -X PUT "$es/_index_template/cnap-verify" -o /dev/null -d '{
    "index_patterns": ["cnap-verify-*"],
    "template": {
      "settings": {"number_of_shards": 1, "number_of_replicas": 0},
      "mappings": {"properties": {
        "tokens": {"type": "text", "analyzer": "whitespace"},
        "title": {"type": "text", "analyzer": "standard"},
        "case": {"type": "keyword"}}},
      "aliases": {"cnap-verify": {}}}}'
  curl -fsS "${j[@]}" -X PUT "$es/cnap-verify-1" -o /dev/null
  printf '%s\n' '{"index":{"_index":"cnap-verify","_id":"1"}}' \
    '{"tokens":"заява видача паспорт","title":"Заява про видачу паспорта","case":"ЦНАП-1"}' \
    '{"index":{"_index":"cnap-verify","_id":"2"}}' '{"tokens":"довідка","title":"Довідка","case":"ЦНАП-2"}' |
    curl -fsS -H 'Content-Type: application/x-ndjson' --data-binary @- "$es/_bulk?refresh=true" -o "$STATE/.bulk"
  grep -q '"errors":false' "$STATE/.bulk" || die "verify: bulk failed: $(head -c 500 "$STATE/.bulk")"
  out=$(curl -fsS "${j[@]}" "$es/cnap-verify/_search" -d '{
    "query": {"bool": {"should": [{"match": {"tokens": "паспорт"}}, {"match": {"title": "ПАСПОРТА"}}]}},
    "highlight": {"fields": {"tokens": {}, "title": {}}}}')
  if ! grep -q '<em>паспорт</em>' <<<"$out" || ! grep -q '<em>паспорта</em>' <<<"$out"; then
    die "verify: search/highlight failed: $out"
  fi
  curl -fsS -X DELETE "$es/cnap-verify-1" -o /dev/null
  curl -fsS -X DELETE "$es/_index_template/cnap-verify" -o /dev/null
  log "verify: elasticsearch template, alias, bulk, whitespace/standard analyzers, highlight ok"

  redis-cli -h "$HOST" -p "$REDIS_PORT" set cnap-verify 1 EX 5 | grep -q OK || die "verify: redis set failed"
  log "verify: redis ok"

  printf 'a LOGIN %s %s\r\nb LOGOUT\r\n' "$IMAP_USER" "$IMAP_PASSWORD" |
    timeout 5 bash -c "exec 3<>/dev/tcp/$HOST/$IMAP_PORT; cat >&3; cat <&3" 2>/dev/null |
    grep -q '^a OK' || die "verify: dovecot login failed"
  log "verify: dovecot IMAP login ok"
}

main() {
  local cmd=${1:-up}
  (($#)) && shift
  case $cmd in
    up) cmd_up "$@" ;;
    start) if (($#)); then cmd_start "$@"; else cmd_up; fi ;;
    stop) cmd_stop "$@" ;;
    restart) cmd_stop "$@"; cmd_start "$@" ;;
    status) cmd_status "$@" ;;
    verify) cmd_verify ;;
    env) cat "$ENV_FILE" ;;
    logs) cmd_logs "$@" ;;
    -h | --help | help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$cmd' (try: services.sh help)" ;;
  esac
}

main "$@"
