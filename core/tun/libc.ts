/**
 * The few libc calls the TUN packet path needs, through koffi (prebuilt FFI, no install scripts). Loaded on
 * first use so that importing core/tun on a machine without koffi's binary, or on another OS, costs nothing.
 */
import { createRequire } from 'node:module';

type Fn<A extends unknown[], R> = ((...args: A) => R) & {
  async: (...args: [...A, (err: unknown, res: R) => void]) => void;
};

export interface LinuxLibc {
  readonly open: Fn<[path: string, flags: number], number>;
  readonly close: Fn<[fd: number], number>;
  /** Variadic ioctl: pass the argument type then the value, e.g. ioctl(fd, req, 'uint8_t *', buf). */
  readonly ioctl: (fd: number, request: number, type: string, arg: unknown) => number;
  readonly read: Fn<[fd: number, buf: Uint8Array, len: number], number>;
  readonly write: Fn<[fd: number, buf: Uint8Array, len: number], number>;
  readonly poll: Fn<[fds: Uint8Array, nfds: number, timeoutMs: number], number>;
  readonly eventfd: Fn<[initval: number, flags: number], number>;
  /** fcntl(fd, cmd, int arg) for F_GETFL/F_SETFL. */
  readonly fcntl: (fd: number, cmd: number, arg: number) => number;
  readonly errno: () => number;
}

let cached: LinuxLibc | null = null;

/** Throws when koffi or libc cannot be loaded; callers turn that into a typed error. */
export function linuxLibc(): LinuxLibc {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  cached = {
    open: lib.func('int open(const char *path, int flags)') as LinuxLibc['open'],
    close: lib.func('int close(int fd)') as LinuxLibc['close'],
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)') as LinuxLibc['ioctl'],
    read: lib.func('intptr_t read(int fd, void *buf, size_t len)') as LinuxLibc['read'],
    write: lib.func('intptr_t write(int fd, const void *buf, size_t len)') as LinuxLibc['write'],
    poll: lib.func('int poll(void *fds, uint64_t nfds, int timeout)') as LinuxLibc['poll'],
    eventfd: lib.func('int eventfd(unsigned int initval, int flags)') as LinuxLibc['eventfd'],
    fcntl: (() => {
      const f = lib.func('int fcntl(int fd, int cmd, ...)');
      return (fd: number, cmd: number, arg: number) => f(fd, cmd, 'int', arg) as number;
    })(),
    errno: () => koffi.errno(),
  };
  return cached;
}
