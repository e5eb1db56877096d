import type { FerryError } from '../../../core/common/errors';
import type { RingBufferSink } from '../../../core/common/log';
import { type LegacyPrimitives, loadLegacyPrimitives } from '../../../core/ppp/crypto/legacy';
import { PppLink } from '../../../core/ppp/link';
import type { PhaseEvent, PppLinkInfo, PppLinkOptions } from '../../../core/ppp/types';
import { FakeServer, type ServerProfile } from './fakeServer';
import { capturingLogger, FakeClock, seededRandom, Wire } from './helpers';

export const USER = 'alice';
export const PASSWORD = 'Tr0ub4dor&3-horse';

let primitives: LegacyPrimitives | undefined;
export async function legacy(): Promise<LegacyPrimitives> {
  primitives ??= await loadLegacyPrimitives();
  return primitives;
}

export const softether = (extra: Partial<ServerProfile> = {}): ServerProfile => ({
  flavour: 'softether',
  authOrder: ['eap', 'mschapv2', 'pap'],
  eapMethod: 'tls',
  user: USER,
  password: PASSWORD,
  rejectSecondaryDns: true,
  dns: ['192.168.30.1'],
  ...extra,
});

export const pppd = (extra: Partial<ServerProfile> = {}): ServerProfile => ({
  flavour: 'pppd',
  authOrder: ['mschapv2'],
  user: USER,
  password: PASSWORD,
  serverIp: '10.99.0.1',
  clientIp: '10.99.0.10',
  dns: ['10.99.0.1', '10.99.0.2'],
  openIpv6cp: true,
  ...extra,
});

export interface Session {
  readonly link: PppLink;
  readonly server: FakeServer;
  readonly wire: Wire;
  readonly clock: FakeClock;
  readonly ring: RingBufferSink;
  readonly phases: PhaseEvent[];
  /** Settled outcome of start() (undefined while pending). */
  outcome(): { info?: PppLinkInfo; error?: FerryError } | undefined;
  /** Delivers queued frames and advances the clock in steps. */
  run(ms: number, step?: number): Promise<void>;
}

export async function session(
  profile: ServerProfile,
  options: Partial<PppLinkOptions> = {},
  password = PASSWORD,
  wireFilter?: (from: 'a' | 'b', frame: Uint8Array) => number,
): Promise<Session> {
  const p = await legacy();
  const clock = new FakeClock();
  const { logger, ring } = capturingLogger();
  const holder: { link?: PppLink; server?: FakeServer } = {};
  const wire = new Wire(
    (f) => holder.link!.receive(f),
    (f) => holder.server!.receive(f),
  );
  if (wireFilter) wire.filter = wireFilter;
  const link = new PppLink({
    send: (f) => wire.sendFrom('a', f),
    credentials: { username: USER, password },
    clock,
    random: seededRandom(7),
    logger,
    primitives: p,
    echoIntervalMs: 0,
    ...options,
  });
  const server = new FakeServer(profile, p, (f) => wire.sendFrom('b', f));
  holder.link = link;
  holder.server = server;
  const phases: PhaseEvent[] = [];
  link.events.on('phase', (e) => phases.push(e));
  let settled: { info?: PppLinkInfo; error?: FerryError } | undefined;
  link.start().then(
    (info) => {
      settled = { info };
    },
    (error: FerryError) => {
      settled = { error };
    },
  );
  server.start();
  const s: Session = {
    link,
    server,
    wire,
    clock,
    ring,
    phases,
    outcome: () => settled,
    run: async (ms, step = 100) => {
      for (let t = 0; t < ms; t += step) {
        wire.flush();
        const before = Math.floor(clock.now() / 1000);
        clock.advanceSync(step);
        if (Math.floor(clock.now() / 1000) !== before) server.tick();
        wire.flush();
      }
      await new Promise((r) => setImmediate(r));
    },
  };
  await s.run(2000);
  return s;
}
