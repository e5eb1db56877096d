/**
 * macOS utun through a PF_SYSTEM control socket (xnu bsd/net/if_utun.c, sys/kern_control.h): resolve the
 * `com.apple.net.utun_control` id with CTLIOCGINFO, connect with unit 0 (the kernel picks utunN), read the name
 * with UTUN_OPT_IFNAME. The device lives exactly as long as the fd: the helper holds it; a crash removes it.
 */
import { createRequire } from 'node:module';

export const PF_SYSTEM = 32;
export const AF_SYSTEM = 32;
export const AF_SYS_CONTROL = 2;
export const SOCK_DGRAM = 2;
export const SYSPROTO_CONTROL = 2;
export const UTUN_OPT_IFNAME = 2;
/** _IOWR('N', 3, struct ctl_info) with sizeof(ctl_info) = 100. */
export const CTLIOCGINFO = 0xc0644e03;
export const UTUN_CONTROL_NAME = 'com.apple.net.utun_control';
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/** The libSystem calls the utun code makes; injected so tests see the exact sequence and bytes. */
export interface DarwinSys {
  socket(domain: number, type: number, protocol: number): number;
  ioctl(fd: number, request: number, arg: Buffer): number;
  connect(fd: number, addr: Buffer, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, len: number[]): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  close(fd: number): number;
  errno(): number;
}

/** struct ctl_info { u_int32_t ctl_id; char ctl_name[96]; } */
export function encodeCtlInfo(name: string): Buffer {
  const b = Buffer.alloc(100);
  b.write(name, 4, 95, 'latin1');
  return b;
}

/** struct sockaddr_ctl { u_char sc_len; u_char sc_family; u_int16_t ss_sysaddr; u_int32_t sc_id, sc_unit; u_int32_t sc_reserved[5]; } */
export function encodeSockaddrCtl(ctlId: number, unit: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt8(32, 0);
  b.writeUInt8(AF_SYSTEM, 1);
  b.writeUInt16LE(AF_SYS_CONTROL, 2);
  b.writeUInt32LE(ctlId, 4);
  b.writeUInt32LE(unit, 8);
  return b;
}

export class UtunError extends Error {
  constructor(call: string, errno: number) {
    super(`${call} failed (errno ${errno})`);
    this.name = 'UtunError';
  }
}

/** Opens a new utun; returns its fd (close-on-exec) and name. */
export function openUtun(sys: DarwinSys): { fd: number; name: string } {
  const fd = sys.socket(PF_SYSTEM, SOCK_DGRAM, SYSPROTO_CONTROL);
  if (fd < 0) throw new UtunError('socket(PF_SYSTEM)', sys.errno());
  const fail = (call: string): never => {
    const errno = sys.errno();
    sys.close(fd);
    throw new UtunError(call, errno);
  };
  const info = encodeCtlInfo(UTUN_CONTROL_NAME);
  if (sys.ioctl(fd, CTLIOCGINFO, info) < 0) fail('ioctl(CTLIOCGINFO)');
  const addr = encodeSockaddrCtl(info.readUInt32LE(0), 0);
  if (sys.connect(fd, addr, addr.length) < 0) fail('connect(utun_control)');
  const name = Buffer.alloc(16);
  const len = [name.length];
  if (sys.getsockopt(fd, SYSPROTO_CONTROL, UTUN_OPT_IFNAME, name, len) < 0)
    fail('getsockopt(UTUN_OPT_IFNAME)');
  if (sys.fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) fail('fcntl(FD_CLOEXEC)');
  const end = name.indexOf(0);
  return { fd, name: name.subarray(0, end < 0 ? Math.min(len[0]!, 16) : end).toString('latin1') };
}

/** The real calls, through koffi on libSystem (untested on real macOS: see main/helper/README.md). */
export function koffiDarwinSys(): DarwinSys {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('/usr/lib/libSystem.B.dylib');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)');
  return {
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    ioctl: (fd, req, arg) => ioctl(fd, req, 'uint8_t *', arg) as number,
    connect: lib.func('int connect(int fd, const void *addr, uint32_t len)'),
    getsockopt: lib.func(
      'int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *len)',
    ),
    fcntl: (fd, cmd, arg) => fcntl(fd, cmd, 'int', arg) as number,
    close: lib.func('int close(int fd)'),
    errno: () => koffi.errno(),
  };
}
