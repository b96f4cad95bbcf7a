#!/usr/bin/env bash
# A PostgreSQL server for tests of the PostgreSQL state store: Debian's PostgreSQL 15 (package
# `postgresql`, see install.sh), run by hand (no systemd, no Debian cluster tooling) as the
# `postgres` system user, with its own data dir in the lab dir, on 127.0.0.1:15432 only (no Unix
# socket). Tests create one database each (test/lab/pg.ts createTestDatabase()).
#
# TLS: ssl = on with a certificate (localhost, 127.0.0.1) of a CA of its own, <lab>/pg/tls/ca.pem
# (generated once, like cyrus.sh and radicale.sh). pg_hba keeps `host` lines, so plaintext sessions
# are still accepted (tests of allowInsecure need them); the printed URL asks for TLS with
# verification: `?sslmode=verify-full&sslrootcert=<lab>/pg/tls/ca.pem`.
#
# Usage: pg.sh up|down|url|ca|status
#   up      init the cluster if needed and start it unless it already answers; turns TLS on in a
#           cluster made before it had TLS (a reload, no restart); prints the admin URL.
#           Idempotent and safe for concurrent callers (flock on <lab>/pg/lock).
#   down    stop it (fast shutdown); data is kept
#   url     print the admin URL (superuser `postgres`, database `postgres`, password generated at
#           init, TLS verified against the lab CA)
#   ca      print the path of the CA certificate (ca.pem) the server's certificate is signed with
#   status  exit 0 when the server answers
#
# Lab dir: $UMS_LAB_DIR, default <repo>/.lab; everything is in <lab>/pg:
#   data/ (PGDATA, owned by postgres), log/postgres.log, password (0600), lock,
#   tls/ (ca.pem, server.crt, server.key owned by postgres 0600).
# Test settings: fsync=off, synchronous_commit=off, full_page_writes=off (a crash may lose data:
# fine for tests, never copy this to a real server).
set -euo pipefail

# shellcheck source=lab-dir.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab-dir.sh"

PG_VERSION="${UMS_LAB_PG_VERSION:-15}"
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
HOST=127.0.0.1
PORT="${UMS_LAB_PG_PORT:-15432}"
DIR="$LAB/pg"
DATA="$DIR/data"
LOGDIR="$DIR/log"
PWFILE="$DIR/password"
TLS="$DIR/tls"
PG_USER=postgres

