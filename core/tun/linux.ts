/**
 * Linux TUN packet I/O for the unprivileged process. Attach: TUNSETIFF with the device's name on a fresh
 * `/dev/net/tun` fd, which the kernel allows for the device's owner (tun_not_capable), or adopt an fd the helper
 * passed over its socket. Reading follows the fastest public-API pattern measured (shared/lab/node-io.md):
 * koffi `poll()` waits on a worker thread (on the TUN fd and an eventfd used to wake it for close), then the
 * main thread drains the non-blocking fd with synchronous `read()`s into one preallocated buffer.
 */
import { FerryError } from '../common/errors';
import { POLL_TIMEOUT_MS, wakeOnExit } from './exitWake';
import { type LinuxLibc, linuxLibc } from './libc';
import {
  EAGAIN,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EINTR,
  encodeIfreq,
  IFF_NO_PI,
  IFF_TUN,
  isValidIfName,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  POLLIN,
  TUN_DEVICE_PATH,
  TUNSETIFF,
} from './linuxAbi';
import type { OpenTunOptions, TunDevice, TunStats } from './types';

const EPERM = 1;
const EACCES = 13;
const ENOENT = 2;
const EBUSY = 16;

function tunError(code: string, message: string, hint: string, cause?: unknown): FerryError {
  return new FerryError({ phase: 'transport', code, message, hint, ...(cause ? { cause } : {}) });
}

function loadLibc(): LinuxLibc {
  try {
    return linuxLibc();
  } catch (e) {
    throw tunError(
      'tun-unavailable',
      `cannot load the FFI needed for TUN I/O: ${e instanceof Error ? e.message : String(e)}`,
      'reinstall Ferry (the koffi module or its prebuilt binary is missing)',
      e,
    );
  }
}

/** Attaches to an existing TUN device created (and owned by this user) by the helper. */
export function openLinuxTun(name: string, opts: OpenTunOptions = {}): TunDevice {
  if (!isValidIfName(name) || name.includes('%')) {
    throw tunError(
      'tun-invalid-name',
      `invalid TUN device name ${JSON.stringify(name)}`,
      'use the name the helper returned',
    );
  }
  const libc = loadLibc();
  const path = opts.devicePath ?? TUN_DEVICE_PATH;
  const fd = libc.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const errno = libc.errno();
    throw tunError(
      errno === EACCES || errno === EPERM ? 'tun-permission' : 'tun-open-failed',
      `cannot open ${path} (errno ${errno})`,
      errno === EACCES || errno === EPERM
        ? `${path} is not accessible to this user; ask the helper for the descriptor instead (openTunFd)`
        : 'check that the kernel has TUN support (modprobe tun)',
    );
  }
  const ifr = encodeIfreq(name, IFF_TUN | IFF_NO_PI);
  if (libc.ioctl(fd, TUNSETIFF, 'uint8_t *', ifr) < 0) {
    const errno = libc.errno();
    libc.close(fd);
    const [code, hint] =
      errno === EPERM
        ? [
            'tun-permission',
            'the device belongs to another user: let the helper create it with this user as owner',
          ]
        : errno === EBUSY
          ? ['tun-busy', 'another process is already attached to this device']
          : errno === ENOENT
            ? ['tun-missing', 'the device does not exist (or lives in another network namespace)']
            : ['tun-attach-failed', 'check the device name the helper returned'];
    throw tunError(code, `cannot attach to TUN device ${name} (errno ${errno})`, hint);
  }
  return new LinuxTun(name, fd, libc, opts);
}

/** Wraps a TUN fd received from the helper (already attached with IFF_TUN | IFF_NO_PI). Takes ownership. */
export function linuxTunFromFd(name: string, fd: number, opts: OpenTunOptions = {}): TunDevice {
  if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`not a file descriptor: ${fd}`);
  return new LinuxTun(name, fd, loadLibc(), opts, true);
}

const F_GETFL = 3;
const F_SETFL = 4;

class LinuxTun implements TunDevice {
  private readonly buf: Buffer;
  private readonly pollfds = Buffer.alloc(16);
  private readonly wake: Buffer = Buffer.alloc(8);
  private readonly eventFd: number;
  private readonly budget: number;
  private handler: ((packet: Uint8Array) => void) | null = null;
  private errorHandler: ((error: Error) => void) | null = null;
  private polling = false;
  private closing: Promise<void> | null = null;
  private finishClose: (() => void) | null = null;
  private closed = false;
  private readonly unregisterWake: () => void;
  private counters = { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, writeErrors: 0, readErrors: 0 };

