#!/usr/bin/env bash
# A second, strict CalDAV/CardDAV server for the groupware tests: Cyrus IMAP 3.6's httpd
# (packages cyrus-common + cyrus-caldav + sasl2-bin, see install.sh), run by hand by its own master
# (cyrmaster, no systemd) with a private imapd.conf/cyrus.conf, on loopback only:
#   http://127.0.0.1:15234   plaintext (tests opt in with allowInsecure)
#   https://127.0.0.1:15235  TLS with a CA of its own (<lab>/cyrus/tls/ca.pem)
#   127.0.0.1:15236          IMAP, only to create a user's mailbox (Cyrus's DAV homes hang off it)
# Unlike Radicale, Cyrus validates what it stores (one UID per resource, vCard 3.0+ with UID, no
# METHOD without ORGANIZER, DTEND after DTSTART, UID unique per calendar: 403 + precondition).
# Auth: sasldb (saslpasswd2), plaintext over HTTP allowed (allowplaintext). Admin user: cyrus.
#
# Logs: Cyrus only syslogs and this machine has no /dev/log. The master runs in a private mount
# namespace (unshare -m) whose /dev is a small tmpfs with the usual nodes bound in plus /dev/log
# bound to a datagram socket that a listener (python3) appends to <lab>/cyrus/log/cyrus.log.
# Nothing outside the namespace sees that /dev/log.
#
# Usage: cyrus.sh up|down|add-user USER <PASSWORD|status|info
#   up        write the config and start master (+ log listener) unless it answers; idempotent,
#             flock on <lab>/cyrus/lock. Prints `info`.
#   down      stop master and the listener (data is kept)
#   add-user  sasldb password (stdin) + the user's mailbox over IMAP; idempotent
#   status    exit 0 when both HTTP ports answer
#   info      url=…, tls_url=…, ca=…, log=… lines
set -euo pipefail

# shellcheck source=lab-dir.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab-dir.sh"

HOST=127.0.0.1
PORT="${UMS_LAB_CYRUS_PORT:-15234}"
TLS_PORT="${UMS_LAB_CYRUS_TLS_PORT:-15235}"
IMAP_PORT="${UMS_LAB_CYRUS_IMAP_PORT:-15236}"
DIR="$LAB/cyrus"
TLS="$DIR/tls"
RUN="$DIR/run"
LOGDIR="$DIR/log"
CONF="$DIR/imapd.conf"
SASLDB="$DIR/sasldb2"
ADMIN_PW_FILE="$DIR/admin.pw"
MASTER=/usr/sbin/cyrmaster
CYRUS_IMAPD="${UMS_LAB_CYRUS_IMAPD_DIR:-/opt/ums-lab/cyrus-imapd}/usr/lib/cyrus/bin/imapd"
PYTHON=/usr/bin/python3

