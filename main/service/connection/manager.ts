/**
 * The connection manager: hosts the core for the Electron main process and the CLI. Per profile it composes
 * secrets, the IPsec carrier, the helper and the TUN device into a Connection, reconnects after losses, asks for
 * second factors, and reports state, phases and logs as events; diagnostics and a redacted bundle on demand.
 */
import { lookup } from 'node:dns/promises';
import type { ConnectionView, MfaPrompt, MfaRejection } from '../../../core/api/ipc';
import { type Clock, systemClock } from '../../../core/common/clock';
import { FerryError } from '../../../core/common/errors';
import { Emitter } from '../../../core/common/events';
import {
  createLogger,
  type LogEntry,
  type LogLevel,
  type LogSink,
  Redactor,
  RingBufferSink,
} from '../../../core/common/log';
import { type RandomSource, systemRandom } from '../../../core/common/random';
import type { ConnectionOptions } from '../../../core/connection/connection';
import { ipsecCarrier } from '../../../core/connection/ipsecCarrier';
import { machineSecretOption } from '../../../core/connection/ipsecProfile';
import type { Profile } from '../../../core/profile/schema';
import { redactingSecrets } from '../secrets/compose';
import type { SecretKind, SecretStore } from '../secrets/types';
import { type BackoffPolicy, DEFAULT_BACKOFF } from './backoff';
import { CodeRedactor } from './codeRedaction';
import { connectionView, type DiagnosticsReport, diagnosticsReport, redactedJson } from './diagnostics';
import { MfaPrompts, type OtpProvider } from './mfa';
import type { NetworkHost } from './networkHost';
import { type CarrierFor, ProfileSession } from './session';

export interface ConnectionManagerOptions {
  readonly secrets: SecretStore;
  /** OS integration (helper + TUN); null runs the tunnel without routes, DNS or a device (tests, probes). */
  readonly network: NetworkHost | null;
  /** Shared with every logger the manager creates; secrets read through the manager are registered here. */
  readonly redactor?: Redactor;
  readonly logLevel?: LogLevel;
  /** Extra log destinations (a file, stderr). Entries arrive already redacted. */
  readonly sinks?: readonly LogSink[];
  readonly carrier?: CarrierFor;
  readonly resolve?: (host: string) => Promise<string>;
  readonly clock?: Clock;
  /** Wall-clock ms since the epoch, for MFA prompt deadlines (default Date.now). */
  readonly now?: () => number;
  readonly random?: RandomSource;
  readonly backoff?: Partial<BackoffPolicy>;
  /** Supplies one-time codes; without it prompts wait for `answerMfa` (the UI). */
  readonly otp?: OtpProvider;
  readonly otpTimeoutSeconds?: number;
  readonly timeouts?: ConnectionOptions['timeouts'];
  readonly pppPrimitives?: ConnectionOptions['pppPrimitives'];
  /** Log entries kept per profile for diagnostics (default 5000). */
  readonly logCapacity?: number;
  readonly version?: string;
}

export interface ManagerEvents {
  connection: (view: ConnectionView) => void;
  mfa: (prompt: MfaPrompt | null) => void;
  log: (entry: LogEntry) => void;
}

const defaultCarrier: CarrierFor = (profile, machineSecret, server) =>
  ipsecCarrier({ profile, ...machineSecretOption(profile, machineSecret), resolve: async () => server });

async function defaultResolve(host: string): Promise<string> {
  return (await lookup(host, { family: 4 })).address;
}

interface Entry {
  readonly session: ProfileSession;
  readonly ring: RingBufferSink;
}

export class ConnectionManager {
  readonly events = new Emitter<ManagerEvents>();
  readonly redactor: Redactor;
  private readonly entries = new Map<string, Entry>();
  private readonly secrets: SecretStore;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly backoff: BackoffPolicy;
  private readonly mfa: MfaPrompts;
  /** Why the server rejected each profile's last one-time code (the next prompt says so). Never the code. */
  private readonly rejections = new Map<string, MfaRejection>();

