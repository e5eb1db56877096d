/**
 * One simulated world for orchestrator tests: a FakeClock, a FakeLns, a FakeCarrier joining them through
 * LossyPaths, and a Connection whose clock is a TrackingClock (so its own leftover timers can be counted),
 * with seeded randomness and a RingBufferSink logger.
 */
import type { FerryError } from '../../../core/common/errors';
import { isFerryError } from '../../../core/common/errors';
import { createLogger, RingBufferSink } from '../../../core/common/log';
import { Connection, type ConnectionOptions, type ConnectSecrets } from '../../../core/connection/connection';
import type { ConnectionState } from '../../../core/connection/state';
import { decodeIcmpEcho, encodeIcmpEcho } from '../../../core/net/ipv4';
import { type Profile, parseProfile, type UserAuthMethod } from '../../../core/profile/schema';
import type { ServerProfile } from '../../unit/ppp/fakeServer';
import { legacy, PASSWORD, pppd, softether, USER } from '../../unit/ppp/linkHarness';
import { FakeClock, seededRandom } from '../deterministic';
import { FakeCarrier, type FakeCarrierOptions } from './fakeCarrier';
import { FakeLns } from './fakeLns';
import { RecordingNetwork, type RecordingNetworkOptions } from './recordingNetwork';
import { TrackingClock } from './trackingClock';
import type { FakeLnsOptions } from './types';

export { PASSWORD, USER };

export interface WorldOptions {
  /** Seeds the client's randomness and the paths (default 1). */
  readonly seed?: number;
  /** Which scripted PPP server (default 'pppd'), and overrides of its profile. */
  readonly server?: 'pppd' | 'softether';
  readonly serverProfile?: Partial<ServerProfile>;
  /** The profile's allowed methods (default the schema's: MS-CHAPv2, EAP). */
  readonly methods?: UserAuthMethod[];
  /** More profile fields (mfa, dns, lcpEcho, mtu …), validated by the schema. */
  readonly profile?: Record<string, unknown>;
  /** What the user typed (default the server's password). */
  readonly password?: string;
  readonly otp?: string;
  readonly lns?: Partial<Omit<FakeLnsOptions, 'clock' | 'ppp' | 'primitives'>>;
  readonly carrier?: Partial<Omit<FakeCarrierOptions, 'clock' | 'lns'>>;
  /** Give the connection a RecordingNetwork (routes and DNS phases run instead of being skipped). */
  readonly network?: boolean | RecordingNetworkOptions;
  readonly timeouts?: ConnectionOptions['timeouts'];
  /** Keep creation stacks of the client's timers (for leak diagnosis). */
  readonly traceTimers?: boolean;
}

export type Outcome =
  | {
      readonly ok: true;
      readonly state: Extract<ConnectionState, { kind: 'connected' }>;
      readonly at: number;
    }
  | { readonly ok: false; readonly error: FerryError; readonly at: number };

export interface World {
  readonly clock: FakeClock;
  readonly clientClock: TrackingClock;
  readonly lns: FakeLns;
  readonly carrier: FakeCarrier;
  readonly conn: Connection;
  readonly profile: Profile;
  readonly ring: RingBufferSink;
  readonly states: ConnectionState[];
  readonly network: RecordingNetwork | null;
  readonly secrets: ConnectSecrets;
  /** connect() driven by the fake clock; never rejects (a non-FerryError rejection is rethrown). */
  connect(maxMs?: number): Promise<Outcome>;
  /** Stops the server, lets in-flight datagrams land; returns the timers still scheduled on the shared clock. */
  quiesce(ms?: number): Promise<number>;
  /**
   * Sends `count` ICMP echo requests (one every `gapMs`) from the tunnel address to the server's address through
   * Connection.send(), and returns the sequence numbers of the replies that came back through onPacket().
   */
  ping(count: number, gapMs?: number): Promise<{ sent: number; replies: Set<number> }>;
}

