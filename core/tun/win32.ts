/** Windows Wintun from the unprivileged side: not supported yet (see unsupported.ts). */
import type { OpenTunOptions, TunDevice } from './types';
import { unsupportedTun } from './unsupported';

export function openWin32Tun(_name: string, _opts?: OpenTunOptions): TunDevice {
  return unsupportedTun('win32');
}

export function win32TunFromFd(_name: string, _fd: number, _opts?: OpenTunOptions): TunDevice {
  return unsupportedTun('win32');
}
