/**
 * The CLI's secrets for one connect: each from the environment (FERRY_PSK, FERRY_PASSWORD, FERRY_OTP), then the
 * OS keyring if --keyring, then a no-echo prompt when there is a terminal. Never from the profile file, never from
 * the command line (except --otp). Each PSK and password is registered with the redactor the moment it is read.
 */
import { FerryError } from '../../core/common/errors';
import type { Redactor } from '../../core/common/log';
import type { Profile } from '../../core/profile/schema';
import { SECRET_ENV } from '../service/secrets/env';
import type { SecretStore } from '../service/secrets/types';
import { SECRET_LABELS } from '../service/secrets/types';

export interface SecretSources {
  readonly env: NodeJS.ProcessEnv;
  readonly redactor: Redactor;
  /** The OS keyring (when --keyring). */
  readonly keyring?: SecretStore;
  /** Asks on the terminal; absent when there is none. */
  readonly prompt?: (question: string) => Promise<string | null>;
}

export interface CliSecrets {
  readonly psk?: string;
  /** Certificate profiles: the client certificate + key as the app stored them (core/pki serialized credentials). */
  readonly 'client-key'?: string;
  readonly password: string;
}

const missing = (what: string, env: string, interactive: boolean) =>
  new FerryError({
    phase: 'secrets',
    code: 'secret-missing',
    message: `no ${what} given`,
    hint: interactive
      ? `enter the ${what}`
      : `set ${env} in the environment, or run ferry connect in a terminal to be asked`,
  });

async function one(
  profile: Profile,
  kind: 'psk' | 'password' | 'client-key',
  s: SecretSources,
): Promise<string> {
  const name = SECRET_ENV[kind];
  const what = SECRET_LABELS[kind];
  const fromEnv = s.env[name];
  if (fromEnv) {
    s.redactor.addSecret(fromEnv);
    return fromEnv;
  }
  if (s.keyring) {
    const r = await s.keyring.get(profile.id, kind);
    if (r.status === 'found') {
      s.redactor.addSecret(r.value);
      return r.value;
    }
  }
  if (kind === 'client-key')
    throw new FerryError({
      phase: 'secrets',
      code: 'secret-missing',
      message: `no ${what} for ${profile.name}`,
      hint: `import the client certificate in the Ferry app and pass --keyring, or set ${name} (its exported credentials)`,
    });
  if (s.prompt) {
    const v = await s.prompt(
      `${what[0]!.toUpperCase()}${what.slice(1)} for ${profile.name}${kind === 'password' ? ` (${profile.userAuth.username})` : ''}: `,
    );
    if (v) {
      s.redactor.addSecret(v);
      return v;
    }
  }
  throw missing(what, name, Boolean(s.prompt));
}

/** Collects the PSK (PSK profiles) and the password; rejects with a FerryError (phase 'secrets'). */
export async function collectSecrets(profile: Profile, s: SecretSources): Promise<CliSecrets> {
  if (profile.machineAuth.method !== 'psk') {
    const clientKey = await one(profile, 'client-key', s);
    return { 'client-key': clientKey, password: await one(profile, 'password', s) };
  }
  const psk = await one(profile, 'psk', s);
  return { psk, password: await one(profile, 'password', s) };
}

/**
 * The first one-time code: --otp, else FERRY_OTP; later ones (a re-prompt after a rejection, reconnects) only
 * from the terminal. Not registered with the long-lived redactor: the connection redacts a code only while an
 * attempt uses it, and keeps nothing of it afterwards (main/service/connection/codeRedaction.ts).
 */
export function initialOtp(cliOtp: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const v = cliOtp ?? env.FERRY_OTP;
  return v && /^\d{6,8}$/.test(v) ? v : undefined;
}
