/**
 * The IPsec carrier on the fake network for rekey tests: phase 1 against the ScriptedResponder, Quick Mode and
 * informationals against the QuickResponder (which can also start a rekey itself), all on one FakeClock.
 */
import type { ConnectPhase, FerryError } from '../../../../core/common/errors';
import { createLogger, RingBufferSink } from '../../../../core/common/log';
import type { CarrierContext, L2tpCarrier } from '../../../../core/connection/carrier';
import { type IpsecCarrierOptions, ipsecCarrier } from '../../../../core/connection/ipsecCarrier';
import { writeUdpHeader } from '../../../../core/net/ipv4';
import { type Profile, parseProfile } from '../../../../core/profile/schema';
import { FakeClock } from '../../../support/deterministic';
import { QuickResponder, type QuickResponderOptions } from '../../ike/quick/support/quickResponder';
import { FakeNetwork } from '../../ike/support/fakeNetwork';
import { CLIENT, PSK, SERVER, seededRandom } from '../../ike/support/harness';
import { type ResponderOptions, ScriptedResponder } from '../../ike/support/responder';

export const PSK_TEXT = new TextDecoder().decode(PSK);

export function profile(extra: Record<string, unknown> = {}): Profile {
  const r = parseProfile({
    id: 'unit',
    name: 'unit',
    server: SERVER,
    userAuth: { username: 'alice', methods: ['mschapv2'] },
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

export interface World {
  readonly clock: FakeClock;
  readonly net: FakeNetwork;
  readonly responder: ScriptedResponder;
  readonly qr: QuickResponder;
  readonly ring: RingBufferSink;
  readonly phases: string[];
  readonly failures: FerryError[];
  readonly ctx: CarrierContext;
  close(): void;
}

export function world(
  opts: { responder?: Partial<ResponderOptions>; qr?: QuickResponderOptions; seed?: number } = {},
): World {
  const clock = new FakeClock();
  const net = new FakeNetwork(clock);
  const responder = new ScriptedResponder(net, clock, { psk: PSK, address: SERVER, ...opts.responder });
  const qr = new QuickResponder(net, clock, responder, SERVER, opts.qr);
  const ring = new RingBufferSink(50_000);
  const logger = createLogger({ sinks: [ring.sink], now: () => clock.now() });
  const phases: string[] = [];
  const ctx: CarrierContext = {
    clock,
    random: seededRandom(opts.seed ?? 21),
    logger,
    signal: new AbortController().signal,
    phase: (p: ConnectPhase, e, d) => phases.push(`${p}:${e}${d ? ` ${d}` : ''}`),
  };
  return {
    clock,
    net,
    responder,
    qr,
    ring,
    phases,
    failures: [],
    ctx,
    close: () => {
      qr.close();
      responder.close();
    },
  };
}

export async function up(x: World, extra: Partial<IpsecCarrierOptions> = {}): Promise<L2tpCarrier> {
  const c = await x.clock.run(
    ipsecCarrier({
      profile: profile(),
      psk: PSK_TEXT,
      sockets: x.net.factory(CLIENT),
      localAddress: async () => CLIENT,
      dpd: false,
      ...extra,
    })(x.ctx),
  );
  c.onFailure((e) => x.failures.push(e));
  await x.clock.advance(10); // QM3 in flight
  return c;
}

/** A UDP 1701 datagram around an L2TP payload (what the server's xl2tpd would send). */
export function udp1701(payload: Uint8Array): Uint8Array {
  const d = new Uint8Array(8 + payload.length);
  writeUdpHeader(d, 0, 1701, 1701, d.length);
  d.set(payload, 8);
  return d;
}

export interface CarrierStats {
  esp: {
    inboundSpi: string;
    outboundSpi: string;
    counters: { datagramsIn: number; datagramsOut: number };
    table: Record<string, number>;
  };
  rekey: {
    childRekeys: number;
    childRekeysByServer: number;
    childRekeyFailures: number;
    ikeRekeys: number;
    ikeRekeysByServer: number;
    ikeRekeyFailures: number;
    childrenRetired: number;
    ikeSasRetired: number;
    retiringChildren: string[];
    ikeSas: { generation: number; role: string; retired: boolean }[];
  };
}

export const stats = (c: L2tpCarrier) => c.stats() as unknown as CarrierStats;
export const hex = (spi: number) => (spi >>> 0).toString(16).padStart(8, '0');
export { CLIENT, PSK, SERVER };