log() { printf '[ums-lab pg] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$DIR"

# Runs a command as the postgres system user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

with_lock() {
  exec 9>"$DIR/lock"
  flock -w 120 9 || die "timeout waiting for $DIR/lock"
}

answers() {
  "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PORT" -t 2 >/dev/null 2>&1
}

password() {
  [ -s "$PWFILE" ] || die "$PWFILE missing: run 'pg.sh up' first"
  cat "$PWFILE"
}

admin_url() {
  printf 'postgres://%s:%s@%s:%s/postgres?sslmode=verify-full&sslrootcert=%s\n' "$PG_USER" "$(password)" "$HOST" "$PORT" "$TLS/ca.pem"
}

make_tls() {
  [ -s "$TLS/ca.pem" ] && [ -s "$TLS/server.key" ] && [ -s "$TLS/server.crt" ] && return 0
  log "generating the PostgreSQL lab CA and server certificate"
  rm -rf "$TLS"
  install -d -m 755 "$TLS"
  (
    cd "$TLS"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout ca.key -out ca.crt -subj "/O=UMS lab/CN=UMS lab PostgreSQL CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr -subj "/O=UMS lab/CN=localhost" 2>/dev/null
    printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
      -extfile server.ext -out server.crt 2>/dev/null
    rm -f server.csr
    chmod 644 server.crt
    # PostgreSQL refuses a key file others can read; it must belong to the server's user.
    if [ "$(id -u)" = 0 ]; then chown "$PG_USER:" server.key server.crt; fi
    cp ca.crt ca.pem.tmp && chmod 644 ca.pem.tmp && mv -f ca.pem.tmp ca.pem
  )
}

# The TLS settings, appended once to the postgresql.conf of a cluster (clusters made before the
# lab had TLS too); returns 1 when they were there already. Appending as root keeps the owner.
ensure_tls_conf() {
  local conf="$1/postgresql.conf"
  grep -q '^# ums-lab TLS' "$conf" && return 1
  cat >>"$conf" <<EOF

# ums-lab TLS (test/lab/pg.sh)
ssl = on
ssl_cert_file = '$TLS/server.crt'
ssl_key_file = '$TLS/server.key'
EOF
}

init_cluster() {
  [ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb missing: run test/lab/install.sh (package postgresql)"
  if [ "$(id -u)" = 0 ]; then
    getent passwd "$PG_USER" >/dev/null || die "system user $PG_USER missing (package postgresql)"
    chmod 755 "$DIR"
    runuser -u "$PG_USER" -- test -x "$DIR" || die "$PG_USER cannot reach $DIR: every parent dir needs o+x"
  fi
  if [ ! -s "$PWFILE" ]; then
    (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$PWFILE.tmp" && mv -f "$PWFILE.tmp" "$PWFILE")
  fi
  log "initdb $DATA"
  rm -rf "$DATA" "$DATA.new"
  mkdir -p "$DATA.new" "$LOGDIR"
  local pwcopy="$DATA.new.pw"
  (umask 077; cp "$PWFILE" "$pwcopy")
  if [ "$(id -u)" = 0 ]; then chown "$PG_USER:" "$DATA.new" "$LOGDIR" "$pwcopy"; fi
  chmod 700 "$DATA.new"
  as_pg "$PG_BIN/initdb" -D "$DATA.new" -U "$PG_USER" --pwfile="$pwcopy" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$LOGDIR/initdb.log" 2>&1 || { rm -f "$pwcopy"; die "initdb failed (see $LOGDIR/initdb.log)"; }
  rm -f "$pwcopy"
  cat >>"$DATA.new/postgresql.conf" <<EOF

# ums-lab (test/lab/pg.sh)
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
  ensure_tls_conf "$DATA.new" || true
  mv "$DATA.new" "$DATA"
}

cmd_up() {
  with_lock
  make_tls
  if answers; then
    # Started before the lab had TLS: turn it on with a reload (no restart: other tests use it).
    if [ -s "$DATA/PG_VERSION" ] && ensure_tls_conf "$DATA"; then
      as_pg "$PG_BIN/pg_ctl" reload -D "$DATA" >/dev/null 2>&1 9>&- || die "pg_ctl reload failed (see $LOGDIR/postgres.log)"
      log "TLS turned on (reload)"
    fi
    admin_url
    return 0
  fi
  [ -s "$DATA/PG_VERSION" ] || init_cluster
  ensure_tls_conf "$DATA" || true
  mkdir -p "$LOGDIR"
  if [ "$(id -u)" = 0 ]; then chown "$PG_USER:" "$LOGDIR"; fi
  # A postmaster.pid left by a killed server is handled by pg_ctl/postgres (they check the pid);
  # right after a kill its processes may still be exiting, hence a few attempts.
  # 9>&-: the server must not inherit (and so hold forever) the lock.
  local attempt
  for attempt in 1 2 3 4 5; do
    if as_pg "$PG_BIN/pg_ctl" start -D "$DATA" -l "$LOGDIR/postgres.log" -w -t 60 >/dev/null 2>&1 9>&-; then break; fi
    [ "$attempt" -lt 5 ] || die "PostgreSQL did not start (see $LOGDIR/postgres.log)"
    sleep 1
  done
  local deadline=$((SECONDS + 30))
  until answers; do
    [ "$SECONDS" -lt "$deadline" ] || die "PostgreSQL does not answer on $HOST:$PORT (see $LOGDIR/postgres.log)"
    sleep 0.1
  done
  log "PostgreSQL $PG_VERSION up on $HOST:$PORT"
  admin_url
}

cmd_down() {
  with_lock
  if [ -s "$DATA/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null 2>&1 || true
  fi
  log "PostgreSQL stopped"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  url) admin_url ;;
  ca) printf '%s\n' "$TLS/ca.pem" ;;
  status) answers ;;
  *) die "usage: pg.sh up|down|url|ca|status" ;;
esac
