/**
 * FerryApi (core/api/ipc.ts) for the process hosting the core: the Electron main registers `invoke` for each
 * `ipcChannel(method)` and forwards `on(event)` to the renderer. Arguments are validated with the `ipcArgs`
 * schemas before any handler runs; every result is an IpcResult; secrets go in and never come back out.
 */
import {
  type CertificateInfo,
  type DiagnosticsView,
  type FerryApi,
  type IpcArgs,
  type IpcError,
  type IpcEvent,
  type IpcEvents,
  type IpcMethod,
  type IpcResult,
  type IpcReturns,
  type SecretKind as IpcSecretKind,
  ipcArgs,
  type ProfileView,
  type Settings,
  type Snapshot,
} from '../../../core/api/ipc';
import { isFerryError } from '../../../core/common/errors';
import { Emitter } from '../../../core/common/events';
import { importCertificateRequest } from '../../../core/pki/ipcImport';
import type { ConnectionManager } from '../connection/manager';
import type { ProfileStore, StoredProfile } from '../profiles/profileStore';
import type { SettingsStore } from './settingsStore';

export interface FerryServiceOptions {
  readonly store: ProfileStore;
  readonly manager: ConnectionManager;
  readonly settings: SettingsStore;
  readonly version: string;
}

type Events = { [E in IpcEvent]: (payload: IpcEvents[E]) => void };

const success = <T>(value: T): IpcResult<T> => ({ type: 'success', value });
const failure = (error: IpcError): IpcResult<never> => ({ type: 'error', error });

export class FerryService implements FerryApi {
  private readonly emitter = new Emitter<Events>();
  private readonly unsubscribe: (() => void)[] = [];

  private constructor(private readonly opts: FerryServiceOptions) {
    const m = opts.manager.events;
    this.unsubscribe.push(
      m.on('connection', (v) => this.emitter.emit('connection', v)),
      m.on('mfa', (p) => this.emitter.emit('mfa', p)),
      m.on('log', (e) => this.emitter.emit('log', e)),
    );
  }

  static async create(opts: FerryServiceOptions): Promise<FerryService> {
    await opts.store.load();
    await opts.settings.load();
    return new FerryService(opts);
  }

  /** The IPC entry point: validates `args` against the method's schema, then runs it. Never rejects. */
  async invoke(method: IpcMethod, args: unknown): Promise<IpcResult<unknown>> {
    const schema = ipcArgs[method];
    if (!schema) return failure({ code: 'unknown-method', message: `unknown method ${String(method)}` });
    const parsed = schema.safeParse(args);
    if (!parsed.success)
      return failure({
        code: 'invalid-argument',
        message: `invalid arguments for ${method}`,
        fields: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      });
    const fn = this[method] as (...a: unknown[]) => Promise<IpcResult<unknown>>;
    try {
      return await fn.apply(this, parsed.data as unknown[]);
    } catch (e) {
      return failure(asIpcError(e));
    }
  }

  on<E extends IpcEvent>(event: E, listener: (payload: IpcEvents[E]) => void): () => void {
    return this.emitter.on(event, listener as Events[E]);
  }

  async snapshot(): Promise<IpcResult<Snapshot>> {
    return success({
      version: this.opts.version,
      profiles: await this.views(),
      connections: this.opts.manager.views(),
      policy: this.opts.store.policy,
      settings: this.opts.settings.value,
      mfa: this.opts.manager.mfaPrompt,
    });
  }

  async saveProfile(...[data, secrets]: IpcArgs<'saveProfile'>): Promise<IpcResult<ProfileView>> {
    const r = await this.opts.store.save(data);
    if (!r.ok) return failure(r.error);
    const id = r.value.profile.id;
    const store = this.opts.manager.secretStore;
    if (secrets?.psk !== undefined) await store.set(id, 'psk', secrets.psk);
    if (secrets?.password !== undefined) await store.set(id, 'password', secrets.password);
    await this.announceProfiles();
    return success(await this.view(r.value));
  }

  async deleteProfile(id: string): Promise<IpcResult<null>> {
    const r = await this.opts.store.remove(id);
    if (!r.ok) return failure(r.error);
    if (!this.opts.store.get(id)) {
      await this.opts.manager.forget(id);
      const store = this.opts.manager.secretStore;
      for (const kind of ['psk', 'password', 'client-key', 'pkcs12-password'] as const)
        await store.delete(id, kind).catch(() => false);
    }
    await this.announceProfiles();
    return success(null);
  }

  async importProfileFile(text: string): Promise<IpcResult<ProfileView>> {
    const r = await this.opts.store.importText(text);
    if (!r.ok) return failure(r.error);
    await this.announceProfiles();
    return success(await this.view(r.value));
  }

