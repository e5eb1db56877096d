/** Profiles and secrets the UI tests start from. */
import { type ProfileInput, profileSchema } from '../../../core/profile/schema';
import type { ScriptedFerryOptions } from './scriptedFerry';

/** The auth methods a profile gets when it lists none (from the schema, so tests follow its defaults). */
export const DEFAULT_METHODS = profileSchema.parse({
  id: 'x',
  name: 'x',
  server: 'x.example',
  userAuth: { username: 'x' },
}).userAuth.methods;

export const OFFICE: ProfileInput = {
  id: 'office',
  name: 'Office Berlin',
  server: 'vpn.example.com',
  userAuth: { username: 'alice' },
  routing: { mode: 'split', subnets: ['10.20.0.0/16', '192.168.50.0/24'] },
};

export const OTP: ProfileInput = {
  id: 'lab-otp',
  name: 'Lab (code)',
  server: '203.0.113.10',
  userAuth: { username: 'bob', methods: ['mschapv2'] },
  mfa: { mode: 'otp-prompt' },
};

export const PUSH: ProfileInput = {
  id: 'hq-push',
  name: 'HQ (push)',
  server: 'hq.example.net',
  userAuth: { username: 'carol' },
  mfa: { mode: 'push', timeoutSeconds: 45 },
};

export const MANAGED: ProfileInput = {
  id: 'corp',
  name: 'Corporate',
  server: 'corp-vpn.example.org',
  userAuth: { username: 'dave' },
};

/** The usual starting point: three personal profiles with stored secrets and one locked managed profile. */
export function standardHost(overrides: Partial<ScriptedFerryOptions> = {}): ScriptedFerryOptions {
  return {
    profiles: [OFFICE, OTP, PUSH],
    managed: [MANAGED],
    policy: { lockEditing: true },
    secrets: {
      office: { psk: 'stored-psk-office', password: 'stored-pw-office' },
      'lab-otp': { psk: 'stored-psk-lab', password: 'stored-pw-lab' },
      'hq-push': { psk: 'stored-psk-hq', password: 'stored-pw-hq' },
      corp: { psk: 'stored-psk-corp', password: 'stored-pw-corp' },
    },
    ...overrides,
  };
}