  constructor(private readonly opts: ConnectionManagerOptions) {
    this.redactor = opts.redactor ?? new Redactor();
    this.secrets = redactingSecrets(opts.secrets, this.redactor);
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? systemRandom;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.mfa = new MfaPrompts({
      clock: this.clock,
      random: this.random,
      changed: (p) => this.events.emit('mfa', p),
      ...(opts.otp ? { provider: opts.otp } : {}),
      ...(opts.otpTimeoutSeconds ? { otpTimeoutSeconds: opts.otpTimeoutSeconds } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      // Cancel on "approve on your device": stop waiting for the server, end that connect.
      cancelPush: (profileId) => void this.disconnect(profileId),
    });
  }

  /** The secret store as the manager sees it (reads register values with the redactor). */
  get secretStore(): SecretStore {
    return this.secrets;
  }

  get mfaPrompt(): MfaPrompt | null {
    return this.mfa.prompt;
  }

  /**
   * Connects `profile`; resolves with the view once connected, rejects with the FerryError that stopped the
   * first attempt. A profile that is already active is refused (`already-active`). `otp` is used for the first
   * attempt only and not kept (rejected → the session asks the provider or the UI for another).
   */
  async connect(profile: Profile, opts: { readonly otp?: string } = {}): Promise<ConnectionView> {
    const prev = this.entries.get(profile.id);
    if (prev?.session.active)
      throw new FerryError({
        phase: 'profile',
        code: 'already-active',
        message: `profile "${profile.id}" is already connecting or connected`,
        hint: 'disconnect it first',
      });
    const ring = new RingBufferSink(this.opts.logCapacity ?? 5000);
    // One-time codes are redacted only while an attempt holds them; everything else through the shared redactor.
    const codes = new CodeRedactor(this.redactor);
    const logger = createLogger({
      sinks: [ring.sink, (e) => this.events.emit('log', e), ...(this.opts.sinks ?? [])],
      redactor: codes,
      level: this.opts.logLevel ?? 'debug',
      scope: `ferry.${profile.id}`,
    });
    let session: ProfileSession | null = null;
    session = new ProfileSession({
      profile,
      secrets: this.secrets,
      network: this.opts.network,
      carrier: this.opts.carrier ?? defaultCarrier,
      resolve: this.opts.resolve ?? defaultResolve,
      logger,
      ring,
      clock: this.clock,
      random: this.random,
      backoff: this.backoff,
      mfa: this.mfa,
      ...(this.opts.timeouts ? { timeouts: this.opts.timeouts } : {}),
      ...(this.opts.pppPrimitives ? { pppPrimitives: this.opts.pppPrimitives } : {}),
      lastRejection: {
        get: () => this.rejections.get(profile.id) ?? null,
        set: (r) => (r ? this.rejections.set(profile.id, r) : this.rejections.delete(profile.id)),
      },
      codes,
      now: this.opts.now ?? Date.now,
      changed: () => session && this.emitView(session),
    });
    this.entries.set(profile.id, { session, ring });
    logger.info('connect requested', {
      profile: profile.id,
      server: profile.server,
      routing: profile.routing.mode,
    });
    await session.start(opts.otp);
    return connectionView(session);
  }

  /** Connecting, connected, or waiting to reconnect. */
  isActive(profileId: string): boolean {
    return this.entries.get(profileId)?.session.active ?? false;
  }

  /** User disconnect (also cancels a bring-up or a pending reconnect). Resolves when routes/DNS are restored. */
  async disconnect(profileId: string): Promise<void> {
    await this.entries.get(profileId)?.session.stop();
  }

  async disconnectAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.session.stop()));
  }

  /** Settles with the final state once the profile's session is over (disconnected, or failed for good). */
  ended(profileId: string): Promise<ConnectionView['state']> | null {
    return this.entries.get(profileId)?.session.ended ?? null;
  }

  view(profileId: string): ConnectionView | null {
    const e = this.entries.get(profileId);
    return e ? connectionView(e.session) : null;
  }

  views(): ConnectionView[] {
    return [...this.entries.values()].map((e) => connectionView(e.session));
  }

  log(profileId: string): LogEntry[] {
    return this.entries.get(profileId)?.ring.snapshot() ?? [];
  }

  /** A code (or null = cancel) for the prompt `promptId`; the code goes to the waiting attempt, nowhere else. */
  answerMfa(promptId: string, code: string | null): boolean {
    return this.mfa.answer(promptId, code);
  }

  async diagnostics(profileId: string, logLimit = 500): Promise<DiagnosticsReport | null> {
    const e = this.entries.get(profileId);
    if (!e) return null;
    const stored = await this.secrets.has(profileId).catch(() => new Set<SecretKind>());
    return diagnosticsReport(e.session, e.ring.snapshot().slice(-logLimit), {
      version: this.opts.version ?? '0.0.0',
      secretsStored: { psk: stored.has('psk'), password: stored.has('password') },
    });
  }

  /** The redacted diagnostics bundle (JSON text) for export; null when the profile never connected. */
  async bundle(profileId: string): Promise<string | null> {
    const report = await this.diagnostics(profileId, 5000);
    return report ? `${redactedJson(report, this.redactor)}\n` : null;
  }

  /** Forgets a profile's finished session (e.g. the profile was deleted). Active sessions are stopped first. */
  async forget(profileId: string): Promise<void> {
    await this.disconnect(profileId);
    this.entries.delete(profileId);
  }

  async dispose(): Promise<void> {
    this.mfa.cancel();
    await this.disconnectAll();
  }

  private emitView(s: ProfileSession): void {
    this.events.emit('connection', connectionView(s));
  }
}
