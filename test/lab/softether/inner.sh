#!/bin/sh
# Runs inside `ip netns exec ferry-se`, which gives this process a private (slave) mount namespace.
# Bind-mounts the lab's state directories over SoftEther's compiled-in paths, points DNS at the netns
# loopback, then execs (so the caller's PID becomes the vpnserver / vpncmd PID).
# Usage: inner.sh <state-dir> server
#        inner.sh <state-dir> vpncmd <vpncmd arguments...>
set -eu
state=$1
mode=$2
shift 2
# Mount points (empty on the host; the package ships none of them).
mkdir -p /var/lib/softether /var/log/softether /run/softether
mount --bind "$state/resolv.conf" /etc/resolv.conf
case "$mode" in
server)
  mount --bind "$state/db" /var/lib/softether
  mount --bind "$state/log" /var/log/softether
  mount --bind "$state/run" /run/softether
  exec /usr/bin/vpnserver start --foreground
  ;;
vpncmd)
  # vpncmd only writes lang.config there; keep it out of the server's and the host's directories.
  mount --bind "$state/cmd" /var/lib/softether
  exec /usr/bin/vpncmd "$@"
  ;;
*)
  echo "inner.sh: unknown mode $mode" >&2
  exit 2
  ;;
esac
