/**
 * One profile's connection over time: an attempt is secrets → server address → helper session → Connection
 * (carrier, L2TP, PPP, routes, DNS) with the TUN pumping; after a loss it reconnects with backoff while the
 * state keeps showing why (SPEC §1.7), until it is up again, gives up, or the user disconnects.
 */
import type { MfaPrompt, MfaRejection, MfaWait } from '../../../core/api/ipc';
import type { Clock, TimerHandle } from '../../../core/common/clock';
import { FerryError, internalError, isFerryError } from '../../../core/common/errors';
import type { Logger, RingBufferSink } from '../../../core/common/log';
import type { RandomSource } from '../../../core/common/random';
import type { CarrierFactory } from '../../../core/connection/carrier';
import { Connection, type ConnectionOptions } from '../../../core/connection/connection';
import { serverNotFound } from '../../../core/connection/ipsecBringUp';
import { machineSecretKind } from '../../../core/connection/ipsecProfile';
import type { ConnectionState } from '../../../core/connection/state';
import type { PhaseEntry } from '../../../core/connection/timeline';
import type { Profile } from '../../../core/profile/schema';
import type { SecretKind, SecretStore } from '../secrets/types';
import { SECRET_LABELS, secretError } from '../secrets/types';
import { type BackoffPolicy, backoffDelay, isRetryable } from './backoff';
import type { CodeRedactor } from './codeRedaction';
import type { NetworkHost, NetworkSession } from './networkHost';

/** Builds the carrier for one attempt (default: ipsecCarrier with the already resolved address). */
/** `machineSecret` is the PSK or the serialized client credentials, as `machineSecretKind(profile)` says. */
export type CarrierFor = (profile: Profile, machineSecret: string, serverAddress: string) => CarrierFactory;

/** What a code request says: whether an earlier code failed, and the typed error that rejected it. */
export interface OtpAsk {
  readonly retry: boolean;
  readonly rejected?: MfaRejection;
}

/** SPEC §3: codes one connect asks for at most (the first and two re-prompts after rejections). */
export const MAX_CODES_PER_CONNECT = 3;

/** How a session asks for a second factor. */
export interface MfaBroker {
  /** A one-time code for `otp-append`; null when none comes (cancelled, expired, no terminal). */
  otp(profileId: string, ask: OtpAsk): Promise<string | null>;
  /** Push approval pending (`push` mode, during PPP authentication) or over (null). */
  push(profileId: string, prompt: Extract<MfaPrompt, { kind: 'push' }> | null): void;
  /** Drops this profile's pending code request (the user disconnected meanwhile). */
  cancel(profileId: string): void;
}

export interface SessionDeps {
  readonly profile: Profile;
  readonly secrets: SecretStore;
  readonly network: NetworkHost | null;
  readonly carrier: CarrierFor;
  readonly resolve: (host: string) => Promise<string>;
  readonly logger: Logger;
  readonly ring: RingBufferSink;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly backoff: BackoffPolicy;
  readonly mfa: MfaBroker;
  readonly timeouts?: ConnectionOptions['timeouts'];
  readonly pppPrimitives?: ConnectionOptions['pppPrimitives'];
  /** Why the server rejected the last one-time code of this profile, if it did (kept across sessions). */
  readonly lastRejection: { get(): MfaRejection | null; set(rejection: MfaRejection | null): void };
  /** The redaction scope of this session's loggers: one-time codes are held only while an attempt uses them. */
  readonly codes: CodeRedactor;
  /** Wall-clock ms since the epoch (prompt deadlines). */
  readonly now: () => number;
  /** Something in the view changed. */
  readonly changed: () => void;
}

type Connected = Extract<ConnectionState, { kind: 'connected' }>;
type AttemptResult =
  | { ok: true; state: Connected }
  /** `codeSent`: the attempt went to the server with a one-time code (not: no code came, or it failed before). */
  | { ok: false; error: FerryError; codeSent: boolean };

