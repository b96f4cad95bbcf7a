#!/usr/bin/env bash
# The UMS directory for the directory-sync tests: OpenLDAP slapd (Debian `slapd`) with a
# generated slapd.conf, on 127.0.0.1:17389 (ldap) and 127.0.0.1:17636 (ldaps, LDAP lab CA).
# Databases (mdb), each with its own root DN cn=admin,<suffix> and the same generated password:
#   dc=ums,dc=example     UMS/RuPost profile: inetOrgPerson + ruPostMailAccount (schema/ums.schema)
#   dc=kopano,dc=example  Kopano profile: kopano-user with kopanoAliases (schema/kopano-min.schema)
#   dc=floor,dc=example   empty, for the benchmark's `ldapadd` floor
# Schemas: core, cosine, inetorgperson, ums.schema, kopano-min.schema, gal-lab.schema.
#
# Usage: slapd.sh up|down|reset|password|status
#   up        start unless it answers (idempotent, safe for concurrent callers)
#   down      stop it (data kept)
#   reset     stop, delete every database's data, start (fresh, empty suffix entries)
#   password  print the root DNs' password
#   status    exit 0 when LDAPS answers
set -euo pipefail
log() { printf '[ums-lab slapd] %s\n' "$*" >&2; }
# shellcheck source=ldap-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/ldap-common.sh"

HOST=127.0.0.1
PORT=17389
TLS_PORT=17636
DIR="$LDAP_LAB/slapd"
PWFILE="$LDAP_LAB/slapd-admin-password"
PIDFILE="$DIR/slapd.pid"
SUFFIXES=("dc=ums,dc=example" "dc=kopano,dc=example" "dc=floor,dc=example")

answers() {
  LDAPTLS_CACERT="$LDAP_CA" timeout 5 ldapsearch -LLL -H "ldaps://$HOST:$TLS_PORT" -x -D "cn=admin,dc=ums,dc=example" \
    -y "$PWFILE" -b "dc=ums,dc=example" -s base dn >/dev/null 2>&1
}

write_conf() {
  local hash; hash="$(slappasswd -T "$PWFILE")"
  mkdir -p "$DIR/schema"
  cp "$SCRIPT_DIR/schema/ums.schema" "$SCRIPT_DIR/schema/kopano-min.schema" "$SCRIPT_DIR/schema/gal-lab.schema" "$DIR/schema/"
  {
    cat <<CONF
# ums-lab (test/lab/slapd.sh)
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $DIR/schema/ums.schema
include $DIR/schema/kopano-min.schema
include $DIR/schema/gal-lab.schema
pidfile $PIDFILE
argsfile $DIR/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile $LDAP_CA
TLSCertificateFile $LDAP_TLS/server.crt
TLSCertificateKeyFile $LDAP_TLS/server.key
sizelimit unlimited
CONF
    local s name
    for s in "${SUFFIXES[@]}"; do
      name="${s%%,*}"; name="${name#dc=}"
      mkdir -p "$DIR/data/$name"
      cat <<CONF

database mdb
suffix "$s"
rootdn "cn=admin,$s"
rootpw $hash
directory $DIR/data/$name
maxsize 1073741824
index objectClass eq
index uid,mail,cn eq
index entryUUID,entryCSN eq
CONF
      case "$name" in
        ums) echo 'index proxyAddresses eq' ;;
        kopano) echo 'index kopanoAliases eq' ;;
      esac
      cat <<CONF
access to * by dn.exact="cn=admin,$s" write by * none
CONF
    done
  } >"$DIR/slapd.conf.new"
  mv "$DIR/slapd.conf.new" "$DIR/slapd.conf"
  slaptest -u -f "$DIR/slapd.conf" >/dev/null 2>&1 || { slaptest -u -f "$DIR/slapd.conf"; die "slapd.conf does not check"; }
}

running_pid() {
  [ -s "$PIDFILE" ] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null || return 1
  printf '%s' "$pid"
}

seed_suffixes() {
  local s name
  for s in "${SUFFIXES[@]}"; do
    name="${s%%,*}"; name="${name#dc=}"
    printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: %s\ndc: %s\n' "$s" "$name" "$name" \
      | slapadd -f "$DIR/slapd.conf" -b "$s" -q >/dev/null 2>&1 || die "slapadd of $s failed"
  done
}

start() {
  make_ldap_tls
  secret "$PWFILE" >/dev/null
  write_conf
  [ -s "$DIR/data/ums/data.mdb" ] || seed_suffixes
  # 9>&-: the daemon must not inherit (and so hold forever) the lock.
  /usr/sbin/slapd -f "$DIR/slapd.conf" -h "ldap://$HOST:$PORT/ ldaps://$HOST:$TLS_PORT/" -s 0 9>&- \
    || die "slapd did not start (try: slapd -d 1 -f $DIR/slapd.conf)"
  wait_port "$HOST" "$TLS_PORT" 30 || die "slapd does not listen on $HOST:$TLS_PORT"
  until_answers "slapd does not answer LDAPS on $HOST:$TLS_PORT" 30
  log "slapd up on ldap://$HOST:$PORT and ldaps://$HOST:$TLS_PORT"
}

stop() {
  local pid
  if pid="$(running_pid)"; then stop_pid "$pid"; fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  up) with_lock slapd; if running_pid >/dev/null && answers; then exit 0; fi; stop; start ;;
  down) with_lock slapd; stop; log "stopped" ;;
  reset) with_lock slapd; stop; rm -rf "$DIR/data"; start ;;
  password) [ -s "$PWFILE" ] || die "not started yet: run up"; cat "$PWFILE" ;;
  status) answers ;;
  *) die "usage: slapd.sh up|down|reset|password|status" ;;
esac
