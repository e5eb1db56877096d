#!/bin/sh
# Ferry after-remove (deb postrm, rpm %postun), run as root; electron-builder fills in the two macros. On a real
# removal: the command link, the AppArmor profile and the helper's unit go; the "ferry" group stays (files and
# memberships may refer to it). Upgrades keep everything: the new version's after-install replaces it.
set -u
EXE='${executable}'
APP_DIR='/opt/${sanitizedProductName}'
case "${1:-}" in
  remove | purge | 0) ;;
  *) exit 0 ;;
esac

if [ "$(readlink "/usr/bin/$EXE" 2>/dev/null)" = "$APP_DIR/$EXE" ]; then rm -f "/usr/bin/$EXE"; fi

if [ -f "/etc/apparmor.d/$EXE" ]; then
  if apparmor_status --enabled >/dev/null 2>&1 && command -v apparmor_parser >/dev/null 2>&1; then
    apparmor_parser --remove "/etc/apparmor.d/$EXE" || true
  fi
  rm -f "/etc/apparmor.d/$EXE"
fi

rm -f /usr/lib/systemd/system/ferry-helper.service
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
rm -rf /run/ferry
exit 0
