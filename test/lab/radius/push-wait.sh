#!/bin/sh
# Run by FreeRADIUS (rlm_exec, wait = yes) after the password checked out for a push user: holds the
# Access-Request until the test approves (creates <dir>/approve-<user>) or denies (<dir>/deny-<user>), or
# <timeout> seconds pass. Exit 0 = Access-Accept, 1 = Access-Reject. One line per event in <dir>/push.log.
# Usage: push-wait.sh <dir> <user> <timeout-seconds>
set -u
dir=$1
user=$2
limit=$3
case "$user" in
*/* | .* | '') exit 1 ;;
esac
now() { date +%s%3N; }
start=$(now)
log() { echo "$(now) $user $1 $(($(now) - start))" >>"$dir/push.log"; }
: >"$dir/pending-$user"
log pending
deadline=$((start + limit * 1000))
while [ "$(now)" -lt "$deadline" ]; do
  if [ -e "$dir/approve-$user" ]; then
    rm -f "$dir/approve-$user" "$dir/pending-$user"
    log approved
    exit 0
  fi
  if [ -e "$dir/deny-$user" ]; then
    rm -f "$dir/deny-$user" "$dir/pending-$user"
    log denied
    exit 1
  fi
  sleep 0.05
done
rm -f "$dir/pending-$user"
log timeout
exit 1
