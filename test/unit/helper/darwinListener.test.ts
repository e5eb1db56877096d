import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isFerryError } from '../../../core/common/errors';
import { createLogger, type LogEntry } from '../../../core/common/log';
import { HelperClient, verifyHelperSocket } from '../../../main/helper/client';
import { DarwinListener, type ListenerFs, nodeListenerFs } from '../../../main/helper/darwin/listener';
import {
  type DarwinSocketLibc,
  darwinSockaddrUn,
  encodeXucred,
  type Xucred,
} from '../../../main/helper/darwin/socketLibc';
import { Journal, memoryStore } from '../../../main/helper/journal';
import { serveUnixConnection } from '../../../main/helper/main';
import { nodeStream } from '../../../main/helper/server';
import { HelperService } from '../../../main/helper/service';
import { describeRequiring } from '../../support/env';
import { darwinAbiOnLinux } from './darwinAbiOnLinux';
import { FakeBackend } from './fakes';

const PATH = '/var/run/ferry/helper.sock';
const STAFF = 20;

/** A fake libSystem: records each call with its arguments and answers like xnu. */
function fakeLibSystem() {
  const calls: string[] = [];
  const pending: ((n: number) => void)[] = [];
  const acceptQueue: number[] = [];
  const creds = new Map<number, { x: Xucred; pid: number } | null>();
  let errno = 0;
  let connectResult = { r: -1, errno: 61 };
  const libc: DarwinSocketLibc = {
    socket: (d, t, p) => {
      calls.push(`socket ${d} ${t} ${p}`);
      return calls.filter((c) => c.startsWith('socket')).length === 1 ? 7 : 30;
    },
    bind: (fd, addr, len) => {
      calls.push(`bind ${fd} ${addr.subarray(0, len).toString('hex')} ${len}`);
      return 0;
    },
    listen: (fd, backlog) => {
      calls.push(`listen ${fd} ${backlog}`);
      return 0;
    },
    accept: (fd) => {
      const c = acceptQueue.shift();
      calls.push(`accept ${fd}${c === undefined ? ' EAGAIN' : ` -> ${c}`}`);
      if (c === undefined) errno = 35;
      return c ?? -1;
    },
    connect: (fd, addr, len) => {
      calls.push(`connect ${fd} ${addr.subarray(2, len - 1).toString()}`);
      errno = connectResult.errno;
      return connectResult.r;
    },
    getsockopt: (fd, level, name, value, len) => {
      calls.push(`getsockopt ${fd} ${level} ${name} ${len[0]}`);
      const c = creds.get(fd);
      if (!c) {
        errno = 22;
        return -1;
      }
      const bytes = name === 1 ? encodeXucred(c.x) : Buffer.from(Int32Array.of(c.pid).buffer);
      bytes.copy(value);
      len[0] = bytes.length;
      return 0;
    },
    fcntl: (fd, cmd, arg) => {
      calls.push(`fcntl ${fd} ${cmd} ${arg}`);
      return cmd === 3 ? 2 : 0; // F_GETFL: O_RDWR
    },
    pipe: (fds) => {
      calls.push('pipe');
      fds.writeInt32LE(8, 0);
      fds.writeInt32LE(9, 4);
      return 0;
    },
    read: (fd) => {
      calls.push(`read ${fd}`);
      errno = 35;
      return -1;
    },
    write: (fd, _b, len) => {
      calls.push(`write ${fd} ${len}`);
      return len;
    },
    close: (fd) => {
      calls.push(`close ${fd}`);
      return 0;
    },
    poll: Object.assign(
      () => {
        throw new Error('poll must run on a worker thread');
      },
      {
        async: (fds: Buffer, nfds: number, ms: number, cb: (e: unknown, n: number) => void) => {
          calls.push(`poll ${fds.toString('hex')} ${nfds} ${ms}`);
          pending.push((n) => cb(null, n));
        },
      },
    ),
    errno: () => errno,
  };
  return {
    libc,
    calls,
    /** A client connects: the next poll reports the listening socket readable. */
    connection(fd: number, c: { x: Xucred; pid: number } | null) {
      acceptQueue.push(fd);
      creds.set(fd, c);
      pending.shift()!(1);
    },
    wake: () => pending.shift()!(1),
    stale(r: number, e: number) {
      connectResult = { r, errno: e };
    },
  };
}

