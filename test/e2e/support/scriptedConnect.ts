/**
 * The scripted host's connection simulator (a UI-level test double, not the core): walks the SPEC §1 phases,
 * emitting the same ConnectionView/MfaPrompt events the real host will, with outcomes the test chooses —
 * success, a failure in a given phase with a hint, OTP and push second factors, cancel, peer drop, traffic.
 * Pace is either automatic (a timer per phase) or manual (the test grants steps).
 */
import type { ConnectionView, IpcError, IpcEvents, IpcResult, MfaWait } from '../../../core/api/ipc';
import { CONNECT_PHASES, type ConnectPhase } from '../../../core/common/errors';
import type { LogLevel } from '../../../core/common/log';
import type { ConnectionCounters } from '../../../core/connection/counters';
import type { ConnectionState, NegotiatedAlgorithms, TunnelAddresses } from '../../../core/connection/state';
import type { PhaseEntry, PhaseResult } from '../../../core/connection/timeline';
import { newCounters } from '../../../core/l2tp/counters';
import type { Profile } from '../../../core/profile/schema';
import { MfaSimulator, type OtpPolicy } from './scriptedMfa';

export type { OtpPolicy };

export type ConnectOutcome =
  | {
      readonly kind: 'connect';
      readonly addresses?: Partial<TunnelAddresses>;
      readonly algorithms?: NegotiatedAlgorithms;
    }
  | {
      readonly kind: 'fail';
      readonly phase: ConnectPhase;
      readonly code: string;
      readonly message: string;
      readonly hint: string;
    };

export type Pace = { readonly mode: 'auto'; readonly phaseMs: number } | { readonly mode: 'manual' };

export interface SimHost {
  now(): number;
  emit<E extends keyof IpcEvents>(event: E, payload: IpcEvents[E]): void;
  log(
    profileId: string,
    level: LogLevel,
    scope: string,
    msg: string,
    fields?: Record<string, string | number>,
  ): void;
  profile(id: string): Profile | undefined;
}

interface Session {
  readonly id: string;
  readonly origin: number;
  readonly entries: {
    phase: ConnectPhase;
    start: number;
    end: number | null;
    result: PhaseResult;
    detail?: string;
  }[];
  cancelled: boolean;
  credits: number;
  wake: (() => void) | null;
  timer: ReturnType<typeof setTimeout> | null;
}

const SCOPE: Readonly<Record<ConnectPhase, string>> = {
  'ike-phase1': 'ferry.ike',
  'quick-mode': 'ferry.ike',
  'l2tp-tunnel': 'ferry.l2tp',
  'l2tp-session': 'ferry.l2tp',
  lcp: 'ferry.ppp',
  auth: 'ferry.ppp',
  ipcp: 'ferry.ppp',
  routes: 'ferry.helper',
  dns: 'ferry.helper',
};

const fail = (code: string, message: string, hint?: string): IpcResult<null> => ({
  type: 'error',
  error: { code, message, ...(hint ? { hint } : {}) } satisfies IpcError,
});
const done: IpcResult<null> = { type: 'success', value: null };

function emptyCounters(): ConnectionCounters {
  return {
    ip: { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, drops: {} },
    carrier: {
      esp: {
        transform: 'aes256gcm16',
        counters: { espDropped: 0, innerDropped: { 'not-udp': 0, 'bad-ip': 0 } },
      },
      ike: { rekeys: 0 },
      dpd: { sent: 0, acknowledged: 0 },
    },
    l2tp: newCounters(),
    ppp: {
      framesIn: {},
      framesOut: {},
      bytesIn: 0,
      bytesOut: 0,
      unknownProtocols: 0,
      malformed: 0,
      ipDropped: 0,
      echoSent: 0,
      echoReplies: 0,
    },
  };
}

export class ConnectSimulator {
  readonly connections = new Map<string, ConnectionView>();
  /** The second factor (prompts, answers, OTP codes received). */
  readonly mfa: MfaSimulator;
  private readonly sessions = new Map<string, Session>();
  private readonly outcomes = new Map<string, ConnectOutcome>();
  pace: Pace;

  constructor(
    private readonly host: SimHost,
    opts: { pace: Pace; otp: OtpPolicy },
  ) {
    this.pace = opts.pace;
    this.mfa = new MfaSimulator(host, opts.otp);
  }

  script(profileId: string, outcome: ConnectOutcome): void {
    this.outcomes.set(profileId, outcome);
  }

  view(profileId: string): ConnectionView | undefined {
    return this.connections.get(profileId);
  }

