/**
 * L2TP + PPP + the orchestrator against a real LNS (SoftEther, plain L2TP on UDP 1701, no IPsec): the layers
 * above the carrier, proven independently of IKE/ESP.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger, RingBufferSink } from '../../core/common/log';
import { Connection } from '../../core/connection/connection';
import { decodeIcmpEcho, encodeIcmpEcho } from '../../core/net/ipv4';
import { type Profile, parseProfile } from '../../core/profile/schema';
import { type SoftEtherInfo, softetherLab } from '../lab/softether';
import { describeLab } from '../support/env';
import { plainL2tpCarrier } from '../support/plainL2tpCarrier';

function profileFor(info: SoftEtherInfo, methods: string[]): Profile {
  const r = parseProfile({
    id: 'se-raw',
    name: 'SoftEther raw',
    server: info.serverAddress,
    userAuth: { username: info.users[0]!.username, methods },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

async function pingThrough(conn: Connection, from: string, to: string): Promise<number> {
  const start = performance.now();
  const reply = new Promise<void>((resolve) => {
    conn.onPacket((p) => {
      const echo = decodeIcmpEcho(p);
      if (echo.ok && echo.value.type === 'reply' && echo.value.source === to && echo.value.id === 0x4242)
        resolve();
    });
  });
  for (let seq = 1; seq <= 20; seq++) {
    conn.send(encodeIcmpEcho(from, to, { type: 'request', id: 0x4242, seq, data: new Uint8Array(56) }));
    const got = await Promise.race([
      reply.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 500)),
    ]);
    if (got) return performance.now() - start;
  }
  throw new Error(`no echo reply from ${to}`);
}

describeLab('orchestrator over plain L2TP against SoftEther', () => {
  let info: SoftEtherInfo;
  beforeAll(async () => {
    info = await softetherLab.up({ l2tpRaw: true });
  });
  afterAll(async () => {
    await softetherLab.down();
  });

  for (const methods of [['mschapv2'], ['pap']]) {
    it(`connects with ${methods[0]}, pings the SecureNAT gateway and disconnects cleanly`, async () => {
      const ring = new RingBufferSink();
      const logger = createLogger({ sinks: [ring.sink] });
      const password = info.users[0]!.password;
      const conn = new Connection({
        profile: profileFor(info, methods),
        secrets: { password },
        carrier: plainL2tpCarrier(info.serverAddress),
        logger,
      });
      const up = await conn.connect();
      expect(up.addresses.localIp).toMatch(/^192\.168\.30\./);
      expect(up.algorithms.pppAuth).toBe(methods[0]);
      const rtt = await pingThrough(conn, up.addresses.localIp, info.tunnelPeerAddress);
      console.log(
        `raw L2TP ${methods[0]}: phases`,
        conn
          .phases()
          .map((p) => `${p.phase}=${p.durationMs}ms/${p.result}`)
          .join(' '),
        `ping ${rtt.toFixed(1)} ms`,
      );
      expect(conn.counters().ip.packetsIn).toBeGreaterThan(0);
      await conn.disconnect();
      expect(conn.state.kind).toBe('disconnected');
      expect(JSON.stringify(ring.snapshot())).not.toContain(password);
    });
  }

  it('reports a wrong password as a typed PPP authentication error', async () => {
    const conn = new Connection({
      profile: profileFor(info, ['mschapv2']),
      secrets: { password: 'definitely-wrong' },
      carrier: plainL2tpCarrier(info.serverAddress),
    });
    await expect(conn.connect()).rejects.toMatchObject({ phase: 'auth', code: 'auth-failed' });
    expect(conn.state).toMatchObject({ kind: 'failed', phase: 'auth', code: 'auth-failed' });
  });
});
