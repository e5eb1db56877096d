#!/bin/bash
# Runs inside the freshly debootstrapped rootfs (chroot) at image build time.
# Usage: build.sh <kernel-version>. Every path here is inside the chroot.
set -euo pipefail
kver="$1"

echo 'ferry-lab' > /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 ferry-lab\n' > /etc/hosts
printf '/dev/vda / ext4 rw,noatime,errors=remount-ro 0 0\n' > /etc/fstab
: > /etc/machine-id
chmod 0755 /usr/local/sbin/ferry-*

# Servers are started by ferry-apply once the host has sent a configuration, never at boot.
# freeradius is installed for a later RADIUS setup but stays disabled.
for unit in strongswan-starter.service ipsec.service xl2tpd.service freeradius.service iperf3.service; do
  systemctl disable "$unit" >/dev/null 2>&1 || true
done
# Units that only cost boot time under TCG.
mask_units=(
  modprobe@.service
  sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount
  dev-hugepages.mount dev-mqueue.mount
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service
  fstrim.timer systemd-tmpfiles-clean.timer
  getty.target getty@.service serial-getty@.service console-getty.service
  systemd-update-utmp.service systemd-update-utmp-runlevel.service
  systemd-logind.service systemd-timesyncd.service systemd-networkd.service systemd-networkd-wait-online.service
  systemd-resolved.service systemd-pstore.service systemd-journal-flush.service
  systemd-hwdb-update.service systemd-firstboot.service ldconfig.service systemd-machine-id-commit.service
  remote-fs.target cryptsetup.target
)
for unit in "${mask_units[@]}"; do
  ln -sf /dev/null "/etc/systemd/system/$unit"
done
systemctl set-default multi-user.target >/dev/null
systemctl enable ferry-net.service ferry-console.service ferry-iperf3.service ferry-booted.service >/dev/null

# Prune: documentation, locales, apt state, unused kernel driver trees.
rm -rf /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/lintian /usr/share/linda
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
rm -rf /var/cache/apt/* /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/*.log
moddir="/lib/modules/$kver/kernel"
for tree in drivers/gpu drivers/media drivers/net/wireless drivers/net/ethernet drivers/infiniband drivers/scsi \
  drivers/usb drivers/staging drivers/hid drivers/input drivers/iio drivers/bluetooth drivers/mtd drivers/isdn \
  drivers/platform drivers/hwmon drivers/thermal drivers/edac drivers/net/can drivers/net/usb drivers/net/wwan \
  drivers/net/ieee802154 drivers/net/dsa drivers/net/fddi drivers/net/hamradio drivers/net/arcnet drivers/ata \
  drivers/nvme drivers/target drivers/md drivers/mmc drivers/memstick drivers/firewire drivers/leds drivers/spi \
  drivers/i2c drivers/gnss drivers/pcmcia drivers/power drivers/regulator drivers/rtc drivers/watchdog \
  drivers/w1 drivers/nfc drivers/mfd drivers/misc drivers/video drivers/parport drivers/atm drivers/accessibility \
  drivers/crypto drivers/dma drivers/pinctrl drivers/gpio drivers/ptp drivers/xen drivers/hv drivers/vfio \
  drivers/vhost drivers/firmware drivers/soundwire drivers/ntb drivers/fpga drivers/thunderbolt drivers/uio \
  net/wireless net/mac80211 net/bluetooth net/nfc net/can net/ieee802154 net/mac802154 net/atm net/sunrpc \
  net/ceph net/9p net/rxrpc net/rds net/tipc net/sctp net/dccp net/netfilter net/bridge/netfilter \
  net/ipv4/netfilter net/ipv6/netfilter \
  sound fs/btrfs fs/xfs fs/ocfs2 fs/nfs fs/nfsd fs/cifs fs/smbfs_common fs/ceph fs/gfs2 fs/f2fs fs/nilfs2 \
  fs/ubifs fs/jfs fs/reiserfs fs/udf fs/ntfs3 fs/orangefs fs/afs fs/dlm fs/9p fs/fuse fs/overlayfs fs/erofs \
  fs/squashfs fs/isofs fs/fat fs/exfat fs/hfs fs/hfsplus fs/nls fs/lockd fs/quota fs/cachefiles fs/fscache \
  arch/x86/kvm; do
  rm -rf "${moddir:?}/$tree"
done
depmod "$kver"
update-initramfs -c -k "$kver" >/dev/null
echo "ferry-build: done"