  constructor(
    readonly name: string,
    private readonly fd: number,
    private readonly libc: LinuxLibc,
    opts: OpenTunOptions,
    ensureNonBlocking = false,
  ) {
    if (ensureNonBlocking) setNonBlocking(libc, fd);
    this.buf = Buffer.alloc(opts.maxPacket ?? 65535);
    this.budget = opts.drainBudget ?? 256;
    this.eventFd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.eventFd < 0) {
      libc.close(fd);
      throw tunError(
        'tun-open-failed',
        `eventfd failed (errno ${libc.errno()})`,
        'the process is out of file descriptors',
      );
    }
    this.pollfds.writeInt32LE(fd, 0);
    this.pollfds.writeInt16LE(POLLIN, 4);
    this.pollfds.writeInt32LE(this.eventFd, 8);
    this.pollfds.writeInt16LE(POLLIN, 12);
    this.wake.writeBigUInt64LE(1n);
    this.unregisterWake = wakeOnExit(() => this.libc.write(this.eventFd, this.wake, 8));
  }

  onPacket(handler: (packet: Uint8Array) => void): void {
    const first = this.handler === null;
    this.handler = handler;
    if (first && !this.closed) this.drain();
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandler = handler;
  }

  write(packet: Uint8Array): boolean {
    if (this.closed) {
      this.counters.writeErrors++;
      return false;
    }
    const n = this.libc.write(this.fd, packet, packet.length);
    if (n !== packet.length) {
      this.counters.writeErrors++;
      return false;
    }
    this.counters.packetsOut++;
    this.counters.bytesOut += n;
    return true;
  }

  stats(): TunStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.closed = true;
      const done = () => {
        this.unregisterWake();
        this.libc.close(this.fd);
        this.libc.close(this.eventFd);
        resolve();
      };
      if (this.polling) {
        // The worker thread is inside poll() on our fds: wake it, close once it has returned.
        this.finishClose = done;
        this.libc.write(this.eventFd, this.wake, 8);
      } else done();
    });
    return this.closing;
  }

  /** Reads until the fd is empty or the budget is spent, then waits in poll() (or yields and continues). */
  private drain = (): void => {
    if (this.closed) return;
    const { libc, fd, buf } = this;
    for (let i = 0; i < this.budget; i++) {
      const n = libc.read(fd, buf, buf.length);
      if (n < 0) {
        const errno = libc.errno();
        if (errno === EAGAIN) {
          this.arm();
          return;
        }
        if (errno === EINTR) continue;
        this.counters.readErrors++;
        this.fail(
          tunError(
            'tun-read-failed',
            `read from ${this.name} failed (errno ${errno})`,
            'the TUN device was removed or broke; reconnect',
          ),
        );
        return;
      }
      if (n === 0) {
        // A TUN read never returns 0 bytes; end of file means the descriptor's other side is gone.
        this.fail(
          tunError('tun-closed', `${this.name} reached end of file`, 'the TUN device was removed; reconnect'),
        );
        return;
      }
      this.counters.packetsIn++;
      this.counters.bytesIn += n;
      this.handler?.(buf.subarray(0, n));
      if (this.closed) return;
    }
    setImmediate(this.drain);
  };

  private arm(): void {
    this.polling = true;
    this.libc.poll.async(this.pollfds, 2, POLL_TIMEOUT_MS, (err, res) => {
      this.polling = false;
      if (this.finishClose) {
        const f = this.finishClose;
        this.finishClose = null;
        f();
        return;
      }
      if (this.closed) return;
      if (err || res < 0) {
        this.fail(
          tunError('tun-read-failed', `poll on ${this.name} failed`, 'the TUN device broke; reconnect', err),
        );
        return;
      }
      this.drain();
    });
  }

  private fail(error: FerryError): void {
    void this.close();
    this.errorHandler?.(error);
  }
}

function setNonBlocking(libc: LinuxLibc, fd: number): void {
  const flags = libc.fcntl(fd, F_GETFL, 0);
  if (flags >= 0 && (flags & O_NONBLOCK) === 0) libc.fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