  async exportProfileFile(id: string): Promise<IpcResult<IpcReturns['exportProfileFile']>> {
    const r = this.opts.store.exportText(id);
    return r.ok ? success(r.value) : failure(r.error);
  }

  async setSecret(id: string, kind: IpcSecretKind, value: string): Promise<IpcResult<null>> {
    if (!this.opts.store.get(id)) return failure(notFound(id));
    await this.opts.manager.secretStore.set(id, kind, value);
    await this.announceProfiles();
    return success(null);
  }

  async clearSecret(id: string, kind: IpcSecretKind): Promise<IpcResult<null>> {
    if (!this.opts.store.get(id)) return failure(notFound(id));
    await this.opts.manager.secretStore.delete(id, kind);
    await this.announceProfiles();
    return success(null);
  }

  /** Parses the file (core/pki); a client certificate's key goes to the secret store, never the profile. */
  async importCertificate(...[id, req]: IpcArgs<'importCertificate'>): Promise<IpcResult<CertificateInfo>> {
    const r = importCertificateRequest(req);
    if (!r.ok) return failure(asIpcError(r.error));
    if (r.value.clientCredentials !== null) {
      await this.opts.manager.secretStore.set(id, 'client-key', r.value.clientCredentials);
      await this.announceProfiles();
    }
    return success({ ...r.value.info, keyType: r.value.keyType, warnings: r.value.warnings });
  }

  /** Starts connecting; progress and failures arrive as `connection` events. */
  async connect(id: string): Promise<IpcResult<null>> {
    const stored = this.opts.store.get(id);
    if (!stored) return failure(notFound(id));
    const p = stored.profile;
    if (p.machineAuth.method === 'psk') {
      const psk = await this.opts.manager.secretStore.get(id, 'psk');
      if (psk.status !== 'found')
        return failure({
          code: 'missing-secret',
          phase: 'secrets',
          message: 'No pre-shared key is stored for this profile.',
          hint:
            psk.status === 'missing' && psk.mayBeLocked
              ? 'Enter the pre-shared key in the profile, or unlock your keyring.'
              : 'Edit the profile and enter the pre-shared key.',
        });
    }
    if (this.opts.manager.isActive(id))
      return failure({ code: 'already-active', message: 'This profile is already connecting or connected.' });
    this.opts.manager.connect(p).catch(() => undefined);
    return success(null);
  }

  async disconnect(id: string): Promise<IpcResult<null>> {
    if (!this.opts.store.get(id) && !this.opts.manager.view(id)) return failure(notFound(id));
    await this.opts.manager.disconnect(id);
    return success(null);
  }

  async answerMfa(promptId: string, code: string | null): Promise<IpcResult<null>> {
    return this.opts.manager.answerMfa(promptId, code)
      ? success(null)
      : failure({ code: 'no-prompt', message: 'That prompt is no longer open.' });
  }

  async diagnostics(id: string): Promise<IpcResult<DiagnosticsView>> {
    if (!this.opts.store.get(id) && !this.opts.manager.view(id)) return failure(notFound(id));
    return success({ connection: this.opts.manager.view(id), log: this.opts.manager.log(id) });
  }

  async exportDiagnostics(id: string): Promise<IpcResult<IpcReturns['exportDiagnostics']>> {
    if (!this.opts.store.get(id) && !this.opts.manager.view(id)) return failure(notFound(id));
    const text = await this.opts.manager.bundle(id);
    if (text === null)
      return failure({ code: 'no-diagnostics', message: 'This profile has not connected yet.' });
    return success({ fileName: `ferry-diagnostics-${id}.json`, text });
  }

  async setSettings(patch: IpcArgs<'setSettings'>[0]): Promise<IpcResult<Settings>> {
    const next = await this.opts.settings.update(patch);
    this.emitter.emit('settings', next);
    return success(next);
  }

  async dispose(): Promise<void> {
    for (const u of this.unsubscribe) u();
    await this.opts.manager.dispose();
  }

  private async view(s: StoredProfile): Promise<ProfileView> {
    const kinds = await this.opts.manager.secretStore.has(s.profile.id);
    return {
      profile: s.profile,
      managed: s.managed,
      locked: s.locked,
      secrets: { psk: kinds.has('psk'), password: kinds.has('password'), clientKey: kinds.has('client-key') },
      warnings: s.warnings,
    };
  }

  private async views(): Promise<ProfileView[]> {
    return Promise.all(this.opts.store.list().map((s) => this.view(s)));
  }

  private async announceProfiles(): Promise<void> {
    this.emitter.emit('profiles', await this.views());
  }
}

const notFound = (id: string): IpcError => ({ code: 'not-found', message: `No profile "${id}".` });

function asIpcError(e: unknown): IpcError {
  if (isFerryError(e)) return { code: e.code, message: e.message, hint: e.hint, phase: e.phase };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}
