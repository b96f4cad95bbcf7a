# Shared by test/lab/samba-ad.sh and test/lab/slapd.sh (sourced, not run): the lab dir, a lock,
# and the LDAP lab CA with one server certificate valid for 127.0.0.1, 127.0.0.3 and localhost.
# Everything lives in <lab>/ldap (lab dir: $UMS_LAB_DIR, default <repo>/.lab).

# shellcheck source=lab-dir.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab-dir.sh"
LDAP_LAB="$LAB/ldap"
LDAP_TLS="$LDAP_LAB/tls"
LDAP_CA="$LDAP_TLS/ca.crt"
mkdir -p "$LDAP_LAB"

die() { log "ERROR: $*"; exit 1; }

# until_answers WHAT SECONDS: waits until the script's own `answers` succeeds, else dies.
until_answers() {
  local deadline=$((SECONDS + $2))
  until answers; do
    [ "$SECONDS" -lt "$deadline" ] || die "$1"
    sleep 0.2
  done
}

# stop_pid PID: TERM, then KILL after 30 s; returns once the process is gone.
stop_pid() {
  kill "$1" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$1" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { kill -9 "$1" 2>/dev/null || true; break; }
    sleep 0.1
  done
}

# with_lock NAME: serialises concurrent callers (several jest workers) on <lab>/ldap/NAME.lock.
with_lock() {
  exec 9>"$LDAP_LAB/$1.lock"
  flock -w 300 9 || die "timeout waiting for $LDAP_LAB/$1.lock"
}

make_ldap_tls() {
  [ -s "$LDAP_CA" ] && [ -s "$LDAP_TLS/server.crt" ] && return 0
  # samba-ad.sh and slapd.sh (each under its own lock) may get here at once: one makes the CA.
  exec 8>"$LDAP_LAB/tls.lock"
  flock -w 120 8 || die "timeout waiting for $LDAP_LAB/tls.lock"
  if [ -s "$LDAP_CA" ] && [ -s "$LDAP_TLS/server.crt" ]; then exec 8>&-; return 0; fi
  local work="$LDAP_TLS.new.$$"
  rm -rf "$work"
  install -d -m 755 "$work"
  (
    cd "$work"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout ca.key -out ca.crt -subj "/O=UMS lab/CN=UMS LDAP lab CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr \
      -subj "/O=UMS lab/CN=localhost" 2>/dev/null
    cat >server.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.3
EXT
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -days 3650 -sha256 -extfile server.ext -out server.crt 2>/dev/null
    chmod 644 ca.crt server.crt
    rm -f server.csr
  )
  rm -rf "$LDAP_TLS"
  mv "$work" "$LDAP_TLS"
  exec 8>&- # daemons started later must not inherit (and hold) the lock
}

# wait_port HOST PORT SECONDS
wait_port() {
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# secret FILE: prints the password kept in FILE, generating it first (0600) when missing.
secret() {
  if [ ! -s "$1" ]; then
    (umask 077; printf 'Lab-%s-9a' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$1.tmp" && mv -f "$1.tmp" "$1")
  fi
  cat "$1"
}
