/**
 * A scripted, in-memory FerryApi: a UI-level test double for the host (profile store, keychain, certificate
 * import, connection manager). It validates profiles with the real schema, applies the managed policy, keeps
 * secrets write-only, and simulates connections through ConnectSimulator. Tests drive it directly (script
 * outcomes, step phases, approve pushes, add traffic) while the UI talks to it through the harness.
 */
import type {
  CertificateInfo,
  DiagnosticsView,
  FerryApi,
  IpcArgs,
  IpcEvent,
  IpcEvents,
  IpcResult,
  Policy,
  ProfileView,
  SecretKind,
  Settings,
  Snapshot,
} from '../../../core/api/ipc';
import type { LogEntry, LogLevel } from '../../../core/common/log';
import {
  type FieldError,
  type Profile,
  type ProfileInput,
  parseProfile,
  parseProfileFile,
  serializeProfileFile,
} from '../../../core/profile/schema';
import { parseCertificate } from './certificateParser';
import { ConnectSimulator, type OtpPolicy, type Pace } from './scriptedConnect';

export interface ScriptedFerryOptions {
  readonly profiles?: readonly ProfileInput[];
  /** Profiles from the system directory (shown as managed; locked when policy.lockEditing). */
  readonly managed?: readonly ProfileInput[];
  readonly policy?: Partial<Policy>;
  readonly settings?: Partial<Settings>;
  /** Secrets already in the keychain, by profile id. */
  readonly secrets?: Readonly<Record<string, { psk?: string; password?: string }>>;
  readonly pace?: Pace;
  readonly otp?: Partial<OtpPolicy>;
  readonly version?: string;
  readonly now?: () => number;
}

type Listener = (payload: never) => void;

const ok = <T>(value: T): IpcResult<T> => ({ type: 'success', value });
const notFound = (id: string): IpcResult<never> => ({
  type: 'error',
  error: { code: 'not-found', message: `No profile "${id}".` },
});

function mustParse(input: ProfileInput): Profile {
  const r = parseProfile(input);
  if (!r.ok) throw new Error(`bad fixture profile: ${JSON.stringify(r.error)}`);
  return r.value;
}

export class ScriptedFerry implements FerryApi {
  readonly sim: ConnectSimulator;
  /** Every secret the host stored or used, in order (tests prove they arrived here and nowhere else). */
  readonly secretsReceived: { profileId: string; kind: SecretKind | 'pkcs12-password'; value: string }[] = [];
  private readonly profiles = new Map<string, { profile: Profile; managed: boolean }>();
  private readonly keychain = new Map<string, string>();
  private readonly certificates = new Map<string, { client?: CertificateInfo; ca?: CertificateInfo }>();
  private readonly logs = new Map<string, LogEntry[]>();
  private readonly listeners = new Map<IpcEvent, Set<Listener>>();
  private policy: Policy;
  private settings: Settings;
  private readonly version: string;
  private readonly now: () => number;

  constructor(opts: ScriptedFerryOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.version = opts.version ?? '0.1.0-test';
    this.policy = {
      lockEditing: false,
      forceFullTunnel: false,
      forbidLegacy: false,
      forbidPap: false,
      ...opts.policy,
    };
    this.settings = { launchAtLogin: false, theme: 'system', ...opts.settings };
    for (const p of opts.profiles ?? [])
      this.profiles.set(mustParse(p).id, { profile: mustParse(p), managed: false });
    for (const p of opts.managed ?? [])
      this.profiles.set(mustParse(p).id, { profile: mustParse(p), managed: true });
    for (const [id, s] of Object.entries(opts.secrets ?? {})) {
      if (s.psk) this.keychain.set(`${id}:psk`, s.psk);
      if (s.password) this.keychain.set(`${id}:password`, s.password);
    }
    this.sim = new ConnectSimulator(
      {
        now: this.now,
        emit: (event, payload) => this.emit(event, payload),
        log: (id, level, scope, msg, fields) => this.log(id, level, scope, msg, fields),
        profile: (id) => this.profiles.get(id)?.profile,
      },
      {
        pace: opts.pace ?? { mode: 'auto', phaseMs: 40 },
        otp: { accept: '424242', expiresInSeconds: 60, digits: { min: 6, max: 6 }, attempts: 3, ...opts.otp },
      },
    );
  }

  // ---- test controls -------------------------------------------------------------------------------------

  /** Changes the managed policy (as IT would) and re-announces the profiles. */
  setPolicy(patch: Partial<Policy>): void {
    this.policy = { ...this.policy, ...patch };
    this.emit('profiles', this.views());
  }

