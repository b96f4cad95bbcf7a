#!/usr/bin/env bash
# UMS lab: real IMAP servers on loopback for tests, the demo and benchmarks.
#
#   Dovecot       = migration *source*  127.0.0.1:10143 (plain) / 10993 (IMAPS)
#   Courier-IMAP  = migration *target*  127.0.0.1:11143 (plain) / 11993 (IMAPS)
#
# Usage: lab.sh up|down|status|add-source-user LOGIN PASS|add-target-user LOGIN PASS|restart-target|reset|prepare
#        lab.sh enable-ldap-auth|disable-ldap-auth|provision-maildir LOGIN   (Courier authldap
#        against the slapd lab, opt-in: see courier-ldap.sh)
#
# All runtime state lives in the lab dir ($UMS_LAB_DIR, default <repo>/.lab).
# Exceptions (compiled-in paths of Courier, shared machine-wide):
#   /etc/courier/userdb/ums-lab-<hash of lab dir>  + /etc/courier/userdb.dat (makeuserdb)
#   /etc/courier/authdaemonrc (authuserdb enabled), /run/courier/authdaemon/socket
#   with enable-ldap-auth also /etc/courier/authldaprc and a marked block in authdaemonrc
# Needs root and the packages of install.sh. Daemons are started by hand (no systemd).
set -euo pipefail

# shellcheck source=lab-dir.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab-dir.sh"

LAB_USER=umslab
HOST=127.0.0.1
SRC_PORT=10143
SRC_TLS_PORT=10993
TGT_PORT=11143
TGT_TLS_PORT=11993
# Courier: the Debian default is MAXPERIP=20 / MAXDAEMONS=40 (/etc/courier/imapd). A real UMS
# therefore refuses the 21st concurrent connection from one IP (the migrator must stay below
# that). The lab raises them so that parallel jest workers + benchmarks don't starve.
TGT_MAXPERIP="${UMS_LAB_COURIER_MAXPERIP:-40}"
TGT_MAXDAEMONS="${UMS_LAB_COURIER_MAXDAEMONS:-80}"

DOVECOT_IMAPD_DIR="${UMS_LAB_DOVECOT_IMAPD_DIR:-/opt/ums-lab/dovecot-imapd}"
DOVECOT_IMAP_BIN="$DOVECOT_IMAPD_DIR/usr/lib/dovecot/imap"
DOVECOT_IMAP_LOGIN_BIN="$DOVECOT_IMAPD_DIR/usr/lib/dovecot/imap-login"

COURIER_USERDB=/etc/courier/userdb
AUTHDAEMON_DIR=/run/courier/authdaemon
AUTHDAEMON_SOCKET="$AUTHDAEMON_DIR/socket"
AUTHDAEMON_BIN=/usr/lib/courier/courier-authlib/authdaemond
IMAPLOGIN_BIN=/usr/lib/courier/courier/imaplogin

RUN="$LAB/run"
LOG="$LAB/log"
TLS="$LAB/tls"
CA_FILE="$LAB/ca.pem"
DOVECOT_CONF="$LAB/dovecot/dovecot.conf"
DOVECOT_PASSWD="$LAB/dovecot/passwd"
DOVECOT_BASE="$RUN/dovecot"
SRC_HOMES="$LAB/source"
TGT_HOMES="$LAB/target"
COURIER_ENV="$LAB/courier/overrides.env"
LAB_ID="$(printf '%s' "$LAB" | cksum | cut -d' ' -f1)"
USERDB_FILE="$COURIER_USERDB/ums-lab-$LAB_ID"

CONF_CHANGED=0
STARTED=0

log() { printf '[ums-lab] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# ---------------------------------------------------------------- locking
# All mutating commands hold an exclusive flock on $LAB/lock, so several jest workers can
# call `up` / `add-*-user` at the same time.
with_lock() {
  exec 9>"$LAB/lock"
  flock -w 120 9 || die "timeout waiting for $LAB/lock"
}

# ---------------------------------------------------------------- helpers
# A process counts as alive unless it is gone or a zombie (PID 1 of a container may not reap).
proc_alive() { # pid
  kill -0 "$1" 2>/dev/null || return 1
  local stat; stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat:0:1}" != Z ]
}

