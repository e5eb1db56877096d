import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { isFerryError } from '../../../core/common/errors';
import { openTun, type TunDevice, tunFromFd } from '../../../core/tun';
import { encodeIfreq, IFF_NO_PI, IFF_TUN, ifreqName, isValidIfName } from '../../../core/tun/linuxAbi';

const linux = process.platform === 'linux';
const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
const libc = linux ? koffi.load('libc.so.6') : null;
const socketpair = libc?.func('int socketpair(int, int, int, _Out_ int *sv)');
const send = libc?.func('intptr_t send(int, const void *, size_t, int)');
const recv = libc?.func('intptr_t recv(int, void *, size_t, int)');
const close = libc?.func('int close(int)');
const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;

/** A packet-preserving fd pair: one end stands in for the TUN device, the test plays the kernel on the other. */
function pair(): { tunFd: number; kernel: number } {
  const sv = [0, 0];
  if (socketpair!(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) !== 0) throw new Error('socketpair failed');
  return { tunFd: sv[0]!, kernel: sv[1]! };
}

const open: TunDevice[] = [];
const fds: number[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  for (const fd of fds.splice(0)) close!(fd);
});

const packet = (i: number, len = 1400) => {
  const b = Buffer.alloc(len, i & 0xff);
  b.writeUInt32BE(i, 0);
  return b;
};

describe.runIf(linux)('core/tun on Linux: packet I/O mechanics', () => {
  it('delivers every packet in order, across drain budgets, with exact contents', async () => {
    const { tunFd, kernel } = pair();
    fds.push(kernel);
    const tun = tunFromFd('test0', tunFd, { drainBudget: 64 });
    open.push(tun);
    const got: number[] = [];
    let bad = 0;
    const done = new Promise<void>((resolve) => {
      tun.onPacket((p) => {
        const i = Buffer.from(p.buffer, p.byteOffset, p.byteLength).readUInt32BE(0);
        if (p.length !== 100 + (i % 50) || p[p.length - 1] !== (i & 0xff)) bad++;
        got.push(i);
        if (got.length === 1000) resolve();
      });
    });
    for (let i = 0; i < 1000; i++) {
      const p = packet(i, 100 + (i % 50));
      // the socket buffer is small: wait for the reader when it is full
      while (send!(kernel, p, p.length, MSG_DONTWAIT) < 0) await new Promise((r) => setTimeout(r, 1));
    }
    await done;
    expect(bad).toBe(0);
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(tun.stats()).toMatchObject({ packetsIn: 1000, readErrors: 0 });
  });

  it('writes one packet per call and counts them', async () => {
    const { tunFd, kernel } = pair();
    fds.push(kernel);
    const tun = tunFromFd('test0', tunFd);
    open.push(tun);
    expect(tun.write(packet(7, 60))).toBe(true);
    expect(tun.write(packet(8, 1500))).toBe(true);
    const buf = Buffer.alloc(2000);
    expect(recv!(kernel, buf, buf.length, MSG_DONTWAIT)).toBe(60);
    expect(buf.readUInt32BE(0)).toBe(7);
    expect(recv!(kernel, buf, buf.length, MSG_DONTWAIT)).toBe(1500);
    expect(tun.stats()).toMatchObject({ packetsOut: 2, bytesOut: 1560, writeErrors: 0 });
  });

  it('close() wakes the waiting poll at once; writes after close are refused', async () => {
    const { tunFd, kernel } = pair();
    fds.push(kernel);
    const tun = tunFromFd('test0', tunFd);
    tun.onPacket(() => undefined);
    await new Promise((r) => setTimeout(r, 20)); // now parked in poll()
    const t0 = performance.now();
    await tun.close();
    expect(performance.now() - t0).toBeLessThan(500); // far below the 1 s poll timeout
    expect(tun.write(packet(1))).toBe(false);
    await tun.close();
  });

  it('reports the device going away once', async () => {
    const { tunFd, kernel } = pair();
    const tun = tunFromFd('test0', tunFd);
    open.push(tun);
    const errors: unknown[] = [];
    tun.onError((e) => errors.push(e));
    tun.onPacket(() => undefined);
    close!(kernel);
    for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(errors).toHaveLength(1);
    expect(isFerryError(errors[0]) && errors[0].code).toBe('tun-closed');
  });

  it('attach errors are typed', () => {
    const e1 = (() => {
      try {
        openTun('bad/name');
      } catch (e) {
        return e;
      }
    })();
    expect(isFerryError(e1) && e1.code).toBe('tun-invalid-name');
    const e2 = (() => {
      try {
        openTun('ferry0', { devicePath: '/nonexistent/tun' });
      } catch (e) {
        return e;
      }
    })();
    expect(isFerryError(e2) && [e2.phase, e2.code]).toEqual(['transport', 'tun-open-failed']);
    expect(() => tunFromFd('x', -1)).toThrow(RangeError);
  });
});

describe('Linux TUN ABI', () => {
  it('encodes struct ifreq with name and flags', () => {
    const ifr = encodeIfreq('ferry%d', IFF_TUN | IFF_NO_PI);
    expect(ifr.length).toBe(40);
    expect(ifr.subarray(0, 8).toString('latin1')).toBe('ferry%d\0');
    expect(ifr.readUInt16LE(16)).toBe(0x1001);
    ifr.write('ferry12\0', 0, 'latin1');
    expect(ifreqName(ifr)).toBe('ferry12');
    expect(() => encodeIfreq('a'.repeat(16), IFF_TUN)).toThrow(RangeError);
    expect(isValidIfName('eth0')).toBe(true);
    expect(isValidIfName('x y')).toBe(false);
    expect(isValidIfName('..')).toBe(false);
  });
});