  connect(profileId: string): IpcResult<null> {
    const state = this.connections.get(profileId)?.state.kind;
    if (state === 'connecting' || state === 'connected' || state === 'disconnecting')
      return fail('busy', 'This profile is already connecting or connected.');
    const session: Session = {
      id: profileId,
      origin: this.host.now(),
      entries: [],
      cancelled: false,
      credits: 0,
      wake: null,
      timer: null,
    };
    this.sessions.set(profileId, session);
    void this.run(session);
    return done;
  }

  disconnect(profileId: string): IpcResult<null> {
    const session = this.sessions.get(profileId);
    const view = this.connections.get(profileId);
    if (
      !view ||
      view.state.kind === 'idle' ||
      view.state.kind === 'disconnected' ||
      view.state.kind === 'failed'
    ) {
      if (view?.reconnect) this.update(profileId, { reconnect: null });
      return done;
    }
    if (session) {
      session.cancelled = true;
      if (session.timer) clearTimeout(session.timer);
      session.wake?.();
      const running = session.entries.find((e) => e.result === 'running');
      if (running) Object.assign(running, { result: 'skipped', end: this.host.now(), detail: 'cancelled' });
    }
    this.mfa.cancelFor(profileId);
    this.update(profileId, { state: { kind: 'disconnecting' } });
    this.host.log(profileId, 'info', 'ferry.connection', 'disconnecting', { reason: 'user' });
    setTimeout(() => {
      this.sessions.delete(profileId);
      this.update(profileId, {
        state: { kind: 'disconnected', reason: 'user' },
        counters: null,
        routes: [],
        dns: [],
      });
      this.host.log(profileId, 'info', 'ferry.connection', 'disconnected');
    }, 30);
    return done;
  }

  /** Manual pace: lets the session pass `n` more phase gates. */
  step(profileId: string, n = 1): void {
    const s = this.sessions.get(profileId);
    if (!s) return;
    s.credits += n;
    s.wake?.();
  }

  answer(promptId: string, code: string | null): IpcResult<null> {
    return this.mfa.answer(promptId, code);
  }

  /** Simulated traffic on a connected profile. */
  traffic(
    profileId: string,
    t: {
      in?: [packets: number, bytes: number];
      out?: [packets: number, bytes: number];
      drops?: Record<string, number>;
    },
  ): void {
    const v = this.connections.get(profileId);
    if (!v?.counters) return;
    const ip = v.counters.ip;
    const drops = { ...ip.drops };
    for (const [k, n] of Object.entries(t.drops ?? {})) drops[k] = (drops[k] ?? 0) + n;
    this.update(profileId, {
      counters: {
        ...v.counters,
        ip: {
          packetsIn: ip.packetsIn + (t.in?.[0] ?? 0),
          bytesIn: ip.bytesIn + (t.in?.[1] ?? 0),
          packetsOut: ip.packetsOut + (t.out?.[0] ?? 0),
          bytesOut: ip.bytesOut + (t.out?.[1] ?? 0),
          drops,
        },
      },
    });
  }

  /** The server went away: disconnected by the peer, with a reconnect pending when the profile wants one. */
  dropPeer(profileId: string, reconnectInMs = 5000): void {
    const auto = this.host.profile(profileId)?.autoReconnect ?? false;
    this.sessions.delete(profileId);
    this.host.log(profileId, 'warn', 'ferry.ike', 'dead peer detected', { missed: 5 });
    this.update(profileId, {
      state: { kind: 'disconnected', reason: 'peer' },
      counters: null,
      reconnect: auto ? { attempt: 1, inMs: reconnectInMs } : null,
    });
  }

  forget(profileId: string): void {
    this.disconnect(profileId);
    this.connections.delete(profileId);
  }

  dispose(): void {
    for (const s of this.sessions.values()) {
      s.cancelled = true;
      if (s.timer) clearTimeout(s.timer);
      s.wake?.();
    }
    this.mfa.dispose();
  }

  private update(profileId: string, patch: Partial<ConnectionView>): void {
    const prev: ConnectionView = this.connections.get(profileId) ?? {
      profileId,
      state: { kind: 'idle' },
      phases: [],
      counters: null,
      routes: [],
      dns: [],
      reconnect: null,
    };
    const session = this.sessions.get(profileId);
    const { waitingFor, ...rest }: ConnectionView = {
      ...prev,
      ...(session ? { phases: this.phases(session) } : {}),
      ...patch,
    };
    // Like the real service: a prompt is waited on only while connecting.
    const next: ConnectionView =
      waitingFor && rest.state.kind === 'connecting' ? { ...rest, waitingFor } : rest;
    this.connections.set(profileId, next);
    this.host.emit('connection', next);
  }