pid_alive() { # pidfile
  [ -s "$1" ] || return 1
  local pid; pid="$(head -n1 "$1" 2>/dev/null | tr -dc 0-9)"
  [ -n "$pid" ] && proc_alive "$pid"
}

stop_pid() { # pid [timeout-tenths]: SIGTERM, wait, SIGKILL
  local pid="$1" i
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 "${2:-50}"); do proc_alive "$pid" || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

# Succeeds when the server on a plain port answers with an "* OK" greeting (then LOGOUT).
imap_greets() { # port
  local out
  out="$(timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1 && printf 'a LOGOUT\r\n' >&3 && head -c 4 <&3" 2>/dev/null || true)"
  [ "$out" = "* OK" ]
}

# Same over TLS, with certificate verification against the lab CA.
imaps_greets() { # port
  local out
  out="$(printf 'a LOGOUT\r\n' | timeout 3 openssl s_client -connect "$HOST:$1" -CAfile "$CA_FILE" \
    -verify_return_error -verify_ip "$HOST" -quiet 2>/dev/null || true)"
  [ "${out:0:4}" = "* OK" ]
}

wait_for() { # description, command... (gives up after ~15 s)
  local what="$1"; shift
  local deadline=$((SECONDS + 15))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  die "$what did not come up (see $LOG)"
}

