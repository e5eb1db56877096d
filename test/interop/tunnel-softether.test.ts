/**
 * The full tunnel against SoftEther (issue acceptance): IKEv1 Main Mode + Quick Mode (ESP AES-CBC/HMAC-SHA1 in
 * UDP-encapsulated transport mode) → L2TP → PPP → IPCP, with the real ipsecCarrier under the Connection
 * orchestrator. Prints measured phase timings (median over the connect/disconnect cycles).
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FerryError } from '../../core/common/errors';
import { formatLogEntry } from '../../core/common/log';
import { Connection } from '../../core/connection/connection';
import { type IpsecCarrierOptions, ipsecCarrier } from '../../core/connection/ipsecCarrier';
import { type DatagramSocketFactory, nodeUdp } from '../../core/net/udp';
import { type Profile, parseProfile } from '../../core/profile/schema';
import {
  SERVER_LOG,
  SOFTETHER_NETNS,
  type SoftEtherInfo,
  serverLogMark,
  softetherLab,
  waitForServerLog,
} from '../lab/softether';
import { run, waitFor } from '../lab/sys';
import { describeLab } from '../support/env';
import {
  connectOrExplain,
  median,
  pingThrough,
  type TimingRow,
  type TunnelSession,
  timingRow,
  tunnelSession,
} from './support/tunnelSession';

/**
 * Server log lines, checked against this build's output (SERVER_LOG.pppStarted/pppEnded in test/lab/softether
 * are unconfirmed): see the report for what SoftEther actually prints.
 */
const LOG = {
  ipsecSaEstablished: SERVER_LOG.ipsecSaEstablished,
  pppStarted: SERVER_LOG.pppStarted,
  pppEnded: SERVER_LOG.pppEnded,
  ikeSaDeleted: SERVER_LOG.ikeSaDeleted,
};

