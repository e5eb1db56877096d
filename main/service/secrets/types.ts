/**
 * Where secrets live (SPEC §3: the OS keychain, never profile files). Keyed by profile id and kind. A store
 * distinguishes "not stored" from "cannot tell": a locked keyring answers like an empty one, so the keytar store
 * reports `locked` rather than `missing` and the caller can say "unlock your keyring" instead of "enter it".
 */
import { FerryError } from '../../../core/common/errors';

export const SECRET_KINDS = ['psk', 'password', 'client-key', 'pkcs12-password'] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

export type SecretLookup =
  | { readonly status: 'found'; readonly value: string }
  /** `mayBeLocked`: the store answers "nothing" both when the secret is absent and when it is locked (keytar). */
  | { readonly status: 'missing'; readonly mayBeLocked?: boolean }
  /** The store could not answer (keyring locked, no D-Bus session, native module missing). */
  | { readonly status: 'unavailable'; readonly reason: string };

export interface SecretStore {
  /** A human name for messages ("OS keyring", "environment", …). */
  readonly label: string;
  get(profileId: string, kind: SecretKind): Promise<SecretLookup>;
  /** Rejects with a FerryError (phase 'secrets') when the store is read-only or unavailable. */
  set(profileId: string, kind: SecretKind, value: string): Promise<void>;
  /** True when something was deleted. */
  delete(profileId: string, kind: SecretKind): Promise<boolean>;
  /** Which kinds are stored for a profile (never the values). Unavailable stores answer an empty set. */
  has(profileId: string): Promise<ReadonlySet<SecretKind>>;
}

export const SECRET_LABELS: Readonly<Record<SecretKind, string>> = {
  psk: 'pre-shared key',
  password: 'password',
  'client-key': 'client private key',
  'pkcs12-password': 'PKCS#12 password',
};

export function secretError(code: string, message: string, hint: string, cause?: unknown): FerryError {
  return new FerryError({ phase: 'secrets', code, message, hint, ...(cause === undefined ? {} : { cause }) });
}

/** The account name a secret is stored under: `<profile id>/<kind>` (profile ids cannot contain `/`). */
export function secretAccount(profileId: string, kind: SecretKind): string {
  return `${profileId}/${kind}`;
}

export function parseSecretAccount(account: string): { profileId: string; kind: SecretKind } | null {
  const i = account.lastIndexOf('/');
  if (i <= 0) return null;
  const kind = account.slice(i + 1);
  if (!(SECRET_KINDS as readonly string[]).includes(kind)) return null;
  return { profileId: account.slice(0, i), kind: kind as SecretKind };
}
