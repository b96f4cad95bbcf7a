#!/usr/bin/env bash
# A private Postfix instance for the coexistence routing tests: Debian's Postfix (package
# `postfix`), its own config_directory, queue_directory and data_directory under <lab>/postfix,
# smtpd on 127.0.0.1:12525 only, no local delivery (mydestination empty, local_transport error),
# and the routing maps published by `ums-migrate routing publish` (<mapdir>/current/...).
# Recipients are validated at RCPT TO (relay_recipient_maps); only the relay domains are
# accepted (reject_unauth_destination, no permit_mynetworks: the test client is an outside sender).
# The system-wide Postfix (/etc/postfix) is neither used nor touched.
#
# Usage: postfix.sh up MAPDIR DOMAIN[,DOMAIN...] | down | status | config-dir
#   up          write main.cf/master.cf (relay_domains = the given domains, maps below MAPDIR/current),
#               `postfix check`, start unless running (else reload). Idempotent; flock on <lab>/postfix/lock.
#   down        postfix stop
#   status      exit 0 when the instance runs
#   config-dir  print the config directory (for `postfix -c`, `postmap -c`, routing.postfixConfigDir)
#
# Lab dir: $UMS_LAB_DIR, default <repo>/.lab; everything is in <lab>/postfix: etc/ (main.cf,
# master.cf), queue/, data/, maillog (maillog_file, via postlogd).
set -euo pipefail

# shellcheck source=lab-dir.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab-dir.sh"

DIR="$LAB/postfix"
ETC="$DIR/etc"
QUEUE="$DIR/queue"
DATA="$DIR/data"
PORT="${UMS_LAB_POSTFIX_PORT:-12525}"

log() { printf '[ums-lab postfix] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -x /usr/sbin/postfix ] || die "/usr/sbin/postfix missing: run test/lab/install.sh (package postfix)"
[ "$(id -u)" = 0 ] || die "must run as root (Postfix's master runs as root and drops to mail_owner)"
getent passwd postfix >/dev/null || die "system user postfix missing (package postfix)"
mkdir -p "$DIR"
chmod 755 "$DIR"

with_lock() {
  exec 9>"$DIR/lock"
  flock -w 120 9 || die "timeout waiting for $DIR/lock"
}

running() {
  [ -f "$ETC/main.cf" ] && /usr/sbin/postfix -c "$ETC" status >/dev/null 2>&1
}

write_config() {
  local mapdir="$1" domains="$2"
  mkdir -p "$ETC" "$QUEUE" "$DATA"
  chown postfix: "$DATA"
  cat >"$ETC/main.cf.new" <<CF
# ums-migrate lab: private Postfix for the coexistence routing tests (test/lab/postfix.sh).
compatibility_level = 3.6
config_directory = $ETC
queue_directory = $QUEUE
data_directory = $DATA
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $DIR/maillog
maillog_file_prefixes = $DIR
myhostname = ums-lab.localdomain
mydomain = localdomain
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery is disabled in the lab
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
smtpd_banner = \$myhostname ESMTP ums-lab
biff = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
relay_domains = $domains
relay_recipient_maps = hash:$mapdir/current/relay_recipients
transport_maps = hash:$mapdir/current/transport
virtual_alias_maps = hash:$mapdir/current/virtual
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unlisted_recipient, reject_unauth_destination
smtpd_reject_unlisted_recipient = yes
unknown_relay_recipient_reject_code = 550
relay_destination_concurrency_limit = 4
default_destination_rate_delay = 0s
bounce_queue_lifetime = 1h
maximal_queue_lifetime = 1h
CF
  cat >"$ETC/master.cf.new" <<CF
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$PORT inet n - n - - smtpd
pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp -o syslog_name=postfix/\$service_name
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
local      unix  - n n -    - local
virtual    unix  - n n -    - virtual
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
CF
  mv -f "$ETC/main.cf.new" "$ETC/main.cf"
  mv -f "$ETC/master.cf.new" "$ETC/master.cf"
}

case "${1:-}" in
  up)
    [ $# -eq 3 ] || die "usage: postfix.sh up MAPDIR DOMAIN[,DOMAIN...]"
    mkdir -p "$2"
    mapdir="$(cd "$2" && pwd)"
    with_lock
    write_config "$mapdir" "$3"
    # Creates missing queue directories with Postfix's owners and modes, then checks everything.
    /usr/sbin/postfix -c "$ETC" set-permissions >/dev/null 2>&1 || true
    check_out="$(/usr/sbin/postfix -c "$ETC" check 2>&1)" || die "postfix check failed: $check_out"
    [ -z "$check_out" ] || die "postfix check is not clean: $check_out"
    if running; then
      /usr/sbin/postfix -c "$ETC" reload >/dev/null 2>&1 || die "postfix reload failed (see $DIR/maillog)"
    else
      /usr/sbin/postfix -c "$ETC" start >/dev/null 2>&1 || die "postfix start failed (see $DIR/maillog)"
    fi
    for _ in $(seq 1 50); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "$ETC"; exit 0; fi
      sleep 0.2
    done
    die "smtpd does not answer on 127.0.0.1:$PORT (see $DIR/maillog)"
    ;;
  down)
    with_lock
    if running; then /usr/sbin/postfix -c "$ETC" stop >/dev/null 2>&1 || die "postfix stop failed"; fi
    ;;
  status)
    running
    ;;
  config-dir)
    echo "$ETC"
    ;;
  *)
    die "usage: postfix.sh up MAPDIR DOMAINS | down | status | config-dir"
    ;;
esac
