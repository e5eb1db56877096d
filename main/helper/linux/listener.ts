/**
 * The helper's Unix socket on Linux. The listening socket is ours (koffi socket/bind/listen), accepted in a
 * koffi poll() on a worker thread, so each connection's fd is known before Node reads anything from it:
 * SO_PEERCRED/SO_PEERGROUPS are read right after accept4, then the fd is handed to Node with the public
 * `new net.Socket({ fd })`. (Node's own net.Server would only expose the fd through the internal `_handle`.)
 *
 * Permissions: directory 0750 root:<group>, socket 0660 root:<group> (created so under umask 0117, no window);
 * without a group, 0700/0600 (root only).
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../../../core/common/log';
import { POLL_TIMEOUT_MS, wakeOnExit } from '../../../core/tun/exitWake';
import type { PeerCredentials } from '../peerAuth';
import {
  AF_UNIX,
  EAGAIN,
  parseUcred,
  SO_PEERCRED,
  SO_PEERGROUPS,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  type SocketLibc,
  sockaddrUn,
  socketLibc,
} from './socketLibc';

const ECONNREFUSED = 111;
const ENOENT = 2;
const POLLIN = 1;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;

export interface AcceptedConnection {
  readonly socket: Socket;
  /** The connection's fd (owned by `socket`), for sendmsg with SCM_RIGHTS. */
  readonly fd: number;
  readonly peer: PeerCredentials;
}

export interface ListenerOptions {
  readonly path: string;
  /** Group owning the directory and socket (members may connect); null = root only. */
  readonly group: number | null;
  readonly logger: Logger;
  readonly onConnection: (c: AcceptedConnection) => void;
}

export class UnixListener {
  private closed = false;
  private polling = false;
  private readonly pollfds = Buffer.alloc(16);
  private finish: (() => void) | null = null;
  private readonly unregisterWake: () => void;
  private readonly one = Buffer.alloc(8);

  private constructor(
    private readonly libc: SocketLibc,
    private readonly fd: number,
    private readonly eventFd: number,
    private readonly opts: ListenerOptions,
  ) {
    this.pollfds.writeInt32LE(fd, 0);
    this.pollfds.writeInt16LE(POLLIN, 4);
    this.pollfds.writeInt32LE(eventFd, 8);
    this.pollfds.writeInt16LE(POLLIN, 12);
    this.one.writeBigUInt64LE(1n);
    this.unregisterWake = wakeOnExit(() => this.libc.write(this.eventFd, this.one, 8));
  }

  static listen(opts: ListenerOptions): UnixListener {
    const libc = socketLibc();
    prepareDirectory(dirname(opts.path), opts.group);
    removeStaleSocket(libc, opts.path);
    const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new Error(`socket() failed (errno ${libc.errno()})`);
    const { addr, len } = sockaddrUn(opts.path);
    const previous = process.umask(opts.group === null ? 0o177 : 0o117);
    const bound = libc.bind(fd, addr, len);
    const bindErrno = libc.errno();
    process.umask(previous);
    if (bound < 0 || libc.listen(fd, 64) < 0) {
      libc.close(fd);
      throw new Error(`cannot listen on ${opts.path} (errno ${bound < 0 ? bindErrno : libc.errno()})`);
    }
    chownSync(opts.path, 0, opts.group ?? 0);
    chmodSync(opts.path, opts.group === null ? 0o600 : 0o660);
    const eventFd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    const l = new UnixListener(libc, fd, eventFd, opts);
    l.arm();
    return l;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.closed = true;
      const done = () => {
        this.unregisterWake();
        this.libc.close(this.fd);
        this.libc.close(this.eventFd);
        rmSync(this.opts.path, { force: true });
        resolve();
      };
      if (this.polling) {
        this.finish = done;
        this.libc.write(this.eventFd, this.one, 8);
      } else done();
    });
  }

  private arm(): void {
    this.polling = true;
    this.libc.poll.async(this.pollfds, 2, POLL_TIMEOUT_MS, (err, n) => {
      this.polling = false;
      if (this.finish) return this.finish();
      if (this.closed) return;
      if (err) this.opts.logger.error('poll on the listening socket failed', { error: err });
      if (n !== 0) this.acceptAll();
      this.arm();
    });
  }

  private acceptAll(): void {
    for (;;) {
      const c = this.libc.accept4(this.fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) {
        const errno = this.libc.errno();
        if (errno !== EAGAIN) this.opts.logger.warn('accept failed', { errno });
        return;
      }
      const peer = this.credentials(c);
      if (!peer) {
        this.opts.logger.warn('connection without peer credentials refused');
        this.libc.close(c);
        continue;
      }
      let socket: Socket;
      try {
        socket = new Socket({ fd: c, readable: true, writable: true });
      } catch (error) {
        this.opts.logger.error('cannot wrap an accepted connection', { error });
        this.libc.close(c);
        continue;
      }
      try {
        this.opts.onConnection({ socket, fd: c, peer });
      } catch (error) {
        this.opts.logger.error('connection handler failed', { error });
        socket.destroy();
      }
    }
  }

  /** SO_PEERCRED (credentials at connect time) and SO_PEERGROUPS; null if the kernel will not say. */
  private credentials(fd: number): PeerCredentials | null {
    const cred = Buffer.alloc(12);
    const len = [12];
    if (this.libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) < 0 || len[0] !== 12) return null;
    const { pid, uid, gid } = parseUcred(cred);
    const gbuf = Buffer.alloc(4 * 256);
    const glen = [gbuf.length];
    let groups: number[] | null = null;
    if (this.libc.getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gbuf, glen) === 0) {
      groups = [];
      for (let i = 0; i + 4 <= glen[0]!; i += 4) groups.push(gbuf.readUInt32LE(i));
    }
    return { pid, uid, gid, groups };
  }
}

function prepareDirectory(dir: string, group: number | null): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${dir} is not a directory`);
  chownSync(dir, 0, group ?? 0);
  chmodSync(dir, group === null ? 0o700 : 0o750);
}

/** A socket file nobody answers on is a crashed helper's: remove it. A live one means we are a second helper. */
function removeStaleSocket(libc: SocketLibc, path: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const probe = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const { addr, len } = sockaddrUn(path);
  const r = libc.connect(probe, addr, len);
  const errno = libc.errno();
  libc.close(probe);
  if (r === 0) throw new Error(`another helper is already listening on ${path}`);
  if (errno !== ECONNREFUSED && errno !== ENOENT) throw new Error(`cannot probe ${path} (errno ${errno})`);
  rmSync(path, { force: true });
}
