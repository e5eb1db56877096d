#!/bin/sh
# Ferry before-remove (deb prerm, rpm %preun), run as root: stop the privileged helper (on SIGTERM it restores
# routes, DNS and the firewall), and on a real removal also disable it. deb passes "remove" or "upgrade"…,
# rpm passes the number of versions left (0 on erase).
case "${1:-}" in
  remove | deconfigure | 0) removing=1 ;;
  *) removing=0 ;;
esac
if [ -d /run/systemd/system ]; then
  systemctl stop ferry-helper.service 2>/dev/null || true
  if [ "$removing" = 1 ]; then systemctl disable ferry-helper.service 2>/dev/null || true; fi
fi
exit 0
