/**
 * The one typed API between the app's UI and the process hosting the core (Electron main, or a test host).
 * From this schema come: the main-side handlers (arguments validated with these zod schemas), the preload bridge
 * (exposes exactly these methods and events, nothing generic) and the renderer client. Every call returns an
 * IpcResult so errors survive the hop; state arrives as one snapshot and then as events.
 * Secrets go in (setSecret, saveProfile, connect's OTP, certificate passwords) and never come back out.
 */
import { z } from 'zod';
import type { LogEntry } from '../common/log';
import type { ConnectionCounters } from '../connection/counters';
import type { ConnectionState } from '../connection/state';
import type { PhaseEntry } from '../connection/timeline';
import type { FieldError, Profile } from '../profile/schema';

export type IpcResult<T> =
  | { readonly type: 'success'; readonly value: T }
  | { readonly type: 'error'; readonly error: IpcError };

export interface IpcError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly phase?: string;
  /** For validation failures: which fields, and why. */
  readonly fields?: readonly FieldError[];
}

/** SPEC §3 managed policy, set by IT in the system profiles directory. */
export interface Policy {
  readonly lockEditing: boolean;
  readonly forceFullTunnel: boolean;
  readonly forbidLegacy: boolean;
  readonly forbidPap: boolean;
}

export type SecretKind = 'psk' | 'password';

export interface ProfileView {
  readonly profile: Profile;
  /** Came from the system directory; shown as locked when policy says so. */
  readonly managed: boolean;
  readonly locked: boolean;
  /** Which secrets are stored in the keychain (never their values). */
  readonly secrets: { readonly psk: boolean; readonly password: boolean; readonly clientKey: boolean };
  /** Human warnings: PAP in use, legacy algorithms enabled, … */
  readonly warnings: readonly string[];
}

export interface ConnectionView {
  readonly profileId: string;
  readonly state: ConnectionState;
  readonly phases: readonly PhaseEntry[];
  readonly counters: ConnectionCounters | null;
  readonly routes: readonly string[];
  readonly dns: readonly string[];
  /** Set while an automatic reconnect is pending. */
  readonly reconnect: { readonly attempt: number; readonly inMs: number } | null;
  /** Set while the connect (state `connecting`) waits for the user's second factor: an MFA prompt is open. */
  readonly waitingFor?: MfaWait;
}

/** What a connect waits for from the user (SPEC §3 MFA). */
export interface MfaWait {
  /** A one-time code to type, or an approval on their device. */
  readonly kind: 'otp' | 'push';
  /** An earlier code was rejected: this is a re-prompt. */
  readonly retry: boolean;
}

/** Why the server did not accept the last one-time code: the typed error's text (never the code). */
export interface MfaRejection {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

/** The core asks the user for a second factor (SPEC §4 MFA prompt). */
export type MfaPrompt =
  | {
      readonly id: string;
      readonly profileId: string;
      readonly kind: 'otp';
      /** Until the server gives up. */
      readonly expiresInSeconds: number;
      /** The same moment as wall-clock time (ms since the epoch): countdowns count to it, across reloads too. */
      readonly deadline?: number;
      /** Set when an earlier code was rejected. */
      readonly retry: boolean;
      /** The typed error that rejected the earlier code, for the re-prompt. */
      readonly rejected?: MfaRejection;
      readonly digits: { readonly min: number; readonly max: number };
    }
  | {
      readonly id: string;
      readonly profileId: string;
      readonly kind: 'push';
      /** The approval window the server was configured with (the profile's push timeout). */
      readonly expiresInSeconds: number;
      /** When that window ends, wall-clock time (ms since the epoch), counted from the start of authentication. */
      readonly deadline?: number;
    };

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly fingerprintSha256: string;
  readonly hasPrivateKey: boolean;
  readonly isCa: boolean;
  /** e.g. "RSA 2048", "EC P-256". */
  readonly keyType?: string;
  /** Things the user should know but that do not stop the import (e.g. expires soon). */
  readonly warnings?: readonly string[];
}

