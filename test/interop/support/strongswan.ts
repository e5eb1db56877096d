/**
 * Shared by the strongswan-*.test.ts interop files, on top of support/tunnelSession.ts: a profile for the lab VM,
 * a session for PSK or certificate profiles, and a connect that is expected to fail.
 */
import { FerryError } from '../../../core/common/errors';
import type { IpsecCarrierOptions } from '../../../core/connection/ipsecCarrier';
import { type Profile, type ProfileInput, parseProfile } from '../../../core/profile/schema';
import type { StrongSwanInfo } from '../../lab/strongswan';
import { type TunnelSession, tunnelSession } from './tunnelSession';

export { connectOrExplain, logTail, pingThrough, type TimingRow, timingRow } from './tunnelSession';

export function labProfile(info: StrongSwanInfo, extra: Partial<ProfileInput> = {}): Profile {
  const r = parseProfile({
    id: 'ss-interop',
    name: 'strongSwan interop',
    server: info.serverAddress,
    userAuth: { username: info.users[0]!.username, methods: ['mschapv2'] },
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

/** A session against the VM; certificate profiles take their credentials from `carrier.clientCredentials`. */
export function session(
  info: StrongSwanInfo,
  profile: Profile,
  carrier: Partial<IpsecCarrierOptions> = {},
): TunnelSession {
  return tunnelSession({ profile, psk: info.psk, password: info.users[0]!.password, carrier });
}

/** Connects expecting a FerryError; returns it (and fails the test if the tunnel came up). */
export async function connectFailure(s: TunnelSession): Promise<FerryError> {
  try {
    await s.conn.connect();
  } catch (e) {
    if (e instanceof FerryError) return e;
    throw e;
  }
  await s.conn.disconnect();
  throw new Error('the tunnel came up although it should have failed');
}