check_login() { [[ "$1" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || die "invalid login '$1' (use [a-z0-9._-], lowercase)"; }

lab_uid() { id -u "$LAB_USER"; }
lab_gid() { id -g "$LAB_USER"; }

# ---------------------------------------------------------------- system prerequisites
# Idempotent, cheap, no network: the part of install.sh that the lab needs at every boot
# (e.g. /run is a tmpfs, so /run/courier may be gone).
prepare_system() {
  need_root
  command -v dovecot >/dev/null || die "dovecot-core missing: run test/lab/install.sh"
  command -v couriertcpd >/dev/null || die "courier-imap missing: run test/lab/install.sh"
  command -v makeuserdb >/dev/null || die "courier-authlib-userdb missing: run test/lab/install.sh"
  [ -x "$DOVECOT_IMAP_BIN" ] || die "$DOVECOT_IMAP_BIN missing: run test/lab/install.sh"
  if ! getent group "$LAB_USER" >/dev/null; then groupadd --system "$LAB_USER"; fi
  if ! getent passwd "$LAB_USER" >/dev/null; then
    useradd --system -g "$LAB_USER" -d /nonexistent -M -s /usr/sbin/nologin "$LAB_USER"
  fi
  # authdaemond reads its module list from the compiled-in /etc/courier/authdaemonrc
  # (environment variables are ignored), Debian ships authmodulelist="authpam".
  if ! grep -Eq '^authmodulelist="[^"]*authuserdb' /etc/courier/authdaemonrc; then
    [ -e /etc/courier/authdaemonrc.ums-lab.orig ] || cp -p /etc/courier/authdaemonrc /etc/courier/authdaemonrc.ums-lab.orig
    sed -i -E 's/^authmodulelist="([^"]*)"/authmodulelist="authuserdb \1"/' /etc/courier/authdaemonrc
    log "enabled authuserdb in /etc/courier/authdaemonrc"
  fi
  # /etc/courier/userdb may be a file or a directory; the lab uses a directory (one file per lab dir).
  if [ ! -e "$COURIER_USERDB" ]; then
    install -d -m 700 "$COURIER_USERDB"
  fi
  [ -d "$COURIER_USERDB" ] || die "$COURIER_USERDB is a plain file; the lab needs it to be a directory (move it to $COURIER_USERDB/local)"
  chmod 700 "$COURIER_USERDB"
  install -d -m 775 -o root -g courier /run/courier
  install -d -m 750 -o courier -g courier "$AUTHDAEMON_DIR"
}

# ---------------------------------------------------------------- TLS
make_tls() {
  [ -s "$CA_FILE" ] && [ -s "$TLS/server.pem" ] && return 0
  log "generating lab CA and server certificate"
  install -d -m 755 "$TLS"
  (
    cd "$TLS"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout ca.key -out ca.crt -subj "/O=UMS lab/CN=UMS lab CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr \
      -subj "/O=UMS lab/CN=localhost" 2>/dev/null
    cat >server.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EOF
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -days 3650 -sha256 -extfile server.ext -out server.crt 2>/dev/null
    # Courier (couriertls) wants key + certificate in one file; it reads it after dropping to
    # user "courier", hence group courier.
    cat server.key server.crt >server.pem
    chown root:courier server.pem && chmod 640 server.pem
    chmod 644 ca.crt server.crt
    rm -f server.csr
  )
  cp "$TLS/ca.crt" "$CA_FILE.tmp" && chmod 644 "$CA_FILE.tmp" && mv -f "$CA_FILE.tmp" "$CA_FILE"
}

# ---------------------------------------------------------------- Dovecot (source)
write_dovecot_conf() {
  install -d -m 755 "$LAB/dovecot" "$LOG" "$RUN" "$SRC_HOMES"
  install -d -m 750 "$LAB/dovecot/state"
  [ -e "$DOVECOT_PASSWD" ] || install -m 640 -g dovecot /dev/null "$DOVECOT_PASSWD"
  cat >"$DOVECOT_CONF.tmp" <<EOF
# Generated by test/lab/lab.sh - do not edit (rewritten on every 'up').
instance_name = ums-lab-dovecot
base_dir = $DOVECOT_BASE
state_dir = $LAB/dovecot/state
log_path = $LOG/dovecot.log
info_log_path = $LOG/dovecot.log
protocols = imap
listen = $HOST
shutdown_clients = yes

ssl = yes
ssl_cert = <$TLS/server.crt
ssl_key = <$TLS/server.key
ssl_min_protocol = TLSv1.2
# plain LOGIN on the non-TLS port is allowed so that explicit-insecure tests work
disable_plaintext_auth = no
auth_mechanisms = plain login

passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%n $DOVECOT_PASSWD
}
userdb {
  driver = static
  args = uid=$LAB_USER gid=$LAB_USER home=$SRC_HOMES/%n
}
first_valid_uid = $(lab_uid)
mail_location = maildir:~/Maildir
# Dovecot's default is 10 per user+IP; parallel seeding/benchmarks need more.
mail_max_userip_connections = 50
# Dovecot's "auth penalty": every failed login (tests of wrong passwords) delays *every* following
# login from the same IP (127.0.0.1 = all jest workers) by 2..15 s (login_trusted_networks does
# not prevent it in 2.3). Moving anvil's penalty socket away disables it: auth gets ENOENT and
# turns the penalty off silently (mode = 0 instead would stall auth start-up 5 s on retries).
# The per-failure delay (auth_failure_delay, 2 s) stays.
service anvil {
  unix_listener anvil-auth-penalty {
    path = anvil-auth-penalty-disabled-by-ums-lab
  }
}

namespace inbox {
  inbox = yes
  separator = /
  prefix =
  # special-use folders, as in Debian's conf.d/15-mailboxes.conf
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Junk {
    special_use = \\Junk
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox "Sent Messages" {
    special_use = \\Sent
  }
}

# dovecot-imapd conflicts with courier-imap as a package: its binaries are extracted
# (dpkg-deb -x) to $DOVECOT_IMAPD_DIR by install.sh.
service imap-login {
  executable = $DOVECOT_IMAP_LOGIN_BIN
  inet_listener imap {
    address = $HOST
    port = $SRC_PORT
  }
  inet_listener imaps {
    address = $HOST
    port = $SRC_TLS_PORT
    ssl = yes
  }
}
service imap {
  executable = $DOVECOT_IMAP_BIN
}
# dovecot checks the executables of every service it knows about, even unused ones
service imap-hibernate {
  executable = $DOVECOT_IMAPD_DIR/usr/lib/dovecot/imap-hibernate
}
service imap-urlauth {
  executable = $DOVECOT_IMAPD_DIR/usr/lib/dovecot/imap-urlauth
}
service imap-urlauth-login {
  executable = $DOVECOT_IMAPD_DIR/usr/lib/dovecot/imap-urlauth-login
}
service imap-urlauth-worker {
  executable = $DOVECOT_IMAPD_DIR/usr/lib/dovecot/imap-urlauth-worker
}
EOF
  if cmp -s "$DOVECOT_CONF.tmp" "$DOVECOT_CONF"; then rm -f "$DOVECOT_CONF.tmp"; CONF_CHANGED=0; return 0; fi
  mv -f "$DOVECOT_CONF.tmp" "$DOVECOT_CONF"
  CONF_CHANGED=1
}

dovecot_running() { pid_alive "$DOVECOT_BASE/master.pid"; }
dovecot_healthy() { dovecot_running && imap_greets "$SRC_PORT"; }

start_dovecot() {
  write_dovecot_conf
  if dovecot_healthy; then
    [ "$CONF_CHANGED" = 1 ] || return 0
    # running with an older config (lab.sh was updated): restart it
    log "dovecot config changed, restarting dovecot"
  fi
  STARTED=1
  stop_dovecot
  rm -rf "$DOVECOT_BASE"  # stale sockets from an earlier run
  dovecot -c "$DOVECOT_CONF" </dev/null >>"$LOG/dovecot-start.log" 2>&1 9>&- || die "dovecot failed to start (see $LOG/dovecot-start.log, $LOG/dovecot.log)"
  wait_for "dovecot" imap_greets "$SRC_PORT"
  wait_for "dovecot IMAPS" imaps_greets "$SRC_TLS_PORT"
  log "dovecot up on $HOST:$SRC_PORT / $HOST:$SRC_TLS_PORT"
}

stop_dovecot() {
  if dovecot_running; then
    stop_pid "$(head -n1 "$DOVECOT_BASE/master.pid")"
  fi
  rm -f "$DOVECOT_BASE/master.pid"
}

# ---------------------------------------------------------------- Courier (target)
authdaemon_running() { pid_alive "$RUN/authdaemond.pid" || pid_alive "$AUTHDAEMON_DIR/pid"; }

start_authdaemon() {
  if authdaemon_running && [ -S "$AUTHDAEMON_SOCKET" ]; then return 0; fi
  STARTED=1
  install -d -m 755 "$RUN" "$LOG"
  rm -f "$AUTHDAEMON_SOCKET"
  # authdaemond no longer daemonizes itself (Debian runs it under courierlogger -> syslog);
  # run it in its own session, stderr to the lab log.
  (
    cd /
    set -a; . /etc/courier/authdaemonrc; set +a
    exec setsid "$AUTHDAEMON_BIN" </dev/null >>"$LOG/authdaemond.log" 2>&1
  ) 9>&- &
  echo $! >"$RUN/authdaemond.pid"
  wait_for "authdaemond" test -S "$AUTHDAEMON_SOCKET"
}

stop_authdaemon() {
  if pid_alive "$RUN/authdaemond.pid"; then
    stop_pid "$(cat "$RUN/authdaemond.pid")"
    rm -f "$AUTHDAEMON_SOCKET"
  fi
  rm -f "$RUN/authdaemond.pid"
}

write_courier_env() {
  install -d -m 755 "$LAB/courier" "$TGT_HOMES"
  touch "$USERDB_FILE"; chmod 600 "$USERDB_FILE"
  # Overrides applied after sourcing /etc/courier/imapd and /etc/courier/imapd-ssl (which
  # carry Courier's real capability set: UIDPLUS, keywords, IDLE, ACL, ...).
  cat >"$COURIER_ENV.tmp" <<EOF
ADDRESS=$HOST
PORT=$TGT_PORT
SSLADDRESS=$HOST
SSLPORT=$TGT_TLS_PORT
MAXDAEMONS=$TGT_MAXDAEMONS
MAXPERIP=$TGT_MAXPERIP
PIDFILE=$RUN/courier-imapd.pid
SSLPIDFILE=$RUN/courier-imapd-ssl.pid
TLS_CERTFILE=$TLS/server.pem
TLS_CACHEFILE=$RUN/courier-tlscache
EOF
  if cmp -s "$COURIER_ENV.tmp" "$COURIER_ENV"; then rm -f "$COURIER_ENV.tmp"; CONF_CHANGED=0; return 0; fi
  mv -f "$COURIER_ENV.tmp" "$COURIER_ENV"
  CONF_CHANGED=1
}

courier_running() { pid_alive "$RUN/courier-imapd.pid" && pid_alive "$RUN/courier-imapd-ssl.pid"; }
courier_healthy() { courier_running && imap_greets "$TGT_PORT"; }

# Imitates /usr/lib/courier/imapd and imapd-ssl ("start"), with our own addresses/ports/pidfiles
# and couriertcpd's own -pid/-stderr instead of courierlogger (there is no syslog here).
start_courier_instance() { # plain|ssl
  local kind="$1"
  # shellcheck disable=SC2016
  /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin KIND="$kind" LAB_LOG="$LOG" COURIER_ENV="$COURIER_ENV" /bin/sh -c '
    set -a
    prefix=/usr; exec_prefix=/usr; sbindir=/usr/sbin; bindir=/usr/bin
    . /etc/courier/imapd
    . /etc/courier/imapd-ssl
    . "$COURIER_ENV"
    set +a
    umask "$IMAP_UMASK"
    if test -n "$IMAP_ULIMITD"; then ulimit -v "$IMAP_ULIMITD"; fi
    cd /
    if test "$KIND" = ssl; then
      if test -n "$TLS_CACHEFILE"; then
        rm -f "$TLS_CACHEFILE"; touch "$TLS_CACHEFILE"
        chown courier:courier "$TLS_CACHEFILE"; chmod 600 "$TLS_CACHEFILE"
      fi
      IMAP_TLS=1; export IMAP_TLS
      exec /usr/sbin/couriertcpd -pid="$SSLPIDFILE" -stderr="$LAB_LOG/courier-imapd-ssl.log" \
        -address="$SSLADDRESS" -maxprocs="$MAXDAEMONS" -maxperip="$MAXPERIP" $TCPDOPTS \
        "$SSLPORT" "$COURIERTLS" -server -tcpd -user=courier \
        /usr/lib/courier/courier/imaplogin /usr/bin/imapd "$MAILDIRPATH"
    else
      IMAP_STARTTLS="$IMAPDSTARTTLS"; export IMAP_STARTTLS
      exec /usr/sbin/couriertcpd -pid="$PIDFILE" -stderr="$LAB_LOG/courier-imapd.log" \
        -address="$ADDRESS" -maxprocs="$MAXDAEMONS" -maxperip="$MAXPERIP" $TCPDOPTS \
        "$PORT" /usr/lib/courier/courier/imaplogin /usr/bin/imapd "$MAILDIRPATH"
    fi
  ' </dev/null >>"$LOG/courier-start.log" 2>&1 9>&- || die "couriertcpd ($kind) failed (see $LOG/courier-start.log)"
}

start_courier() {
  start_authdaemon
  write_courier_env
  if courier_healthy; then
    [ "$CONF_CHANGED" = 1 ] || return 0
    log "courier settings changed, restarting courier imapd"
  fi
  STARTED=1
  stop_courier
  start_courier_instance plain
  start_courier_instance ssl
  wait_for "courier imapd" imap_greets "$TGT_PORT"
  wait_for "courier imapd-ssl" imaps_greets "$TGT_TLS_PORT"
  log "courier up on $HOST:$TGT_PORT / $HOST:$TGT_TLS_PORT"
}

stop_courier_instance() { # pidfile
  local pidfile="$1"
  if pid_alive "$pidfile"; then
    local pid; pid="$(head -n1 "$pidfile" | tr -dc 0-9)"
    # couriertcpd -stop: SIGTERM to couriertcpd, which forwards it to all its children
    couriertcpd -pid="$pidfile" -stop >/dev/null 2>&1 || true
    stop_pid "$pid"
  fi
  rm -f "$pidfile"
}

stop_courier() {
  stop_courier_instance "$RUN/courier-imapd.pid"
  stop_courier_instance "$RUN/courier-imapd-ssl.pid"
}

# ---------------------------------------------------------------- users
hash_password() { printf '%s' "$1" | openssl passwd -6 -stdin; }

add_source_user() { # login pass
  local login="$1" pass="$2" hash tmp
  check_login "$login"
  hash="$(hash_password "$pass")"
  rm -rf "${SRC_HOMES:?}/$login"
  install -d -m 700 -o "$LAB_USER" -g "$LAB_USER" "$SRC_HOMES/$login"
  tmp="$DOVECOT_PASSWD.tmp.$$"
  { grep -v "^$login:" "$DOVECOT_PASSWD" 2>/dev/null || true; printf '%s:{SHA512-CRYPT}%s\n' "$login" "$hash"; } >"$tmp"
  chgrp dovecot "$tmp"; chmod 640 "$tmp"; mv -f "$tmp" "$DOVECOT_PASSWD"
  # Dovecot stats passwd-file at most once per second (last_sync_time in db-passwd-file.c): a
  # login in the same second as an earlier lookup would not see this user yet. Let that second pass.
  sleep "$(awk -v ns="$(date +%N)" 'BEGIN { printf "%.3f", (1e9 - ns) / 1e9 + 0.05 }')"
}

add_target_user() { # login pass
  local login="$1" pass="$2" hash home
  check_login "$login"
  hash="$(hash_password "$pass")"
  home="$TGT_HOMES/$login"
  # userdb uid/gid must match the owner of the Maildir, or imapd refuses to open it.
  rm -rf "${TGT_HOMES:?}/$login"
  install -d -m 700 -o "$LAB_USER" -g "$LAB_USER" "$home"
  maildirmake "$home/Maildir"
  chown -R "$LAB_USER:$LAB_USER" "$home"
  touch "$USERDB_FILE"; chmod 600 "$USERDB_FILE"
  userdb -f "$USERDB_FILE" "$login" set "uid=$(lab_uid)" "gid=$(lab_gid)" "home=$home" "mail=$home/Maildir" "systempw=$hash" >/dev/null
  makeuserdb
}

# ---------------------------------------------------------------- Courier authldap (opt-in)
# shellcheck source=courier-ldap.sh
. "$SCRIPT_DIR/courier-ldap.sh"

# ---------------------------------------------------------------- commands
cmd_up() {
  with_lock
  local t0="$EPOCHREALTIME"
  prepare_system
  install -d -m 755 "$RUN" "$LOG" "$SRC_HOMES" "$TGT_HOMES"
  make_tls
  start_dovecot
  start_courier
  if [ "$STARTED" = 1 ]; then
    log "lab up in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s (dir $LAB)"
  fi
}

cmd_down() {
  with_lock
  stop_courier
  stop_authdaemon
  stop_dovecot
  log "lab down"
}

cmd_status() {
  local ok=0
  if dovecot_healthy; then echo "source  dovecot  up    $HOST:$SRC_PORT imaps:$SRC_TLS_PORT"; else echo "source  dovecot  DOWN"; ok=1; fi
  if courier_healthy; then echo "target  courier  up    $HOST:$TGT_PORT imaps:$TGT_TLS_PORT"; else echo "target  courier  DOWN"; ok=1; fi
  if authdaemon_running; then echo "auth    authdaemond up"; else echo "auth    authdaemond DOWN"; ok=1; fi
  if ldap_auth_enabled; then echo "auth    authldap enabled $(ldap_auth_uri)"; fi
  echo "dir     $LAB"
  echo "ca      $CA_FILE"
  return $ok
}

cmd_restart_target() {
  with_lock
  stop_courier
  start_courier
}

cmd_reset() {
  with_lock
  stop_courier
  stop_authdaemon
  stop_dovecot
  if [ -e "$USERDB_FILE" ]; then rm -f "$USERDB_FILE" "$COURIER_USERDB/.lock.ums-lab-$LAB_ID"; makeuserdb; fi
  # keep the lock file (other processes may hold it open)
  find "$LAB" -mindepth 1 -maxdepth 1 ! -name lock -exec rm -rf {} +
  log "lab reset (stopped, all state removed from $LAB)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  add-source-user) [ $# -eq 3 ] || die "usage: $0 add-source-user LOGIN PASS"; with_lock; add_source_user "$2" "$3" ;;
  add-target-user) [ $# -eq 3 ] || die "usage: $0 add-target-user LOGIN PASS"; with_lock; add_target_user "$2" "$3" ;;
  restart-target) cmd_restart_target ;;
  reset) cmd_reset ;;
  prepare) with_lock; prepare_system ;;
  enable-ldap-auth) cmd_enable_ldap_auth ;;
  disable-ldap-auth) cmd_disable_ldap_auth ;;
  provision-maildir) [ $# -eq 2 ] || die "usage: $0 provision-maildir LOGIN"; with_lock; provision_maildir "$2" ;;
  *) echo "usage: $0 up|down|status|add-source-user LOGIN PASS|add-target-user LOGIN PASS|restart-target|reset|prepare|enable-ldap-auth|disable-ldap-auth|provision-maildir LOGIN" >&2; exit 2 ;;
esac
