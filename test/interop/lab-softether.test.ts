/** The SoftEther lab itself: isolation, configuration, clean teardown, crash recovery, restart. */
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, expect, it } from 'vitest';
import {
  ipsecSettings,
  restartServer,
  SOFTETHER_NETNS,
  type SoftEtherInfo,
  serverPid,
  softetherLab,
  trafficCounters,
  waitForServerLog,
} from '../lab/softether';
import {
  LAB_ROOT,
  linkExists,
  netnsAdd,
  netnsDelete,
  netnsExists,
  pidAlive,
  run,
  sleep,
  udpPortBound,
} from '../lab/sys';
import { describeLab } from '../support/env';

const NS = SOFTETHER_NETNS;
const timings: Record<string, number> = {};
const time = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  const t0 = performance.now();
  const r = await f();
  timings[what] = Math.round(performance.now() - t0);
  return r;
};

/** PIDs of any vpnserver / vpncmd process on the machine. */
function softetherProcesses(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return /\/(vpnserver|vpncmd)\0/.test(readFileSync(`/proc/${e}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function expectNothingLeft(): Promise<void> {
  expect(await netnsExists(NS)).toBe(false);
  expect(await linkExists('fse-h')).toBe(false);
  expect(softetherProcesses()).toEqual([]);
  expect(existsSync(join(LAB_ROOT, 'softether', 'vpnserver.pid'))).toBe(false);
}

/** A minimal L2TPv2 SCCRQ (RFC 2661 §6.1): Message Type, Protocol Version, Host Name, Framing, Assigned Tunnel ID. */
function sccrq(tunnelId: number): Buffer {
  const avp = (type: number, value: Buffer) => {
    const h = Buffer.alloc(6);
    h.writeUInt16BE(0x8000 | (6 + value.length), 0); // M bit + length (§4.1)
    h.writeUInt16BE(type, 4);
    return Buffer.concat([h, value]);
  };
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const avps = Buffer.concat([
    avp(0, u16(1)),
    avp(2, u16(0x0100)),
    avp(7, Buffer.from('ferry-lab-test')),
    avp(3, Buffer.from([0, 0, 0, 3])),
    avp(9, u16(tunnelId)),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0xc802, 0); // T, L, S, version 2 (§3.1)
  header.writeUInt16BE(12 + avps.length, 2);
  return Buffer.concat([header, avps]);
}

function exchange(packet: Buffer, from: string, to: string, port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no reply from ${to}:${port}`));
    }, 3000);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg);
    });
    sock.bind(0, from, () => sock.send(packet, port, to));
  });
}

