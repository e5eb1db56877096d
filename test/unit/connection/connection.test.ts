/**
 * The orchestrator against the in-process LNS (test/support/fakeLns) on a FakeClock with seeded randomness:
 * bring-up states and phase timeline, the optional NetworkConfigurator, counters, IP through send()/onPacket(),
 * and a clean disconnect (PPP Terminate, CDN, StopCCN, in that order).
 */
import { describe, expect, it } from 'vitest';
import { CONNECT_PHASES } from '../../../core/common/errors';
import { encodeIcmpEcho } from '../../../core/net/ipv4';
import { connectingPhases, settledKinds, type World, world } from '../../support/fakeLns';

const PPP_AND_L2TP = ['ike-phase1', 'quick-mode', 'l2tp-tunnel', 'l2tp-session', 'lcp', 'auth', 'ipcp'];

async function connected(w: World) {
  const out = await w.connect();
  if (!out.ok) throw out.error;
  return out;
}

describe('bring-up against the fake LNS', () => {
  it('passes through every phase in order and ends connected with addresses, DNS and algorithms (pppd)', async () => {
    const w = await world();
    const out = await connected(w);
    expect(connectingPhases(w.states)).toEqual(PPP_AND_L2TP);
    expect(settledKinds(w.states)).toEqual(['connected']);
    expect(out.state).toBe(w.conn.state);
    expect(out.state.addresses).toEqual({
      localIp: '10.99.0.10',
      peerIp: '10.99.0.1',
      dns: ['10.99.0.1', '10.99.0.2'],
      mtu: 1400,
    });
    expect(out.state.algorithms).toEqual({ ike: 'fake', esp: 'fake (no encryption)', pppAuth: 'mschapv2' });
    // What the server saw, in its order: the whole RFC 2661 §7.2/§7.4 handshake, once each.
    expect(w.lns.received('l2tp')).toEqual(['SCCRQ', 'SCCCN', 'ICRQ', 'ICCN']);
    expect(w.lns.tunnelState).toBe('established');
    expect(w.lns.sessionState).toBe('established');
    expect(w.lns.pppServer?.ipcpOpened).toBe(true);
    w.lns.stop();
  });

  it('records a phase timeline: every phase once, in order, durations ≥ 0, routes and DNS skipped without OS integration', async () => {
    const w = await world();
    const out = await connected(w);
    const timeline = w.conn.phases();
    expect(timeline.map((p) => p.phase)).toEqual([...CONNECT_PHASES]);
    let previousStart = 0;
    for (const p of timeline) {
      expect(p.durationMs).not.toBeNull();
      expect(p.durationMs!).toBeGreaterThanOrEqual(0);
      expect(p.startMs).toBeGreaterThanOrEqual(previousStart);
      expect(p.startMs + p.durationMs!).toBeLessThanOrEqual(out.at);
      previousStart = p.startMs;
    }
    expect(timeline.filter((p) => PPP_AND_L2TP.includes(p.phase)).every((p) => p.result === 'ok')).toBe(true);
    expect(timeline.find((p) => p.phase === 'routes')).toMatchObject({ result: 'skipped' });
    expect(timeline.find((p) => p.phase === 'dns')).toMatchObject({ result: 'skipped' });
    // The L2TP phases take network round trips (10 ms each way on this path); the carrier reports at once.
    expect(timeline.find((p) => p.phase === 'l2tp-tunnel')).toMatchObject({
      durationMs: 20,
      detail: 'xl2tpd',
    });
    expect(timeline.find((p) => p.phase === 'ike-phase1')?.durationMs).toBe(0);
    w.lns.stop();
  });

  it('runs routes then DNS through a NetworkConfigurator with the negotiated addresses, both ok', async () => {
    const w = await world({ network: { delayMs: 5 } });
    const out = await connected(w);
    expect(connectingPhases(w.states)).toEqual([...CONNECT_PHASES]);
    expect(w.network!.calls.map((c) => c.what)).toEqual(['routes', 'dns']);
    for (const c of w.network!.calls) expect(c.addresses).toEqual(out.state.addresses);
    const timeline = w.conn.phases();
    expect(timeline.find((p) => p.phase === 'routes')).toMatchObject({ result: 'ok', durationMs: 5 });
    expect(timeline.find((p) => p.phase === 'dns')).toMatchObject({ result: 'ok', durationMs: 5 });
    w.lns.stop();
  });

  it('copes with SoftEther: EAP refused in LCP toward MS-CHAPv2 (the default), Magic-Number and Secondary-DNS rejected', async () => {
    const w = await world({ server: 'softether' });
    const out = await connected(w);
    expect(out.state.addresses).toMatchObject({ localIp: '192.168.30.10', peerIp: '192.168.30.1' });
    expect(out.state.addresses.dns).toEqual(['192.168.30.1']);
    expect(out.state.algorithms.pppAuth).toBe('mschapv2');
    const ppp = w.conn.phases().filter((p) => ['lcp', 'auth'].includes(p.phase));
    expect(ppp.map((p) => `${p.phase}:${p.result}`)).toEqual(['lcp:ok', 'auth:ok']);
    expect(w.lns.received('ppp')).not.toContain('EAP Response');
    expect(w.lns.sent('l2tp')[0]).toBe('SCCRP');
    w.lns.stop();
  });

  it('with EAP allowed, SoftEther stalls after the EAP-TLS Nak: a typed error that says to remove EAP', async () => {
    const w = await world({ server: 'softether', methods: ['mschapv2', 'eap'] });
    const out = await w.connect();
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toMatchObject({ phase: 'auth', code: 'eap-fallback-stalled' });
    expect(w.lns.received('ppp')).toContain('EAP Response');
    expect(w.lns.sent('ppp')).toContain('LCP Protocol-Reject');
    w.lns.stop();
  });

  const METHODS = [
    { profile: 'mschapv2', server: 'mschapv2', result: 'mschapv2' },
    { profile: 'chap', server: 'chap-md5', result: 'chap-md5' },
    { profile: 'pap', server: 'pap', result: 'pap' },
    { profile: 'eap', server: 'eap', result: 'eap-mschapv2' },
  ] as const;
  for (const m of METHODS) {
    it(`authenticates with ${m.result} when the server offers ${m.server}`, async () => {
      const w = await world({
        methods: [m.profile],
        serverProfile: { authOrder: [m.server], eapMethod: 'mschapv2' },
      });
      const out = await connected(w);
      expect(out.state.algorithms.pppAuth).toBe(m.result);
      w.lns.stop();
    });
  }

  for (const dataFraming of ['length', 'plain', 'sequenced'] as const) {
    it(`carries PPP in data messages framed '${dataFraming}' by the LNS`, async () => {
      const w = await world({ lns: { dataFraming } });
      await connected(w);
      const { replies } = await w.ping(3);
      expect([...replies].sort()).toEqual([1, 2, 3]);
      w.lns.stop();
    });
  }

  it("applies the profile's DNS and MTU choices on top of what IPCP negotiated", async () => {
    const w = await world({
      profile: { mtu: 1300, dns: { useServerDns: false, servers: ['9.9.9.9'] } },
    });
    const out = await connected(w);
    expect(out.state.addresses.dns).toEqual(['9.9.9.9']);
    expect(out.state.addresses.mtu).toBe(1300);
    const both = await world({ profile: { dns: { useServerDns: true, servers: ['10.99.0.2', '9.9.9.9'] } } });
    const out2 = await connected(both);
    expect(out2.state.addresses.dns).toEqual(['10.99.0.2', '9.9.9.9', '10.99.0.1']);
    w.lns.stop();
    both.lns.stop();
  });

  it('counts what each layer did during the bring-up', async () => {
    const w = await world();
    await connected(w);
    const c = w.conn.counters();
    expect(c.ip).toEqual({ packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, drops: {} });
    expect(c.carrier).toEqual({ datagramsIn: w.carrier.datagramsIn, datagramsOut: w.carrier.datagramsOut });
    expect(w.carrier.datagramsOut).toBeGreaterThan(4);
    // SCCRQ, SCCCN, ICRQ, ICCN out; SCCRP, ICRP in; no loss, so no retransmission.
    expect(c.l2tp).toMatchObject({ controlSent: 4, controlReceived: 2, controlRetransmitted: 0 });
    expect(c.l2tp!.dataFramesIn).toBeGreaterThan(0);
    expect(c.l2tp!.dataFramesOut).toBeGreaterThan(0);
    expect(c.ppp!.framesIn.lcp).toBeGreaterThan(0);
    expect(c.ppp!.framesOut.chap).toBe(1);
    expect(c.ppp!.malformed).toBe(0);
    w.lns.stop();
  });
});

