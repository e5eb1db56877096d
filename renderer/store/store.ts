/**
 * The zustand store: one snapshot at start, then host events (Mullvad's pattern). Actions call the FerryApi and
 * keep only results; arguments that carry secrets pass straight through and are never written into state.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  CertificateInfo,
  FerryApi,
  IpcArgs,
  IpcError,
  IpcResult,
  ProfileView,
  SecretKind,
  Settings,
} from '../../core/api/ipc';
import {
  applyEvent,
  applySnapshot,
  clearPending,
  type FerryState,
  type HostEvent,
  initialState,
  mergeLogHistory,
  type NoticeTone,
  type View,
} from './state';

export type ProfileSecrets = { psk?: string; password?: string };
export type CertificateRequest = IpcArgs<'importCertificate'>[1];
export type FileText = { readonly fileName: string; readonly text: string };

export interface FerryActions {
  /** Subscribes to events, then takes the snapshot; resolves to an unsubscribe function. */
  start(): Promise<() => void>;
  retry(): Promise<void>;
  select(profileId: string): void;
  show(view: View): void;
  toggle(profileId: string): Promise<void>;
  connect(profileId: string): Promise<void>;
  disconnect(profileId: string): Promise<void>;
  saveProfile(input: unknown, secrets?: ProfileSecrets): Promise<IpcResult<ProfileView>>;
  deleteProfile(profileId: string): Promise<boolean>;
  setSecret(profileId: string, kind: SecretKind, value: string): Promise<IpcResult<null>>;
  clearSecret(profileId: string, kind: SecretKind): Promise<IpcResult<null>>;
  importProfile(text: string): Promise<IpcResult<ProfileView>>;
  exportProfile(profileId: string): Promise<FileText | null>;
  importCertificate(profileId: string, request: CertificateRequest): Promise<IpcResult<CertificateInfo>>;
  answerMfa(promptId: string, code: string | null): Promise<IpcResult<null>>;
  /** Closes the prompt locally (cancel); the host confirms with an `mfa: null` event. */
  dismissMfa(promptId: string): void;
  loadDiagnostics(profileId: string): Promise<void>;
  exportDiagnostics(profileId: string): Promise<FileText | null>;
  setSettings(patch: Partial<Settings>): Promise<void>;
  notify(tone: NoticeTone, title: string, detail?: string): number;
  reportError(title: string, error: IpcError): number;
  dismiss(noticeId: number): void;
}

export type FerryStoreState = FerryState & FerryActions;
export type FerryStore = StoreApi<FerryStoreState>;

export interface StoreOptions {
  readonly now?: () => number;
  /** How long success/info notices stay (errors stay until dismissed). */
  readonly noticeMs?: number;
  readonly setTimer?: (fn: () => void, ms: number) => void;
}

const MAX_NOTICES = 4;

export function errorDetail(error: IpcError): string {
  return error.hint ? `${error.message} — ${error.hint}` : error.message;
}