describeLab('SoftEther lab', () => {
  let info: SoftEtherInfo;

  afterAll(async () => {
    await softetherLab.down();
    console.log('SoftEther lab timings (ms):', JSON.stringify(timings));
  });

  it('comes up with L2TP/IPsec on UDP 500/4500 and our PSK', async () => {
    info = await time('up (first)', () => softetherLab.up());
    console.log('up timings (ms from start of up):', JSON.stringify(info.timings));
    expect(info.serverAddress).toBe('10.201.0.1');
    expect(info.clientAddress).toBe('10.201.0.2');
    expect(info.clientNetns).toBeNull();
    expect(info.tunnelPeerAddress).toBe('192.168.30.1');
    expect(info.users.map((u) => u.username)).toEqual(['alice', 'bob']);
    expect(await udpPortBound(500, NS)).toBe(true);
    expect(await udpPortBound(4500, NS)).toBe(true);
    expect(await udpPortBound(1701, NS)).toBe(false);
    const s = await ipsecSettings();
    expect(s['L2TP over IPsec Server Function Enabled']).toBe('Yes');
    expect(s['Raw L2TP Server Function Enabled']).toBe('No');
    expect(s['IPsec Pre-Shared Key String']).toBe('ferry-lab-psk');
    expect(s['Name of Default Virtual Hub']).toBe('DEFAULT');
    expect(await softetherLab.status()).toMatchObject({ running: true });
    expect(await softetherLab.serverLog()).toMatch(/TCP Listener \(port 5555\) has started/);
    await waitForServerLog(/The configuration file has been loaded/, 1000);
  });

  it('has no route out of its namespace and no IPv6', async () => {
    const routes = await run(['ip', '-4', 'route', 'show'], { netns: NS });
    expect(routes.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^10\.201\.0\.0\/24 dev fse-s /),
    ]);
    const out = await run(['ip', 'route', 'get', '1.1.1.1'], { netns: NS, check: false });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/unreachable/i);
    const v6 = await run(['sysctl', '-n', 'net.ipv6.conf.fse-s.disable_ipv6'], { netns: NS });
    expect(v6.stdout.trim()).toBe('1');
    expect(readFileSync('/proc/sys/net/ipv6/conf/fse-h/disable_ipv6', 'utf8').trim()).toBe('1');
  });

  it('sent nothing but vpncmd traffic on loopback and packets to 10.201.0.0/24', async () => {
    // The counters were installed before vpnserver started; give its background threads a few seconds.
    await sleep(3000);
    const c = await trafficCounters();
    console.log('server namespace output counters:', JSON.stringify(c));
    expect(c.admin.packets).toBeGreaterThan(0); // proves the counters see the server's traffic at all
    expect(c.other).toEqual({ packets: 0, bytes: 0 });
  });

  it('restarts the server keeping its configuration', async () => {
    const before = serverPid();
    const r = await time('restartServer', () => restartServer());
    console.log('restart (ms):', JSON.stringify(r));
    expect(r.pid).not.toBe(before);
    expect(before !== null && pidAlive(before)).toBe(false);
    expect(serverPid()).toBe(r.pid);
    expect((await ipsecSettings())['IPsec Pre-Shared Key String']).toBe('ferry-lab-psk');
    expect(await udpPortBound(4500, NS)).toBe(true);
    expect((await trafficCounters()).other.packets).toBe(0);
  });

  it('goes down completely, and a second down() is harmless', async () => {
    await time('down', () => softetherLab.down());
    await expectNothingLeft();
    await time('down (again)', () => softetherLab.down());
    await expectNothingLeft();
    expect(await softetherLab.status()).toMatchObject({ running: false, detail: 'not running' });
  });

  it('comes up again after a crash that left the namespace behind', async () => {
    info = await time('up (later)', () => softetherLab.up({ psk: 'crash-test-psk' }));
    const pid = serverPid();
    expect(pid).not.toBeNull();
    process.kill(pid!, 'SIGKILL');
    while (pidAlive(pid!)) await sleep(20);
    expect(await netnsExists(NS)).toBe(true);
    expect((await softetherLab.status()).running).toBe(false);

    info = await time('up (after crash)', () => softetherLab.up());
    expect(info.psk).toBe('ferry-lab-psk');
    expect((await ipsecSettings())['IPsec Pre-Shared Key String']).toBe('ferry-lab-psk');
    expect(await udpPortBound(4500, NS)).toBe(true);
  });

  it('puts the client end into the given namespace, and serves raw L2TP on 1701 when asked', async () => {
    const client = 'ferry-se-test-client';
    await netnsAdd(client);
    try {
      info = await time('up (l2tpRaw, clientNetns)', () =>
        softetherLab.up({ clientNetns: client, l2tpRaw: true }),
      );
      expect(info.clientNetns).toBe(client);
      expect(await linkExists('fse-h')).toBe(false);
      expect(await linkExists('fse-h', client)).toBe(true);
      // Reachable from the client namespace (no ping on this box: a TCP connect to the admin port).
      await run(['timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${info.serverAddress}/5555`], {
        netns: client,
      });
      expect(await udpPortBound(1701, NS)).toBe(true);
      expect((await ipsecSettings())['Raw L2TP Server Function Enabled']).toBe('Yes');
      await softetherLab.down();
      expect(await linkExists('fse-h', client)).toBe(false);

      // From the root namespace, plain L2TP: SCCRQ → SCCRP (Message Type AVP value 2).
      info = await softetherLab.up({ l2tpRaw: true });
      const reply = await exchange(sccrq(0x1234), info.clientAddress, info.serverAddress, 1701);
      expect(reply.readUInt16BE(0) & 0xc000).toBe(0xc000); // control message
      expect(reply.readUInt16BE(4)).toBe(0x1234); // addressed to our tunnel
      expect(reply.readUInt16BE(12 + 4)).toBe(0); // first AVP: Message Type …
      expect(reply.readUInt16BE(12 + 6)).toBe(2); // … SCCRP
    } finally {
      await softetherLab.down();
      await netnsDelete(client);
    }
    await expectNothingLeft();
  });
});
