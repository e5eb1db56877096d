/** The strongSwan VM lab itself: daemons up, IKE answers from the host, variants applied, clean teardown. */

import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lastTimings,
  reconfigure,
  resolveConfig,
  type StrongSwanInfo,
  serverLogMark,
  strongswanLab,
  vmExec,
  waitForServerLog,
} from '../lab/strongswan';
import { encodeArg } from '../lab/strongswan/console';
import { NETNS, networkLeftovers } from '../lab/strongswan/network';
import { applyBundle, pppWord, renderGuestFiles, TUNNEL_LOCAL, TUNNEL_POOL } from '../lab/strongswan/render';
import { VM_NAME } from '../lab/strongswan/vm';
import { linkExists, netnsAdd, netnsDelete, run } from '../lab/sys';
import type { LabUser } from '../lab/types';
import { describeLab } from '../support/env';

const timings: Record<string, number> = {};
const time = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings[what] = Math.round(performance.now() - t0);
  }
};

/** One IKEv1 transform as ISAKMP basic (TV) attributes (RFC 2409 Appendix A): [type, value] pairs. */
type Attrs = readonly (readonly [number, number])[];
const MODERN: Attrs = [
  [1, 7], // encryption: AES-CBC
  [14, 256], // key length
  [2, 4], // hash: SHA2-256
  [3, 1], // auth: pre-shared key
  [4, 14], // group: MODP-2048
  [11, 1], // life type: seconds
  [12, 28800], // life duration
];
const LEGACY: Attrs = [
  [1, 5], // 3DES-CBC
  [2, 2], // SHA1
  [3, 1],
  [4, 2], // MODP-1024
  [11, 1],
  [12, 28800],
];

/** A Main Mode first message (RFC 2408 §3.1, §3.4-3.6): header + SA{proposal{one KEY_IKE transform}}. */
function mainModeFirst(cookie: Buffer, attrs: Attrs): Buffer {
  const transform = Buffer.alloc(8 + attrs.length * 4);
  transform.writeUInt16BE(transform.length, 2);
  transform[4] = 1; // transform number
  transform[5] = 1; // KEY_IKE
  attrs.forEach(([type, value], i) => {
    transform.writeUInt16BE(0x8000 | type, 8 + i * 4);
    transform.writeUInt16BE(value, 10 + i * 4);
  });
  const proposal = Buffer.concat([Buffer.from([0, 0, 0, 0, 1, 1, 0, 1]), transform]);
  proposal.writeUInt16BE(proposal.length, 2);
  const sa = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]), proposal]);
  sa.writeUInt16BE(sa.length, 2);
  const header = Buffer.alloc(28);
  cookie.copy(header, 0);
  header[16] = 1; // next payload: SA
  header[17] = 0x10; // version 1.0
  header[18] = 2; // exchange: Identity Protection (Main Mode)
  header.writeUInt32BE(28 + sa.length, 24);
  return Buffer.concat([header, sa]);
}

/** Sends `packet` from the client address to the server's UDP 500 and returns the first answer. */
async function ikeExchange(info: StrongSwanInfo, packet: Buffer): Promise<Buffer> {
  const sock = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => sock.bind(0, info.clientAddress, resolve));
    return await new Promise<Buffer>((resolve, reject) => {
      let tries = 0;
      let timer: NodeJS.Timeout | undefined;
      const send = () => {
        if (++tries > 4) {
          reject(new Error('no IKE answer from the VM'));
          return;
        }
        sock.send(packet, 500, info.serverAddress);
        timer = setTimeout(send, 3000);
      };
      sock.on('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      send();
    });
  } finally {
    sock.close();
  }
}

const hasAttr = (msg: Buffer, type: number, value: number) =>
  msg.includes(Buffer.from([0x80, type, value >> 8, value & 0xff]));

/** Checks an MM2 answering our cookie and returns the responder cookie. */
function expectMainModeSecond(msg: Buffer, cookie: Buffer): Buffer {
  expect(msg.length).toBeGreaterThanOrEqual(28);
  expect(msg.subarray(0, 8).equals(cookie)).toBe(true);
  expect(msg[18]).toBe(2); // Main Mode
  expect(msg[16]).toBe(1); // first payload: SA
  const responder = msg.subarray(8, 16);
  expect(responder.equals(Buffer.alloc(8))).toBe(false);
  return responder;
}

/** Checks an unencrypted Informational carrying NOTIFY NO_PROPOSAL_CHOSEN (RFC 2408 §3.14.1, type 14). */
function expectNoProposalChosen(msg: Buffer, cookie: Buffer): void {
  expect(msg.subarray(0, 8).equals(cookie)).toBe(true);
  expect(msg[18]).toBe(5); // Informational
  expect(msg[16]).toBe(11); // Notification
  expect(msg.readUInt16BE(28 + 10)).toBe(14);
}

