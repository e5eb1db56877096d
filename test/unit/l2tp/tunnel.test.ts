import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/common/bytes';
import type { FerryError } from '../../../core/common/errors';
import { avp, findAvp } from '../../../core/l2tp/avp';
import { CdnResult, MessageType, StopCcnResult } from '../../../core/l2tp/constants';
import { encodeControlMessage, messageTypeOf } from '../../../core/l2tp/controlMessage';
import type { L2tpSession } from '../../../core/l2tp/session';
import { L2tpTunnel, type L2tpTunnelOptions } from '../../../core/l2tp/tunnel';
import { FakeClock, recordingLogger, ScriptedLns, seededRandom } from './harness';

const LCP = fromHex('ff03c02101010004');

function setup(opts: Partial<L2tpTunnelOptions> = {}) {
  const clock = new FakeClock();
  const lns = new ScriptedLns();
  const { logger, entries } = recordingLogger();
  const tunnel = new L2tpTunnel({ clock, random: seededRandom(7), logger, send: lns.fromClient, ...opts });
  lns.deliverTo = (d) => tunnel.receive(d);
  const closed: (FerryError | null)[] = [];
  tunnel.on('closed', (e) => closed.push(e));
  return { clock, lns, tunnel, entries, closed };
}

async function established(opts: Partial<L2tpTunnelOptions> = {}) {
  const t = setup(opts);
  const opened = t.tunnel.open();
  t.lns.sccrp();
  await opened;
  const pending = t.tunnel.openSession();
  t.lns.icrp();
  t.lns.zlb(); // acknowledges the ICCN
  const session = await pending;
  await t.clock.advance(200);
  return { ...t, session };
}

/** Catches a promise's rejection as a value. */
async function rejection(p: Promise<unknown>): Promise<FerryError> {
  try {
    await p;
  } catch (e) {
    return e as FerryError;
  }
  throw new Error('expected a rejection');
}

