#!/bin/sh
# Ferry after-install (deb postinst, rpm %post), run as root. electron-builder substitutes its two macros
# (executable name, directory under /opt); any other dollar-brace word of letters only would fail the build.
# 1. What electron-builder's default script does for every Electron app: the command on PATH, the Chromium
#    sandbox, MIME and desktop databases, the AppArmor profile that allows user namespaces (Ubuntu 24.04+).
# 2. The privileged helper: the "ferry" group, the systemd unit, started now and at boot.
set -u
APP_DIR='/opt/${sanitizedProductName}'
EXE='${executable}'
HELPER_DIR="$APP_DIR/resources/helper"
UNIT=ferry-helper.service

ln -sf "$APP_DIR/$EXE" "/usr/bin/$EXE"

# Chromium's setuid sandbox only where unprivileged user namespaces do not work.
if { [ -L /proc/self/ns/user ] && unshare --user true; } 2>/dev/null; then
  chmod 0755 "$APP_DIR/chrome-sandbox" || true
else
  chmod 4755 "$APP_DIR/chrome-sandbox" || true
fi

if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database /usr/share/applications || true; fi

if apparmor_status --enabled >/dev/null 2>&1 && command -v apparmor_parser >/dev/null 2>&1; then
  if apparmor_parser --skip-kernel-load --debug "$APP_DIR/resources/apparmor-profile" >/dev/null 2>&1; then
    cp -f "$APP_DIR/resources/apparmor-profile" "/etc/apparmor.d/$EXE"
    if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
      apparmor_parser --replace --write-cache --skip-read-cache "/etc/apparmor.d/$EXE" || true
    fi
  fi
fi

# Who may use the helper: root and the members of "ferry". The user who ran the installer through sudo or
# pkexec joins it (effective at their next login); others are added by an administrator (usermod -aG ferry NAME).
getent group ferry >/dev/null || groupadd --system ferry
installer_user=""
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  installer_user="$SUDO_USER"
elif [ -n "${PKEXEC_UID:-}" ] && [ "$PKEXEC_UID" != 0 ]; then
  installer_user="$(getent passwd "$PKEXEC_UID" | cut -d: -f1)"
fi
if [ -n "$installer_user" ]; then usermod -a -G ferry "$installer_user" || true; fi

chmod 0755 "$HELPER_DIR/runtime/node"
install -D -m 0644 "$HELPER_DIR/$UNIT" "/usr/lib/systemd/system/$UNIT"
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  systemctl enable "$UNIT" || true
  # restart: an upgrade replaces the helper's files under a running service.
  systemctl restart "$UNIT" || echo "Ferry: the helper service did not start; see journalctl -u $UNIT" >&2
fi
exit 0