/** PIDs of any process running our VM (qemu started with `-name ferry-strongswan-lab`). */
function labQemuProcesses(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').includes(VM_NAME);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * Self-check of the server's PPP configuration inside the VM: the server's pppd, started with the same
 * options file xl2tpd uses, talks to a client pppd over a pty. Returns the server's pppd log and exit code.
 */
async function pppLoopback(user: LabUser): Promise<{ code: number; log: string }> {
  const client = [
    'noauth',
    `user ${pppWord(user.username)}`,
    `password ${pppWord(user.password)}`,
    'noipdefault',
    'nodefaultroute',
    'maxconnect 1',
  ].join('\n');
  await vmExec(['sh', '-c', 'cat > /run/ferry-ppp-client'], { stdin: `${client}\n` });
  const r = await vmExec(
    [
      'pppd',
      'file',
      '/etc/ppp/options.xl2tpd',
      'nodetach',
      `${TUNNEL_LOCAL}:${TUNNEL_POOL.first}`,
      'maxfail',
      '1',
      'connect-delay',
      '0',
      'pty',
      'pppd notty nodetach file /run/ferry-ppp-client logfile /dev/null',
    ],
    { timeoutMs: 60_000 },
  );
  return { code: r.code, log: r.output };
}

async function daemonPid(name: string): Promise<number> {
  const r = await vmExec(['pidof', name]);
  expect(r.code).toBe(0);
  return Number(r.output.trim());
}

describe('strongSwan lab configuration (no VM)', () => {
  it('rejects values that could break out of the config syntax, without echoing them', () => {
    expect(() => resolveConfig({ esp: 'aes256-sha256!\n\tleftupdown=/bin/sh' })).toThrow(/esp/);
    expect(() => resolveConfig({ ike: 'aes256 sha256' })).toThrow(/ike/);
    expect(() => resolveConfig({ users: [{ username: 'bob', password: 'pw\nroot * x *' }] })).toThrow(
      /users/,
    );
    expect(() => resolveConfig({ users: [{ username: '*', password: 'x' }] })).toThrow(/users/);
    expect(() => resolveConfig({ users: [{ username: 'bob', password: '@/etc/shadow' }] })).toThrow(/users/);
    expect(() => resolveConfig({ dns: ['10.0.0.1; reboot'] })).toThrow(/dns/);
    expect(() => resolveConfig({ marginTimeSec: 4000, keyLifeSec: 3600 })).toThrow(/marginTimeSec/);
    expect(() => resolveConfig({ nonsense: 1 } as never)).toThrow(/nonsense/);
    const message = (() => {
      try {
        resolveConfig({ psk: '', users: [{ username: 'bob', password: 'topsecret\n' }] });
        return '';
      } catch (e) {
        return String(e);
      }
    })();
    expect(message).toMatch(/users\.0\.password/);
    expect(message).toMatch(/psk/);
    expect(message).not.toContain('topsecret');
  });

  it('renders secrets so that quotes and backslashes stay data', () => {
    const c = resolveConfig({
      psk: 'a"b\\c\n%any',
      users: [{ username: 'DOM\\bob', password: 'p"w #1' }],
    });
    const files = new Map(renderGuestFiles(c).map((f) => [f.path, f.content]));
    expect(files.get('/etc/ipsec.secrets')).toContain(
      `PSK 0x${Buffer.from('a"b\\c\n%any').toString('hex')}\n`,
    );
    expect(files.get('/etc/ppp/chap-secrets')).toContain('"DOM\\x5cbob" * "p\\x22w\\x20\\x231" *');
    expect(pppWord('alice')).toBe('"alice"');
    expect(applyBundle([{ path: '/etc/x', content: 'ab\n' }])).toBe('FILE /etc/x 3\nab\n');
    expect(encodeArg('ip xfrm')).toBe('=ip\\x20xfrm');
  });
});

describeLab('strongSwan lab VM', () => {
  let info: StrongSwanInfo;

  beforeAll(async () => {
    info = await time('up (defaults)', () => strongswanLab.up());
    for (const [k, v] of Object.entries(lastTimings())) timings[`up: ${k}`] = v;
  });

  afterAll(async () => {
    await strongswanLab.down();
    console.log('strongSwan lab timings (ms):');
    console.table(timings);
  });

  it('runs charon on UDP 500/4500, xl2tpd on 1701 and iperf3 on TCP 5201', async () => {
    const r = await time('vmExec ss', () => vmExec(['ss', '-Hlnp']));
    expect(r.code).toBe(0);
    const sockets = r.output.split('\n');
    const owner = (proto: string, port: number) =>
      sockets.find((l) => l.startsWith(proto) && new RegExp(`[:.]${port}\\s`).test(l));
    expect(owner('udp', 500)).toMatch(/"charon"/);
    expect(owner('udp', 4500)).toMatch(/"charon"/);
    expect(owner('udp', 1701)).toMatch(/"xl2tpd"/);
    expect(owner('tcp', 5201)).toMatch(/"iperf3"/);
    expect(info.serverAddress).toBe('10.202.0.2');
    expect(info.tunnelPeerAddress).toBe('10.203.0.1');
  });

  it('has the L2TP-PSK connection loaded with the default proposals', async () => {
    const r = await vmExec(['ipsec', 'statusall']);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/L2TP-PSK:\s+%any\.\.\.%any\s+IKEv1/);
    expect(r.output).toMatch(/L2TP-PSK:\s+child:\s+dynamic\[17\/1701\] === dynamic\[17\] TRANSPORT/);
    const conf = await vmExec(['cat', '/etc/ipsec.conf']);
    expect(conf.output).toContain('\tesp=aes256-sha256,aes128-sha1,aes256gcm16,aes128gcm16!\n');
    expect(conf.output).toContain('\tforceencaps=yes\n');
    expect(conf.output).toContain('\trekey=no\n');
  });

  it('forwards debug-level syslog (charon, xl2tpd, pppd) to the serial log', async () => {
    const mark = await serverLogMark();
    await vmExec(['logger', '-p', 'daemon.debug', '-t', 'ferry-test', 'debug-probe']);
    await waitForServerLog(/ferry-test\[?\d*\]?: debug-probe/, 15_000, mark);
  });

  it('has freeradius installed but not enabled, and the pppd radius plugin', async () => {
    const r = await vmExec([
      'sh',
      '-c',
      'command -v freeradius; command -v radtest; ls /usr/lib/pppd/*/radius.so; systemctl is-enabled freeradius',
    ]);
    expect(r.output).toMatch(/\/usr\/sbin\/freeradius/);
    expect(r.output).toMatch(/\/usr\/bin\/radtest/);
    expect(r.output).toMatch(/radius\.so/);
    expect(r.output.trim().split('\n').at(-1)).toBe('disabled');
  });

  it('authenticates PPP peers with MS-CHAPv2 and hands out the pool address (pty self-check)', async () => {
    const ok = await time('PPP self-check (MS-CHAPv2)', () => pppLoopback(info.users[0]!));
    expect(ok.log).toMatch(/sent \[LCP ConfReq id=0x1 .*<auth chap MS-v2>/);
    expect(ok.log).toMatch(/sent \[CHAP Success .*M=Access granted/);
    expect(ok.log).toContain(`remote IP address ${TUNNEL_POOL.first}`);
    expect(ok.log).toMatch(/sent \[IPV6CP ConfReq/);
    const bad = await pppLoopback({ username: info.users[0]!.username, password: 'wrong' });
    expect(bad.code).not.toBe(0);
    expect(bad.log).toMatch(/sent \[CHAP Failure/);
  });

  it('answers an IKEv1 Main Mode offer from the client address', async () => {
    const mark = await serverLogMark();
    const cookie = randomBytes(8);
    const answer = await time('IKE MM1->MM2', () => ikeExchange(info, mainModeFirst(cookie, MODERN)));
    expectMainModeSecond(answer, cookie);
    expect(hasAttr(answer, 1, 7) && hasAttr(answer, 2, 4) && hasAttr(answer, 4, 14)).toBe(true);
    await waitForServerLog(
      /received packet: from 10\.202\.0\.3\[\d+\] to 10\.202\.0\.2\[500\]/,
      15_000,
      mark,
    );
  });

  it('refuses a proposal outside the strict list', async () => {
    const cookie = randomBytes(8);
    expectNoProposalChosen(await ikeExchange(info, mainModeFirst(cookie, LEGACY)), cookie);
  });

  it('applies a variant and restarts only the daemons whose files changed', async () => {
    const charonBefore = await daemonPid('charon');
    const xl2tpdBefore = await daemonPid('xl2tpd');
    const mark = await serverLogMark();
    const odd: LabUser = { username: 'DOM\\bob', password: 'p"w #1\\x' };
    const variant = await time('reconfigure (CHAP-MD5, GCM only, legacy IKE, users, no IPV6CP)', () =>
      reconfigure({
        pppAuth: 'chap-md5',
        esp: 'aes256gcm16,aes128gcm16!',
        ike: '3des-sha1-modp1024!',
        ipv6cp: false,
        users: [...info.users, odd],
      }),
    );
    expect(variant.config.pppAuth).toBe('chap-md5');
    const options = await vmExec(['cat', '/etc/ppp/options.xl2tpd']);
    expect(options.output).toMatch(/^require-chap$/m);
    expect(options.output).not.toMatch(/mschap/);
    expect(options.output).toMatch(/^noipv6$/m);
    const conf = await vmExec(['cat', '/etc/ipsec.conf']);
    expect(conf.output).toContain('\tesp=aes256gcm16,aes128gcm16!\n');
    expect(conf.output).toContain('\tike=3des-sha1-modp1024!\n');
    expect(await daemonPid('charon')).not.toBe(charonBefore);
    expect(await daemonPid('xl2tpd')).toBe(xl2tpdBefore);
    await waitForServerLog(/esp=aes256gcm16,aes128gcm16!/, 15_000, mark);

    // The running charon follows the new list: the legacy offer is accepted, the modern one refused.
    const legacy = randomBytes(8);
    const answer = await ikeExchange(info, mainModeFirst(legacy, LEGACY));
    expectMainModeSecond(answer, legacy);
    expect(hasAttr(answer, 1, 5) && hasAttr(answer, 4, 2)).toBe(true);
    const modern = randomBytes(8);
    expectNoProposalChosen(await ikeExchange(info, mainModeFirst(modern, MODERN)), modern);

    // pppd now asks for CHAP-MD5 only, knows the added user (quotes, backslash, space) and skips IPV6CP.
    const ppp = await time('PPP self-check (CHAP-MD5)', () => pppLoopback(odd));
    expect(ppp.log).toMatch(/sent \[LCP ConfReq id=0x1 .*<auth chap MD5>/);
    expect(ppp.log).toMatch(/sent \[CHAP Success/);
    expect(ppp.log).not.toMatch(/sent \[IPV6CP ConfReq/);
    expect(ppp.log).toMatch(/sent \[LCP ProtRej id=0x[0-9a-f]+ 80 57/);

    // Back to the defaults: only charon restarts again; an unchanged config restarts nothing.
    await time('reconfigure (back to defaults)', () => reconfigure());
    const same = await time('reconfigure (unchanged)', () => reconfigure());
    expect(same.config.pppAuth).toBe('mschap-v2');
    expect(await daemonPid('xl2tpd')).toBe(xl2tpdBefore);
  });

  it('keeps the guest clock in step with the host', async () => {
    const r = await vmExec(['date', '+%s']);
    expect(Math.abs(Number(r.output.trim()) - Date.now() / 1000)).toBeLessThan(30);
  });

  it('down() leaves no namespace, link or qemu behind and is idempotent', async () => {
    await time('down', () => strongswanLab.down());
    await strongswanLab.down();
    expect(await networkLeftovers(null)).toEqual([]);
    expect(labQemuProcesses()).toEqual([]);
    expect((await strongswanLab.status()).running).toBe(false);
  });

  it('puts the client end into a caller namespace, after cleaning up an interrupted run', async () => {
    const ns = 'fvm-test-client';
    await netnsAdd(ns);
    try {
      // Leftovers of an interrupted run: the lab namespace with a bridge, and a stray client veth.
      await netnsAdd(NETNS);
      await run(['ip', 'link', 'add', 'fvm-br', 'type', 'bridge'], { netns: NETNS });
      await run(['ip', 'link', 'add', 'fvm-h', 'type', 'veth', 'peer', 'name', 'fvm-s']);
      const nsInfo = await time('up (client netns, PAP)', () =>
        strongswanLab.up({ clientNetns: ns, config: { pppAuth: 'pap' } }),
      );
      expect(nsInfo.clientNetns).toBe(ns);
      expect(await linkExists('fvm-h', ns)).toBe(true);
      expect(await linkExists('fvm-h')).toBe(false);
      const ping = await vmExec(['ping', '-c', '1', '-W', '5', nsInfo.clientAddress]);
      expect(ping.code).toBe(0);
      const ppp = await time('PPP self-check (PAP)', () => pppLoopback(nsInfo.users[0]!));
      expect(ppp.log).toMatch(/sent \[LCP ConfReq id=0x1 .*<auth pap>/);
      expect(ppp.log).toMatch(/sent \[PAP AuthAck/);
      await strongswanLab.down();
      expect(await networkLeftovers(ns)).toEqual([]);
      expect(labQemuProcesses()).toEqual([]);
    } finally {
      await strongswanLab.down();
      await netnsDelete(ns);
    }
  });
});
