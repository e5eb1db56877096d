/**
 * The helper's Unix socket on macOS, built like the Linux one (linux/listener.ts): the listening socket is ours
 * (libSystem socket/bind/listen through koffi), a poll() on a worker thread says when to accept, and each
 * connection's credentials are read from its fd before Node sees a byte — here with
 * getsockopt(SOL_LOCAL, LOCAL_PEERCRED) (struct xucred: uid and groups as of connect()) and LOCAL_PEERPID —
 * then the fd is handed to Node with `new net.Socket({ fd })`.
 *
 * Differences from Linux: no accept4 or SOCK_NONBLOCK/SOCK_CLOEXEC (fcntl after socket() and accept()), no
 * eventfd (a self-pipe wakes the poller), BSD sockaddr_un (sun_len, 104-byte path), other errno values.
 * Permissions as on Linux: directory 0750 root:<group>, socket 0660 root:<group>, bound under umask 0117;
 * without a group 0700/0600. The LaunchDaemon passes `--group staff` (every local user's primary group).
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../core/common/log';
import { POLL_TIMEOUT_MS, wakeOnExit } from '../../../core/tun/exitWake';
import type { PeerCredentials } from '../peerAuth';
import {
  AF_UNIX,
  type DarwinSocketLibc,
  darwinSockaddrUn,
  darwinSocketLibc,
  decodeXucred,
  EAGAIN,
  ECONNABORTED,
  ECONNREFUSED,
  EINTR,
  ENOENT,
  F_GETFL,
  F_SETFD,
  F_SETFL,
  FD_CLOEXEC,
  LOCAL_PEERCRED,
  LOCAL_PEERPID,
  O_NONBLOCK,
  POLLIN,
  SOCK_STREAM,
  SOL_LOCAL,
  XUCRED_SIZE,
} from './socketLibc';

/** The filesystem calls the listener makes (injected so tests see paths, owners and modes). */
export interface ListenerFs {
  mkdir(path: string, mode: number): void;
  /** null when the path does not exist. */
  lstat(path: string): { isDirectory(): boolean; isSymbolicLink(): boolean; isSocket(): boolean } | null;
  chown(path: string, uid: number, gid: number): void;
  chmod(path: string, mode: number): void;
  rm(path: string): void;
  /** process.umask(mask): sets it, returns the previous one. */
  umask(mask: number): number;
}

