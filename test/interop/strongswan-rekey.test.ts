/**
 * Rekeying against strongSwan in the VM while a ping runs through the tunnel (issue 6 acceptance): with short
 * lifetimes on the server (rekey=yes), strongSwan rekeys the ESP SA by Quick Mode and reauthenticates the IKE SA
 * by a new Main Mode towards us; with short lifetimes on our side, we rekey first. Either way the L2TP session
 * survives at least two phase-2 and one phase-1 rekey, and the pings keep being answered.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Connection } from '../../core/connection/connection';
import { decodeIcmpEcho, encodeIcmpEcho } from '../../core/net/ipv4';
import { reconfigure, type StrongSwanInfo, serverLog, serverLogMark, strongswanLab } from '../lab/strongswan';
import { describeLab } from '../support/env';
import {
  connectOrExplain,
  labProfile,
  logTail,
  session,
  type TimingRow,
  timingRow,
} from './support/strongswan';

interface RekeyStats {
  childRekeys: number;
  childRekeysByServer: number;
  childRekeyFailures: number;
  ikeRekeys: number;
  ikeRekeysByServer: number;
  ikeRekeyFailures: number;
  childrenRetired: number;
}

const rows: TimingRow[] = [];

/** Pings every `everyMs` until stopped; counts answers per sequence number. */
function pinger(conn: Connection, from: string, to: string, everyMs = 500) {
  const id = 0x7e7e;
  const sent = new Map<number, number>();
  const answered = new Set<number>();
  let seq = 0;
  let worstGapMs = 0;
  let lastAnswer = performance.now();
  const startedAt = performance.now();
  conn.onPacket((p) => {
    const e = decodeIcmpEcho(p);
    if (!e.ok || e.value.type !== 'reply' || e.value.id !== id || e.value.source !== to) return;
    answered.add(e.value.seq);
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - lastAnswer);
    lastAnswer = now;
  });
  const timer = setInterval(() => {
    seq = (seq + 1) & 0xffff;
    sent.set(seq, performance.now());
    conn.send(
      encodeIcmpEcho(from, to, { type: 'request', id, seq, data: new Uint8Array(32).fill(seq & 0xff) }),
    );
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await new Promise((r) => setTimeout(r, 1500));
      return {
        sent: sent.size,
        answered: answered.size,
        lost: sent.size - answered.size,
        worstGapMs: Math.round(worstGapMs),
        /** Seconds after the first ping at which the lost ones were sent. */
        lostAt: [...sent.keys()]
          .filter((q) => !answered.has(q))
          .map((q) => Math.round((sent.get(q)! - startedAt) / 100) / 10)
          .join(' '),
      };
    },
  };
}

const rekeyStats = (conn: Connection) => (conn.counters().carrier as { rekey: RekeyStats }).rekey;

describeLab('rekeying against strongSwan (VM) with a ping running', () => {
  let info: StrongSwanInfo;
  const t0 = performance.now();
  beforeAll(async () => {
    info = await strongswanLab.up();
  });
  afterAll(async () => {
    await strongswanLab.down();
    console.table(rows);
    console.log(`strongswan-rekey total ${Math.round((performance.now() - t0) / 1000)} s`);
  });

  it('survives the server rekeying the ESP SA twice and reauthenticating the IKE SA (short server lifetimes)', async () => {
    info = await reconfigure({
      rekey: true,
      keyLifeSec: 30,
      ikeLifetimeSec: 56,
      marginTimeSec: 10,
      rekeyFuzzPercent: 40,
    });
    const mark = await serverLogMark();
    const s = session(info, labProfile(info));
    const up = await connectOrExplain(s);
    const ping = pinger(s.conn, up.addresses.localIp, info.tunnelPeerAddress);
    const start = performance.now();
    while (performance.now() - start < 75_000) {
      const r = rekeyStats(s.conn);
      if (
        r.childRekeysByServer + r.childRekeys >= 2 &&
        r.ikeRekeysByServer + r.ikeRekeys >= 1 &&
        performance.now() - start > 50_000
      )
        break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const result = await ping.stop();
    const r = rekeyStats(s.conn);
    const log = (await serverLog()).slice(mark);
    console.log(
      `server-driven rekeys: ${JSON.stringify(r)}; ping ${JSON.stringify(result)}; server log:\n${log
        .split('\n')
        .filter((l) => /rekey|reauth|CHILD_SA .* established|IKE_SA .* established|adopting|DELETE/.test(l))
        .join('\n')}`,
    );
    if (s.conn.state.kind !== 'connected')
      throw new Error(`session lost: ${JSON.stringify(s.conn.state)}\n${logTail(s, 150)}`);
    expect(r.childRekeysByServer + r.childRekeys).toBeGreaterThanOrEqual(2);
    expect(r.ikeRekeysByServer + r.ikeRekeys).toBeGreaterThanOrEqual(1);
    expect(r.childRekeyFailures + r.ikeRekeyFailures).toBe(0);
    expect(result.answered).toBeGreaterThan(result.sent * 0.95);
    rows.push(
      timingRow('server-driven', s.conn, {
        ...r,
        ...result,
        seconds: Math.round((performance.now() - start) / 1000),
      }),
    );
    await s.conn.disconnect();
  });

  it('survives its own rekeys: ESP every ~18 s and a new Main Mode at ~40 s (short client lifetimes)', async () => {
    info = await reconfigure({});
    const mark = await serverLogMark();
    const s = session(info, labProfile(info), { lifetimes: { phase1Seconds: 45, phase2Seconds: 20 } });
    const up = await connectOrExplain(s);
    const ping = pinger(s.conn, up.addresses.localIp, info.tunnelPeerAddress);
    const start = performance.now();
    while (performance.now() - start < 70_000) {
      const r = rekeyStats(s.conn);
      if (r.childRekeys >= 2 && r.ikeRekeys >= 1 && r.childrenRetired >= 2) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const result = await ping.stop();
    const r = rekeyStats(s.conn);
    const log = (await serverLog()).slice(mark);
    console.log(
      `client-driven rekeys: ${JSON.stringify(r)}; ping ${JSON.stringify(result)}; server log:\n${log
        .split('\n')
        .filter((l) => /rekey|reauth|CHILD_SA|IKE_SA|adopting|DELETE|error|fail/i.test(l))
        .join('\n')}\nclient:\n${logTail(s, 400)
        .split('\n')
        .filter((l) =>
          /rekey|IKE SA|ESP SA|installed|took over|DELETE|main mode|quick mode: est|warn/.test(l),
        )
        .join('\n')}`,
    );
    if (s.conn.state.kind !== 'connected')
      throw new Error(`session lost: ${JSON.stringify(s.conn.state)}\n${logTail(s, 150)}`);
    expect(r.childRekeys).toBeGreaterThanOrEqual(2);
    expect(r.ikeRekeys).toBeGreaterThanOrEqual(1);
    expect(r.childRekeyFailures + r.ikeRekeyFailures).toBe(0);
    expect(result.answered).toBeGreaterThan(result.sent * 0.95);
    rows.push(
      timingRow('client-driven', s.conn, {
        ...r,
        ...result,
        seconds: Math.round((performance.now() - start) / 1000),
      }),
    );
    await s.conn.disconnect();
  });
});