  /** An MFA prompt of this connect opened (or closed: null). */
  private waiting(profileId: string, w: MfaWait | null): void {
    const prev = this.connections.get(profileId);
    if (!prev) return;
    const { waitingFor: _, ...rest } = prev;
    const next: ConnectionView = w && rest.state.kind === 'connecting' ? { ...rest, waitingFor: w } : rest;
    this.connections.set(profileId, next);
    this.host.emit('connection', next);
  }

  private phases(s: Session): PhaseEntry[] {
    return s.entries.map((e) => ({
      phase: e.phase,
      startMs: e.start - s.origin,
      durationMs: e.end === null ? null : e.end - e.start,
      result: e.result,
      ...(e.detail ? { detail: e.detail } : {}),
    }));
  }

  private gate(s: Session): Promise<void> {
    if (s.cancelled) return Promise.resolve();
    if (this.pace.mode === 'auto') {
      const ms = this.pace.phaseMs;
      return new Promise((resolve) => {
        s.wake = resolve;
        s.timer = setTimeout(resolve, ms);
      });
    }
    return new Promise((resolve) => {
      const tryPass = (): void => {
        if (s.cancelled || s.credits > 0) {
          if (!s.cancelled) s.credits--;
          s.wake = null;
          resolve();
        }
      };
      s.wake = tryPass;
      tryPass();
    });
  }

  private connectedState(p: Profile, outcome: Extract<ConnectOutcome, { kind: 'connect' }>): ConnectionState {
    return {
      kind: 'connected',
      since: this.host.now(),
      addresses: {
        localIp: outcome.addresses?.localIp ?? '10.8.0.23',
        peerIp: outcome.addresses?.peerIp ?? '10.8.0.1',
        dns: outcome.addresses?.dns ?? ['10.8.0.1'],
        mtu: outcome.addresses?.mtu ?? p.mtu,
      },
      algorithms: outcome.algorithms ?? {
        ike: 'AES-256-CBC / SHA-256 / MODP-2048',
        esp: 'AES-256-GCM-16',
        natT: 'RFC 3947, forced UDP encapsulation',
        pppAuth: p.userAuth.methods[0] === 'pap' ? 'PAP' : 'MS-CHAPv2',
        legacy: false,
      },
    };
  }

  private async run(s: Session): Promise<void> {
    const p = this.host.profile(s.id);
    if (!p) return;
    const outcome = this.outcomes.get(s.id) ?? { kind: 'connect' };
    this.update(s.id, {
      state: { kind: 'connecting', phase: CONNECT_PHASES[0] },
      counters: null,
      reconnect: null,
      routes: [],
      dns: [],
    });
    this.host.log(s.id, 'info', 'ferry.connection', 'connecting', { server: p.server });
    for (const phase of CONNECT_PHASES) {
      if (s.cancelled) return;
      s.entries.push({ phase, start: this.host.now(), end: null, result: 'running' });
      this.update(s.id, { state: { kind: 'connecting', phase } });
      this.host.log(s.id, 'debug', SCOPE[phase], `${phase} started`);
      await this.gate(s);
      if (s.cancelled) return;
      const failure =
        (phase === 'auth'
          ? await this.mfa.secondFactor(s.id, p, (w) => !s.cancelled && this.waiting(s.id, w))
          : null) ?? (outcome.kind === 'fail' && outcome.phase === phase ? outcome : null);
      if (s.cancelled) return;
      const entry = s.entries[s.entries.length - 1]!;
      entry.end = this.host.now();
      if (failure) {
        entry.result = 'failed';
        entry.detail = failure.code;
        this.host.log(s.id, 'error', SCOPE[phase], failure.message, { code: failure.code });
        this.update(s.id, {
          state: { kind: 'failed', phase, code: failure.code, message: failure.message, hint: failure.hint },
        });
        this.sessions.delete(s.id);
        return;
      }
      entry.result = 'ok';
      this.host.log(s.id, 'info', SCOPE[phase], `${phase} done`, { ms: entry.end - entry.start });
    }
    const state = this.connectedState(p, outcome as Extract<ConnectOutcome, { kind: 'connect' }>);
    const routes = p.routing.mode === 'split' ? [...p.routing.subnets] : ['0.0.0.0/1', '128.0.0.0/1'];
    const dns = [
      ...p.dns.servers,
      ...(p.dns.useServerDns && state.kind === 'connected' ? state.addresses.dns : []),
    ];
    this.update(s.id, { state, counters: emptyCounters(), routes, dns });
    this.host.log(s.id, 'info', 'ferry.connection', 'connected', {
      ip: state.kind === 'connected' ? state.addresses.localIp : '',
    });
  }
}