export const nodeListenerFs: ListenerFs = {
  mkdir: (path, mode) => {
    mkdirSync(path, { recursive: true, mode });
  },
  lstat: (path) => {
    try {
      return lstatSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  },
  chown: chownSync,
  chmod: chmodSync,
  rm: (path) => rmSync(path, { force: true }),
  umask: (mask) => process.umask(mask),
};

export interface DarwinConnection {
  readonly socket: Duplex;
  readonly fd: number;
  readonly peer: PeerCredentials;
}

export interface DarwinListenerOptions {
  readonly path: string;
  /** Group owning the directory and socket (members may connect); null = root only. */
  readonly group: number | null;
  readonly logger: Logger;
  readonly onConnection: (c: DarwinConnection) => void;
}

export interface DarwinListenerDeps {
  readonly libc?: DarwinSocketLibc;
  readonly fs?: ListenerFs;
  /** Owner of the directory and the socket: root (0). Tests running unprivileged pass their own uid. */
  readonly ownerUid?: number;
  /** Gives an accepted, already authenticated fd to Node (default `new net.Socket({ fd })`). */
  readonly wrap?: (fd: number) => Duplex;
}

const nodeWrap = (fd: number): Duplex => new Socket({ fd, readable: true, writable: true });

export class DarwinListener {
  private closed = false;
  private polling = false;
  private finish: (() => void) | null = null;
  private readonly pollfds = Buffer.alloc(16);
  private readonly one = Buffer.from([1]);
  private readonly unregisterWake: () => void;

  private constructor(
    private readonly libc: DarwinSocketLibc,
    private readonly fs: ListenerFs,
    private readonly fd: number,
    private readonly wake: { readonly r: number; readonly w: number },
    private readonly opts: DarwinListenerOptions,
    private readonly wrap: (fd: number) => Duplex,
  ) {
    // struct pollfd { int fd; short events; short revents; } × 2: the socket and the wake-up pipe.
    this.pollfds.writeInt32LE(fd, 0);
    this.pollfds.writeInt16LE(POLLIN, 4);
    this.pollfds.writeInt32LE(wake.r, 8);
    this.pollfds.writeInt16LE(POLLIN, 12);
    this.unregisterWake = wakeOnExit(() => this.libc.write(this.wake.w, this.one, 1));
  }

  static listen(opts: DarwinListenerOptions, deps: DarwinListenerDeps = {}): DarwinListener {
    const libc = deps.libc ?? darwinSocketLibc();
    const fs = deps.fs ?? nodeListenerFs;
    const owner = deps.ownerUid ?? 0;
    const gid = opts.group ?? 0;
    prepareDirectory(fs, dirname(opts.path), owner, opts.group);
    removeStaleSocket(libc, fs, opts.path);
    const fd = libc.socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) throw new Error(`socket() failed (errno ${libc.errno()})`);
    const { addr, len } = darwinSockaddrUn(opts.path);
    let wake: { r: number; w: number } | null = null;
    try {
      setFlags(libc, fd);
      const previous = fs.umask(opts.group === null ? 0o177 : 0o117);
      const bound = libc.bind(fd, addr, len);
      const bindErrno = libc.errno();
      fs.umask(previous);
      if (bound < 0) throw new Error(`cannot bind ${opts.path} (errno ${bindErrno})`);
      if (libc.listen(fd, 64) < 0) throw new Error(`cannot listen on ${opts.path} (errno ${libc.errno()})`);
      fs.chown(opts.path, owner, gid);
      fs.chmod(opts.path, opts.group === null ? 0o600 : 0o660);
      wake = selfPipe(libc);
    } catch (e) {
      libc.close(fd);
      throw e;
    }
    const l = new DarwinListener(libc, fs, fd, wake, opts, deps.wrap ?? nodeWrap);
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
        this.libc.close(this.wake.r);
        this.libc.close(this.wake.w);
        this.fs.rm(this.opts.path);
        resolve();
      };
      if (this.polling) {
        this.finish = done;
        this.libc.write(this.wake.w, this.one, 1);
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
      if (n > 0) {
        this.drainWake();
        this.acceptAll();
      } else if (n < 0 && this.libc.errno() !== EINTR)
        this.opts.logger.warn('poll failed', { errno: this.libc.errno() });
      this.arm();
    });
  }

  private drainWake(): void {
    const b = Buffer.alloc(64);
    while (this.libc.read(this.wake.r, b, b.length) > 0);
  }

  private acceptAll(): void {
    for (;;) {
      const c = this.libc.accept(this.fd);
      if (c < 0) {
        const errno = this.libc.errno();
        if (errno === ECONNABORTED || errno === EINTR) continue;
        if (errno !== EAGAIN) this.opts.logger.warn('accept failed', { errno });
        return;
      }
      if (this.libc.fcntl(c, F_SETFD, FD_CLOEXEC) < 0) {
        this.opts.logger.warn('cannot set close-on-exec on a connection', { errno: this.libc.errno() });
        this.libc.close(c);
        continue;
      }
      const peer = this.credentials(c);
      if (!peer) {
        this.opts.logger.warn('connection without peer credentials refused');
        this.libc.close(c);
        continue;
      }
      let socket: Duplex;
      try {
        socket = this.wrap(c);
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

  /** LOCAL_PEERCRED (uid and groups at connect time) and LOCAL_PEERPID; null if the kernel will not say. */
  private credentials(fd: number): PeerCredentials | null {
    const cred = Buffer.alloc(XUCRED_SIZE);
    const len = [XUCRED_SIZE];
    if (this.libc.getsockopt(fd, SOL_LOCAL, LOCAL_PEERCRED, cred, len) < 0) return null;
    const x = decodeXucred(cred.subarray(0, len[0]));
    if (!x.ok) {
      this.opts.logger.warn('unreadable peer credentials', { error: x.error.message });
      return null;
    }
    const pidBuf = Buffer.alloc(4);
    const pidLen = [4];
    if (this.libc.getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, pidBuf, pidLen) < 0 || pidLen[0] !== 4)
      return null;
    const [gid, ...rest] = x.value.groups;
    return { pid: pidBuf.readInt32LE(0), uid: x.value.uid, gid: gid!, groups: rest };
  }
}

/** Close-on-exec and non-blocking, which macOS cannot ask for in socket()/accept(). */
function setFlags(libc: DarwinSocketLibc, fd: number): void {
  if (libc.fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
    throw new Error(`fcntl(F_SETFD) failed (errno ${libc.errno()})`);
  const fl = libc.fcntl(fd, F_GETFL, 0);
  if (fl < 0 || libc.fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
    throw new Error(`fcntl(F_SETFL, O_NONBLOCK) failed (errno ${libc.errno()})`);
}

/** The poller's wake-up: a non-blocking, close-on-exec pipe (macOS has no eventfd). */
function selfPipe(libc: DarwinSocketLibc): { r: number; w: number } {
  const fds = Buffer.alloc(8);
  if (libc.pipe(fds) < 0) throw new Error(`pipe() failed (errno ${libc.errno()})`);
  const p = { r: fds.readInt32LE(0), w: fds.readInt32LE(4) };
  try {
    setFlags(libc, p.r);
    setFlags(libc, p.w);
  } catch (e) {
    libc.close(p.r);
    libc.close(p.w);
    throw e;
  }
  return p;
}

function prepareDirectory(fs: ListenerFs, dir: string, owner: number, group: number | null): void {
  fs.mkdir(dir, 0o700);
  const st = fs.lstat(dir);
  if (!st?.isDirectory() || st.isSymbolicLink()) throw new Error(`${dir} is not a directory`);
  fs.chown(dir, owner, group ?? 0);
  fs.chmod(dir, group === null ? 0o700 : 0o750);
}

/** A socket file nobody answers on is a crashed helper's: remove it. A live one means we are a second helper. */
function removeStaleSocket(libc: DarwinSocketLibc, fs: ListenerFs, path: string): void {
  const st = fs.lstat(path);
  if (!st) return;
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const probe = libc.socket(AF_UNIX, SOCK_STREAM, 0);
  if (probe < 0) throw new Error(`socket() failed (errno ${libc.errno()})`);
  const { addr, len } = darwinSockaddrUn(path);
  const r = libc.connect(probe, addr, len);
  const errno = libc.errno();
  libc.close(probe);
  if (r === 0) throw new Error(`another helper is already listening on ${path}`);
  if (errno !== ECONNREFUSED && errno !== ENOENT) throw new Error(`cannot probe ${path} (errno ${errno})`);
  fs.rm(path);
}