describe('IP through the tunnel', () => {
  it("pings the server's address: requests go out through send(), replies come back through onPacket()", async () => {
    const w = await world();
    await connected(w);
    const { sent, replies } = await w.ping(5);
    expect(sent).toBe(5);
    expect([...replies].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(w.lns.echoRequests).toBe(5);
    const ip = w.conn.counters().ip;
    // 20 (IPv4) + 8 (ICMP) + 56 data bytes each way.
    expect(ip).toMatchObject({ packetsOut: 5, packetsIn: 5, bytesOut: 5 * 84, bytesIn: 5 * 84 });
    expect(w.lns.received('ip')).toEqual(Array(5).fill('IP ICMP echo-request'));
    w.lns.stop();
  });

  it('hands packets the server sends to onPacket(), whatever their kind', async () => {
    const w = await world();
    const out = await connected(w);
    const got: number[] = [];
    w.conn.onPacket((p) => got.push(p.length));
    const packet = encodeIcmpEcho('10.99.0.1', out.state.addresses.localIp, {
      type: 'request',
      id: 7,
      seq: 1,
      data: new Uint8Array(100),
    });
    expect(w.lns.sendIp(packet)).toBe(true);
    await w.clock.advance(50);
    expect(got).toEqual([packet.length]);
    expect(w.conn.counters().ip).toMatchObject({ packetsIn: 1, bytesIn: packet.length });
    w.lns.stop();
  });

  it('refuses send() before connect and after disconnect, counting the drops', async () => {
    const w = await world();
    const packet = encodeIcmpEcho('10.99.0.10', '10.99.0.1', {
      type: 'request',
      id: 1,
      seq: 1,
      data: new Uint8Array(8),
    });
    expect(w.conn.send(packet)).toBe(false);
    await connected(w);
    expect(w.conn.send(packet)).toBe(true);
    await w.clock.run(w.conn.disconnect());
    expect(w.conn.send(packet)).toBe(false);
    expect(w.conn.counters().ip.drops).toEqual({ 'not-connected': 2 });
    expect(w.conn.counters().ip.packetsOut).toBe(1);
  });
});

describe('disconnect() when connected', () => {
  it('sends PPP Terminate-Request, then CDN, then StopCCN, restores the network and leaves no timer behind', async () => {
    const w = await world({ network: true });
    await connected(w);
    const before = w.lns.records.length;
    const t0 = w.clock.now();
    await w.clock.run(w.conn.disconnect());
    const teardown = w.lns.records
      .slice(before)
      .filter((r) => r.dir === 'in')
      .map((r) => r.what);
    expect(teardown).toEqual(['LCP Terminate-Request', 'CDN', 'StopCCN']);
    expect(settledKinds(w.states)).toEqual(['connected', 'disconnecting', 'disconnected']);
    expect(w.conn.state).toEqual({ kind: 'disconnected', reason: 'user' });
    expect(w.network!.calls.map((c) => c.what)).toEqual(['routes', 'dns', 'restore']);
    expect(w.carrier.closed).toBe(1);
    expect(w.lns.tunnelState).toBe('closed');
    // Each step waited for its acknowledgement only: a few round trips and one delayed ZLB.
    expect(w.clock.now() - t0).toBeLessThan(1000);
    expect(w.clientClock.pending).toBe(0);
    expect(await w.quiesce()).toBe(0);
    // Idempotent afterwards.
    await w.conn.disconnect();
    expect(w.states.at(-1)).toEqual({ kind: 'disconnected', reason: 'user' });
  });

  it('is bounded in time when the server vanished after connecting (each step times out)', async () => {
    const w = await world({ network: true });
    await connected(w);
    w.lns.goAway();
    const t0 = w.clock.now();
    await w.clock.run(w.conn.disconnect(), 60_000);
    const took = w.clock.now() - t0;
    // PPP Terminate (3 s), CDN (3 s), StopCCN (3 s) deadlines, no more.
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThanOrEqual(9100);
    expect(w.conn.state).toEqual({ kind: 'disconnected', reason: 'user' });
    expect(w.network!.calls.at(-1)?.what).toBe('restore');
    expect(w.clientClock.pending).toBe(0);
  });

  it('stays up for ten minutes on a clean path: LCP echoes and L2TP keepalives are answered', async () => {
    const w = await world();
    await connected(w);
    await w.clock.advance(600_000);
    expect(w.conn.state.kind).toBe('connected');
    const ppp = w.conn.counters().ppp!;
    expect(ppp.echoSent).toBeGreaterThanOrEqual(19);
    expect(ppp.echoReplies).toBe(ppp.echoSent);
    expect(w.lns.received('ppp').filter((x) => x === 'LCP Echo-Request')).toHaveLength(ppp.echoSent);
    await w.clock.run(w.conn.disconnect());
    expect(w.clientClock.pending).toBe(0);
  });
});