  log(
    profileId: string,
    level: LogLevel,
    scope: string,
    msg: string,
    fields: Record<string, string | number> = {},
  ): void {
    const entry: LogEntry = { ts: this.now(), level, scope, msg, fields: { profile: profileId, ...fields } };
    const list = this.logs.get(profileId) ?? [];
    list.push(entry);
    this.logs.set(profileId, list);
    this.emit('log', entry);
  }

  profile(id: string): Profile | undefined {
    return this.profiles.get(id)?.profile;
  }

  hasSecret(profileId: string, kind: SecretKind): boolean {
    return this.keychain.has(`${profileId}:${kind}`);
  }

  dispose(): void {
    this.sim.dispose();
    this.listeners.clear();
  }

  // ---- FerryApi ------------------------------------------------------------------------------------------

  async snapshot(): Promise<IpcResult<Snapshot>> {
    return ok({
      version: this.version,
      profiles: this.views(),
      connections: [...this.sim.connections.values()],
      policy: this.policy,
      settings: this.settings,
      mfa: this.sim.mfa.current,
    });
  }

  async saveProfile(
    data: unknown,
    secrets?: { psk?: string; password?: string },
  ): Promise<IpcResult<ProfileView>> {
    const parsed = parseProfile(data);
    if (!parsed.ok) return this.invalid(parsed.error);
    const p = parsed.value;
    const existing = this.profiles.get(p.id);
    if (existing?.managed && this.policy.lockEditing)
      return {
        type: 'error',
        error: {
          code: 'locked',
          message: 'This profile is managed and locked.',
          hint: 'Ask your IT department.',
        },
      };
    const fields = this.hostChecks(p);
    if (fields.length) return this.invalid(fields);
    this.profiles.set(p.id, { profile: p, managed: existing?.managed ?? false });
    if (secrets?.psk !== undefined) this.storeSecret(p.id, 'psk', secrets.psk);
    if (secrets?.password !== undefined) this.storeSecret(p.id, 'password', secrets.password);
    this.log(p.id, 'info', 'ferry.profiles', existing ? 'profile updated' : 'profile created');
    this.emit('profiles', this.views());
    return ok(this.view(p.id)!);
  }

  async deleteProfile(id: string): Promise<IpcResult<null>> {
    const entry = this.profiles.get(id);
    if (!entry) return notFound(id);
    if (entry.managed)
      return {
        type: 'error',
        error: { code: 'managed', message: 'Managed profiles cannot be deleted here.' },
      };
    this.sim.forget(id);
    this.profiles.delete(id);
    this.keychain.delete(`${id}:psk`);
    this.keychain.delete(`${id}:password`);
    this.emit('profiles', this.views());
    return ok(null);
  }

  async importProfileFile(text: string): Promise<IpcResult<ProfileView>> {
    const parsed = parseProfileFile(text);
    if (!parsed.ok)
      return {
        type: 'error',
        error: {
          code: 'invalid-profile-file',
          message: 'The file is not a valid Ferry profile.',
          fields: parsed.error,
        },
      };
    let p = parsed.value;
    if (this.profiles.has(p.id)) {
      let n = 2;
      while (this.profiles.has(`${p.id}-${n}`)) n++;
      p = { ...p, id: `${p.id}-${n}`, name: `${p.name} (${n})` };
    }
    return this.saveProfile(p);
  }

  async exportProfileFile(id: string): Promise<IpcResult<{ fileName: string; text: string }>> {
    const entry = this.profiles.get(id);
    if (!entry) return notFound(id);
    return ok({ fileName: `${id}.ferry.json`, text: serializeProfileFile(entry.profile) });
  }

  async setSecret(id: string, kind: SecretKind, value: string): Promise<IpcResult<null>> {
    if (!this.profiles.has(id)) return notFound(id);
    this.storeSecret(id, kind, value);
    this.emit('profiles', this.views());
    return ok(null);
  }

  async clearSecret(id: string, kind: SecretKind): Promise<IpcResult<null>> {
    if (!this.profiles.has(id)) return notFound(id);
    this.keychain.delete(`${id}:${kind}`);
    this.emit('profiles', this.views());
    return ok(null);
  }

  async importCertificate(
    id: string,
    req: IpcArgs<'importCertificate'>[1],
  ): Promise<IpcResult<CertificateInfo>> {
    if (req.format === 'pkcs12')
      this.secretsReceived.push({ profileId: id, kind: 'pkcs12-password', value: req.password });
    const r = await parseCertificate(req);
    if (!r.ok) return { type: 'error', error: r.error };
    const role = req.format === 'pkcs12' ? 'client' : req.role;
    this.certificates.set(id, { ...this.certificates.get(id), [role]: r.value });
    return ok(r.value);
  }

