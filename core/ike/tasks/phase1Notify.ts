/** How a server's error notification during Main Mode becomes a typed phase-1 error (RFC 2408 §3.14.1). */
import type { FerryError } from '../../common/errors';
import { isErrorNotify, NotifyType, notifyName } from '../constants';
import { phase1Error } from '../errors';
import type { ChainEntry } from '../message';
import type { NotifyPayload } from '../payloads/notify';

/** Which of our messages the server is answering. */
export type MainModeStage = 'sa' | 'ke' | 'auth';

/** Error notifies that mean "your MM5 made no sense to me": with PSK that is a key mismatch. */
const AUTH_NOTIFIES: ReadonlySet<number> = new Set([
  NotifyType.INVALID_PAYLOAD_TYPE,
  NotifyType.PAYLOAD_MALFORMED,
  NotifyType.INVALID_KEY_INFORMATION,
  NotifyType.INVALID_HASH_INFORMATION,
  NotifyType.AUTHENTICATION_FAILED,
  NotifyType.INVALID_SIGNATURE,
]);

const PROPOSAL_NOTIFIES: ReadonlySet<number> = new Set([
  NotifyType.NO_PROPOSAL_CHOSEN,
  NotifyType.ATTRIBUTES_NOT_SUPPORTED,
  NotifyType.INVALID_TRANSFORM_ID,
]);

export function notifiesIn(entries: readonly ChainEntry[]): NotifyPayload[] {
  return entries.flatMap((e) => (e.payload.kind === 'notify' ? [e.payload] : []));
}

/** The error an error notify means at this stage, or null for status notifies (ignored). */
export function notifyError(n: NotifyPayload, stage: MainModeStage, encrypted: boolean): FerryError | null {
  if (!isErrorNotify(n.type)) return null;
  const name = notifyName(n.type);
  const how = encrypted ? 'encrypted' : 'unencrypted';
  if (PROPOSAL_NOTIFIES.has(n.type))
    return phase1Error('no-proposal-chosen', `server rejected all proposals (${name})`);
  if (stage === 'auth' && AUTH_NOTIFIES.has(n.type))
    return phase1Error('auth-failed', `authentication failed (server sent ${how} ${name} after MM5)`);
  if (n.type === NotifyType.INVALID_ID_INFORMATION)
    return phase1Error('invalid-id', `server rejected our identity (${name})`);
  return phase1Error(
    'server-error',
    `server sent ${how} ${name} in reply to our ${stage.toUpperCase()} message`,
  );
}

/** The first error among the notifies, if any. */
export function firstNotifyError(
  notifies: readonly NotifyPayload[],
  stage: MainModeStage,
  encrypted: boolean,
): FerryError | null {
  for (const n of notifies) {
    const e = notifyError(n, stage, encrypted);
    if (e) return e;
  }
  return null;
}
