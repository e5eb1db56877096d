/**
 * libc socket calls for the helper's Unix socket (x86_64/arm64 Linux layouts): our own listening socket so that
 * every accepted connection's fd is known before Node sees a byte (SO_PEERCRED, SO_PEERGROUPS), and
 * sendmsg/recvmsg with SCM_RIGHTS to hand a TUN fd to the app.
 */
import { createRequire } from 'node:module';

export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_PEERCRED = 17;
export const SO_PEERGROUPS = 59;
export const SO_RCVTIMEO = 20;
export const SCM_RIGHTS = 1;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_DONTWAIT = 0x40;
export const MSG_CMSG_CLOEXEC = 0x40000000;
export const EAGAIN = 11;
export const EINTR = 4;
export const SUN_PATH_MAX = 107;

type AsyncFn<A extends unknown[], R> = ((...args: A) => R) & {
  async: (...args: [...A, (err: unknown, res: R) => void]) => void;
};

export interface SocketLibc {
  readonly socket: (domain: number, type: number, protocol: number) => number;
  readonly bind: (fd: number, addr: Uint8Array, len: number) => number;
  readonly connect: (fd: number, addr: Uint8Array, len: number) => number;
  readonly listen: (fd: number, backlog: number) => number;
  readonly accept4: (fd: number, addr: null, len: null, flags: number) => number;
  readonly getsockopt: (fd: number, level: number, name: number, value: Uint8Array, len: number[]) => number;
  readonly setsockopt: (fd: number, level: number, name: number, value: Uint8Array, len: number) => number;
  readonly sendmsg: (fd: number, msg: unknown, flags: number) => number;
  readonly recvmsg: AsyncFn<[fd: number, msg: unknown, flags: number], number>;
  readonly write: (fd: number, buf: Uint8Array, len: number) => number;
  readonly close: (fd: number) => number;
  readonly poll: AsyncFn<[fds: Uint8Array, nfds: number, timeoutMs: number], number>;
  readonly eventfd: (initval: number, flags: number) => number;
  readonly errno: () => number;
  /** Native memory (msghdr and friends must hold real addresses). */
  readonly alloc: (size: number) => { ptr: unknown; address: bigint; view: Buffer; free(): void };
}

let cached: SocketLibc | null = null;

export function socketLibc(): SocketLibc {
  if (cached) return cached;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  cached = {
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: lib.func('int bind(int fd, const void *addr, uint32_t len)'),
    connect: lib.func('int connect(int fd, const void *addr, uint32_t len)'),
    listen: lib.func('int listen(int fd, int backlog)'),
    accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)'),
    getsockopt: lib.func(
      'int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *len)',
    ),
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    sendmsg: lib.func('intptr_t sendmsg(int fd, void *msg, int flags)'),
    recvmsg: lib.func('intptr_t recvmsg(int fd, void *msg, int flags)') as SocketLibc['recvmsg'],
    write: lib.func('intptr_t write(int fd, const void *buf, size_t len)'),
    close: lib.func('int close(int fd)'),
    poll: lib.func('int poll(void *fds, uint64_t nfds, int timeout)') as SocketLibc['poll'],
    eventfd: lib.func('int eventfd(unsigned int initval, int flags)'),
    errno: () => koffi.errno(),
    alloc: (size) => {
      const ptr = koffi.alloc('uint8_t', size);
      const view = Buffer.from(koffi.view(ptr, size));
      view.fill(0);
      return { ptr, address: BigInt(koffi.address(ptr)), view, free: () => koffi.free(ptr) };
    },
  };
  return cached;
}

/** struct sockaddr_un for a filesystem path. */
export function sockaddrUn(path: string): { addr: Buffer; len: number } {
  const bytes = Buffer.from(path);
  if (bytes.length > SUN_PATH_MAX || bytes.includes(0)) throw new RangeError(`socket path too long: ${path}`);
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, 2);
  return { addr, len: 2 + bytes.length + 1 };
}

/** struct ucred { pid_t pid; uid_t uid; gid_t gid; } */
export function parseUcred(b: Uint8Array): { pid: number; uid: number; gid: number } {
  const v = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return { pid: v.readInt32LE(0), uid: v.readUInt32LE(4), gid: v.readUInt32LE(8) };
}