export class ProfileSession {
  private st: ConnectionState = { kind: 'idle' };
  private timeline: PhaseEntry[] = [];
  private conn: Connection | null = null;
  private net: NetworkSession | null = null;
  private pending: { attempt: number; dueAt: number; timer: TimerHandle } | null = null;
  private stopped = false;
  /** Between a loss and the next attempt: the old connection's own state changes are no longer news. */
  private losing = false;
  /** The MFA prompt this connect waits on (the view says "waiting for your code" rather than a phase). */
  private waiting: MfaWait | null = null;
  private resolveEnded!: (s: ConnectionState) => void;
  /** Settles once the session is over: disconnected, or failed with no reconnect pending. */
  readonly ended: Promise<ConnectionState>;
  private readonly log: Logger;

  constructor(private readonly deps: SessionDeps) {
    this.log = deps.logger.child('session');
    this.ended = new Promise((r) => {
      this.resolveEnded = r;
    });
  }

  get profile(): Profile {
    return this.deps.profile;
  }
  get state(): ConnectionState {
    return this.st;
  }
  get phases(): PhaseEntry[] {
    return this.timeline;
  }
  get connection(): Connection | null {
    return this.conn;
  }
  get network(): NetworkSession | null {
    return this.net;
  }
  /** Set while the connect waits for the user's second factor (only ever while `connecting`). */
  get waitingFor(): MfaWait | null {
    return this.st.kind === 'connecting' ? this.waiting : null;
  }
  get reconnect(): { attempt: number; inMs: number } | null {
    const p = this.pending;
    return p ? { attempt: p.attempt, inMs: Math.max(0, Math.round(p.dueAt - this.deps.clock.now())) } : null;
  }
  /** Still doing something (connecting, connected, waiting to reconnect). */
  get active(): boolean {
    return (
      !this.stopped &&
      (this.pending !== null || ['connecting', 'connected', 'disconnecting'].includes(this.st.kind))
    );
  }

  /** The first attempt; resolves when connected, rejects with the FerryError that stopped it. */
  async start(otp?: string): Promise<Connected> {
    const r = await this.attemptWithCodes(otp);
    if (r.ok) return r.state;
    this.finish();
    throw r.error;
  }

  /** User disconnect: cancels a pending reconnect or a bring-up, tears down, restores the network. */
  async stop(): Promise<void> {
    if (this.stopped) {
      await this.ended;
      return;
    }
    this.stopped = true;
    this.cancelPending();
    this.deps.mfa.cancel(this.deps.profile.id);
    const conn = this.conn;
    if (conn) await conn.disconnect();
    await this.net?.close();
    this.net = null;
    this.setState({ kind: 'disconnected', reason: 'user' });
    this.finish();
  }

  /**
   * One connect. With "otp-append", a rejected code (typed `mfa-rejected`) is asked for again — with the error's
   * text — and tried in a clean full reconnect (PAP's verdict ends the PPP session, and the orchestrator cannot
   * reopen L2TP alone), up to MAX_CODES_PER_CONNECT codes; a cancelled re-prompt ends with the rejection.
   * The connect stays `connecting` through a re-prompt: only its final failure is shown as `failed`.
   */
  private async attemptWithCodes(given?: string): Promise<AttemptResult> {
    let code = given;
    let rejection: FerryError | null = null;
    for (let n = 1; ; n++) {
      const r = await this.attempt(code, rejection);
      if (r.ok || this.stopped) return r;
      const again = r.error.code === 'mfa-rejected' && r.codeSent && n < MAX_CODES_PER_CONNECT;
      if (!again) {
        this.setState(failedState(r.error));
        return r;
      }
      this.log.info('one-time code rejected: asking for another', { codesTried: n });
      rejection = r.error;
      code = undefined;
    }
  }