log() { printf '[ums-lab cyrus] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$DIR"

with_lock() {
  exec 9>"$DIR/lock"
  flock -w 180 9 || die "timeout waiting for $DIR/lock"
}

proc_alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
pid_of() { [ -s "$1" ] && head -n1 "$1" | tr -dc 0-9; }

# Any HTTP answer (Cyrus answers 401 or 200 to OPTIONS) means httpd is serving.
answers_plain() { curl -s -o /dev/null -m 3 -w '%{http_code}' -X OPTIONS "http://$HOST:$PORT/" 2>/dev/null | grep -q '^[1-5][0-9][0-9]$'; }
answers_tls() { curl -s -o /dev/null -m 3 -w '%{http_code}' --cacert "$TLS/ca.pem" -X OPTIONS "https://$HOST:$TLS_PORT/" 2>/dev/null | grep -q '^[1-5][0-9][0-9]$'; }

make_tls() {
  [ -s "$TLS/ca.pem" ] && [ -s "$TLS/server.key" ] && [ -s "$TLS/server.crt" ] && return 0
  log "generating the Cyrus lab CA and server certificate"
  install -d -m 750 -o cyrus -g mail "$TLS"
  (
    cd "$TLS"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout ca.key -out ca.crt -subj "/O=UMS lab/CN=UMS lab Cyrus CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr -subj "/O=UMS lab/CN=localhost" 2>/dev/null
    printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
      -extfile server.ext -out server.crt 2>/dev/null
    rm -f server.csr
    chown cyrus:mail server.key server.crt
    cp ca.crt ca.pem.tmp && chmod 644 ca.pem.tmp && mv -f ca.pem.tmp ca.pem
  )
}

write_config() {
  local d
  for d in conf conf/socket conf/proc conf/lock conf/log conf/db spool run; do install -d -m 750 -o cyrus -g mail "$DIR/$d"; done
  install -d -m 755 "$LOGDIR"
  chmod 755 "$DIR"
  # Cyrus's admin (creates the users' mailboxes over IMAP): a random password kept in the lab dir.
  if [ ! -s "$ADMIN_PW_FILE" ]; then (umask 077; openssl rand -hex 16 >"$ADMIN_PW_FILE"); fi
  cat >"$CONF.tmp" <<EOF
configdirectory: $DIR/conf
partition-default: $DIR/spool
defaultpartition: default
servername: localhost
admins: cyrus
unixhierarchysep: yes
altnamespace: no
virtdomains: off
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $SASLDB
sasl_mech_list: PLAIN LOGIN
httpmodules: caldav carddav
httpallowcompress: no
caldav_allowscheduling: off
caldav_create_attach: no
caldav_create_sched: no
tls_server_cert: $TLS/server.crt
tls_server_key: $TLS/server.key
lmtpsocket: $DIR/conf/socket/lmtp
idlesocket: $DIR/conf/socket/idle
notifysocket: $DIR/conf/socket/notify
idlemethod: poll
syslog_prefix: ums-lab-cyrus
EOF
  mv -f "$CONF.tmp" "$CONF"
  chmod 644 "$CONF"
  cat >"$DIR/cyrus.conf.tmp" <<EOF
START {
  recover cmd="/usr/lib/cyrus/bin/ctl_cyrusdb -C $CONF -r"
}
SERVICES {
  http  cmd="/usr/lib/cyrus/bin/httpd -C $CONF" listen="$HOST:$PORT" prefork=2 maxchild=40
  https cmd="/usr/lib/cyrus/bin/httpd -s -C $CONF" listen="$HOST:$TLS_PORT" prefork=1 maxchild=20
  imap  cmd="$CYRUS_IMAPD -C $CONF" listen="$HOST:$IMAP_PORT" prefork=0 maxchild=4
}
EVENTS {
}
EOF
  mv -f "$DIR/cyrus.conf.tmp" "$DIR/cyrus.conf"
  if [ ! -e "$SASLDB" ]; then
    saslpasswd2 -f "$SASLDB" -u localhost -p -c cyrus <"$ADMIN_PW_FILE"
  fi
  chown cyrus:mail "$SASLDB"
  chmod 640 "$SASLDB"
}

# The syslog listener: a datagram socket that appends every message to cyrus.log.
start_listener() {
  local pid; pid="$(pid_of "$RUN/syslog.pid" || true)"
  if [ -n "$pid" ] && proc_alive "$pid" && [ -S "$RUN/log.sock" ]; then return 0; fi
  rm -f "$RUN/log.sock"
  mkdir -p "$RUN"
  nohup "$PYTHON" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
' "$RUN/log.sock" "$LOGDIR/cyrus.log" >>"$LOGDIR/listener.log" 2>&1 9>&- &
  echo $! >"$RUN/syslog.pid"
  for _ in $(seq 1 50); do [ -S "$RUN/log.sock" ] && return 0; sleep 0.05; done
  die "the syslog listener did not create $RUN/log.sock (see $LOGDIR/listener.log)"
}

# Master in a private mount namespace whose /dev/log is the listener's socket.
start_master() {
  local pid; pid="$(pid_of "$RUN/master.pid" || true)"
  if [ -n "$pid" ] && proc_alive "$pid"; then
    # A busy machine (the whole suite, CI) can make a running master slow to answer: give it time
    # before judging it dead. Then stop it for good (its ports must be free before a new one binds
    # them, or the new master exits at once).
    for _ in $(seq 1 20); do answers_plain && answers_tls && return 0; sleep 0.5; done
    log "the running Cyrus master (pid $pid) does not answer: restarting it"
    # Its services hold the listening sockets too: they go with it.
    pkill -CONT -P "$pid" 2>/dev/null || true
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
    stop_pidfile "$RUN/master.pid"
    for _ in $(seq 1 50); do ! answers_plain && ! answers_tls && break; sleep 0.1; done
  fi
  # A master that cannot bind its ports (the old one's services still leaving) exits at once: wait
  # for the ports to be free first.
  for _ in $(seq 1 100); do ! answers_plain && ! answers_tls && break; sleep 0.1; done
  # A pid file left by a master that died without `down` would be read below before the new master
  # writes its own, and judged "exited": remove it first.
  rm -f "$RUN/master.pid"
  nohup unshare -m --propagation private bash -c '
set -e
d="$(mktemp -d)"
mount -t tmpfs -o mode=755,size=1m ums-lab-cyrus-dev "$d"
for n in null zero full random urandom tty; do [ -e "/dev/$n" ] && touch "$d/$n" && mount --bind "/dev/$n" "$d/$n"; done
ln -s /proc/self/fd "$d/fd"; ln -s /proc/self/fd/0 "$d/stdin"; ln -s /proc/self/fd/1 "$d/stdout"; ln -s /proc/self/fd/2 "$d/stderr"
mkdir "$d/shm"; mount -t tmpfs -o mode=1777,size=16m shm "$d/shm"
touch "$d/log"; mount --bind "$1" "$d/log"
mount --move "$d" /dev
rmdir "$d"
echo $$ >"$2"
exec "$3" -C "$4" -M "$5" -p "$6" -L "$7"
' ums-lab-cyrus "$RUN/log.sock" "$RUN/master.pid" "$MASTER" "$CONF" "$DIR/cyrus.conf" "$RUN/master.pid.cyrus" "$LOGDIR/master.out" \
    >>"$LOGDIR/master.out" 2>&1 9>&- &
  local deadline=$((SECONDS + 60))
  until answers_plain && answers_tls; do
    pid="$(pid_of "$RUN/master.pid" || true)"
    if [ -n "$pid" ] && ! proc_alive "$pid"; then die "Cyrus master exited (see $LOGDIR/cyrus.log and $LOGDIR/master.out)"; fi
    [ "$SECONDS" -lt "$deadline" ] || die "Cyrus httpd does not answer (see $LOGDIR/cyrus.log and $LOGDIR/master.out)"
    sleep 0.1
  done
}

info() {
  printf 'url=http://%s:%s/\ntls_url=https://%s:%s/\nca=%s\nlog=%s\n' "$HOST" "$PORT" "$HOST" "$TLS_PORT" "$TLS/ca.pem" "$LOGDIR/cyrus.log"
}

cmd_up() {
  [ -x "$MASTER" ] || die "$MASTER missing: run test/lab/install.sh (package cyrus-common)"
  [ -e /usr/lib/cyrus/bin/httpd ] || die "Cyrus httpd missing: run test/lab/install.sh (package cyrus-caldav)"
  [ -x "$CYRUS_IMAPD" ] || die "$CYRUS_IMAPD missing: run test/lab/install.sh (unpacks cyrus-imapd)"
  command -v saslpasswd2 >/dev/null || die "saslpasswd2 missing: run test/lab/install.sh (package sasl2-bin)"
  [ "$(id -u)" = 0 ] || die "must run as root (the master switches to the cyrus user)"
  with_lock
  make_tls
  write_config
  start_listener
  start_master
  log "Cyrus httpd up on http://$HOST:$PORT and https://$HOST:$TLS_PORT (log: $LOGDIR/cyrus.log)"
  info
}

stop_pidfile() {
  local pid; pid="$(pid_of "$1" || true)"
  if [ -n "$pid" ] && proc_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do proc_alive "$pid" || break; sleep 0.1; done
    proc_alive "$pid" && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

cmd_down() {
  with_lock
  stop_pidfile "$RUN/master.pid"
  rm -f "$RUN/master.pid.cyrus"
  stop_pidfile "$RUN/syslog.pid"
  rm -f "$RUN/log.sock"
  log "Cyrus stopped"
}

# imap_create USER: LOGIN as the admin, CREATE user/USER (an existing one is fine).
imap_create() {
  local user="$1" admin_pw out
  admin_pw="$(cat "$ADMIN_PW_FILE")"
  out="$(timeout 20 bash -c '
exec 3<>"/dev/tcp/$1/$2"
printf "a LOGIN cyrus %s\r\nb CREATE user/%s\r\nc LOGOUT\r\n" "$3" "$4" >&3
cat <&3' ums-lab-cyrus-imap "$HOST" "$IMAP_PORT" "$admin_pw" "$user" 2>&1 || true)"
  grep -q '^a OK' <<<"$out" || die "IMAP admin login to Cyrus failed: $(tr -d '\r' <<<"$out" | head -c 400)"
  grep -Eq '^b (OK|NO .*(exists|Mailbox already))' <<<"$out" || die "creating the mailbox of $user failed: $(grep '^b ' <<<"$out" | tr -d '\r')"
}

cmd_add_user() {
  local user="${1:-}" password
  [ -n "$user" ] || die "usage: cyrus.sh add-user USER <password-on-stdin"
  IFS= read -r password || [ -n "$password" ] || die "no password on stdin"
  [ -n "$password" ] || die "empty password"
  [[ "$user" =~ ^[a-z0-9][a-z0-9_-]{0,62}$ ]] || die "invalid user name: $user (Cyrus: [a-z0-9_-], no dots)"
  with_lock
  printf '%s' "$password" | saslpasswd2 -f "$SASLDB" -u localhost -p -c "$user" || die "saslpasswd2 failed for $user"
  imap_create "$user"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  add-user) shift; cmd_add_user "$@" ;;
  status) answers_plain && answers_tls ;;
  info) info ;;
  *) die "usage: cyrus.sh up|down|add-user USER <PASSWORD|status|info" ;;
esac