export interface Settings {
  readonly launchAtLogin: boolean;
  readonly theme: 'system' | 'light' | 'dark';
}

export interface Snapshot {
  readonly version: string;
  readonly profiles: readonly ProfileView[];
  readonly connections: readonly ConnectionView[];
  readonly policy: Policy;
  readonly settings: Settings;
  readonly mfa: MfaPrompt | null;
}

export interface DiagnosticsView {
  readonly connection: ConnectionView | null;
  readonly log: readonly LogEntry[];
}

const profileId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/);
const secretValue = z.string().min(1).max(4096);

/** Argument schemas of every method, validated in the host before any handler runs. */
export const ipcArgs = {
  snapshot: z.tuple([]),
  saveProfile: z.tuple([
    z.unknown(),
    z.object({ psk: secretValue.optional(), password: secretValue.optional() }).strict().optional(),
  ]),
  deleteProfile: z.tuple([profileId]),
  importProfileFile: z.tuple([z.string().max(1024 * 1024)]),
  exportProfileFile: z.tuple([profileId]),
  setSecret: z.tuple([profileId, z.enum(['psk', 'password']), secretValue]),
  clearSecret: z.tuple([profileId, z.enum(['psk', 'password'])]),
  importCertificate: z.tuple([
    profileId,
    z.discriminatedUnion('format', [
      z.object({
        format: z.literal('pkcs12'),
        dataBase64: z.string().max(1024 * 1024),
        password: z.string().max(1024),
      }),
      z.object({
        format: z.literal('pem'),
        text: z.string().max(1024 * 1024),
        role: z.enum(['client', 'ca']),
      }),
      z.object({
        format: z.literal('der'),
        dataBase64: z.string().max(1024 * 1024),
        role: z.enum(['client', 'ca']),
      }),
    ]),
  ]),
  connect: z.tuple([profileId]),
  disconnect: z.tuple([profileId]),
  answerMfa: z.tuple([z.string().max(64), z.union([z.string().regex(/^\d{6,8}$/), z.null()])]),
  diagnostics: z.tuple([profileId]),
  exportDiagnostics: z.tuple([profileId]),
  setSettings: z.tuple([
    z
      .object({
        launchAtLogin: z.boolean().optional(),
        theme: z.enum(['system', 'light', 'dark']).optional(),
      })
      .strict(),
  ]),
} as const;

/** What each method resolves to. */
export interface IpcReturns {
  snapshot: Snapshot;
  saveProfile: ProfileView;
  deleteProfile: null;
  importProfileFile: ProfileView;
  exportProfileFile: { readonly fileName: string; readonly text: string };
  setSecret: null;
  clearSecret: null;
  importCertificate: CertificateInfo;
  connect: null;
  disconnect: null;
  answerMfa: null;
  diagnostics: DiagnosticsView;
  exportDiagnostics: { readonly fileName: string; readonly text: string };
  setSettings: Settings;
}

export type IpcMethod = keyof typeof ipcArgs;
export type IpcArgs<M extends IpcMethod> = z.input<(typeof ipcArgs)[M]>;

/** Events pushed from the host after the snapshot. */
export interface IpcEvents {
  profiles: readonly ProfileView[];
  connection: ConnectionView;
  mfa: MfaPrompt | null;
  log: LogEntry;
  settings: Settings;
}
export type IpcEvent = keyof IpcEvents;
export const IPC_EVENTS: readonly IpcEvent[] = ['profiles', 'connection', 'mfa', 'log', 'settings'];

/** The API the preload exposes as `window.ferry` (and the test host imitates). */
export type FerryApi = {
  readonly [M in IpcMethod]: (...args: IpcArgs<M>) => Promise<IpcResult<IpcReturns[M]>>;
} & {
  readonly on: <E extends IpcEvent>(event: E, listener: (payload: IpcEvents[E]) => void) => () => void;
};

export const IPC_METHODS = Object.keys(ipcArgs) as IpcMethod[];
export const ipcChannel = (method: IpcMethod | IpcEvent): string => `ferry:${method}`;
