/**
 * Creating TUN devices through /dev/net/tun (koffi ioctls): TUNSETIFF with `ferry%d` and IFF_TUN_EXCL (never
 * attach to someone else's device), TUNSETOWNER/TUNSETGROUP so the unprivileged app may attach, TUNSETPERSIST
 * last (until then closing the fd removes the device, so a failure leaves nothing behind).
 */
import { linuxLibc } from '../../../core/tun/libc';
import {
  encodeIfreq,
  IFF_NO_PI,
  IFF_TUN,
  IFF_TUN_EXCL,
  ifreqName,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  TUN_DEVICE_PATH,
  TUNSETGROUP,
  TUNSETIFF,
  TUNSETOWNER,
  TUNSETPERSIST,
} from '../../../core/tun/linuxAbi';
import type { TunOwner } from '../backend';

/** The kernel calls the backend makes for devices; injected so tests can check the exact sequence. */
export interface TunSyscalls {
  /** Creates a persistent device from `pattern` (e.g. `ferry%d`) and returns the kernel's name. */
  create(pattern: string, owner: TunOwner | undefined): string;
  /** A non-blocking fd attached to the existing device `name`. */
  attach(name: string): number;
}

export class SyscallError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call} failed (errno ${errno})`);
    this.name = 'SyscallError';
  }
}

export function koffiTunSyscalls(devicePath = TUN_DEVICE_PATH): TunSyscalls {
  const libc = linuxLibc();
  const open = (flags: number) => {
    const fd = libc.open(devicePath, flags);
    if (fd < 0) throw new SyscallError(`open ${devicePath}`, libc.errno());
    return fd;
  };
  const ioctl = (fd: number, name: string, req: number, type: string, arg: unknown) => {
    if (libc.ioctl(fd, req, type, arg) < 0) {
      const errno = libc.errno();
      libc.close(fd);
      throw new SyscallError(name, errno);
    }
  };
  return {
    create(pattern, owner) {
      const fd = open(O_RDWR | O_CLOEXEC);
      const ifr = encodeIfreq(pattern, IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL);
      ioctl(fd, 'TUNSETIFF', TUNSETIFF, 'uint8_t *', ifr);
      if (owner) {
        ioctl(fd, 'TUNSETOWNER', TUNSETOWNER, 'unsigned long', owner.uid);
        if (owner.gid !== undefined) ioctl(fd, 'TUNSETGROUP', TUNSETGROUP, 'unsigned long', owner.gid);
      }
      ioctl(fd, 'TUNSETPERSIST', TUNSETPERSIST, 'unsigned long', 1);
      libc.close(fd);
      return ifreqName(ifr);
    },
    attach(name) {
      const fd = open(O_RDWR | O_CLOEXEC | O_NONBLOCK);
      ioctl(fd, 'TUNSETIFF', TUNSETIFF, 'uint8_t *', encodeIfreq(name, IFF_TUN | IFF_NO_PI));
      return fd;
    },
  };
}
