/**
 * TUN packet I/O for the unprivileged process, one file per OS (as wireguard-go's tun/ does). The privileged
 * helper creates and configures the device; this side only attaches and moves packets.
 */
import { darwinTunFromFd, openDarwinTun } from './darwin';
import { linuxTunFromFd, openLinuxTun } from './linux';
import type { OpenTunOptions, TunDevice } from './types';
import { openWin32Tun, win32TunFromFd } from './win32';

export type { OpenTunOptions, TunDevice, TunStats } from './types';

/** Attaches to the helper-created device `name` (Linux: allowed for the device's owner). */
export function openTun(name: string, opts?: OpenTunOptions): TunDevice {
  if (process.platform === 'linux') return openLinuxTun(name, opts);
  if (process.platform === 'darwin') return openDarwinTun(name, opts);
  return openWin32Tun(name, opts);
}

/** Wraps a device fd the helper passed over its socket (HelperClient.openTunFd). Takes ownership of `fd`. */
export function tunFromFd(name: string, fd: number, opts?: OpenTunOptions): TunDevice {
  if (process.platform === 'linux') return linuxTunFromFd(name, fd, opts);
  if (process.platform === 'darwin') return darwinTunFromFd(name, fd, opts);
  return win32TunFromFd(name, fd, opts);
}
