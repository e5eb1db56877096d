/**
 * Phase-1 rekeying on the fake network (FakeClock): our new Main Mode on the same sockets takes over and the old
 * IKE SA is deleted after the overlap; the server's own Main Mode (its reauthentication, as strongSwan starts it)
 * is answered by the MainModeResponder, and Quick Mode then runs on the SA the server created.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { concatBytes, equalBytes } from '../../../core/common/bytes';
import { silentLogger } from '../../../core/common/log';
import type { L2tpCarrier } from '../../../core/connection/carrier';
import { ProtocolId } from '../../../core/ike/constants';
import { IkeSa } from '../../../core/ike/ikeSa';
import { decodeHeader } from '../../../core/ike/message';
import type { IkeTransport } from '../../../core/ike/nattTransport';
import { QuickModeResponder, type RespondedChild } from '../../../core/ike/tasks/quickModeResponder';
import type { UdpEndpoint } from '../../../core/net/udp';
import { seededRandom } from '../../support/deterministic';
import { CLIENT, PSK, SERVER, stats, up, type World, world } from './support/ipsecWorld';

let w: World | null = null;
const open: L2tpCarrier[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await w?.clock.run(c.close());
  for (const f of closers.splice(0)) f();
  w?.close();
  w = null;
});

async function carrier(x: World, extra: Parameters<typeof up>[1] = {}): Promise<L2tpCarrier> {
  const c = await up(x, extra);
  open.push(c);
  return c;
}

const rekey = (c: L2tpCarrier, what: 'phase1' | 'phase2') =>
  (c as unknown as { rekey(w: 'phase1' | 'phase2'): Promise<void> }).rekey(what);

/** The client's NAT-T socket as the server sees it. */
function clientNatt(x: World): UdpEndpoint {
  const d = x.net.log.find((e) => e.to.address === SERVER && e.to.port === 4500);
  if (!d) throw new Error('the client never used port 4500');
  return d.from;
}

/**
 * An IKE SA on the server's side, initiating towards the client's NAT-T port (as strongSwan's reauth does):
 * our own IkeSa as the initiator, over a transport made of the FakeNetwork.
 */
function serverInitiator(x: World, psk = PSK): IkeSa {
  const to = clientNatt(x);
  const handlers = new Set<(m: Uint8Array, via: 'ike' | 'natt') => void>();
  let cookie: Uint8Array | null = null;
  const previous = x.net.filter;
  x.net.filter = (d) => {
    const marker =
      d.data.length > 4 && d.data[0] === 0 && d.data[1] === 0 && d.data[2] === 0 && d.data[3] === 0;
    if (cookie && marker && d.to.address === SERVER && d.to.port === 4500) {
      const h = decodeHeader(d.data.subarray(4));
      if (h.ok && equalBytes(h.value.initiatorCookie, cookie)) {
        const m = d.data.subarray(4).slice();
        x.clock.setTimeout(() => {
          for (const f of handlers) f(m, 'natt');
        }, 1);
        return 'drop';
      }
    }
    return previous(d);
  };
  const transport: IkeTransport = {
    sendIke: (m) => x.net.route({ address: SERVER, port: 4500 }, to, concatBytes(new Uint8Array(4), m)),
    onIke: (f) => {
      handlers.add(f);
      return () => handlers.delete(f);
    },
    float: () => {},
    floated: true,
    localPorts: { ike: 500, natt: 4500 },
    close: () => handlers.clear(),
  };
  const sa = new IkeSa({
    transport,
    serverAddress: CLIENT,
    localAddress: SERVER,
    psk,
    clock: x.clock,
    random: seededRandom(99),
    logger: silentLogger,
    timeoutMs: 8000,
  });
  cookie = sa.initiatorCookie;
  closers.push(() => sa.close());
  return sa;
}