  async connect(id: string): Promise<IpcResult<null>> {
    const entry = this.profiles.get(id);
    if (!entry) return notFound(id);
    const p = entry.profile;
    if (p.machineAuth.method === 'psk' && !this.hasSecret(id, 'psk'))
      return {
        type: 'error',
        error: {
          code: 'missing-secret',
          phase: 'secrets',
          message: 'No pre-shared key is stored for this profile.',
          hint: 'Edit the profile and enter the pre-shared key.',
        },
      };
    return this.sim.connect(id);
  }

  async disconnect(id: string): Promise<IpcResult<null>> {
    if (!this.profiles.has(id)) return notFound(id);
    return this.sim.disconnect(id);
  }

  async answerMfa(promptId: string, code: string | null): Promise<IpcResult<null>> {
    return this.sim.answer(promptId, code);
  }

  async diagnostics(id: string): Promise<IpcResult<DiagnosticsView>> {
    if (!this.profiles.has(id)) return notFound(id);
    return ok({ connection: this.sim.view(id) ?? null, log: [...(this.logs.get(id) ?? [])] });
  }

  async exportDiagnostics(id: string): Promise<IpcResult<{ fileName: string; text: string }>> {
    const entry = this.profiles.get(id);
    if (!entry) return notFound(id);
    const bundle = {
      format: 'ferry-diagnostics',
      version: this.version,
      generatedAt: new Date(this.now()).toISOString(),
      profile: entry.profile,
      secretsStored: { psk: this.hasSecret(id, 'psk'), password: this.hasSecret(id, 'password') },
      connection: this.sim.view(id) ?? null,
      log: this.logs.get(id) ?? [],
    };
    return ok({ fileName: `ferry-diagnostics-${id}.json`, text: `${JSON.stringify(bundle, null, 2)}\n` });
  }

  async setSettings(patch: Partial<Settings>): Promise<IpcResult<Settings>> {
    this.settings = { ...this.settings, ...patch };
    this.emit('settings', this.settings);
    return ok(this.settings);
  }

  on<E extends IpcEvent>(event: E, listener: (payload: IpcEvents[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    this.listeners.set(event, set);
    set.add(listener as Listener);
    return () => {
      set.delete(listener as Listener);
    };
  }

  // ---- internals -----------------------------------------------------------------------------------------

  private emit<E extends IpcEvent>(event: E, payload: IpcEvents[E]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) (l as (p: IpcEvents[E]) => void)(payload);
  }

  private storeSecret(id: string, kind: SecretKind, value: string): void {
    this.keychain.set(`${id}:${kind}`, value);
    this.secretsReceived.push({ profileId: id, kind, value });
  }

  private invalid(fields: readonly FieldError[]): IpcResult<never> {
    return { type: 'error', error: { code: 'invalid-profile', message: 'The profile has errors.', fields } };
  }

  /** What only the host can check: the managed policy and that the server name resolves. */
  private hostChecks(p: Profile): FieldError[] {
    const fields: FieldError[] = [];
    if (this.policy.forbidPap && p.userAuth.methods.includes('pap'))
      fields.push({ path: 'userAuth.methods', message: 'PAP is not allowed by your organisation’s policy' });
    if (this.policy.forceFullTunnel && p.routing.mode === 'split')
      fields.push({ path: 'routing.mode', message: 'your organisation requires a full tunnel' });
    if (this.policy.forbidLegacy && p.algorithms.legacy)
      fields.push({ path: 'algorithms.legacy', message: 'legacy algorithms are not allowed by policy' });
    // RFC 2606 reserves .invalid: it never resolves, like a mistyped server name.
    if (/\.invalid$/i.test(p.server))
      fields.push({ path: 'server', message: `${p.server} does not resolve (DNS lookup failed)` });
    return fields;
  }

  private view(id: string): ProfileView | undefined {
    const entry = this.profiles.get(id);
    if (!entry) return undefined;
    const p = entry.profile;
    const warnings: string[] = [];
    if (p.userAuth.methods.includes('pap'))
      warnings.push('PAP is allowed: the password is sent without hashing.');
    if (p.algorithms.legacy) warnings.push('Legacy algorithms (3DES, MODP-1024, MD5) are enabled.');
    return {
      profile: p,
      managed: entry.managed,
      locked: entry.managed && this.policy.lockEditing,
      secrets: {
        psk: this.hasSecret(id, 'psk'),
        password: this.hasSecret(id, 'password'),
        clientKey: this.certificates.get(id)?.client?.hasPrivateKey ?? false,
      },
      warnings,
    };
  }

  private views(): ProfileView[] {
    return [...this.profiles.keys()].map((id) => this.view(id)!);
  }
}
