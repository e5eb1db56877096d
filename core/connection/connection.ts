/**
 * The connection orchestrator: carrier (IKE + ESP) → L2TP tunnel → L2TP session → PPP (LCP, auth, IPCP) →
 * routes → DNS, with a phase timeline, a tagged-union state, counters and an IP packet interface (SPEC §1).
 */
import { type Clock, systemClock } from '../common/clock';
import { type ConnectPhase, FerryError, internalError, isFerryError } from '../common/errors';
import { Emitter } from '../common/events';
import { type Logger, silentLogger } from '../common/log';
import { type RandomSource, systemRandom } from '../common/random';
import { L2tpTunnel } from '../l2tp';
import type { L2tpSession } from '../l2tp/session';
import {
  AppendedCode,
  type AuthMethod,
  type LegacyPrimitives,
  PppLink,
  type PppLinkInfo,
  type PppMfa,
} from '../ppp';
import type { Profile, UserAuthMethod } from '../profile/schema';
import type { CarrierFactory, L2tpCarrier } from './carrier';
import { type ConnectionCounters, IpCounters } from './counters';
import type { ConnectionState, NegotiatedAlgorithms, TunnelAddresses } from './state';
import { type PhaseEntry, PhaseTimeline } from './timeline';

/** Secrets for one connect; they are used, never stored, and the password is registered with the logger's redactor. */
export interface ConnectSecrets {
  readonly password: string;
  /**
   * One-time code for MFA modes that need one. Taken into a one-shot AppendedCode at construction (the
   * connection keeps no string of it) and consumed by the first PAP request.
   */
  readonly otp?: string;
}

/** OS integration for the last two phases (the privileged helper); absent → those phases are skipped. */
export interface NetworkConfigurator {
  applyRoutes(addresses: TunnelAddresses): Promise<void>;
  applyDns(addresses: TunnelAddresses): Promise<void>;
  /** Restores routes and DNS exactly as they were; never rejects. */
  restore(): Promise<void>;
}

export interface ConnectionOptions {
  readonly profile: Profile;
  readonly secrets: ConnectSecrets;
  readonly carrier: CarrierFactory;
  readonly network?: NetworkConfigurator;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly logger?: Logger;
  /** MD4/DES for MS-CHAPv2 (loaded on demand when absent). */
  readonly pppPrimitives?: LegacyPrimitives;
  /** Overrides for tests and the CLI. */
  readonly timeouts?: { readonly l2tpMs?: number; readonly pppPhaseMs?: number; readonly authMs?: number };
}

export interface ConnectionEvents {
  state: (state: ConnectionState) => void;
  phase: (timeline: PhaseEntry[]) => void;
}

const PPP_AUTH: Record<UserAuthMethod, AuthMethod> = {
  mschapv2: 'mschapv2',
  eap: 'eap',
  chap: 'chap-md5',
  pap: 'pap',
};

export class Connection {
  readonly events = new Emitter<ConnectionEvents>();
  private st: ConnectionState = { kind: 'idle' };
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly log: Logger;
  private readonly timeline: PhaseTimeline;
  private readonly ip = new IpCounters();
  private readonly abort = new AbortController();
  private carrier: L2tpCarrier | null = null;
  private tunnel: L2tpTunnel | null = null;
  private session: L2tpSession | null = null;
  private ppp: PppLink | null = null;
  private networkApplied = false;
  private packetHandler: ((packet: Uint8Array) => void) | null = null;
  private teardown: Promise<void> | null = null;
  /** True from `connected` on: later phase events (e.g. a PPP renegotiation) no longer change the state. */
  private established = false;
  /** The carrier died (dead peer, socket error): nothing above it can say goodbye, so teardown does not try. */
  private carrierLost = false;
  /** The first fatal error of a layer, once one happened; later ones are consequences. */
  private fatal: FerryError | null = null;
  private readonly fatalWaiters = new Set<(e: FerryError) => void>();

  private readonly opts: ConnectionOptions;
  /** SPEC §3 "otp-append": the code, until the PAP request takes it (or the connection ends unused). */
  private readonly code: AppendedCode | null;

  constructor(opts: ConnectionOptions) {
    const { mfa } = opts.profile;
    this.code =
      mfa.mode === 'otp-append' && opts.secrets.otp !== undefined
        ? new AppendedCode(opts.secrets.otp, mfa.separator)
        : null;
    // Nothing here keeps the code as a string: not the options, not the (long-lived) redactor.
    this.opts = { ...opts, secrets: { password: opts.secrets.password } };
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? systemRandom;
    this.log = (opts.logger ?? silentLogger).child('connection');
    this.log.redactor.addSecret(opts.secrets.password);
    this.timeline = new PhaseTimeline(this.clock);
  }