describe('phase-1 rekey by us', () => {
  it('runs a new Main Mode on port 4500 at 85-90 % of the lifetime; Quick Mode then uses the new IKE SA', async () => {
    w = world();
    const x = w;
    const c = await carrier(x, { lifetimes: { phase1Seconds: 300 } });
    await x.clock.advance(254_000);
    expect(x.responder.sas).toHaveLength(1);
    while (x.responder.sas.length < 2 && x.clock.now() < 280_000) await x.clock.advance(500);
    // 85-90 % of 300 s after phase 1 (which took a few ms of fake time).
    expect(x.clock.now()).toBeGreaterThanOrEqual(255_000);
    expect(x.clock.now()).toBeLessThanOrEqual(271_000);
    await x.clock.advance(20);
    expect(x.responder.events).toContain('mm5 ok=true natt=true');
    const s = stats(c);
    expect(s.rekey.ikeRekeys).toBe(1);
    expect(s.rekey.ikeSas.map((g) => [g.generation, g.retired])).toEqual([
      [2, false],
      [1, true],
    ]);
    await x.clock.run(rekey(c, 'phase2'));
    await x.clock.advance(20);
    const [oldSa, newSa] = x.responder.sas;
    const qm1 = x.net.log.filter((d) => d.to.port === 4500 && d.data.length > 32).at(-2)!;
    const h = decodeHeader(qm1.data.subarray(4));
    expect(h.ok && equalBytes(h.value.initiatorCookie, newSa!.ckyI)).toBe(true);
    expect(stats(c).rekey.childRekeys).toBe(1);
    // The overlap ends: we delete the old IKE SA (its cookies as the SPI).
    await x.clock.advance(10_000);
    const del = x.qr.deletes.find((d) => d.protocol === ProtocolId.ISAKMP);
    expect(del && equalBytes(del.spis[0]!, concatBytes(oldSa!.ckyI, oldSa!.ckyR))).toBe(true);
    expect(stats(c).rekey.ikeSas).toHaveLength(1);
    expect(x.failures).toEqual([]);
  });

  it("takes the server's DELETE of the old IKE SA in stride once the new one took over", async () => {
    w = world();
    const x = w;
    const c = await carrier(x);
    await x.clock.run(rekey(c, 'phase1'));
    await x.clock.advance(20);
    const oldSa = x.responder.sas[0]!;
    x.qr.sendInformational(
      [
        {
          kind: 'delete',
          doi: 1,
          protocol: ProtocolId.ISAKMP,
          spiSize: 16,
          spis: [concatBytes(oldSa.ckyI, oldSa.ckyR)],
        },
      ],
      { sa: oldSa },
    );
    await x.clock.advance(20);
    expect(x.failures).toEqual([]);
    expect(stats(c).rekey.ikeSas).toHaveLength(1);
  });
});

describe('phase-1 rekey by the server (reauthentication)', () => {
  it('answers its Main Mode, makes the new IKE SA current, and runs Quick Mode on it', async () => {
    w = world();
    const x = w;
    const c = await carrier(x);
    const server = serverInitiator(x);
    await x.clock.run(server.establish());
    await x.clock.advance(5);
    const s = stats(c);
    expect(s.rekey.ikeRekeysByServer).toBe(1);
    expect(s.rekey.ikeSas[0]).toMatchObject({ role: 'responder', retired: false });
    // Quick Mode from us on the server's IKE SA, answered by a QuickModeResponder on the server's side.
    const children: RespondedChild[] = [];
    const qmr = new QuickModeResponder({
      ikeSa: server,
      transforms: [{ cipher: 'aes-gcm-16', keyBits: 256 }],
      pfsGroups: [],
      requirePfs: false,
      mode: 'transport',
      lifetimeSeconds: 3600,
      localAddress: SERVER,
      serverAddress: CLIENT,
      clock: x.clock,
      random: seededRandom(7),
      logger: silentLogger,
      onEstablished: (child) => children.push(child),
    });
    closers.push(() => qmr.close());
    await x.clock.run(rekey(c, 'phase2'));
    await x.clock.advance(20);
    expect(children).toHaveLength(1);
    expect(stats(c).rekey.childRekeys).toBe(1);
    expect(stats(c).esp.outboundSpi).toBe((children[0]!.inbound.spi >>> 0).toString(16).padStart(8, '0'));
    expect(x.failures).toEqual([]);
  });

  it('refuses a server that does not know the pre-shared key (no takeover, no failure)', async () => {
    w = world();
    const x = w;
    const c = await carrier(x);
    const server = serverInitiator(x, new TextEncoder().encode('a-different-psk'));
    await expect(x.clock.run(server.establish())).rejects.toMatchObject({ phase: 'ike-phase1' });
    const s = c.stats() as {
      rekey: { mainModeResponder: { failed: number; established: number }; ikeRekeysByServer: number };
    };
    expect(s.rekey.mainModeResponder).toMatchObject({ established: 0 });
    expect(s.rekey.ikeRekeysByServer).toBe(0);
    expect(x.failures).toEqual([]);
  });
});
