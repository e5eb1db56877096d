/**
 * macOS and Windows: the helper owns the OS specifics there for now (utun fds die with the process that opened
 * them, Wintun sessions need an elevated process), so the unprivileged packet path is not available yet.
 */
import { FerryError } from '../common/errors';
import type { TunDevice } from './types';

export function unsupportedTun(platform: string): never {
  throw new FerryError({
    phase: 'transport',
    code: 'tun-unsupported',
    message: `TUN packet I/O from the unprivileged process is not supported on ${platform} yet`,
    hint:
      platform === 'darwin'
        ? 'on macOS the helper keeps the utun descriptor; fd passing to the app is not implemented yet'
        : 'on Windows the Wintun session lives in the helper; a packet relay is not implemented yet',
  });
}

export type { TunDevice };