  get state(): ConnectionState {
    return this.st;
  }

  phases(): PhaseEntry[] {
    return this.timeline.snapshot();
  }

  counters(): ConnectionCounters {
    return {
      ip: this.ip.snapshot(),
      carrier: this.carrier?.stats() ?? {},
      l2tp: this.tunnel
        ? { ...this.tunnel.counters, malformed: { ...this.tunnel.counters.malformed } }
        : null,
      ppp: this.ppp?.counterSnapshot() ?? null,
    };
  }

  /** Brings the session up; resolves with the connected state or rejects with a FerryError naming the phase. */
  async connect(): Promise<Extract<ConnectionState, { kind: 'connected' }>> {
    if (this.st.kind !== 'idle') throw new Error(`connect() called in state ${this.st.kind}`);
    try {
      return await this.bringUp();
    } catch (e) {
      const error = this.scrub(this.fatal ?? this.asFerryError(e));
      this.timeline.failRunning(error.code);
      this.emitPhases();
      await this.tearDown();
      if (this.abort.signal.aborted) {
        this.setState({ kind: 'disconnected', reason: 'user' });
      } else {
        this.log.warn('connect failed', { error });
        this.setState({
          kind: 'failed',
          phase: error.phase,
          code: error.code,
          message: error.message,
          hint: error.hint,
        });
      }
      throw error;
    }
  }

  /** Sends one IPv4 packet into the tunnel; false (and counted) when the tunnel is not up. */
  send(packet: Uint8Array): boolean {
    if (this.st.kind !== 'connected' || !this.ppp) {
      this.ip.drop('not-connected');
      return false;
    }
    if (!this.ppp.sendIp(packet)) {
      this.ip.drop('ppp-refused');
      return false;
    }
    this.ip.out(packet.length);
    return true;
  }

  /** IPv4 packets from the tunnel; the view is only valid during the call. */
  onPacket(handler: (packet: Uint8Array) => void): void {
    this.packetHandler = handler;
  }

  /** PPP Terminate, CDN, StopCCN, IKE DELETE, routes/DNS restored. Safe in any state; never rejects. */
  async disconnect(): Promise<void> {
    if (this.st.kind === 'idle') {
      this.setState({ kind: 'disconnected', reason: 'user' });
      return;
    }
    if (this.st.kind === 'disconnected' || this.st.kind === 'failed' || this.abort.signal.aborted) {
      await this.teardown;
      return;
    }
    const wasConnecting = !this.established;
    this.abort.abort();
    if (wasConnecting) {
      // connect() notices the abort, tears down and settles the state.
      await this.tearDown();
      return;
    }
    this.setState({ kind: 'disconnecting' });
    await this.tearDown();
    this.setState({ kind: 'disconnected', reason: 'user' });
  }

  private async bringUp(): Promise<Extract<ConnectionState, { kind: 'connected' }>> {
    const { profile } = this.opts;
    const to = this.opts.timeouts ?? {};
    const mfa = this.pppMfa();
    this.carrier = await this.guard(
      this.opts.carrier({
        clock: this.clock,
        random: this.random,
        logger: this.log,
        signal: this.abort.signal,
        phase: (phase, event, detail) =>
          event === 'begin' ? this.begin(phase) : this.end(phase, event, detail),
      }),
      // A carrier that comes up after disconnect() won the race must still be torn down.
      (late) => void late.close(),
    );
    const carrier = this.carrier;
    carrier.onFailure((e) => {
      this.carrierLost = true;
      this.lowerLayerGone(e);
    });

    this.begin('l2tp-tunnel');
    const tunnel = new L2tpTunnel({
      clock: this.clock,
      random: this.random,
      logger: this.log,
      send: (d) => carrier.send(d),
      ...(carrier.sendParts
        ? { sendParts: (parts: readonly Uint8Array[]) => carrier.sendParts?.(parts) }
        : {}),
      ...(to.l2tpMs ? { establishTimeoutMs: to.l2tpMs } : {}),
    });
    this.tunnel = tunnel;
    tunnel.on('closed', (e) => e && this.lowerLayerGone(e));
    carrier.onDatagram((d) => tunnel.receive(d));
    await this.guard(tunnel.open());
    this.end('l2tp-tunnel', 'ok', tunnel.peer?.hostName);

    this.begin('l2tp-session');
    const session = await this.guard(tunnel.openSession(to.l2tpMs ? { establishTimeoutMs: to.l2tpMs } : {}));
    this.session = session;
    // The tunnel's own 'closed' event carries the cause when the whole tunnel goes.
    session.on('closed', (e) => e && e.code !== 'tunnel-closed' && this.lowerLayerGone(e));
    this.end('l2tp-session', 'ok');

    const ppp = this.createPpp(session, profile, mfa);
    this.ppp = ppp;
    ppp.events.on('down', (e) => e && this.layerFailed(e));
    const info = await this.guard(ppp.start());

    const addresses: TunnelAddresses = {
      localIp: info.localIp,
      peerIp: info.peerIp ?? '',
      dns: this.dnsServers(info),
      mtu: Math.min(info.mtu, profile.mtu),
    };
    await this.configureNetwork(addresses);

    const algorithms: NegotiatedAlgorithms = { ...carrier.algorithms, pppAuth: info.authMethod };
    const connected = { kind: 'connected', since: Date.now(), addresses, algorithms } as const;
    this.established = true;
    this.setState(connected);
    this.log.info('connected', {
      localIp: addresses.localIp,
      peerIp: addresses.peerIp,
      dns: addresses.dns,
      algorithms,
    });
    return connected;
  }

