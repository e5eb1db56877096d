/**
 * The macOS libSystem socket calls of darwin/listener.ts played by Linux's libc, so the listener's real socket,
 * directory and mode logic can run here: BSD sockaddr_un → Linux's, O_NONBLOCK and errno values translated,
 * and getsockopt(SOL_LOCAL, LOCAL_PEERCRED / LOCAL_PEERPID) answered by an injected credential lookup (given
 * the fd and its real SO_PEERCRED) — Linux has no xucred.
 */
import { createRequire } from 'node:module';
import type { DarwinSocketLibc } from '../../../main/helper/darwin/socketLibc';
import {
  encodeXucred,
  LOCAL_PEERCRED,
  LOCAL_PEERPID,
  SOL_LOCAL,
  type Xucred,
} from '../../../main/helper/darwin/socketLibc';

const LINUX_O_NONBLOCK = 0o4000;
const LINUX_SOL_SOCKET = 1;
const LINUX_SO_PEERCRED = 17;
/** Linux errno → macOS errno for the values the listener looks at. */
const ERRNO: Record<number, number> = { 11: 35, 103: 53, 111: 61 };

export interface RealPeer {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

export function darwinAbiOnLinux(credentials: (fd: number, real: RealPeer) => Xucred): DarwinSocketLibc & {
  readonly calls: string[];
} {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  const calls: string[] = [];
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)');
  const accept = lib.func('int accept(int fd, void *addr, void *len)');
  const bind = lib.func('int bind(int fd, const void *addr, uint32_t len)');
  const connect = lib.func('int connect(int fd, const void *addr, uint32_t len)');
  const getsockopt = lib.func(
    'int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *len)',
  );
  let fakeErrno: number | null = null;
  /** sockaddr_un, BSD (sun_len, sun_family: bytes) → Linux (sun_family: u16). */
  const linuxAddr = (addr: Buffer, len: number): [Buffer, number] => {
    if (addr[1] !== 1) throw new Error(`sun_family ${addr[1]}`);
    if (addr[0] !== len) throw new Error(`sun_len ${addr[0]} != ${len}`);
    const out = Buffer.alloc(110);
    out.writeUInt16LE(1, 0);
    addr.copy(out, 2, 2, len);
    return [out, len];
  };
  const realPeer = (fd: number): RealPeer | null => {
    const b = Buffer.alloc(12);
    const l = [12];
    if (getsockopt(fd, LINUX_SOL_SOCKET, LINUX_SO_PEERCRED, b, l) !== 0) return null;
    return { pid: b.readInt32LE(0), uid: b.readUInt32LE(4), gid: b.readUInt32LE(8) };
  };
  return {
    calls,
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: (fd, addr, len) => bind(fd, ...linuxAddr(addr, len)) as number,
    connect: (fd, addr, len) => connect(fd, ...linuxAddr(addr, len)) as number,
    listen: lib.func('int listen(int fd, int backlog)'),
    accept: (fd) => accept(fd, null, null) as number,
    getsockopt: (fd, level, name, value, len) => {
      if (level !== SOL_LOCAL || (name !== LOCAL_PEERCRED && name !== LOCAL_PEERPID))
        throw new Error(`getsockopt(${level}, ${name}) is not what macOS would be asked`);
      calls.push(`getsockopt ${name === LOCAL_PEERCRED ? 'LOCAL_PEERCRED' : 'LOCAL_PEERPID'} ${len[0]}`);
      const real = realPeer(fd);
      if (!real) {
        fakeErrno = 22;
        return -1;
      }
      const bytes = name === LOCAL_PEERCRED ? encodeXucred(credentials(fd, real)) : Buffer.alloc(4);
      if (name === LOCAL_PEERPID) bytes.writeInt32LE(real.pid, 0);
      bytes.copy(value, 0, 0, Math.min(bytes.length, len[0]!));
      len[0] = Math.min(bytes.length, len[0]!);
      return 0;
    },
    fcntl: (fd, cmd, arg) => {
      const linuxArg = cmd === 4 ? (arg & ~0x4) | (arg & 0x4 ? LINUX_O_NONBLOCK : 0) : arg;
      return fcntl(fd, cmd, 'int', linuxArg) as number;
    },
    pipe: lib.func('int pipe(_Out_ uint8_t *fds)'),
    read: lib.func('intptr_t read(int fd, void *buf, size_t len)'),
    write: lib.func('intptr_t write(int fd, const void *buf, size_t len)'),
    close: lib.func('int close(int fd)'),
    poll: lib.func('int poll(void *fds, uint64_t nfds, int timeout)') as DarwinSocketLibc['poll'],
    errno: () => {
      if (fakeErrno !== null) {
        const e = fakeErrno;
        fakeErrno = null;
        return e;
      }
      const e = koffi.errno();
      return ERRNO[e] ?? e;
    },
  };
}