  private async attempt(given: string | undefined, rejection: FerryError | null): Promise<AttemptResult> {
    const { profile } = this.deps;
    this.timeline = [];
    this.conn = null;
    this.losing = false;
    this.waiting = null;
    this.setState({ kind: 'connecting', phase: 'ike-phase1' });
    let conn: Connection | null = null;
    let usedOtp = false;
    try {
      const machineSecret = await this.secret(machineSecretKind(profile));
      const password = await this.secret('password');
      let code = given;
      if (profile.mfa.mode === 'otp-append' && code === undefined) {
        const last = rejection ? asRejection(rejection) : this.deps.lastRejection.get();
        this.waiting = { kind: 'otp', retry: last !== null };
        this.deps.changed();
        try {
          code =
            (await this.deps.mfa.otp(
              profile.id,
              last ? { retry: true, rejected: last } : { retry: false },
            )) ?? undefined;
        } finally {
          this.waiting = null;
          this.deps.changed();
        }
        if (this.stopped) throw cancelled();
        if (code === undefined)
          throw (
            rejection ??
            new FerryError({
              phase: 'auth',
              code: 'otp-missing',
              message: 'this profile needs a one-time code and none was given',
              hint: 'enter the current code from your authenticator',
            })
          );
      }
      if (code !== undefined) this.deps.codes.hold(code);
      usedOtp = code !== undefined;
      if (profile.mfa.mode === 'otp-prompt')
        throw new FerryError({
          phase: 'profile',
          code: 'mfa-unsupported',
          message: 'MFA mode "otp-prompt" (a second prompt after the password) is not supported yet',
          hint: 'use "otp-append" if the server accepts the code appended to the password',
        });
      const server = await this.resolveServer();
      if (this.stopped) throw cancelled();
      this.net = this.deps.network
        ? await this.deps.network.open({ profile, serverAddress: server, logger: this.deps.logger })
        : null;
      if (this.stopped) throw cancelled();
      conn = new Connection({
        profile,
        secrets: { password, ...(code !== undefined ? { otp: code } : {}) },
        carrier: this.deps.carrier(profile, machineSecret, server),
        ...(this.net ? { network: this.net.configurator } : {}),
        clock: this.deps.clock,
        random: this.deps.random,
        logger: this.deps.logger,
        ...(this.deps.timeouts ? { timeouts: this.deps.timeouts } : {}),
        ...(this.deps.pppPrimitives ? { pppPrimitives: this.deps.pppPrimitives } : {}),
      });
      this.conn = conn;
      this.net?.bind(conn);
      this.watch(conn);
      const up = await conn.connect();
      if (usedOtp) this.deps.lastRejection.set(null);
      this.net?.onLost((e) => void this.lost(e, true));
      return { ok: true, state: up };
    } catch (e) {
      const error = isFerryError(e) ? e : internal(e);
      if (usedOtp) this.deps.lastRejection.set(error.code === 'mfa-rejected' ? asRejection(error) : null);
      await this.net?.close();
      this.net = null;
      if (this.stopped) return { ok: false, error: cancelled(), codeSent: false };
      // The caller shows the failure, unless a re-prompt keeps the connect going.
      return { ok: false, error, codeSent: usedOtp && conn !== null };
    } finally {
      // The code was used (or never was): nothing keeps it beyond this attempt, not even for redaction.
      this.deps.codes.release();
    }
  }

  private watch(conn: Connection): void {
    conn.events.on('phase', (t) => {
      if (this.conn !== conn) return;
      this.timeline = t;
      this.pushPrompt(t);
      this.deps.changed();
    });
    conn.events.on('state', (s) => {
      if (this.conn !== conn || this.losing) return;
      if (s.kind === 'failed' && s.phase === 'established') {
        void this.lost(
          new FerryError({ phase: s.phase, code: s.code, message: s.message, hint: s.hint }),
          false,
        );
        return;
      }
      // A user disconnect settles the state itself, after the network side is closed too.
      if (s.kind === 'disconnected' && this.stopped) return;
      // A bring-up failure is settled by attemptWithCodes (a rejected code keeps the connect going).
      if (s.kind === 'failed') return;
      this.setState(s);
    });
  }

  /** SPEC §3 push MFA: tell the UI while PPP authentication waits for the approval. */
  private pushPrompt(t: readonly PhaseEntry[]): void {
    const mfa = this.deps.profile.mfa;
    if (mfa.mode !== 'push') return;
    const auth = t.find((p) => p.phase === 'auth');
    const id = this.deps.profile.id;
    // The phase event for the start of auth is emitted as it begins: the approval window counts from now.
    this.waiting = auth?.result === 'running' ? { kind: 'push', retry: false } : null;
    if (auth?.result === 'running')
      this.deps.mfa.push(id, {
        id: `push-${id}`,
        profileId: id,
        kind: 'push',
        expiresInSeconds: mfa.timeoutSeconds,
        deadline: Math.round(this.deps.now() + mfa.timeoutSeconds * 1000),
      });
    else if (auth) this.deps.mfa.push(id, null);
  }