describe('L2TP tunnel and session against a scripted LNS', () => {
  it('brings up tunnel and session: SCCRQ, SCCRP, SCCCN, ICRQ, ICRP, ICCN with the right IDs and Ns/Nr', async () => {
    const { lns, tunnel, session, closed } = await established();
    const [sccrq, sccn] = [lns.sent(MessageType.SCCRQ)[0]!, lns.sent(MessageType.SCCCN)[0]!];
    expect(sccrq).toMatchObject({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 });
    expect(findAvp(sccrq.avps, 'hostName')).toBe('ferry');
    expect(findAvp(sccrq.avps, 'vendorName')).toBe('Ferry');
    expect(findAvp(sccrq.avps, 'framingCapabilities')).toBe(3);
    expect(findAvp(sccrq.avps, 'protocolVersion')).toEqual({ version: 1, revision: 0 });
    expect(findAvp(sccrq.avps, 'receiveWindowSize')).toBe(8);
    expect(findAvp(sccrq.avps, 'firmwareRevision')).toBeDefined();
    expect(tunnel.localTunnelId).toBe(findAvp(sccrq.avps, 'assignedTunnelId'));
    expect(tunnel.localTunnelId).not.toBe(0);
    expect(sccn).toMatchObject({ tunnelId: lns.tunnelId, sessionId: 0, ns: 1, nr: 1 });

    const icrq = lns.sent(MessageType.ICRQ)[0]!;
    expect(icrq).toMatchObject({ tunnelId: lns.tunnelId, sessionId: 0, ns: 2, nr: 1 });
    expect(findAvp(icrq.avps, 'assignedSessionId')).toBe(session.localSessionId);
    expect(findAvp(icrq.avps, 'callSerialNumber')).toBe(1);
    expect(findAvp(icrq.avps, 'bearerType')).toBe(2); // analog: SoftEther advertises both
    const iccn = lns.sent(MessageType.ICCN)[0]!;
    expect(iccn).toMatchObject({ tunnelId: lns.tunnelId, sessionId: lns.sessionId, ns: 3, nr: 2 });
    expect(findAvp(iccn.avps, 'framingType')).toBe(1);
    expect(findAvp(iccn.avps, 'txConnectSpeed')).toBeGreaterThan(0);
    expect(findAvp(iccn.avps, 'sequencingRequired')).toBeUndefined();

    expect(tunnel.state).toBe('established');
    expect(session.state).toBe('established');
    expect(session.peerSessionId).toBe(lns.sessionId);
    expect(tunnel.peer).toMatchObject({
      tunnelId: lns.tunnelId,
      hostName: 'vm',
      vendorName: 'L2TP',
      receiveWindowSize: 16,
    });
    expect(tunnel.counters).toMatchObject({ controlSent: 4, controlReceived: 2, controlRetransmitted: 0 });
    expect(closed).toEqual([]);
  });

  it('carries PPP frames both ways: SoftEther-style data in, bare 6-byte header out', async () => {
    const { lns, tunnel, session } = await established();
    const frames: string[] = [];
    session.onPpp((f) => frames.push(toHex(f)));
    lns.dataSoftEther(LCP);
    expect(frames).toEqual([toHex(LCP)]);
    expect(session.sendPpp(LCP)).toBe(true);
    const out = lns.raw.at(-1)!;
    expect(toHex(out)).toBe(
      `0002${lns.tunnelId.toString(16).padStart(4, '0')}${lns.sessionId.toString(16)}${toHex(LCP)}`,
    );
    expect(tunnel.counters).toMatchObject({
      dataFramesIn: 1,
      dataBytesIn: LCP.length,
      dataFramesOut: 1,
      dataBytesOut: LCP.length,
    });
  });

  it('follows the LNS when it turns data sequencing on (§5.4), and always sequences when asked to', async () => {
    const { lns, session } = await established();
    lns.dataSequenced(LCP, 0);
    session.sendPpp(LCP);
    lns.dataSequenced(LCP, 1);
    session.sendPpp(LCP);
    const out = lns.data.slice(-2);
    expect(out.map((d) => d.ns)).toEqual([0, 1]);
    expect(session.sequencing).toBe(true);

    const t = setup();
    const opened = t.tunnel.open();
    t.lns.sccrp();
    await opened;
    const pending = t.tunnel.openSession({ sequencing: true });
    t.lns.icrp();
    t.lns.zlb();
    const s = await pending;
    expect(findAvp(t.lns.sent(MessageType.ICCN)[0]!.avps, 'sequencingRequired')).toBe(true);
    t.lns.dataSoftEther(LCP);
    s.sendPpp(LCP);
    expect(t.lns.data.at(-1)!.ns).toBe(0);
  });

  it('sends PPP frames given as parts exactly like whole frames, gathered by the transport when it can', async () => {
    const whole = await established();
    whole.lns.dataSequenced(LCP, 0);
    whole.session.sendPpp(LCP);
    const gathered: Uint8Array[][] = [];
    const parts = await established({
      sendParts: (p) => {
        gathered.push(p.map((x) => x.slice()));
        parts.lns.fromClient(Uint8Array.from(p.flatMap((x) => [...x])));
      },
    });
    parts.lns.dataSequenced(LCP, 0);
    expect(parts.session.sendPppParts([LCP.subarray(0, 4), LCP.subarray(4)])).toBe(true);
    expect(gathered).toHaveLength(1);
    expect(toHex(parts.lns.raw.at(-1)!)).toBe(toHex(whole.lns.raw.at(-1)!));
    expect(parts.lns.data.at(-1)).toMatchObject({ ns: 0 });
    expect(toHex(parts.lns.data.at(-1)!.payload)).toBe(toHex(LCP));
    expect(parts.tunnel.counters).toMatchObject({ dataFramesOut: 1, dataBytesOut: LCP.length });
    // Without a gather transport the parts are joined into one frame.
    const plain = await established();
    expect(plain.session.sendPppParts([LCP.subarray(0, 4), LCP.subarray(4)])).toBe(true);
    expect(toHex(plain.lns.raw.at(-1)!)).toBe(toHex(plain.lns.raw.at(-1)!.slice(0, 6)) + toHex(LCP));
  });

  it('resolves openSession() once the ICCN is acknowledged, keeping PPP frames that arrive before', async () => {
    const { lns, tunnel, clock } = setup();
    const opened = tunnel.open();
    lns.sccrp();
    await opened;
    let session: L2tpSession | null = null;
    void tunnel.openSession().then((s) => {
      session = s;
    });
    lns.icrp();
    lns.dataSoftEther(LCP); // the LNS's PPP starts as soon as it has the ICCN
    await clock.advance(50);
    expect(session).toBeNull();
    lns.zlb();
    await clock.advance(1);
    const s = session as unknown as L2tpSession;
    expect(s.state).toBe('established');
    const frames: string[] = [];
    s.onPpp((f) => frames.push(toHex(f)));
    expect(frames).toEqual([toHex(LCP)]);
  });

  it("acknowledges the peer's HELLO with a ZLB after the ack delay", async () => {
    const { lns, clock } = await established();
    const before = lns.zlbs().length;
    lns.hello();
    await clock.advance(99);
    expect(lns.zlbs().length).toBe(before);
    await clock.advance(1);
    expect(lns.zlbs().length).toBe(before + 1);
    expect(lns.zlbs().at(-1)).toMatchObject({ nr: lns.ns });
  });

  it('sends HELLO after the idle interval, and fails with retry-limit when nothing acknowledges it', async () => {
    const { lns, clock, tunnel, session, closed } = await established({ helloIntervalMs: 10_000 });
    const sessionClosed: (FerryError | null)[] = [];
    session.on('closed', (e) => sessionClosed.push(e));
    await clock.advance(9_000);
    lns.hello(); // traffic resets the idle timer
    await clock.advance(9_000);
    expect(lns.sent(MessageType.HELLO)).toHaveLength(0);
    await clock.advance(1_000);
    expect(lns.sent(MessageType.HELLO)).toHaveLength(1);
    lns.zlb();
    await clock.advance(10_000);
    expect(lns.sent(MessageType.HELLO)).toHaveLength(2);
    await clock.advance(40_000); // the LNS has gone silent
    expect(lns.sent(MessageType.HELLO)).toHaveLength(2 + 5);
    expect(tunnel.state).toBe('closed');
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ phase: 'l2tp-tunnel', code: 'retry-limit' });
    expect(closed[0]!.message).toContain('HELLO');
    expect(sessionClosed[0]).toMatchObject({ phase: 'l2tp-session', code: 'tunnel-closed' });
    expect(session.sendPpp(LCP)).toBe(false);
  });

  it("closes with the peer's reason on StopCCN and acknowledges it at once", async () => {
    const { lns, tunnel, session, closed } = await established();
    const sessionClosed: (FerryError | null)[] = [];
    session.on('closed', (e) => sessionClosed.push(e));
    const zlbs = lns.zlbs().length;
    lns.stopCcn(StopCcnResult.ShuttingDown, 0, 'maintenance');
    expect(lns.zlbs().length).toBe(zlbs + 1);
    expect(lns.zlbs().at(-1)!.nr).toBe(lns.ns);
    expect(tunnel.state).toBe('closed');
    expect(closed[0]).toMatchObject({ code: 'peer-stop', phase: 'l2tp-tunnel' });
    expect(closed[0]!.message).toContain('requester is being shut down');
    expect(closed[0]!.message).toContain('maintenance');
    expect(closed[0]!.hint).toContain('shutting down');
    expect(sessionClosed[0]).toMatchObject({ code: 'tunnel-closed' });
    // A retransmitted StopCCN (our ZLB was lost) is acknowledged again.
    lns.send([avp('messageType', MessageType.StopCCN)], 0, { ns: lns.ns - 1 });
    expect(lns.zlbs().length).toBe(zlbs + 2);
  });

  it("rejects open() with the peer's reason when the LNS answers the SCCRQ with StopCCN", async () => {
    const { lns, tunnel, clock } = setup();
    const opened = rejection(tunnel.open());
    lns.stopCcn(StopCcnResult.NotAuthorized);
    const e = await opened;
    expect(e).toMatchObject({ phase: 'l2tp-tunnel', code: 'peer-stop' });
    expect(e.hint).toContain('does not accept');
    expect(lns.zlbs()).toHaveLength(1);
    await clock.advance(60_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it("ends the session on the peer's CDN and keeps the tunnel", async () => {
    const { lns, tunnel, session, clock } = await established();
    const sessionClosed: (FerryError | null)[] = [];
    session.on('closed', (e) => sessionClosed.push(e));
    lns.cdn(CdnResult.Administrative, 0, 'idle timeout');
    expect(session.state).toBe('closed');
    expect(sessionClosed[0]).toMatchObject({ phase: 'l2tp-session', code: 'peer-disconnect' });
    expect(sessionClosed[0]!.message).toContain('idle timeout');
    expect(tunnel.state).toBe('established');
    await clock.advance(100);
    expect(messageTypeOf(lns.last())).toBeNull(); // CDN acknowledged by ZLB
    lns.dataSoftEther(LCP);
    expect(tunnel.counters.malformed['unknown-session']).toBe(1);
    // A second session can be opened on the same tunnel.
    const pending = tunnel.openSession();
    lns.icrp();
    lns.zlb();
    const s2 = await pending;
    expect(findAvp(lns.sent(MessageType.ICRQ)[1]!.avps, 'callSerialNumber')).toBe(2);
    expect(s2.state).toBe('established');
  });

  it('answers an unknown mandatory AVP in SCCRP with StopCCN result 2 / error 8 (§4.2)', async () => {
    const { lns, tunnel, clock } = setup();
    const opened = tunnel.open();
    lns.sccrp([
      {
        name: 'opaque',
        mandatory: true,
        hidden: false,
        reservedBits: 0,
        vendorId: 0,
        attribute: 77,
        value: fromHex('01'),
        why: 'unknown',
      },
    ]);
    const e = await rejection(opened);
    expect(e).toMatchObject({ phase: 'l2tp-tunnel', code: 'unknown-mandatory-avp' });
    const stop = lns.sent(MessageType.StopCCN)[0]!;
    expect(stop.tunnelId).toBe(lns.tunnelId);
    expect(findAvp(stop.avps, 'resultCode')).toMatchObject({ result: 2, error: 8 });
    expect(findAvp(stop.avps, 'assignedTunnelId')).toBe(tunnel.localTunnelId);
    expect(tunnel.state).toBe('closing');
    lns.zlb();
    await clock.advance(10);
    expect(tunnel.state).toBe('closed');
    expect(tunnel.error).toBe(e);
  });

  it('ignores an unknown AVP without the M bit', async () => {
    const { lns, tunnel } = setup();
    const opened = tunnel.open();
    lns.sccrp([
      {
        name: 'opaque',
        mandatory: false,
        hidden: false,
        reservedBits: 0,
        vendorId: 311,
        attribute: 1,
        value: fromHex('0102'),
        why: 'unknown',
      },
    ]);
    await opened;
    expect(tunnel.state).toBe('established');
  });

  it('answers an unknown mandatory AVP in ICRP with CDN result 2 / error 8 and keeps the tunnel', async () => {
    const { lns, tunnel } = setup();
    const opened = tunnel.open();
    lns.sccrp();
    await opened;
    const pending = tunnel.openSession();
    // xl2tpd with "hidden bit = yes" hides AVPs; our encoder refuses to, so set the H bit on the wire.
    const icrp = encodeControlMessage({
      tunnelId: tunnel.localTunnelId,
      sessionId: lns.clientSessionId,
      ns: lns.ns,
      nr: lns.nr,
      avps: [
        avp('messageType', MessageType.ICRP),
        avp('assignedSessionId', lns.sessionId),
        avp('callSerialNumber', 0x01020304),
      ],
    });
    icrp[12 + 8 + 8] |= 0x40;
    tunnel.receive(icrp);
    const e = await rejection(pending);
    expect(e).toMatchObject({ phase: 'l2tp-session', code: 'unknown-mandatory-avp' });
    expect(e.hint).toContain('hidden');
    const cdn = lns.sent(MessageType.CDN)[0]!;
    expect(cdn.sessionId).toBe(lns.sessionId);
    expect(findAvp(cdn.avps, 'resultCode')).toMatchObject({ result: 2, error: 8 });
    expect(tunnel.state).toBe('established');
  });

  it('refuses tunnel authentication (Challenge in SCCRP) and protocol versions other than 1.0', async () => {
    const a = setup();
    const opened = a.tunnel.open();
    a.lns.sccrp([avp('challenge', fromHex('0102030405060708'))]);
    expect(await rejection(opened)).toMatchObject({ code: 'tunnel-auth-unsupported' });
    expect(findAvp(a.lns.sent(MessageType.StopCCN)[0]!.avps, 'resultCode')).toMatchObject({
      result: 2,
      error: 6,
    });

    const b = setup();
    const opened2 = b.tunnel.open();
    b.lns.send([
      avp('messageType', MessageType.SCCRP),
      avp('protocolVersion', { version: 3, revision: 0 }),
      avp('assignedTunnelId', b.lns.tunnelId),
    ]);
    expect(await rejection(opened2)).toMatchObject({ code: 'protocol-error' });
    expect(findAvp(b.lns.sent(MessageType.StopCCN)[0]!.avps, 'resultCode')).toMatchObject({ result: 5 });
  });

  it('treats an SCCRP without Assigned Tunnel ID as a protocol error it cannot even address a StopCCN for', async () => {
    const { lns, tunnel } = setup();
    const opened = tunnel.open();
    lns.send([avp('messageType', MessageType.SCCRP), avp('hostName', 'x')]);
    expect(await rejection(opened)).toMatchObject({ code: 'protocol-error', phase: 'l2tp-tunnel' });
    expect(lns.sent(MessageType.StopCCN)).toHaveLength(0);
    expect(tunnel.state).toBe('closed');
  });

  it('stops the tunnel with result 7 on a message the state machine does not expect', async () => {
    const { lns, tunnel } = await established();
    lns.sccrp();
    expect(tunnel.state).toBe('closing');
    expect(findAvp(lns.sent(MessageType.StopCCN)[0]!.avps, 'resultCode')).toMatchObject({ result: 7 });
  });

  it('times out with the SCCRQ hint when the server never answers, in bounded time', async () => {
    const { tunnel, clock, lns } = setup();
    const opened = rejection(tunnel.open());
    await clock.advance(20_000);
    const e = await opened;
    expect(e).toMatchObject({ phase: 'l2tp-tunnel', code: 'timeout' });
    expect(e.hint).toBe('no reply to SCCRQ — the server may not run L2TP or IPsec is filtering UDP 1701');
    expect(lns.sent(MessageType.SCCRQ).length).toBe(5); // 0, 1, 3, 7, 15 s
    expect(lns.sent(MessageType.StopCCN)).toHaveLength(0);
    await clock.advance(60_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('times out the session when the LNS acknowledges the ICRQ but never answers it', async () => {
    const { lns, tunnel, clock } = setup();
    const opened = tunnel.open();
    lns.sccrp();
    await opened;
    const pending = rejection(tunnel.openSession({ establishTimeoutMs: 5_000 }));
    lns.zlb();
    await clock.advance(5_000);
    expect(await pending).toMatchObject({ phase: 'l2tp-session', code: 'timeout' });
    expect(findAvp(lns.sent(MessageType.CDN)[0]!.avps, 'resultCode')).toMatchObject({ result: 10 });
  });

  it('close(): CDN, then StopCCN with our tunnel ID and result 1, resolved once the StopCCN is acknowledged', async () => {
    const { lns, tunnel, session, clock, closed } = await established();
    const sessionClosed: (FerryError | null)[] = [];
    session.on('closed', (e) => sessionClosed.push(e));
    const done = tunnel.close('user disconnect');
    expect(tunnel.state).toBe('closing');
    const [cdn, stop] = lns.control.slice(-2);
    expect(messageTypeOf(cdn!)).toBe(MessageType.CDN);
    expect(cdn!.sessionId).toBe(lns.sessionId);
    expect(findAvp(cdn!.avps, 'assignedSessionId')).toBe(session.localSessionId);
    expect(findAvp(cdn!.avps, 'resultCode')).toMatchObject({ result: 3 });
    expect(messageTypeOf(stop!)).toBe(MessageType.StopCCN);
    expect(findAvp(stop!.avps, 'assignedTunnelId')).toBe(tunnel.localTunnelId);
    expect(findAvp(stop!.avps, 'resultCode')).toMatchObject({ result: 1, message: 'user disconnect' });
    lns.zlb();
    await clock.advance(1);
    await done;
    expect(tunnel.state).toBe('closed');
    expect(closed).toEqual([null]);
    expect(sessionClosed).toEqual([null]);
    expect(await tunnel.openSession().catch((e: FerryError) => e.code)).toBe('invalid-state');
  });

  it('session.close() sends CDN and ends for our reason even when the LNS answers with its own CDN', async () => {
    const { lns, tunnel, session, clock } = await established();
    const sessionClosed: (FerryError | null)[] = [];
    session.on('closed', (e) => sessionClosed.push(e));
    const done = session.close();
    expect(findAvp(lns.last().avps, 'resultCode')).toMatchObject({ result: 3 });
    lns.cdn(CdnResult.Administrative);
    await clock.advance(1);
    await done;
    expect(sessionClosed).toEqual([null]);
    expect(tunnel.state).toBe('established');
  });

  it('close() gives up waiting for the acknowledgement after the close timeout', async () => {
    const { lns, tunnel, clock } = await established({ closeTimeoutMs: 2_000 });
    let done = false;
    void tunnel.close().then(() => {
      done = true;
    });
    await clock.advance(1_999);
    expect(done).toBe(false);
    expect(lns.sent(MessageType.StopCCN)).toHaveLength(2); // retransmitted at 1 s
    await clock.advance(1);
    expect(done).toBe(true);
    expect(tunnel.state).toBe('closed');
    await clock.advance(60_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('close() while the SCCRQ is unanswered rejects open() and sends nothing more', async () => {
    const { lns, tunnel } = setup();
    const opened = tunnel.open();
    await tunnel.close();
    expect(await rejection(opened)).toMatchObject({ code: 'closed' });
    expect(lns.control).toHaveLength(1);
  });

  it('crossing StopCCNs end the close at once', async () => {
    const { lns, tunnel, clock } = await established();
    const done = tunnel.close();
    lns.stopCcn(StopCcnResult.GeneralClear);
    await clock.advance(1);
    await done;
    expect(tunnel.state).toBe('closed');
    expect(tunnel.error).toBeNull();
  });

  it('counts and ignores garbage, foreign tunnels and unknown sessions without failing', async () => {
    const { lns, tunnel, entries } = await established();
    for (let i = 0; i < 200; i++)
      tunnel.receive(Uint8Array.from({ length: i % 40 }, (_, j) => (i * 31 + j * 7) & 0xff));
    tunnel.receive(
      encodeControlMessage({
        tunnelId: 999,
        sessionId: 0,
        ns: 0,
        nr: 0,
        avps: [avp('messageType', MessageType.HELLO)],
      }),
    );
    tunnel.receive(fromHex(`0002${tunnel.localTunnelId.toString(16).padStart(4, '0')}7777ff03`));
    const m = tunnel.counters.malformed;
    expect(m['wrong-tunnel']).toBeGreaterThanOrEqual(1);
    expect(m['unknown-session']).toBe(1);
    expect(Object.values(m).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(100);
    expect(tunnel.state).toBe('established');
    lns.dataSoftEther(LCP);
    expect(tunnel.counters.dataFramesIn).toBe(1);
    expect(entries.some((e) => e.level === 'error')).toBe(false);
  });

  it('survives a PPP handler that throws', async () => {
    const { lns, tunnel, session } = await established();
    session.onPpp(() => {
      throw new Error('handler bug');
    });
    lns.dataSoftEther(LCP);
    expect(tunnel.counters.malformed['handler-threw']).toBe(1);
    expect(tunnel.state).toBe('established');
  });

  it('never sends a hidden AVP (every datagram in these scenarios is checked by the LNS harness)', async () => {
    const { lns, tunnel, clock } = await established();
    const done = tunnel.close();
    await clock.advance(5_000);
    await done;
    expect(lns.raw.length).toBeGreaterThan(5);
    for (const d of lns.raw)
      if (d[0]! & 0x80)
        for (let p = 12; p < d.length; p += ((d[p]! & 3) << 8) | d[p + 1]!) expect(d[p]! & 0x40).toBe(0);
  });
});