  private createPpp(session: L2tpSession, profile: Profile, mfa: PppMfa | null): PppLink {
    const to = this.opts.timeouts ?? {};
    const ppp = new PppLink({
      send: (f) => session.sendPpp(f),
      sendParts: (header, payload) => session.sendPppParts([header, payload]),
      credentials: {
        username: profile.userAuth.username,
        password: this.opts.secrets.password,
        ...(this.code ? { appendedCode: this.code } : {}),
      },
      // The code can only travel in PAP (the hashed methods cannot carry it): offer nothing else.
      authMethods: mfa?.kind === 'otp-append' ? ['pap'] : profile.userAuth.methods.map((m) => PPP_AUTH[m]),
      mru: profile.mru,
      echoIntervalMs: profile.lcpEcho.intervalSeconds * 1000,
      echoFailures: profile.lcpEcho.failures,
      clock: this.clock,
      random: this.random,
      logger: this.log,
      ...(this.opts.pppPrimitives ? { primitives: this.opts.pppPrimitives } : {}),
      ...(to.pppPhaseMs ? { lcpTimeoutMs: to.pppPhaseMs, ipcpTimeoutMs: to.pppPhaseMs } : {}),
      // SPEC §3: the authentication timers follow the MFA mode (core/ppp/secondFactor.ts) unless overridden.
      ...(mfa ? { mfa } : {}),
      ...(to.authMs ? { authTimeoutMs: to.authMs } : {}),
    });
    session.onPpp((f) => ppp.receive(f));
    ppp.onIp((packet) => {
      this.ip.in(packet.length);
      this.packetHandler?.(packet);
    });
    ppp.events.on('phase', (e) => {
      if (e.kind === 'start') this.begin(e.phase);
      else this.end(e.phase, e.ok ? 'ok' : 'failed', e.detail);
    });
    return ppp;
  }

  /** SPEC §3 MFA as PPP needs it; "otp-append" without a code fails before anything is sent. */
  private pppMfa(): PppMfa | null {
    const { mfa } = this.opts.profile;
    if (mfa.mode === 'push') return { kind: 'push', approvalMs: mfa.timeoutSeconds * 1000 };
    if (mfa.mode !== 'otp-append') return null;
    if (!this.code)
      throw new FerryError({
        phase: 'auth',
        code: 'otp-missing',
        message: 'this profile needs a one-time code and none was given',
        hint: 'enter the current code from your authenticator',
      });
    return { kind: 'otp-append' };
  }

  private dnsServers(info: PppLinkInfo): string[] {
    const { dns } = this.opts.profile;
    const fromServer = dns.useServerDns ? info.dns : [];
    return [...new Set([...dns.servers, ...fromServer])];
  }

  private async configureNetwork(addresses: TunnelAddresses): Promise<void> {
    const net = this.opts.network;
    if (!net) {
      this.timeline.end('routes', 'skipped', 'no OS integration');
      this.timeline.end('dns', 'skipped', 'no OS integration');
      this.emitPhases();
      return;
    }
    this.networkApplied = true;
    this.begin('routes');
    await this.guard(net.applyRoutes(addresses));
    this.end('routes', 'ok');
    this.begin('dns');
    await this.guard(net.applyDns(addresses));
    this.end('dns', 'ok');
  }

  /**
   * A layer died (carrier, L2TP tunnel or session, PPP). During bring-up the pending step is rejected with this
   * error at once; once connected the connection fails. Only the first failure counts: the rest are its echoes.
   */
  private layerFailed(error: FerryError): void {
    if (this.fatal || this.abort.signal.aborted) return;
    this.fatal = error;
    if (!this.established) {
      for (const w of this.fatalWaiters) w(error);
      return;
    }
    const e = this.scrub(error);
    this.log.warn('connection lost', { error: e });
    const failed = {
      kind: 'failed',
      phase: 'established',
      code: e.code,
      message: e.message,
      hint: e.hint,
    } as const;
    void this.tearDown().then(() => this.setState(failed));
  }

