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
#   cyrus-common + cyrus-caldav + sasl2-bin  Cyrus IMAP 3.6 httpd, the lab's strict CalDAV/CardDAV
#                                           server (cyrus.sh). Its `imapd` (needed once per user to
#                                           create the mailbox) comes from cyrus-imapd, which
#                                           *conflicts* with courier-imap (both provide imap-server;
#                                           installing it REMOVES Courier): unpacked like
#                                           dovecot-imapd, to /opt/ums-lab/cyrus-imapd.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DOVECOT_IMAPD_DIR="${UMS_LAB_DOVECOT_IMAPD_DIR:-/opt/ums-lab/dovecot-imapd}"
CYRUS_IMAPD_DIR="${UMS_LAB_CYRUS_IMAPD_DIR:-/opt/ums-lab/cyrus-imapd}"
PACKAGES=(courier-imap courier-authlib-userdb dovecot-core postfix isync pst-utils openssl ca-certificates util-linux procps iproute2 chromium postgresql samba slapd ldap-utils radicale vdirsyncer apache2-utils samba-ad-provision samba-ad-dc db5.3-util curl time)
PACKAGES+=(courier-authlib-ldap)  # Courier authldap against the slapd lab (lab.sh enable-ldap-auth)
PACKAGES+=(cyrus-common cyrus-caldav sasl2-bin)  # the strict CalDAV/CardDAV server (cyrus.sh); never cyrus-imapd

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

# unpack PACKAGE VERSION DIR CHECK: the package's files in DIR (not installed: it conflicts with
# courier-imap), redone when the installed companion package changes version.
unpack() {
  local pkg="$1" version="$2" dir="$3" check="$4" tmp
  if [ -x "$dir/$check" ] && [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$version" ]; then
    log "$pkg $version already unpacked in $dir"
    return 0
  fi
  log "unpacking $pkg $version into $dir"
  tmp="$(mktemp -d)"
  chmod 755 "$tmp"
  chown _apt "$tmp" 2>/dev/null || true  # apt-get download runs as _apt when it can
  if ! (cd "$tmp" && apt-get download "$pkg=$version"); then
    apt_update
    (cd "$tmp" && apt-get download "$pkg=$version")
  fi
  rm -rf "$dir.new"
  mkdir -p "$dir.new"
  dpkg-deb -x "$tmp/${pkg}_"*.deb "$dir.new"
  echo "$version" >"$dir.new/VERSION"
  rm -rf "$dir" "$tmp"
  mv "$dir.new" "$dir"
}

unpack dovecot-imapd "$(dpkg-query -W -f='${Version}' dovecot-core)" "$DOVECOT_IMAPD_DIR" usr/lib/dovecot/imap
unpack cyrus-imapd "$(dpkg-query -W -f='${Version}' cyrus-common)" "$CYRUS_IMAPD_DIR" usr/lib/cyrus/bin/imapd

# cyrus-common's scripts must never have removed or replaced Courier (the lab's IMAP target).
[ "$(dpkg-query -W -f='${db:Status-Status}' courier-imap 2>/dev/null || true)" = installed ] \
  || { log "ERROR: courier-imap is not installed any more (was cyrus-imapd installed?): apt-get install courier-imap"; exit 1; }
# Debian's cyrus-common may have been started by its own init script on a machine without a
# policy-rc.d of ours: the lab runs its own master, never the system one on 0.0.0.0.
sys_master="$(cat /run/cyrus-master.pid 2>/dev/null || true)"
if [ -n "$sys_master" ] && kill -0 "$sys_master" 2>/dev/null && grep -q cyrmaster "/proc/$sys_master/cmdline" 2>/dev/null \
  && ! tr '\0' ' ' <"/proc/$sys_master/cmdline" | grep -q -- '-C /'; then
  log "WARNING: a system-wide Cyrus master runs (pid $sys_master); the lab does not use it: service cyrus-imapd stop"
fi

# System prerequisites that do not need the network (umslab user, authdaemonrc, userdb dir).
bash "$SCRIPT_DIR/lab.sh" prepare
log "done"
