/**
 * Messages after phase 1 (RFC 2409 §5.5, §5.7): encrypted under the phase-1 key and authenticated by a leading
 * HASH payload computed with SKEYID_a. Opening one is total: every failure is a typed rejection, never a throw.
 */
import { concatBytes, equalBytes } from '../../common/bytes';
import { err, ok, type Result } from '../../common/result';
import { ExchangeType, HeaderFlag } from '../constants';
import { informationalHash } from '../crypto/keys';
import { decryptMessage } from '../crypto/protect';
import { type ChainEntry, decodeHeader, type IsakmpHeader } from '../message';
import type { Phase1Sa } from '../phase1';

/** The payloads after a leading HASH, and the exact bytes they were hashed as. */
export interface AfterHash {
  readonly hash: Uint8Array;
  readonly payloads: readonly ChainEntry[];
  readonly bytes: Uint8Array;
}

/** Splits a decrypted chain into its leading HASH and the rest, or null if it does not start with one. */
export function splitHash(entries: readonly ChainEntry[]): AfterHash | null {
  const [first, ...rest] = entries;
  if (first?.payload.kind !== 'hash') return null;
  return { hash: first.payload.data, payloads: rest, bytes: concatBytes(...rest.map((e) => e.bytes)) };
}

export type InformationalRejection =
  /** Not an ISAKMP message, truncated, or not ours (cookies). */
  | 'malformed'
  | 'foreign'
  /** Informational without the encryption flag after phase 1: unauthenticated. */
  | 'unencrypted'
  /** Not whole cipher blocks, or the plaintext is not a payload chain: not under our keys. */
  | 'undecryptable'
  /** No leading HASH, or HASH(1) does not verify. */
  | 'bad-hash'
  /** An exception escaped the checks: a bug. */
  | 'internal';

export interface InformationalMessage {
  readonly header: IsakmpHeader;
  /** The payloads after HASH(1), already authenticated. */
  readonly payloads: readonly ChainEntry[];
}

export type InformationalSa = Pick<
  Phase1Sa,
  'initiatorCookie' | 'responderCookie' | 'cipher' | 'hash' | 'keys' | 'ivs'
>;

/**
 * Decrypts an INFORMATIONAL exchange (its IV from hash(last phase-1 block | M-ID), never remembered) and
 * verifies HASH(1) = prf(SKEYID_a, M-ID | N/D) in constant time (RFC 2409 §5.7).
 */
export function openInformational(
  sa: InformationalSa,
  bytes: Uint8Array,
): Result<InformationalMessage, { readonly reason: InformationalRejection; readonly message: string }> {
  const reject = (reason: InformationalRejection, message: string) => err({ reason, message });
  try {
    const h = decodeHeader(bytes);
    if (!h.ok) return reject('malformed', h.error.message);
    const header = h.value;
    if (header.exchangeType !== ExchangeType.INFORMATIONAL)
      return reject('malformed', `exchange type ${header.exchangeType}`);
    if (
      !equalBytes(header.initiatorCookie, sa.initiatorCookie) ||
      !equalBytes(header.responderCookie, sa.responderCookie)
    )
      return reject('foreign', 'cookies of another IKE SA');
    if (!(header.flags & HeaderFlag.ENCRYPTION)) return reject('unencrypted', 'informational in the clear');
    if (header.messageId === 0) return reject('malformed', 'informational with message ID 0');
    const dec = decryptMessage(
      sa.cipher,
      bytes.subarray(0, header.length),
      header,
      sa.ivs.peek(header.messageId),
    );
    if (!dec.ok) return reject('undecryptable', dec.error.message);
    const split = splitHash(dec.value.payloads);
    if (!split) return reject('bad-hash', 'no leading HASH payload');
    const expected = informationalHash(sa.hash, sa.keys.skeyidA, header.messageId, split.bytes);
    if (!equalBytes(split.hash, expected)) return reject('bad-hash', 'HASH(1) does not verify');
    return ok({ header, payloads: split.payloads });
  } catch (e) {
    return reject('internal', e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
}