  /**
   * What PPP runs on is gone: the server cleared the call (CDN) or the tunnel (StopCCN, RFC 2661 §5.7), or the
   * carrier died. PPP ends at once (RFC 1661 §4.1 Down) instead of waiting for answers that cannot come. When PPP
   * had already ended — SoftEther sends LCP Terminate-Request on a rejected PAP, then clears the call — this is the
   * echo of that end, and the typed error PPP gave (mfa-rejected, peer-terminated…) stays the one reported.
   */
  private lowerLayerGone(error: FerryError): void {
    const pppEnded = this.ppp !== null && ['failed', 'closing', 'closed'].includes(this.ppp.state);
    this.ppp?.lowerDown(error);
    if (!pppEnded) this.layerFailed(error);
  }

  /** Closes whatever is up, top of the stack first. Idempotent; concurrent callers share one teardown. */
  private tearDown(): Promise<void> {
    this.teardown ??= (async () => {
      this.code?.wipe(); // unused if the session never reached PAP
      const step = async (what: string, fn: () => Promise<void> | undefined) => {
        try {
          await fn();
        } catch (e) {
          this.log.warn(`teardown: ${what} failed`, { error: e });
        }
      };
      // The carrier may also die while we say goodbye (PPP then ends at once: lowerLayerGone): stop talking then.
      if (this.carrierLost) this.ppp?.abort();
      else await step('ppp', () => this.ppp?.close());
      if (!this.carrierLost) await step('l2tp session', () => this.session?.close());
      if (!this.carrierLost) await step('l2tp tunnel', () => this.tunnel?.close());
      this.tunnel?.dispose();
      await step('carrier', () => this.carrier?.close());
      if (this.networkApplied) await step('network', () => this.opts.network?.restore());
    })();
    return this.teardown;
  }

  /**
   * Awaits a step, but gives up as soon as disconnect() aborts the bring-up or a layer fails. A value that
   * arrives after giving up goes to `onLate` (e.g. to close it); a late rejection is swallowed.
   */
  private guard<T>(p: Promise<T>, onLate?: (value: T) => void): Promise<T> {
    const late = (v: T) => onLate?.(v);
    if (this.abort.signal.aborted || this.fatal) {
      p.then(late, () => {});
      return Promise.reject(this.fatal ?? this.cancelled());
    }
    const signal = this.abort.signal;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const giveUp = (e: FerryError) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(e);
      };
      const onAbort = () => giveUp(this.cancelled());
      const cleanup = () => {
        signal.removeEventListener('abort', onAbort);
        this.fatalWaiters.delete(giveUp);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.fatalWaiters.add(giveUp);
      p.then(
        (v) => {
          if (settled) return late(v);
          settled = true;
          cleanup();
          resolve(v);
        },
        (e) => {
          if (settled) return;
          settled = true;
          cleanup();
          reject(e);
        },
      );
    });
  }

  /** Server-supplied text (Result Code messages, MS-CHAP M=) may quote a secret: scrub before it leaves. */
  private scrub(e: FerryError): FerryError {
    const r = this.log.redactor;
    const message = r.scrub(e.message);
    const hint = r.scrub(e.hint);
    if (message === e.message && hint === e.hint) return e;
    return new FerryError({ phase: e.phase, code: e.code, message, hint });
  }

  private cancelled(): FerryError {
    const phase = this.st.kind === 'connecting' ? this.st.phase : 'teardown';
    return new FerryError({
      phase,
      code: 'cancelled',
      message: 'connect cancelled',
      hint: 'the connection was cancelled by the user',
    });
  }

  private asFerryError(e: unknown): FerryError {
    if (isFerryError(e)) return e;
    return internalError(this.st.kind === 'connecting' ? this.st.phase : 'established', e);
  }

  private begin(phase: ConnectPhase): void {
    if (this.established) {
      // RFC 1661 renegotiation after connect: the session stays up (or fails through layerFailed).
      this.log.info('renegotiation after connect', { phase });
      return;
    }
    this.timeline.begin(phase);
    this.setState({ kind: 'connecting', phase });
    this.emitPhases();
  }

  private end(phase: ConnectPhase, result: 'ok' | 'failed', detail?: string): void {
    if (this.established) return;
    this.timeline.end(phase, result, detail);
    this.emitPhases();
  }

  private emitPhases(): void {
    this.events.emit('phase', this.timeline.snapshot());
  }

  private setState(s: ConnectionState): void {
    this.st = s;
    this.events.emit('state', s);
  }
}
