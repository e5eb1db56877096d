/** Turns how a control protocol ended into the FerryError a user should see. */
import type { FerryError } from '../common/errors';
import { AUTH_LABELS, type AuthMethod } from './auth/methods';
import * as E from './errors';
import type { FinishReason } from './negotiation';

export interface LinkFacts {
  readonly phase: E.PppPhase | 'established';
  /** Authentication protocols the server offered and the profile refused. */
  readonly refusedAuth: readonly string[];
  /** Whether an authenticator ever ran on this link. */
  readonly authStarted: boolean;
  readonly allowed: readonly AuthMethod[];
  /** The server proposed MPPE in CCP (which Ferry always rejects). */
  readonly peerWantedMppe: boolean;
}

const MPPE_HINT =
  'the server seems to require MPPE encryption, which Ferry does not offer (IPsec already encrypts); disable "require MPPE" on the server';

/** Refused every method the server offered and never authenticated: the methods, not the password, are the problem. */
function methodUnavailable(f: LinkFacts): FerryError | null {
  if (f.refusedAuth.length === 0 || f.authStarted) return null;
  return E.authMethodUnavailable(
    f.refusedAuth,
    f.allowed.map((m) => AUTH_LABELS[m]),
  );
}

export function lcpEnded(reason: FinishReason, f: LinkFacts): FerryError {
  const m = methodUnavailable(f);
  if (m) return m;
  if (reason === 'timeout') return E.phaseTimeout('lcp', 'no answer to LCP Configure-Requests');
  if (reason === 'peer-terminated') return E.peerTerminated(f.phase, '');
  return E.negotiationFailed('lcp', `LCP ended: ${reason}`);
}

export function ipcpEnded(reason: FinishReason, addressRejected: boolean, f: LinkFacts): FerryError {
  if (addressRejected) return E.ipcpNoAddress('the server rejected the IP-Address option');
  if (reason === 'timeout') return E.phaseTimeout('ipcp', 'no answer to IPCP Configure-Requests');
  if (reason === 'peer-terminated') return E.peerTerminated(f.phase, 'IPCP terminated');
  return E.negotiationFailed('ipcp', `IPCP ended: ${reason}`);
}

/** The server sent LCP Terminate-Request; `text` is its (scrubbed) reason. */
export function peerHungUp(text: string, f: LinkFacts): FerryError {
  return methodUnavailable(f) ?? E.peerTerminated(f.phase, text, f.peerWantedMppe ? MPPE_HINT : undefined);
}
