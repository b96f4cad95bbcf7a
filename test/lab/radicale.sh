#!/usr/bin/env bash
# A CalDAV/CardDAV server for tests and benchmarks of the groupware target: Debian's Radicale 3
# (package `radicale`, see install.sh), started by hand (no systemd) through Debian's launcher
# /usr/bin/radicale (it is Python: never through another python3 on PATH), on loopback only:
#   http://127.0.0.1:15232   plaintext (tests opt in with allowInsecure)
#   https://127.0.0.1:15233  TLS with a lab CA of its own (<lab>/radicale/tls/ca.pem)
# Both serve the same storage (Radicale locks its storage folder, several processes may share it).
# Auth: htpasswd with APR1-MD5 hashes (`htpasswd -m`, apache2-utils): bcrypt would need
# python3-bcrypt, which Debian's Radicale lacks here, and costs ~0.1 s per request. Rights:
# owner_only (each user sees only /<user>/).
#
# Usage: radicale.sh up|down|add-user USER <PASSWORD|status|info
#   up        write the config and start both servers unless they answer; idempotent and safe for
#             concurrent callers (flock on <lab>/radicale/lock). Prints `info`.
#   down      stop both servers (storage is kept)
#   add-user  add or replace an htpasswd entry, password read from stdin (Radicale re-reads the
#             file on change)
#   status    exit 0 when both answer
#   info      print url=…, tls_url=…, ca=… lines
#
# Lab dir: $UMS_LAB_DIR, default <repo>/.lab; everything is in <lab>/radicale:
#   config, config-tls, users (htpasswd, 0600), collections/ (storage), tls/, log/, run/, lock.
set -euo pipefail

# shellcheck source=lab-dir.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab-dir.sh"

HOST=127.0.0.1
PORT="${UMS_LAB_RADICALE_PORT:-15232}"
TLS_PORT="${UMS_LAB_RADICALE_TLS_PORT:-15233}"
DIR="$LAB/radicale"
TLS="$DIR/tls"
RUN="$DIR/run"
LOGDIR="$DIR/log"
USERS="$DIR/users"
RADICALE=/usr/bin/radicale

log() { printf '[ums-lab radicale] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$DIR"

with_lock() {
  exec 9>"$DIR/lock"
  flock -w 120 9 || die "timeout waiting for $DIR/lock"
}

# HTTP status of an unauthenticated OPTIONS (Radicale answers 200 without credentials).
answers_plain() { curl -s -o /dev/null -m 3 -w '%{http_code}' -X OPTIONS "http://$HOST:$PORT/" 2>/dev/null | grep -q '^200$'; }
answers_tls() { curl -s -o /dev/null -m 3 -w '%{http_code}' --cacert "$TLS/ca.pem" -X OPTIONS "https://$HOST:$TLS_PORT/" 2>/dev/null | grep -q '^200$'; }

make_tls() {
  [ -s "$TLS/ca.pem" ] && [ -s "$TLS/server.key" ] && [ -s "$TLS/server.crt" ] && return 0
  log "generating the Radicale lab CA and server certificate"
  install -d -m 700 "$TLS"
  (
    cd "$TLS"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout ca.key -out ca.crt -subj "/O=UMS lab/CN=UMS lab Radicale CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr -subj "/O=UMS lab/CN=localhost" 2>/dev/null
    cat >server.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EOF
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
      -extfile server.ext -out server.crt 2>/dev/null
    rm -f server.csr
    cp ca.crt ca.pem.tmp && chmod 644 ca.pem.tmp && mv -f ca.pem.tmp ca.pem
  )
}

write_config() {
  install -d -m 700 "$DIR/collections" "$RUN" "$LOGDIR"
  [ -e "$USERS" ] || (umask 077; : >"$USERS")
  local common
  common="[auth]
type = htpasswd
htpasswd_filename = $USERS
htpasswd_encryption = md5
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = $DIR/collections

[web]
type = none

[logging]
level = warning
mask_passwords = True"
  printf '[server]\nhosts = %s:%s\nmax_connections = 64\n\n%s\n' "$HOST" "$PORT" "$common" >"$DIR/config.tmp"
  mv -f "$DIR/config.tmp" "$DIR/config"
  printf '[server]\nhosts = %s:%s\nmax_connections = 64\nssl = True\ncertificate = %s\nkey = %s\n\n%s\n' \
    "$HOST" "$TLS_PORT" "$TLS/server.crt" "$TLS/server.key" "$common" >"$DIR/config-tls.tmp"
  mv -f "$DIR/config-tls.tmp" "$DIR/config-tls"
}

# start NAME CONFIG CHECK: starts one server unless CHECK already succeeds.
start() {
  local name="$1" config="$2" check="$3" pidfile="$RUN/$1.pid"
  if "$check"; then return 0; fi
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then kill "$(cat "$pidfile")" 2>/dev/null || true; sleep 0.5; fi
  # 9>&-: the daemon must not inherit (and hold forever) the lock.
  nohup "$RADICALE" --config "$config" >>"$LOGDIR/$name.log" 2>&1 9>&- &
  echo $! >"$pidfile"
  local deadline=$((SECONDS + 30))
  until "$check"; do
    kill -0 "$(cat "$pidfile")" 2>/dev/null || die "Radicale ($name) exited (see $LOGDIR/$name.log)"
    [ "$SECONDS" -lt "$deadline" ] || die "Radicale ($name) does not answer (see $LOGDIR/$name.log)"
    sleep 0.2
  done
}

info() {
  printf 'url=http://%s:%s/\ntls_url=https://%s:%s/\nca=%s\nstorage=%s\n' "$HOST" "$PORT" "$HOST" "$TLS_PORT" "$TLS/ca.pem" "$DIR/collections"
}

cmd_up() {
  [ -x "$RADICALE" ] || die "$RADICALE missing: run test/lab/install.sh (package radicale)"
  command -v htpasswd >/dev/null || die "htpasswd missing: run test/lab/install.sh (package apache2-utils)"
  with_lock
  make_tls
  write_config
  start plain "$DIR/config" answers_plain
  start tls "$DIR/config-tls" answers_tls
  log "Radicale up on http://$HOST:$PORT and https://$HOST:$TLS_PORT"
  info
}

cmd_down() {
  with_lock
  local name pid
  for name in plain tls; do
    [ -s "$RUN/$name.pid" ] || continue
    pid="$(cat "$RUN/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$RUN/$name.pid"
  done
  log "Radicale stopped"
}

cmd_add_user() {
  local user="${1:-}" password
  [ -n "$user" ] || die "usage: radicale.sh add-user USER <password-on-stdin"
  IFS= read -r password || [ -n "$password" ] || die "no password on stdin"
  [ -n "$password" ] || die "empty password"
  [[ "$user" =~ ^[A-Za-z0-9._@-]+$ ]] || die "invalid user name: $user"
  with_lock
  [ -e "$USERS" ] || (umask 077; : >"$USERS")
  # -i: password from stdin (never on a command line other processes can read); -m: APR1-MD5.
  printf '%s' "$password" | htpasswd -i -m "$USERS" "$user" 2>/dev/null || die "htpasswd failed for $user"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  add-user) shift; cmd_add_user "$@" ;;
  status) answers_plain && answers_tls ;;
  info) info ;;
  *) die "usage: radicale.sh up|down|add-user USER <PASSWORD|status|info" ;;
esac
