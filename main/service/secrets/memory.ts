/** An in-memory SecretStore: tests, and the CLI's background child (secrets handed over on a pipe). */
import { type SecretKind, type SecretLookup, type SecretStore, secretAccount } from './types';

export class MemorySecretStore implements SecretStore {
  readonly label: string;
  private readonly values = new Map<string, string>();

  constructor(initial: Readonly<Record<string, Partial<Record<SecretKind, string>>>> = {}, label = 'memory') {
    this.label = label;
    for (const [id, kinds] of Object.entries(initial))
      for (const [kind, value] of Object.entries(kinds))
        if (value !== undefined) this.values.set(secretAccount(id, kind as SecretKind), value);
  }

  async get(profileId: string, kind: SecretKind): Promise<SecretLookup> {
    const value = this.values.get(secretAccount(profileId, kind));
    return value === undefined ? { status: 'missing' } : { status: 'found', value };
  }

  async set(profileId: string, kind: SecretKind, value: string): Promise<void> {
    this.values.set(secretAccount(profileId, kind), value);
  }

  async delete(profileId: string, kind: SecretKind): Promise<boolean> {
    return this.values.delete(secretAccount(profileId, kind));
  }

  async has(profileId: string): Promise<ReadonlySet<SecretKind>> {
    const kinds = new Set<SecretKind>();
    for (const k of this.values.keys()) {
      const i = k.lastIndexOf('/');
      if (k.slice(0, i) === profileId) kinds.add(k.slice(i + 1) as SecretKind);
    }
    return kinds;
  }
}
