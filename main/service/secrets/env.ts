/**
 * Secrets from environment variables, for the CLI and scripts: FERRY_PSK, FERRY_PASSWORD, FERRY_CLIENT_KEY,
 * FERRY_PKCS12_PASSWORD. They apply to whichever profile is being connected. Read-only.
 */
import { type SecretKind, type SecretLookup, type SecretStore, secretError } from './types';

export const SECRET_ENV: Readonly<Record<SecretKind, string>> = {
  psk: 'FERRY_PSK',
  password: 'FERRY_PASSWORD',
  'client-key': 'FERRY_CLIENT_KEY',
  'pkcs12-password': 'FERRY_PKCS12_PASSWORD',
};

export class EnvSecretStore implements SecretStore {
  readonly label = 'environment';

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async get(_profileId: string, kind: SecretKind): Promise<SecretLookup> {
    const value = this.env[SECRET_ENV[kind]];
    return value === undefined || value === '' ? { status: 'missing' } : { status: 'found', value };
  }

  async set(_profileId: string, kind: SecretKind, _value: string): Promise<void> {
    throw secretError(
      'read-only',
      `secrets from the environment cannot be changed (${SECRET_ENV[kind]})`,
      'set the environment variable instead',
    );
  }

  async delete(_profileId: string, _kind: SecretKind): Promise<boolean> {
    return false;
  }

  async has(_profileId: string): Promise<ReadonlySet<SecretKind>> {
    const kinds = new Set<SecretKind>();
    for (const [kind, name] of Object.entries(SECRET_ENV)) if (this.env[name]) kinds.add(kind as SecretKind);
    return kinds;
  }
}