export function buildProfile(
  methods: UserAuthMethod[] | undefined,
  extra: Record<string, unknown> = {},
): Profile {
  const r = parseProfile({
    id: 'fake-lns',
    name: 'Fake LNS',
    server: '192.0.2.1',
    userAuth: { username: USER, ...(methods ? { methods } : {}) },
    ...extra,
  });
  if (!r.ok) throw new Error(`test profile invalid: ${JSON.stringify(r.error)}`);
  return r.value;
}

export async function world(o: WorldOptions = {}): Promise<World> {
  const seed = o.seed ?? 1;
  const primitives = await legacy();
  const clock = new FakeClock();
  const clientClock = new TrackingClock(clock, o.traceTimers ?? false);
  const ring = new RingBufferSink(100_000);
  const logger = createLogger({ sinks: [ring.sink], now: () => clock.now() });
  const ppp = (o.server === 'softether' ? softether : pppd)(o.serverProfile ?? {});
  const lns = new FakeLns({ clock, ppp, primitives, ...o.lns });
  const carrier = new FakeCarrier({ clock, lns, seed: seed * 7919, ...o.carrier });
  const profile = buildProfile(o.methods, o.profile);
  const network =
    o.network === undefined || o.network === false
      ? null
      : new RecordingNetwork(clock, o.network === true ? {} : o.network);
  const secrets: ConnectSecrets = {
    password: o.password ?? PASSWORD,
    ...(o.otp === undefined ? {} : { otp: o.otp }),
  };
  const conn = new Connection({
    profile,
    secrets,
    carrier: carrier.factory,
    ...(network ? { network } : {}),
    clock: clientClock,
    random: seededRandom(seed),
    logger,
    pppPrimitives: primitives,
    ...(o.timeouts ? { timeouts: o.timeouts } : {}),
  });
  const states: ConnectionState[] = [];
  conn.events.on('state', (s) => states.push(s));
  return {
    clock,
    clientClock,
    lns,
    carrier,
    conn,
    profile,
    ring,
    states,
    network,
    secrets,
    connect: async (maxMs = 600_000) => {
      try {
        const state = await clock.run(conn.connect(), maxMs);
        return { ok: true, state, at: clock.now() };
      } catch (e) {
        if (!isFerryError(e)) throw e;
        return { ok: false, error: e, at: clock.now() };
      }
    },
    ping: async (count, gapMs = 100) => {
      const replies = new Set<number>();
      conn.onPacket((p) => {
        const echo = decodeIcmpEcho(p);
        if (
          echo.ok &&
          echo.value.type === 'reply' &&
          echo.value.source === lns.serverIp &&
          echo.value.id === 0x4242
        )
          replies.add(echo.value.seq);
      });
      const from = conn.state.kind === 'connected' ? conn.state.addresses.localIp : '0.0.0.0';
      let sent = 0;
      for (let seq = 1; seq <= count; seq++) {
        const packet = encodeIcmpEcho(from, lns.serverIp, {
          type: 'request',
          id: 0x4242,
          seq,
          data: new Uint8Array(56).fill(seq),
        });
        if (conn.send(packet)) sent++;
        await clock.advance(gapMs);
      }
      await clock.advance(1000);
      return { sent, replies };
    },
    quiesce: async (ms = 120_000) => {
      lns.stop();
      await clock.advance(ms);
      return clock.pendingTimers;
    },
  };
}

/** The phases the connection announced with `connecting` states, in order. */
export function connectingPhases(states: readonly ConnectionState[]): string[] {
  return states.flatMap((s) => (s.kind === 'connecting' ? [s.phase] : []));
}

/** The kinds of the states after the last `connecting` one (e.g. ['connected', 'disconnecting', 'disconnected']). */
export function settledKinds(states: readonly ConnectionState[]): string[] {
  let i = states.length;
  while (i > 0 && states[i - 1]!.kind !== 'connecting') i--;
  return states.slice(i).map((s) => s.kind);
}

/** Resolves with the first state (from now on) that satisfies `pred`. */
export function nextState(conn: Connection, pred: (s: ConnectionState) => boolean): Promise<ConnectionState> {
  return new Promise((resolve) => {
    const off = conn.events.on('state', (s) => {
      if (!pred(s)) return;
      off();
      resolve(s);
    });
  });
}
