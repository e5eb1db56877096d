/**
 * The OS keychain through keytar (libsecret on Linux, Keychain on macOS, Credential Manager on Windows).
 * keytar answers `null` both for "no such entry" and for a locked keyring (shared/lab/node-io.md), so a miss is
 * reported as `missing` with `mayBeLocked`. A keyring that cannot be reached at all (no D-Bus session, the
 * native module missing) is `unavailable`; error texts from the native side never contain secret values.
 */
import {
  parseSecretAccount,
  type SecretKind,
  type SecretLookup,
  type SecretStore,
  secretAccount,
  secretError,
} from './types';

/** The part of keytar's API this store uses (tests pass a fake). */
export interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<{ account: string; password: string }[]>;
}

export const KEYCHAIN_SERVICE = 'ferry-vpn';

/** Loads the native module once; a failure is remembered and reported as `unavailable`. */
export async function loadKeytar(): Promise<KeytarApi> {
  const mod = (await import('keytar')) as unknown as KeytarApi & { default?: KeytarApi };
  return mod.default ?? mod;
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 200);

export class KeytarSecretStore implements SecretStore {
  readonly label = 'OS keyring';
  private api: Promise<KeytarApi> | null = null;

  constructor(
    private readonly load: () => Promise<KeytarApi> = loadKeytar,
    private readonly service = KEYCHAIN_SERVICE,
  ) {}

  private keytar(): Promise<KeytarApi> {
    this.api ??= this.load();
    return this.api;
  }

  async get(profileId: string, kind: SecretKind): Promise<SecretLookup> {
    let value: string | null;
    try {
      value = await (await this.keytar()).getPassword(this.service, secretAccount(profileId, kind));
    } catch (e) {
      return { status: 'unavailable', reason: `the OS keyring cannot be used: ${describe(e)}` };
    }
    return value === null ? { status: 'missing', mayBeLocked: true } : { status: 'found', value };
  }

  async set(profileId: string, kind: SecretKind, value: string): Promise<void> {
    try {
      await (await this.keytar()).setPassword(this.service, secretAccount(profileId, kind), value);
    } catch (e) {
      throw secretError(
        'keyring-unavailable',
        `cannot store the secret in the OS keyring: ${describe(e)}`,
        'unlock the OS keyring (or start a keyring service such as gnome-keyring) and try again',
      );
    }
  }

  async delete(profileId: string, kind: SecretKind): Promise<boolean> {
    try {
      return await (await this.keytar()).deletePassword(this.service, secretAccount(profileId, kind));
    } catch (e) {
      throw secretError(
        'keyring-unavailable',
        `cannot delete the secret from the OS keyring: ${describe(e)}`,
        'unlock the OS keyring and try again',
      );
    }
  }

  async has(profileId: string): Promise<ReadonlySet<SecretKind>> {
    const kinds = new Set<SecretKind>();
    try {
      for (const c of await (await this.keytar()).findCredentials(this.service)) {
        const a = parseSecretAccount(c.account);
        if (a && a.profileId === profileId) kinds.add(a.kind);
      }
    } catch {
      // A keyring that cannot be listed reports nothing stored; get() tells the real story at connect time.
    }
    return kinds;
  }
}
