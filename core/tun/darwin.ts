/** macOS utun from the unprivileged side: not supported yet (see unsupported.ts). */
import type { OpenTunOptions, TunDevice } from './types';
import { unsupportedTun } from './unsupported';

export function openDarwinTun(_name: string, _opts?: OpenTunOptions): TunDevice {
  return unsupportedTun('darwin');
}

export function darwinTunFromFd(_name: string, _fd: number, _opts?: OpenTunOptions): TunDevice {
  return unsupportedTun('darwin');
}