function profileFor(info: SoftEtherInfo, methods: string[]): Profile {
  const r = parseProfile({
    id: 'se-ipsec',
    name: 'SoftEther L2TP/IPsec',
    server: info.serverAddress,
    userAuth: { username: info.users[0]!.username, methods },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

function session(
  info: SoftEtherInfo,
  methods: string[],
  opts: { password?: string; carrier?: Partial<IpsecCarrierOptions> } = {},
): TunnelSession {
  return tunnelSession({
    profile: profileFor(info, methods),
    psk: info.psk,
    password: opts.password ?? info.users[0]!.password,
    ...(opts.carrier ? { carrier: opts.carrier } : {}),
  });
}

const ping = (conn: Connection, from: string, to: string, id?: number) =>
  pingThrough(conn, from, to, id === undefined ? {} : { id });

const rows: TimingRow[] = [];

afterAll(() => {
  if (!rows.length) return;
  console.log('SoftEther tunnel timings:');
  console.table(rows);
});

describeLab('L2TP/IPsec tunnel against SoftEther', () => {
  let info: SoftEtherInfo;
  beforeAll(async () => {
    info = await softetherLab.up();
  });
  afterAll(async () => {
    await softetherLab.down();
  });

  for (const methods of [['mschapv2'], ['pap']]) {
    it(`comes up with ${methods[0]}: IPCP address, ping to the SecureNAT gateway, clean disconnect`, async () => {
      const mark = await serverLogMark();
      const s = session(info, methods);
      const t0 = performance.now();
      const up = await connectOrExplain(s);
      const upMs = performance.now() - t0;
      expect(up.addresses.localIp).toMatch(/^192\.168\.30\.\d+$/);
      expect(up.algorithms).toMatchObject({
        ike: 'aes256-sha256-modp2048',
        esp: 'aes256-sha1',
        natT: 'rfc3947 (forced)',
        pppAuth: methods[0],
      });
      await waitForServerLog(LOG.ipsecSaEstablished, 5000, mark);
      const rtt = await ping(s.conn, up.addresses.localIp, info.tunnelPeerAddress);
      rows.push(timingRow(methods[0]!, s.conn, { 'total ms': Math.round(upMs), 'ping ms': Math.round(rtt) }));
      const carrier = s.conn.counters().carrier as {
        esp: { in: { packets: number }; out: { packets: number } };
      };
      expect(carrier.esp.in.packets).toBeGreaterThan(0);
      expect(carrier.esp.out.packets).toBeGreaterThan(0);
      await s.conn.disconnect();
      expect(s.conn.state.kind).toBe('disconnected');
      const started = await waitForServerLog(LOG.pppStarted, 10_000, mark);
      const ended = await waitForServerLog(LOG.pppEnded, 10_000, mark);
      const deleted = await waitForServerLog(LOG.ikeSaDeleted, 10_000, mark);
      if (methods[0] === 'mschapv2')
        console.log(`SoftEther server log lines matched:\n${[started[0], ended[0], deleted[0]].join('\n')}`);
      const logs = s.ring.snapshot().map(formatLogEntry).join('\n');
      expect(logs).not.toContain(s.password);
      expect(logs).not.toContain(info.psk);
    });
  }

  it('survives 10 connect/disconnect cycles back to back', async () => {
    const cycle: TimingRow[] = [];
    for (let i = 1; i <= 10; i++) {
      const s = session(info, ['mschapv2']);
      const t0 = performance.now();
      const up = await connectOrExplain(s);
      const total = performance.now() - t0;
      const rtt = await ping(s.conn, up.addresses.localIp, info.tunnelPeerAddress, 0x4300 + i);
      cycle.push(
        timingRow(`cycle ${i}`, s.conn, { 'total ms': Math.round(total), 'ping ms': Math.round(rtt) }),
      );
      await s.conn.disconnect();
      expect(s.conn.state.kind).toBe('disconnected');
    }
    const keys = [
      'phase 1 ms',
      'quick mode ms',
      'L2TP ms',
      'PPP ms',
      'LCP ms',
      'auth ms',
      'IPCP ms',
      'total ms',
      'ping ms',
    ];
    const med: TimingRow = { run: 'median of 10' };
    for (const k of keys) med[k] = median(cycle.map((r) => r[k] as number));
    rows.push(...cycle, med);
  });

  it("answers SoftEther's DPD R-U-THEREs while idle and the session stays up", async () => {
    // Every PPP session SoftEther logged as started has also been logged as ended (it may log the end of the
    // previous test's last session many seconds late, under the same session name as ours).
    const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;
    await waitFor(
      'earlier PPP sessions logged as ended',
      async () => {
        const all = await softetherLab.serverLog();
        // One final line per ended session (the reason, if any, is on a line of its own before it).
        return (
          count(all, /PPP Session \[[^\]]+\]: The PPP session is disconnected\.\s*$/) >=
          count(all, LOG.pppStarted)
        );
      },
      60_000,
      500,
    );
    const mark = await serverLogMark();
    const s = session(info, ['mschapv2'], { carrier: { dpd: false } });
    const up = await connectOrExplain(s);
    const t0 = performance.now();
    const dpd = () =>
      (s.conn.counters().carrier as { informational: { dpdRequestsReceived: number; dpdAcksSent: number } })
        .informational;
    // SoftEther probes about every 10 s; wait for two answered probes (or 30 s).
    while (dpd().dpdAcksSent < 2 && performance.now() - t0 < 30_000)
      await new Promise((r) => setTimeout(r, 250));
    const idleMs = performance.now() - t0;
    console.log(`SoftEther DPD while idle: ${JSON.stringify(dpd())} after ${Math.round(idleMs)} ms`);
    expect(dpd().dpdRequestsReceived).toBeGreaterThanOrEqual(2);
    expect(dpd().dpdAcksSent).toBe(dpd().dpdRequestsReceived);
    expect(s.conn.state.kind).toBe('connected');
    await ping(s.conn, up.addresses.localIp, info.tunnelPeerAddress, 0x4400);
    const log = (await softetherLab.serverLog()).slice(mark);
    expect(log).not.toMatch(LOG.pppEnded);
    await s.conn.disconnect();
  });

  it('sends its own R-U-THERE when the server has been quiet and gets R-U-THERE-ACKs back', async () => {
    const s = session(info, ['mschapv2'], {
      // Our probe goes out only after idleMs without a packet from the server, and SoftEther keeps an idle tunnel
      // fairly busy (its own R-U-THEREs, PPP echoes): measured gaps of 3 s took from 4 s to over 20 s to appear.
      carrier: { dpd: { idleMs: 1500, retryMs: 1500, maxMisses: 3 } },
    });
    const up = await connectOrExplain(s);
    const own = () =>
      (
        s.conn.counters().carrier as {
          dpd: { requestsSent: number; acksReceived: number; unexpectedAcks: number };
        }
      ).dpd;
    const t0 = performance.now();
    while (own().acksReceived < 1 && performance.now() - t0 < 45_000)
      await new Promise((r) => setTimeout(r, 250));
    console.log(
      `own DPD against SoftEther: ${JSON.stringify(own())} after ${Math.round(performance.now() - t0)} ms`,
    );
    expect(own().acksReceived).toBeGreaterThanOrEqual(1);
    expect(own().unexpectedAcks).toBe(0);
    expect(s.conn.state.kind).toBe('connected');
    await ping(s.conn, up.addresses.localIp, info.tunnelPeerAddress, 0x4500);
    await s.conn.disconnect();
  });

  it('reports a wrong password as { phase: auth, code: auth-failed }', async () => {
    const s = session(info, ['mschapv2'], { password: 'definitely-wrong' });
    await expect(s.conn.connect()).rejects.toMatchObject({ phase: 'auth', code: 'auth-failed' });
    expect(s.conn.state).toMatchObject({ kind: 'failed', phase: 'auth', code: 'auth-failed' });
    expect(s.ring.snapshot().map(formatLogEntry).join('\n')).not.toContain('definitely-wrong');
  });

  it('with EAP allowed, names the SoftEther EAP fallback stall instead of a bare timeout', async () => {
    const profile = profileFor(info, ['mschapv2', 'eap']);
    const conn = new Connection({
      profile,
      secrets: { password: info.users[0]!.password },
      carrier: ipsecCarrier({ profile, psk: info.psk }),
      timeouts: { authMs: 6000 },
    });
    await expect(conn.connect()).rejects.toMatchObject({ phase: 'auth', code: 'eap-fallback-stalled' });
  });

  it('detects a server that vanishes while connected (DPD) and fails with dead-peer', async () => {
    const nft = (args: string[]) => run(['nft', ...args], { netns: SOFTETHER_NETNS });
    const s = session(info, ['mschapv2'], {
      // Our probe goes out only after idleMs without a packet from the server, and SoftEther keeps an idle tunnel
      // fairly busy (its own R-U-THEREs, PPP echoes): measured gaps of 3 s took from 4 s to over 20 s to appear.
      carrier: { dpd: { idleMs: 1500, retryMs: 1500, maxMisses: 3 } },
    });
    await connectOrExplain(s);
    const failed = new Promise<{ phase: string; code: string }>((resolve) =>
      s.conn.events.on('state', (st) => st.kind === 'failed' && resolve(st)),
    );
    try {
      await nft(['add', 'table', 'inet', 'ferrytest']);
      await nft([
        'add',
        'chain',
        'inet',
        'ferrytest',
        'in',
        '{ type filter hook input priority 0 ; policy accept ; }',
      ]);
      await nft(['add', 'rule', 'inet', 'ferrytest', 'in', 'udp', 'dport', '{ 500, 4500 }', 'drop']);
      // Both ways: while the server's own R-U-THEREs and keepalives still reach us, it is not dead to us.
      await nft([
        'add',
        'chain',
        'inet',
        'ferrytest',
        'out',
        '{ type filter hook output priority 0 ; policy accept ; }',
      ]);
      await nft(['add', 'rule', 'inet', 'ferrytest', 'out', 'udp', 'sport', '{ 500, 4500 }', 'drop']);
      const t0 = Date.now();
      const st = await Promise.race([failed, new Promise<null>((r) => setTimeout(() => r(null), 40_000))]);
      const ms = Date.now() - t0;
      // Detection (the carrier's failure) versus the state change, which waits for the teardown against a
      // server that no longer answers (PPP Terminate, CDN, StopCCN retransmissions).
      const detected = s.ring.snapshot().find((e) => e.msg === 'ipsec carrier failed');
      const detectMs = detected ? detected.ts - t0 : Number.NaN;
      console.log(
        `server gone while connected: ${JSON.stringify(st)}; detected after ${detectMs} ms, failed state after ${ms} ms`,
      );
      expect(st).toMatchObject({ phase: 'established', code: 'dead-peer' });
      expect(detectMs).toBeLessThan(12_000);
    } finally {
      await nft(['delete', 'table', 'inet', 'ferrytest']).catch(() => undefined);
      await s.conn.disconnect();
    }
  });

  it('reports a server that vanishes right after phase 1 as a quick-mode timeout, without hanging', async () => {
    // Outgoing datagrams are held while nft starts dropping IKE in the server's namespace, then released.
    let hold = false;
    const held: (() => void)[] = [];
    const sockets: DatagramSocketFactory = {
      open: async (o) => {
        const sock = await nodeUdp.open(o);
        return {
          local: sock.local,
          send: (d, to) => (hold ? held.push(() => sock.send(d, to)) : sock.send(d, to)),
          onMessage: (h) => sock.onMessage(h),
          onError: (h) => sock.onError(h),
          close: () => sock.close(),
        };
      },
    };
    const nft = (args: string[]) => run(['nft', ...args], { netns: SOFTETHER_NETNS });
    const s = session(info, ['mschapv2'], { carrier: { sockets, quickModeTimeoutMs: 6000 } });
    let blocked: Promise<void> | null = null;
    s.conn.events.on('phase', (timeline) => {
      if (blocked || !timeline.some((p) => p.phase === 'ike-phase1' && p.result === 'ok')) return;
      hold = true;
      blocked = (async () => {
        await nft(['add', 'table', 'inet', 'ferrytest']);
        await nft([
          'add',
          'chain',
          'inet',
          'ferrytest',
          'in',
          '{ type filter hook input priority 0 ; policy accept ; }',
        ]);
        await nft(['add', 'rule', 'inet', 'ferrytest', 'in', 'udp', 'dport', '{ 500, 4500 }', 'drop']);
        hold = false;
        for (const send of held.splice(0)) send();
      })();
    });
    const t0 = performance.now();
    try {
      const err = await s.conn.connect().then(
        () => null,
        (e: unknown) => e,
      );
      const elapsed = performance.now() - t0;
      console.log(
        `server gone after phase 1: ${err instanceof FerryError ? err.describe() : err} after ${Math.round(elapsed)} ms`,
      );
      expect(err).toMatchObject({ phase: 'quick-mode', code: 'timeout' });
      expect(elapsed).toBeLessThan(15_000);
      expect(s.conn.state).toMatchObject({ kind: 'failed', phase: 'quick-mode', code: 'timeout' });
    } finally {
      await blocked;
      await nft(['delete', 'table', 'inet', 'ferrytest']).catch(() => undefined);
    }
  });
});