export function createFerryStore(api: FerryApi, opts: StoreOptions = {}): FerryStore {
  const now = opts.now ?? Date.now;
  const noticeMs = opts.noticeMs ?? 5000;
  const setTimer = opts.setTimer ?? ((fn, ms) => void setTimeout(fn, ms));
  let noticeSeq = 0;

  return createStore<FerryStoreState>()((set, get) => {
    const takeSnapshot = async (): Promise<void> => {
      const r = await api.snapshot();
      if (r.type === 'error') set({ status: 'unavailable', loadError: r.error });
      else set((s) => applySnapshot(s, r.value, now()));
    };

    const notify = (tone: NoticeTone, title: string, detail?: string): number => {
      const id = ++noticeSeq;
      set((s) => ({
        notices: [...s.notices, { id, tone, title, ...(detail ? { detail } : {}) }].slice(-MAX_NOTICES),
      }));
      if (tone !== 'error') setTimer(() => get().dismiss(id), noticeMs);
      return id;
    };

    const reportError = (title: string, error: IpcError): number =>
      notify('error', title, errorDetail(error));

    const fileResult = (r: IpcResult<FileText>, title: string): FileText | null => {
      if (r.type === 'success') return r.value;
      reportError(title, r.error);
      return null;
    };

    const upsertProfile = (view: ProfileView): void =>
      set((s) => {
        const exists = s.profiles.some((p) => p.profile.id === view.profile.id);
        return {
          profiles: exists
            ? s.profiles.map((p) => (p.profile.id === view.profile.id ? view : p))
            : [...s.profiles, view],
        };
      });

    const request = async (profileId: string, kind: 'connect' | 'disconnect'): Promise<void> => {
      set((s) => ({ pending: { ...s.pending, [profileId]: kind } }));
      const r = kind === 'connect' ? await api.connect(profileId) : await api.disconnect(profileId);
      if (r.type === 'error') {
        set((s) => clearPending(s, profileId));
        reportError(kind === 'connect' ? 'Could not connect' : 'Could not disconnect', r.error);
      }
    };

    return {
      ...initialState,

      async start() {
        const buffered: HostEvent[] = [];
        let live = false;
        const deliver = (e: HostEvent): void => {
          if (live) set((s) => applyEvent(s, e, now()));
          else buffered.push(e);
        };
        const offs = [
          api.on('profiles', (payload) => deliver({ event: 'profiles', payload })),
          api.on('connection', (payload) => deliver({ event: 'connection', payload })),
          api.on('mfa', (payload) => deliver({ event: 'mfa', payload })),
          api.on('log', (payload) => deliver({ event: 'log', payload })),
          api.on('settings', (payload) => deliver({ event: 'settings', payload })),
        ];
        await takeSnapshot();
        // Events that raced the snapshot carry whole values (or append-only log lines): replaying them is safe.
        live = true;
        for (const e of buffered.splice(0)) set((s) => applyEvent(s, e, now()));
        return () => {
          for (const off of offs) off();
        };
      },

      async retry() {
        set({ status: 'loading', loadError: null });
        await takeSnapshot();
      },

      select(profileId) {
        set((s) => ({
          selectedId: profileId,
          view: s.view === 'settings' || s.view === 'new' ? 'status' : s.view,
        }));
      },

      show(view) {
        set({ view });
      },

      async toggle(profileId) {
        const view = get().connections[profileId];
        const state = view?.state.kind ?? 'idle';
        if (get().pending[profileId] || state === 'disconnecting') return;
        // "On" means connecting, connected, or a reconnect pending: switching it off stops all three.
        const on = state === 'connecting' || state === 'connected' || view?.reconnect != null;
        await request(profileId, on ? 'disconnect' : 'connect');
      },

      connect: (profileId) => request(profileId, 'connect'),
      disconnect: (profileId) => request(profileId, 'disconnect'),

      async saveProfile(input, secrets) {
        const r = secrets ? await api.saveProfile(input, secrets) : await api.saveProfile(input);
        if (r.type === 'success') {
          upsertProfile(r.value);
          set((s) => ({ selectedId: r.value.profile.id, view: s.view === 'new' ? 'status' : s.view }));
          notify('success', `Saved “${r.value.profile.name}”`);
        }
        return r;
      },

      async deleteProfile(profileId) {
        const r = await api.deleteProfile(profileId);
        if (r.type === 'error') {
          reportError('Could not delete the profile', r.error);
          return false;
        }
        set((s) => {
          const profiles = s.profiles.filter((p) => p.profile.id !== profileId);
          return { profiles, selectedId: profiles[0]?.profile.id ?? null, view: 'status' };
        });
        notify('success', 'Profile deleted');
        return true;
      },

      async setSecret(profileId, kind, value) {
        return api.setSecret(profileId, kind, value);
      },

      async clearSecret(profileId, kind) {
        const r = await api.clearSecret(profileId, kind);
        if (r.type === 'error') reportError('Could not remove the secret', r.error);
        return r;
      },

      async importProfile(text) {
        const r = await api.importProfileFile(text);
        if (r.type === 'success') {
          upsertProfile(r.value);
          set({ selectedId: r.value.profile.id, view: 'status' });
          notify('success', `Imported “${r.value.profile.name}”`);
        }
        return r;
      },

      async exportProfile(profileId) {
        return fileResult(await api.exportProfileFile(profileId), 'Could not export the profile');
      },

      importCertificate: (profileId, req) => api.importCertificate(profileId, req),

      answerMfa: (promptId, code) => api.answerMfa(promptId, code),

      dismissMfa(promptId) {
        set((s) => (s.mfa?.prompt.id === promptId ? { mfa: null } : {}));
      },

      async loadDiagnostics(profileId) {
        const r = await api.diagnostics(profileId);
        if (r.type === 'error') {
          reportError('Could not load diagnostics', r.error);
          return;
        }
        const { connection, log } = r.value;
        set((s) => ({
          log: mergeLogHistory(s.log, log),
          ...(connection
            ? {
                connections: { ...s.connections, [connection.profileId]: connection },
                connectionsAt: { ...s.connectionsAt, [connection.profileId]: now() },
              }
            : {}),
        }));
      },

      async exportDiagnostics(profileId) {
        return fileResult(await api.exportDiagnostics(profileId), 'Could not export diagnostics');
      },

      async setSettings(patch) {
        // Optimistic: the switch moves at once; the host's answer (or an error) settles it.
        const before = get().settings;
        set({ settings: { ...before, ...patch } });
        const r = await api.setSettings(patch);
        if (r.type === 'error') {
          set({ settings: before });
          reportError('Could not change the settings', r.error);
        } else set({ settings: r.value });
      },

      notify,
      reportError,

      dismiss(noticeId) {
        set((s) => ({ notices: s.notices.filter((n) => n.id !== noticeId) }));
      },
    };
  });
}
