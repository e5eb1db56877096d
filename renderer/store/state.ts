/**
 * The renderer's state and the pure functions that fold the host's snapshot and events into it.
 * Nothing secret is ever part of this state: PSKs, passwords, OTP codes and certificate passwords travel from
 * component-local state straight to the API and are never stored here.
 */
import type {
  ConnectionView,
  IpcError,
  IpcEvents,
  MfaPrompt,
  Policy,
  ProfileView,
  Settings,
  Snapshot,
} from '../../core/api/ipc';
import type { LogEntry } from '../../core/common/log';

export type View = 'status' | 'diagnostics' | 'edit' | 'new' | 'settings';

export type NoticeTone = 'info' | 'success' | 'warning' | 'error';

export interface Notice {
  readonly id: number;
  readonly tone: NoticeTone;
  readonly title: string;
  readonly detail?: string;
}

export interface ActiveMfa {
  readonly prompt: MfaPrompt;
  /** When the renderer received the prompt (its countdown starts there). */
  readonly receivedAt: number;
}

export interface FerryState {
  readonly status: 'loading' | 'ready' | 'unavailable';
  readonly loadError: IpcError | null;
  readonly version: string;
  readonly profiles: readonly ProfileView[];
  readonly connections: Readonly<Record<string, ConnectionView>>;
  /** When each connection view arrived (for the reconnect countdown). */
  readonly connectionsAt: Readonly<Record<string, number>>;
  readonly policy: Policy;
  readonly settings: Settings;
  readonly mfa: ActiveMfa | null;
  readonly log: readonly LogEntry[];
  readonly selectedId: string | null;
  readonly view: View;
  /** A connect/disconnect request sent and not yet reflected by a connection event. */
  readonly pending: Readonly<Record<string, 'connect' | 'disconnect'>>;
  readonly notices: readonly Notice[];
}

export const LOG_CAPACITY = 2000;

export const initialState: FerryState = {
  status: 'loading',
  loadError: null,
  version: '',
  profiles: [],
  connections: {},
  connectionsAt: {},
  policy: { lockEditing: false, forceFullTunnel: false, forbidLegacy: false, forbidPap: false },
  settings: { launchAtLogin: false, theme: 'system' },
  mfa: null,
  log: [],
  selectedId: null,
  view: 'status',
  pending: {},
  notices: [],
};

export type HostEvent = {
  [E in keyof IpcEvents]: { readonly event: E; readonly payload: IpcEvents[E] };
}[keyof IpcEvents];

const without = <T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> => {
  const { [key]: _drop, ...rest } = record;
  return rest;
};

/** Keeps the selection on an existing profile (the first one when the selected one disappeared). */
function reconcileSelection(s: FerryState, profiles: readonly ProfileView[]): Partial<FerryState> {
  if (s.selectedId !== null && profiles.some((p) => p.profile.id === s.selectedId)) return {};
  const first = profiles[0]?.profile.id ?? null;
  const view: View = s.view === 'settings' || s.view === 'new' ? s.view : 'status';
  return { selectedId: first, view };
}

export function applySnapshot(s: FerryState, snap: Snapshot, now: number): FerryState {
  const connections: Record<string, ConnectionView> = {};
  const connectionsAt: Record<string, number> = {};
  for (const c of snap.connections) {
    connections[c.profileId] = c;
    connectionsAt[c.profileId] = now;
  }
  return {
    ...s,
    status: 'ready',
    loadError: null,
    version: snap.version,
    profiles: snap.profiles,
    connections,
    connectionsAt,
    policy: snap.policy,
    settings: snap.settings,
    mfa: snap.mfa ? { prompt: snap.mfa, receivedAt: now } : null,
    ...reconcileSelection(s, snap.profiles),
  };
}

export function appendLog(log: readonly LogEntry[], entries: readonly LogEntry[]): LogEntry[] {
  const next = [...log, ...entries];
  return next.length > LOG_CAPACITY ? next.slice(next.length - LOG_CAPACITY) : next;
}

/** Merges a diagnostics() log history with what live events already delivered, without duplicates. */
export function mergeLogHistory(live: readonly LogEntry[], history: readonly LogEntry[]): LogEntry[] {
  const lastTs = history.length ? history[history.length - 1]!.ts : Number.NEGATIVE_INFINITY;
  const seen = new Set(history.map((e) => `${e.ts}|${e.scope}|${e.msg}`));
  const newer = live.filter((e) => e.ts >= lastTs && !seen.has(`${e.ts}|${e.scope}|${e.msg}`));
  return appendLog(history, newer);
}

export function applyEvent(s: FerryState, e: HostEvent, now: number): FerryState {
  switch (e.event) {
    case 'profiles':
      return {
        ...s,
        profiles: e.payload,
        connections: Object.fromEntries(
          Object.entries(s.connections).filter(([id]) => e.payload.some((p) => p.profile.id === id)),
        ),
        ...reconcileSelection(s, e.payload),
      };
    case 'connection':
      return {
        ...s,
        connections: { ...s.connections, [e.payload.profileId]: e.payload },
        connectionsAt: { ...s.connectionsAt, [e.payload.profileId]: now },
        pending: without(s.pending, e.payload.profileId),
      };
    case 'mfa':
      return { ...s, mfa: e.payload ? { prompt: e.payload, receivedAt: now } : null };
    case 'log':
      return { ...s, log: appendLog(s.log, [e.payload]) };
    case 'settings':
      return { ...s, settings: e.payload };
  }
}

export function clearPending(s: FerryState, profileId: string): FerryState {
  return { ...s, pending: without(s.pending, profileId) };
}

export function profileById(s: FerryState, id: string | null): ProfileView | undefined {
  return id === null ? undefined : s.profiles.find((p) => p.profile.id === id);
}
