#!/usr/bin/env bash
# Installs what the UMS lab (test/lab/lab.sh) needs on a Debian 12 machine. Idempotent, root,
# non-interactive. Does not start any daemon (lab.sh does that, on loopback only).
#
#   courier-imap + courier-authlib-userdb   target ("UMS")
#   dovecot-core                            source; its IMAP binaries come from dovecot-imapd,
#                                           which *conflicts* with courier-imap as a package:
#                                           we `apt-get download` it and `dpkg-deb -x` it to
#                                           /opt/ums-lab/dovecot-imapd instead of installing it.
#   postfix (preseeded "No configuration"), isync (mbsync, the benchmark's peer),
#   pst-utils (readpst, the PST tests' oracle), openssl, util-linux (flock), ...
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DOVECOT_IMAPD_DIR="${UMS_LAB_DOVECOT_IMAPD_DIR:-/opt/ums-lab/dovecot-imapd}"
PACKAGES=(courier-imap courier-authlib-userdb dovecot-core postfix isync pst-utils openssl ca-certificates util-linux procps iproute2 chromium postgresql samba slapd ldap-utils radicale vdirsyncer apache2-utils samba-ad-provision samba-ad-dc db5.3-util curl time)
PACKAGES+=(courier-authlib-ldap)  # Courier authldap against the slapd lab (lab.sh enable-ldap-auth)

log() { printf '[ums-lab install] %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }

export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then missing+=("$p"); fi
done

apt_updated=0
apt_update() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  # Never let package scripts start daemons (they would listen on 0.0.0.0:143/993 etc.);
  # only install our policy-rc.d if the machine has none.
  policy_installed=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_installed=1
  fi
  trap '[ "$policy_installed" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  if ! apt-cache policy courier-imap 2>/dev/null | grep -q 'Candidate: [0-9]'; then apt_update; fi
  if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    apt_update
    apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  if [ "$policy_installed" = 1 ]; then rm -f /usr/sbin/policy-rc.d; policy_installed=0; fi
else
  log "packages already installed"
fi

# dovecot-imapd, unpacked (not installed), same version as dovecot-core.
version="$(dpkg-query -W -f='${Version}' dovecot-core)"
if [ -x "$DOVECOT_IMAPD_DIR/usr/lib/dovecot/imap" ] && [ "$(cat "$DOVECOT_IMAPD_DIR/VERSION" 2>/dev/null)" = "$version" ]; then
  log "dovecot-imapd $version already unpacked in $DOVECOT_IMAPD_DIR"
else
  log "unpacking dovecot-imapd $version into $DOVECOT_IMAPD_DIR"
  tmp="$(mktemp -d)"
  chmod 755 "$tmp"
  chown _apt "$tmp" 2>/dev/null || true  # apt-get download runs as _apt when it can
  if ! (cd "$tmp" && apt-get download "dovecot-imapd=$version"); then
    apt_update
    (cd "$tmp" && apt-get download "dovecot-imapd=$version")
  fi
  rm -rf "$DOVECOT_IMAPD_DIR.new"
  mkdir -p "$DOVECOT_IMAPD_DIR.new"
  dpkg-deb -x "$tmp"/dovecot-imapd_*.deb "$DOVECOT_IMAPD_DIR.new"
  echo "$version" >"$DOVECOT_IMAPD_DIR.new/VERSION"
  rm -rf "$DOVECOT_IMAPD_DIR" "$tmp"
  mv "$DOVECOT_IMAPD_DIR.new" "$DOVECOT_IMAPD_DIR"
fi

# System prerequisites that do not need the network (umslab user, authdaemonrc, userdb dir).
bash "$SCRIPT_DIR/lab.sh" prepare
log "done"