function fakeFs(existing: Record<string, 'dir' | 'socket' | 'file'> = {}) {
  const calls: string[] = [];
  const fs: ListenerFs = {
    mkdir: (p, mode) => {
      calls.push(`mkdir ${p} 0${mode.toString(8)}`);
      existing[p] ??= 'dir';
    },
    lstat: (p) => {
      calls.push(`lstat ${p}`);
      const k = existing[p];
      return k
        ? { isDirectory: () => k === 'dir', isSymbolicLink: () => false, isSocket: () => k === 'socket' }
        : null;
    },
    chown: (p, u, g) => calls.push(`chown ${p} ${u}:${g}`) && undefined,
    chmod: (p, m) => calls.push(`chmod ${p} 0${m.toString(8)}`) && undefined,
    rm: (p) => {
      calls.push(`rm ${p}`);
      delete existing[p];
    },
    umask: (m) => {
      calls.push(`umask 0${m.toString(8)}`);
      return 0o22;
    },
  };
  return { fs, calls };
}

/** Node's side of an accepted connection: what the client sends and what it receives. */
function socketPair() {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = Duplex.from({ readable: toServer, writable: toClient });
  let received = '';
  toClient.on('data', (d: Buffer) => {
    received += d.toString();
  });
  return {
    server,
    send: (s: string) => toServer.write(s),
    async lines(n: number) {
      for (let i = 0; i < 200 && received.split('\n').filter(Boolean).length < n; i++)
        await new Promise((r) => setTimeout(r, 5));
      const all = received.split('\n').filter(Boolean);
      received = all
        .slice(n)
        .map((l) => `${l}\n`)
        .join('');
      return all.slice(0, n).map((l) => JSON.parse(l));
    },
    ended: () => toClient.writableEnded,
  };
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function service(logs: LogEntry[]) {
  const log = createLogger({ sinks: [(e) => logs.push(e)] });
  return { log, service: new HelperService(new FakeBackend(), new Journal(memoryStore()), log) };
}

describe('macOS listener: the exact calls', () => {
  it('directory root:staff 0750, socket bound under umask 0117 then root:staff 0660, self-pipe, poll', () => {
    const sys = fakeLibSystem();
    const f = fakeFs();
    const l = DarwinListener.listen(
      { path: PATH, group: STAFF, logger: createLogger({ sinks: [] }), onConnection: () => undefined },
      { libc: sys.libc, fs: f.fs },
    );
    closers.push(() => {
      const closed = l.close();
      sys.wake();
      return closed;
    });
    const { addr, len } = darwinSockaddrUn(PATH);
    expect(len).toBe(2 + PATH.length + 1);
    // sun_len, AF_UNIX, the path, NUL
    expect(addr.subarray(0, len).toString('hex')).toBe(`1d01${Buffer.from(PATH).toString('hex')}00`);
    expect(f.calls).toEqual([
      'mkdir /var/run/ferry 0700',
      'lstat /var/run/ferry',
      'chown /var/run/ferry 0:20',
      'chmod /var/run/ferry 0750',
      `lstat ${PATH}`,
      'umask 0117',
      'umask 022',
      `chown ${PATH} 0:20`,
      `chmod ${PATH} 0660`,
    ]);
    expect(sys.calls).toEqual([
      'socket 1 1 0', // AF_UNIX, SOCK_STREAM
      'fcntl 7 2 1', // F_SETFD FD_CLOEXEC
      'fcntl 7 3 0', // F_GETFL
      'fcntl 7 4 6', // F_SETFL O_RDWR|O_NONBLOCK
      `bind 7 ${addr.subarray(0, len).toString('hex')} ${len}`,
      'listen 7 64',
      'pipe',
      'fcntl 8 2 1',
      'fcntl 8 3 0',
      'fcntl 8 4 6',
      'fcntl 9 2 1',
      'fcntl 9 3 0',
      'fcntl 9 4 6',
      // struct pollfd[2] { fd, POLLIN, 0 }: the socket and the wake-up pipe; 1 s backstop
      'poll 07000000010000000800000001000000 2 1000',
    ]);
  });

  it('without a group: root only (0700 directory, 0600 socket, umask 0177)', () => {
    const sys = fakeLibSystem();
    const f = fakeFs();
    const l = DarwinListener.listen(
      { path: PATH, group: null, logger: createLogger({ sinks: [] }), onConnection: () => undefined },
      { libc: sys.libc, fs: f.fs },
    );
    closers.push(() => {
      const c = l.close();
      sys.wake();
      return c;
    });
    expect(f.calls.filter((c) => /chown|chmod|umask 01/.test(c))).toEqual([
      'chown /var/run/ferry 0:0',
      'chmod /var/run/ferry 0700',
      'umask 0177',
      `chown ${PATH} 0:0`,
      `chmod ${PATH} 0600`,
    ]);
  });

  it('removes a dead socket, refuses to start over a live one or over a file', () => {
    const sys = fakeLibSystem();
    const f = fakeFs({ [PATH]: 'socket' });
    const opts = {
      path: PATH,
      group: STAFF,
      logger: createLogger({ sinks: [] }),
      onConnection: () => undefined,
    };
    const l = DarwinListener.listen(opts, { libc: sys.libc, fs: f.fs });
    closers.push(() => {
      const c = l.close();
      sys.wake();
      return c;
    });
    expect(sys.calls.slice(0, 3)).toEqual(['socket 1 1 0', `connect 7 ${PATH}`, 'close 7']);
    expect(f.calls).toContain(`rm ${PATH}`);

    const live = fakeLibSystem();
    live.stale(0, 0);
    expect(() =>
      DarwinListener.listen(opts, { libc: live.libc, fs: fakeFs({ [PATH]: 'socket' }).fs }),
    ).toThrow(/another helper is already listening/);
    expect(() =>
      DarwinListener.listen(opts, { libc: fakeLibSystem().libc, fs: fakeFs({ [PATH]: 'file' }).fs }),
    ).toThrow(/not a socket/);
  });
});

describe('macOS listener: who may connect', () => {
  it('reads LOCAL_PEERCRED and LOCAL_PEERPID before Node sees the fd; refuses outsiders with a typed refusal, keeps serving', async () => {
    const sys = fakeLibSystem();
    const logs: LogEntry[] = [];
    const { log, service: svc } = service(logs);
    const pairs = new Map<number, ReturnType<typeof socketPair>>();
    const wrapped: number[] = [];
    const l = DarwinListener.listen(
      {
        path: PATH,
        group: STAFF,
        logger: log,
        onConnection: ({ socket, peer }) =>
          serveUnixConnection(nodeStream(socket, socket), peer, {
            service: svc,
            policy: { group: STAFF, uids: [] },
            log,
          }),
      },
      {
        libc: sys.libc,
        fs: fakeFs().fs,
        wrap: (fd) => {
          wrapped.push(fd);
          const p = socketPair();
          pairs.set(fd, p);
          return p.server;
        },
      },
    );
    closers.push(() => {
      const c = l.close();
      sys.wake();
      return c;
    });
    sys.calls.length = 0;

    // An admin user of the console: staff is the primary group.
    sys.connection(10, { x: { uid: 501, groups: [STAFF, 12, 61, 80] }, pid: 777 });
    expect(sys.calls).toEqual([
      'read 8',
      'accept 7 -> 10',
      'fcntl 10 2 1',
      'getsockopt 10 0 1 76', // SOL_LOCAL, LOCAL_PEERCRED, sizeof(struct xucred)
      'getsockopt 10 0 2 4', // SOL_LOCAL, LOCAL_PEERPID
      'accept 7 EAGAIN',
      'poll 07000000010000000800000001000000 2 1000',
    ]);
    expect(wrapped).toEqual([10]);
    const a = pairs.get(10)!;
    a.send('{"id":1,"type":"hello","args":{"version":1}}\n');
    expect(await a.lines(1)).toMatchObject([{ id: 1, ok: true, result: { uid: 501 } }]);

    // Another user whose groups do not include staff (e.g. a daemon account).
    sys.connection(11, { x: { uid: 502, groups: [12, 61] }, pid: 778 });
    const b = pairs.get(11)!;
    expect(await b.lines(1)).toEqual([
      { id: null, ok: false, error: { code: 'unauthorized', message: 'this user may not use the helper' } },
    ]);
    expect(b.ended()).toBe(true);
    expect(logs.find((e) => e.msg === 'connection refused: peer not authorized')?.fields).toEqual({
      uid: 502,
      gid: 12,
      pid: 778,
    });

    // No credentials: closed before Node ever gets the fd.
    sys.connection(12, null);
    expect(wrapped).toEqual([10, 11]);
    expect(sys.calls).toContain('close 12');
    expect(logs.map((e) => e.msg)).toContain('connection without peer credentials refused');

    // A member through a supplementary group; and the first session still answers.
    sys.connection(13, { x: { uid: 503, groups: [12, STAFF] }, pid: 779 });
    const c = pairs.get(13)!;
    c.send('{"id":2,"type":"status"}\n');
    a.send('{"id":3,"type":"status"}\n');
    expect(await c.lines(1)).toMatchObject([{ id: 2, ok: true, result: { sessions: 2 } }]);
    expect(await a.lines(1)).toMatchObject([{ id: 3, ok: true }]);
  });

  it('close() wakes the poller through the self-pipe, then closes the fds and removes the socket', async () => {
    const sys = fakeLibSystem();
    const f = fakeFs();
    const l = DarwinListener.listen(
      { path: PATH, group: STAFF, logger: createLogger({ sinks: [] }), onConnection: () => undefined },
      { libc: sys.libc, fs: f.fs },
    );
    sys.calls.length = 0;
    const closed = l.close();
    expect(sys.calls).toEqual(['write 9 1']);
    sys.wake();
    await closed;
    expect(sys.calls).toEqual(['write 9 1', 'close 7', 'close 8', 'close 9']);
    expect(f.calls.at(-1)).toBe(`rm ${PATH}`);
  });
});

describeRequiring(
  'macOS listener on Linux: real socket, directory and modes (credentials injected)',
  process.platform === 'linux' ? null : 'needs Linux libc to stand in for libSystem',
  () => {
    it('serves HelperClient through a socket it verifies, refuses an outsider, keeps serving, cleans up', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ferry-darwin-'));
      closers.push(() => rmSync(dir, { recursive: true, force: true }));
      const path = join(dir, 'run', 'helper.sock');
      const me = process.getuid!();
      const myGroup = process.getgid!();
      const identities: Xucred[] = [
        { uid: 501, groups: [myGroup] },
        { uid: 502, groups: [4242] },
        { uid: 503, groups: [4242, myGroup] },
        { uid: 504, groups: [myGroup] }, // the probe of a second helper below
      ];
      const libc = darwinAbiOnLinux(() => identities.shift()!);
      const logs: LogEntry[] = [];
      const { log, service: svc } = service(logs);
      const listen = () =>
        DarwinListener.listen(
          {
            path,
            group: myGroup,
            logger: log,
            onConnection: ({ socket, peer }) =>
              serveUnixConnection(nodeStream(socket, socket), peer, {
                service: svc,
                policy: { group: myGroup, uids: [] },
                log,
              }),
          },
          { libc, fs: nodeListenerFs, ownerUid: me },
        );
      const l = listen();
      closers.push(() => l.close());

      const d = statSync(join(dir, 'run'));
      const s = statSync(path);
      expect([d.isDirectory(), d.mode & 0o777, d.uid, d.gid]).toEqual([true, 0o750, me, myGroup]);
      expect([s.isSocket(), s.mode & 0o777, s.uid, s.gid]).toEqual([true, 0o660, me, myGroup]);
      expect(verifyHelperSocket(path, me)).toEqual({ ok: true, value: undefined });

      const first = await HelperClient.connect({ socketPath: path, expectedOwnerUid: me });
      expect((await first.status()).sessions).toBe(1);
      const refused = await HelperClient.connect({ socketPath: path, expectedOwnerUid: me }).catch(
        (e: unknown) => e,
      );
      expect(isFerryError(refused) && [refused.phase, refused.code]).toEqual(['helper', 'unauthorized']);
      expect(logs.find((e) => e.msg === 'connection refused: peer not authorized')?.fields).toMatchObject({
        uid: 502,
        gid: 4242,
        pid: process.pid,
      });
      const third = await HelperClient.connect({ socketPath: path, expectedOwnerUid: me });
      expect((await third.status()).sessions).toBe(2);
      expect((await first.status()).sessions).toBe(2);
      expect(libc.calls.filter((c) => c.startsWith('getsockopt'))).toEqual(
        Array(3).fill(['getsockopt LOCAL_PEERCRED 76', 'getsockopt LOCAL_PEERPID 4']).flat(),
      );
      // A second helper finds this one alive (its probe connects) and does not start.
      expect(() => listen()).toThrow(/another helper is already listening/);
      await first.close();
      await third.close();
      await l.close();
      expect(() => statSync(path)).toThrow(/ENOENT/);
    });

    it('takes over the socket file of a helper that died without removing it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ferry-darwin-'));
      closers.push(() => rmSync(dir, { recursive: true, force: true }));
      const path = join(dir, 'helper.sock');
      const libc = darwinAbiOnLinux(() => ({ uid: 0, groups: [0] }));
      // A crashed helper: bound, then its fd closed, the file left behind.
      const fd = libc.socket(1, 1, 0);
      const { addr, len } = darwinSockaddrUn(path);
      expect(libc.bind(fd, addr, len)).toBe(0);
      libc.close(fd);
      expect(statSync(path).isSocket()).toBe(true);
      const l = DarwinListener.listen(
        { path, group: null, logger: createLogger({ sinks: [] }), onConnection: () => undefined },
        { libc, fs: nodeListenerFs, ownerUid: process.getuid!() },
      );
      closers.push(() => l.close());
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    });
  },
);
