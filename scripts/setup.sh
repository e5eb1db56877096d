#!/bin/sh
# Installs everything Ferry's tests need on Debian 12: the Debian packages (lab servers, QEMU, Chromium,
# keyring, build tools) and the npm dependencies. Safe to run again.
set -eu
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES="
  ca-certificates iproute2 procps psmisc kmod
  softether-vpnserver softether-vpncmd freeradius
  qemu-system-x86 qemu-utils debootstrap e2fsprogs cpio zstd
  iperf3 tcpdump nftables iputils-ping
  chromium openssl
  libsecret-1-dev gnome-keyring dbus dbus-x11
  python3 build-essential
"

$SUDO apt-get update -q
# Lab servers must never start on the host: block service starts during installation (policy-rc.d), and
# disable the SoftEther and FreeRADIUS units afterwards on systemd hosts. An existing policy-rc.d is kept.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  REMOVE_POLICY=1
fi
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $APT_PACKAGES
if [ "${REMOVE_POLICY:-0}" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now softether-vpnserver.service freeradius.service >/dev/null 2>&1 || true
fi

# keytar compiles with node-gyp; its header download is unreachable here, so use the headers installed with node.
node_dir="$(dirname "$(dirname "$(command -v node)")")"
if [ -f "$node_dir/include/node/node.h" ]; then export npm_config_nodedir="$node_dir"; fi
# Electron's own binary cannot be downloaded here; the package installs without it (see package.json allowScripts).
npm ci --no-audit --no-fund
