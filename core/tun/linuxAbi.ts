/**
 * Linux TUN ABI (include/uapi/linux/if_tun.h, include/uapi/linux/if.h) for x86_64/arm64: ioctl numbers, flags
 * and the 40-byte `struct ifreq`. Pure encoding, shared by the helper (creates devices) and core/tun (attaches).
 */

export const TUN_DEVICE_PATH = '/dev/net/tun';

/** _IOW('T', 202, int) and friends. */
export const TUNSETIFF = 0x400454ca;
export const TUNSETPERSIST = 0x400454cb;
export const TUNSETOWNER = 0x400454cc;
export const TUNSETGROUP = 0x400454ce;

export const IFF_TUN = 0x0001;
export const IFF_NO_PI = 0x1000;
/** Fail with EBUSY instead of attaching when the named device already exists (create only). */
export const IFF_TUN_EXCL = 0x8000;

export const IFNAMSIZ = 16;
export const IFREQ_SIZE = 40;

export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

export const POLLIN = 0x001;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;

export const EAGAIN = 11;
export const EINTR = 4;

/** Interface names the kernel accepts: 1–15 bytes, no '/', ':' or whitespace (dev_valid_name). */
export function isValidIfName(name: string): boolean {
  return /^[A-Za-z0-9_.%-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

/** struct ifreq with ifr_name and ifr_flags (a short at offset 16). */
export function encodeIfreq(name: string, flags: number): Buffer {
  if (!isValidIfName(name)) throw new RangeError(`invalid interface name: ${JSON.stringify(name)}`);
  const ifr = Buffer.alloc(IFREQ_SIZE);
  ifr.write(name, 0, IFNAMSIZ - 1, 'latin1');
  ifr.writeUInt16LE(flags & 0xffff, IFNAMSIZ);
  return ifr;
}

/** The NUL-terminated ifr_name the kernel wrote back (e.g. `ferry%d` → `ferry0`). */
export function ifreqName(ifr: Uint8Array): string {
  const end = ifr.subarray(0, IFNAMSIZ).indexOf(0);
  return Buffer.from(ifr.subarray(0, end < 0 ? IFNAMSIZ : end)).toString('latin1');
}
