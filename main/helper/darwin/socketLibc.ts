/**
 * libSystem calls for the helper's Unix socket on macOS (xnu sys/socket.h, sys/un.h, sys/ucred.h, sys/fcntl.h,
 * sys/poll.h, sys/errno.h). Injected behind DarwinSocketLibc so tests see every call and its bytes; the koffi
 * binding at the bottom has never run on a real Mac (main/helper/README.md).
 */
import { createRequire } from 'node:module';
import { decoder, fail } from '../../../core/common/decode';

export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
/** getsockopt level for AF_LOCAL options, and the options (sys/un.h). */
export const SOL_LOCAL = 0;
export const LOCAL_PEERCRED = 0x001;
export const LOCAL_PEERPID = 0x002;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;
export const O_NONBLOCK = 0x0004;
export const POLLIN = 0x0001;
export const EAGAIN = 35;
export const EINTR = 4;
export const ENOENT = 2;
export const ECONNABORTED = 53;
export const ECONNREFUSED = 61;
/** sizeof(sun_path) is 104, NUL included. */
export const SUN_PATH_MAX = 103;
/** struct xucred: u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[NGROUPS = 16]. */
export const XUCRED_SIZE = 76;
export const XUCRED_VERSION = 0;
const NGROUPS = 16;

type AsyncFn<A extends unknown[], R> = ((...args: A) => R) & {
  async: (...args: [...A, (err: unknown, res: R) => void]) => void;
};

export interface DarwinSocketLibc {
  readonly socket: (domain: number, type: number, protocol: number) => number;
  readonly bind: (fd: number, addr: Buffer, len: number) => number;
  readonly listen: (fd: number, backlog: number) => number;
  /** accept(fd, NULL, NULL): macOS has no accept4, flags are set with fcntl afterwards. */
  readonly accept: (fd: number) => number;
  readonly connect: (fd: number, addr: Buffer, len: number) => number;
  readonly getsockopt: (fd: number, level: number, name: number, value: Buffer, len: number[]) => number;
  readonly fcntl: (fd: number, cmd: number, arg: number) => number;
  /** pipe(int fds[2]), the two ints little-endian in `fds` (8 bytes). */
  readonly pipe: (fds: Buffer) => number;
  readonly read: (fd: number, buf: Buffer, len: number) => number;
  readonly write: (fd: number, buf: Buffer, len: number) => number;
  readonly close: (fd: number) => number;
  readonly poll: AsyncFn<[fds: Buffer, nfds: number, timeoutMs: number], number>;
  readonly errno: () => number;
}

/** struct sockaddr_un { u_char sun_len; sa_family_t sun_family; char sun_path[104]; } for a path. */
export function darwinSockaddrUn(path: string): { addr: Buffer; len: number } {
  const bytes = Buffer.from(path);
  if (bytes.length > SUN_PATH_MAX || bytes.includes(0)) throw new RangeError(`socket path too long: ${path}`);
  const addr = Buffer.alloc(106);
  const len = 2 + bytes.length + 1;
  addr.writeUInt8(len, 0);
  addr.writeUInt8(AF_UNIX, 1);
  bytes.copy(addr, 2);
  return { addr, len };
}

export interface Xucred {
  readonly uid: number;
  /** cr_groups[0] is the effective gid; the rest are the supplementary groups. */
  readonly groups: readonly number[];
}

/** The kernel's xucred, copied at connect() time (xnu uipc_usrreq.c unp_connect). Little-endian, 76 bytes. */
export const decodeXucred = decoder((b: Uint8Array): Xucred => {
  if (b.length !== XUCRED_SIZE) fail('invalid', `xucred is ${XUCRED_SIZE} bytes, got ${b.length}`);
  const v = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const version = v.readUInt32LE(0);
  if (version !== XUCRED_VERSION) fail('unsupported', `xucred version ${version}`, 0);
  const n = v.readInt16LE(8);
  if (n < 1 || n > NGROUPS) fail('invalid', `xucred with ${n} groups`, 8);
  const groups: number[] = [];
  for (let i = 0; i < n; i++) groups.push(v.readUInt32LE(12 + 4 * i));
  return { uid: v.readUInt32LE(4), groups };
});

export function encodeXucred(c: Xucred): Buffer {
  if (c.groups.length < 1 || c.groups.length > NGROUPS) throw new RangeError('xucred holds 1 to 16 groups');
  const b = Buffer.alloc(XUCRED_SIZE);
  b.writeUInt32LE(XUCRED_VERSION, 0);
  b.writeUInt32LE(c.uid, 4);
  b.writeInt16LE(c.groups.length, 8);
  for (const [i, g] of c.groups.entries()) b.writeUInt32LE(g, 12 + 4 * i);
  return b;
}

let cached: DarwinSocketLibc | null = null;

/** The real calls through koffi on libSystem (untested on real macOS). */
export function darwinSocketLibc(): DarwinSocketLibc {
  if (cached) return cached;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('/usr/lib/libSystem.B.dylib');
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)');
  const accept = lib.func('int accept(int fd, void *addr, void *len)');
  cached = {
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: lib.func('int bind(int fd, const void *addr, uint32_t len)'),
    listen: lib.func('int listen(int fd, int backlog)'),
    accept: (fd) => accept(fd, null, null) as number,
    connect: lib.func('int connect(int fd, const void *addr, uint32_t len)'),
    getsockopt: lib.func(
      'int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *len)',
    ),
    // Variadic: koffi passes the int the way Apple's arm64 ABI wants variadic arguments (on the stack).
    fcntl: (fd, cmd, arg) => fcntl(fd, cmd, 'int', arg) as number,
    pipe: lib.func('int pipe(_Out_ uint8_t *fds)'),
    read: lib.func('intptr_t read(int fd, void *buf, size_t len)'),
    write: lib.func('intptr_t write(int fd, const void *buf, size_t len)'),
    close: lib.func('int close(int fd)'),
    // nfds_t is unsigned int on macOS.
    poll: lib.func('int poll(void *fds, uint32_t nfds, int timeout)') as DarwinSocketLibc['poll'],
    errno: () => koffi.errno(),
  };
  return cached;
}