  /** After connect: the connection (or the OS side) failed. Tear down, then reconnect or give up. */
  private async lost(error: FerryError, fromNetwork: boolean): Promise<void> {
    if (this.stopped || this.pending || this.losing) return;
    this.losing = true;
    const conn = this.conn;
    this.log.warn('connection lost', { error, fromNetwork });
    this.setState(failedState(error.phase === 'established' ? error : asEstablished(error)));
    if (fromNetwork && conn) await conn.disconnect();
    await this.net?.close();
    this.net = null;
    if (this.stopped) return;
    this.schedule(1, error);
  }

  private schedule(attempt: number, error: FerryError): void {
    const { backoff, profile, clock } = this.deps;
    if (!profile.autoReconnect || attempt > backoff.maxAttempts || !isRetryable(error)) {
      this.log.info('not reconnecting', { attempt, autoReconnect: profile.autoReconnect, code: error.code });
      this.finish();
      return;
    }
    const delay = backoffDelay(attempt, backoff, this.deps.random);
    const timer = clock.setTimeout(() => void this.retry(attempt), delay);
    this.pending = { attempt, dueAt: clock.now() + delay, timer };
    this.log.info('reconnect scheduled', { attempt, delayMs: delay });
    this.deps.changed();
  }

  private async retry(attempt: number): Promise<void> {
    this.pending = null;
    if (this.stopped) return;
    this.log.info('reconnecting', { attempt });
    const r = await this.attemptWithCodes();
    if (r.ok || this.stopped) return;
    this.schedule(attempt + 1, r.error);
  }

  private cancelPending(): void {
    if (this.pending) this.deps.clock.clearTimeout(this.pending.timer);
    this.pending = null;
  }

  private async secret(kind: SecretKind): Promise<string> {
    const { profile, secrets } = this.deps;
    const r = await secrets.get(profile.id, kind);
    if (r.status === 'found') return r.value;
    const what = SECRET_LABELS[kind];
    if (r.status === 'unavailable')
      throw secretError(
        'secrets-unavailable',
        `cannot read the ${what} (${secrets.label}): ${r.reason}`,
        'unlock the OS keyring, or supply the secret another way',
      );
    throw secretError(
      r.mayBeLocked ? 'secret-missing-or-locked' : 'secret-missing',
      `no ${what} stored for profile "${profile.id}" (${secrets.label})`,
      r.mayBeLocked
        ? `store the ${what} for this profile, or unlock the OS keyring`
        : `enter the ${what} for this profile`,
    );
  }

  private async resolveServer(): Promise<string> {
    const host = this.deps.profile.server;
    try {
      return await this.deps.resolve(host);
    } catch (e) {
      throw serverNotFound(host, e);
    }
  }

  private setState(s: ConnectionState): void {
    this.st = s;
    this.deps.changed();
  }

  private finish(): void {
    this.stopped = true;
    this.waiting = null;
    this.cancelPending();
    this.deps.mfa.push(this.deps.profile.id, null);
    this.deps.changed();
    this.resolveEnded(this.st);
  }
}

const asRejection = (e: FerryError): MfaRejection => ({ code: e.code, message: e.message, hint: e.hint });

function failedState(e: FerryError): ConnectionState {
  return { kind: 'failed', phase: e.phase, code: e.code, message: e.message, hint: e.hint };
}

function asEstablished(e: FerryError): FerryError {
  return new FerryError({ phase: 'established', code: e.code, message: e.message, hint: e.hint });
}

function cancelled(): FerryError {
  return new FerryError({
    phase: 'teardown',
    code: 'cancelled',
    message: 'connect cancelled',
    hint: 'the connection was cancelled by the user',
  });
}

const internal = (e: unknown): FerryError => internalError('established', e);
