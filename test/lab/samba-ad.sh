#!/usr/bin/env bash
# A real Active Directory for the directory-sync tests: Samba's AD domain controller (Debian
# `samba`, `samba-ad-dc`, `samba-ad-provision`), domain CORP / realm CORP.EXAMPLE, base
# DC=corp,DC=example, serving only LDAP (`server services = ldap`) on 127.0.0.3:389 and :636
# (LDAPS, certificate of the LDAP lab CA). Samba's LDAP ports cannot be moved, so it gets a
# loopback address of its own: 127.0.0.3 is added to `lo` when missing (`ip addr add`, root).
# Like a real AD it refuses simple binds without TLS.
#
# Usage: samba-ad.sh up|down|reset [TEMPLATE]|snapshot NAME|has-template NAME|password|status
#   up                 start the DC unless it answers (idempotent, safe for concurrent callers);
#                      the first time provisions the `base` template (samba-tool, ~5 s)
#   down               stop it (data kept)
#   reset [TEMPLATE]   stop, replace the instance by a copy of TEMPLATE (default base), start
#   snapshot NAME      stop, keep a copy of the instance as template NAME, start again
#   has-template NAME  exit 0 when template NAME exists
#   password           print the Administrator password (generated at the first provision)
#   status             exit 0 when LDAPS answers
#
# Layout (<lab>/ldap): samba/ (the running instance: etc/smb.conf, private/, state/, samba.log,
# samba.pid), samba-templates/<name>/ (stopped copies), samba-admin-password (0600), tls/.
set -euo pipefail
log() { printf '[ums-lab samba-ad] %s\n' "$*" >&2; }
# shellcheck source=ldap-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/ldap-common.sh"

HOST=127.0.0.3
REALM=CORP.EXAMPLE
DOMAIN=CORP
INSTANCE="$LDAP_LAB/samba"
TEMPLATES="$LDAP_LAB/samba-templates"
PWFILE="$LDAP_LAB/samba-admin-password"
PIDFILE="$INSTANCE/samba.pid"

answers() {
  LDAPTLS_CACERT="$LDAP_CA" timeout 5 ldapsearch -LLL -H "ldaps://$HOST" -x -D "Administrator@corp.example" \
    -y "$PWFILE" -b "DC=corp,DC=example" -s base dn >/dev/null 2>&1
}

ensure_address() {
  ip -4 addr show dev lo | grep -q "inet $HOST/" && return 0
  ip addr add "$HOST/32" dev lo || die "cannot add $HOST to lo (needs root / CAP_NET_ADMIN)"
}

# write_conf DIR: a minimal smb.conf for a provisioned DIR (paths absolute to DIR).
write_conf() {
  local dir="$1"
  cat >"$dir/etc/smb.conf" <<CONF
# ums-lab (test/lab/samba-ad.sh): an AD DC serving LDAP only, on $HOST
[global]
	netbios name = UMSLABDC
	realm = $REALM
	workgroup = $DOMAIN
	server role = active directory domain controller
	server services = ldap
	interfaces = $HOST
	bind interfaces only = yes
	prefork children = 2
	private dir = $dir/private
	lock directory = $dir
	state directory = $dir/state
	cache directory = $dir/cache
	binddns dir = $dir/bind-dns
	log file = $dir/samba.log
	logging = file
	log level = 1
	max log size = 10000
	tls enabled = yes
	tls keyfile = $LDAP_TLS/server.key
	tls certfile = $LDAP_TLS/server.crt
	tls cafile =
CONF
}

provision_base() {
  [ -d "$TEMPLATES/base" ] && return 0
  local tmp="$TEMPLATES/base.new"
  rm -rf "$tmp"
  mkdir -p "$TEMPLATES"
  secret "$PWFILE" >/dev/null
  log "provisioning the AD domain $REALM (samba-tool, a few seconds)"
  /usr/bin/samba-tool domain provision --server-role=dc --dns-backend=NONE --targetdir="$tmp" \
    --realm="$REALM" --domain="$DOMAIN" --host-name=umslabdc --host-ip="$HOST" --adminpass="$(cat "$PWFILE")" \
    --option="interfaces = $HOST" --option="bind interfaces only = yes" >"$LDAP_LAB/samba-provision.log" 2>&1 \
    || die "samba-tool domain provision failed (see $LDAP_LAB/samba-provision.log)"
  mv "$tmp" "$TEMPLATES/base"
}

running_pid() {
  [ -s "$PIDFILE" ] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null || return 1
  printf '%s' "$pid"
}

start() {
  ensure_address
  make_ldap_tls
  provision_base
  if [ ! -d "$INSTANCE/private" ]; then
    rm -rf "$INSTANCE"
    cp -a --sparse=always "$TEMPLATES/base" "$INSTANCE"
  fi
  write_conf "$INSTANCE"
  rm -f "$INSTANCE"/*.pid "$INSTANCE"/pid/*.pid 2>/dev/null || true
  # 9>&-: the daemon must not inherit (and so hold forever) the lock.
  setsid /usr/sbin/samba -i -s "$INSTANCE/etc/smb.conf" </dev/null >>"$INSTANCE/samba.out" 2>&1 9>&- &
  echo $! >"$PIDFILE"
  wait_port "$HOST" 636 60 || die "samba did not open $HOST:636 (see $INSTANCE/samba.log, samba.out)"
  until_answers "samba does not answer LDAPS on $HOST:636 (see $INSTANCE/samba.log)" 60
  log "AD DC up on ldaps://$HOST:636 (base DC=corp,DC=example)"
}

stop() {
  local pid
  if pid="$(running_pid)"; then stop_pid "$pid"; fi
  rm -f "$PIDFILE"
  # The prefork workers leave with their parent; wait until the port is free.
  local deadline=$((SECONDS + 15))
  while (exec 3<>"/dev/tcp/$HOST/636") 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.2
  done
}

cmd_up() {
  with_lock samba
  if running_pid >/dev/null && answers; then return 0; fi
  stop
  start
}

case "${1:-}" in
  up) cmd_up ;;
  down) with_lock samba; stop; log "stopped" ;;
  reset)
    with_lock samba
    name="${2:-base}"
    provision_base
    [ -d "$TEMPLATES/$name" ] || die "no template $name"
    stop
    rm -rf "$INSTANCE"
    cp -a --sparse=always "$TEMPLATES/$name" "$INSTANCE"
    rm -f "$INSTANCE/samba.log" "$INSTANCE/samba.out"
    start ;;
  snapshot)
    with_lock samba
    name="${2:?snapshot NAME}"
    [[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || die "bad template name $name"
    stop
    rm -rf "$TEMPLATES/$name.new"
    cp -a --sparse=always "$INSTANCE" "$TEMPLATES/$name.new"
    rm -rf "$TEMPLATES/$name"
    mv "$TEMPLATES/$name.new" "$TEMPLATES/$name"
    start ;;
  has-template) [ -d "$TEMPLATES/${2:?has-template NAME}" ] ;;
  password) [ -s "$PWFILE" ] || die "not provisioned yet: run up"; cat "$PWFILE" ;;
  status) answers ;;
  *) die "usage: samba-ad.sh up|down|reset [TEMPLATE]|snapshot NAME|has-template NAME|password|status" ;;
esac
