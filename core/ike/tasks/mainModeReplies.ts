/** Classifiers for the responder's Main Mode messages: accept, fail with a typed error, or ignore (RFC 2409 §5). */
import { concatBytes, equalBytes } from '../../common/bytes';
import type { Phase1Authenticator } from '../auth/authenticator';
import type { VerifiedPeer } from '../auth/peerCertificate';
import { ExchangeType, HeaderFlag } from '../constants';
import type { HashAlgorithm } from '../crypto/hash';
import type { IvStore } from '../crypto/ivs';
import { exchangeInitialIv, informationalHash, type Phase1KeyMaterial } from '../crypto/keys';
import { type CipherContext, decryptMessage } from '../crypto/protect';
import { phase1Error } from '../errors';
import type { Verdict } from '../exchange';
import {
  type ChainEntry,
  decodePlainMessage,
  type IsakmpHeader,
  payloadsOfKind,
  unknownCriticalPayloads,
} from '../message';
import { describeIdentity, type Identification } from '../payloads/identification';
import { type ChosenPhase1, matchChosenPhase1, type Phase1Proposal } from '../proposals';
import { firstNotifyError, type MainModeStage, notifiesIn } from './phase1Notify';

export interface Mm2 {
  readonly bytes: Uint8Array;
  readonly responderCookie: Uint8Array;
  readonly chosen: ChosenPhase1;
  readonly vendorIds: readonly Uint8Array[];
}

export interface Mm4 {
  readonly bytes: Uint8Array;
  readonly ke: Uint8Array;
  readonly nonce: Uint8Array;
  readonly natd: readonly Uint8Array[];
}

export interface Mm6 {
  readonly bytes: Uint8Array;
  readonly lastBlock: Uint8Array;
  readonly peerId: Identification;
  readonly describedPeer: string;
  /** The server's certificate path (signature authentication). */
  readonly verified: VerifiedPeer | null;
}

/** RFC 2409 §5: nonces are 8..256 bytes. */
const NONCE_MIN = 8;
const NONCE_MAX = 256;
const ZERO_COOKIE = new Uint8Array(8);

function isEncrypted(h: IsakmpHeader): boolean {
  return (h.flags & HeaderFlag.ENCRYPTION) !== 0;
}

function cookiesMatch(h: IsakmpHeader, ckyI: Uint8Array, ckyR: Uint8Array | null): boolean {
  if (!equalBytes(h.initiatorCookie, ckyI)) return false;
  if (ckyR === null) return true;
  // Unencrypted error notifies may carry a zero responder cookie.
  return (
    equalBytes(h.responderCookie, ckyR) ||
    (h.exchangeType === ExchangeType.INFORMATIONAL && equalBytes(h.responderCookie, ZERO_COOKIE))
  );
}

/**
 * An unencrypted INFORMATIONAL: fail on an error notify about our SA, otherwise ignore. It is ours when its header
 * carries our cookie, or when a notify's SPI starts with it: SoftEther sends NO_PROPOSAL_CHOSEN under a fresh
 * random cookie with CKY-I | CKY-R as the SPI (RFC 2408 §3.14 allows the cookie pair as ISAKMP SPI).
 */
function plainInformational<T>(
  msg: Uint8Array,
  h: IsakmpHeader,
  ckyI: Uint8Array,
  stage: MainModeStage,
): Verdict<T> {
  const headerOurs = equalBytes(h.initiatorCookie, ckyI);
  const m = decodePlainMessage(msg);
  if (!m.ok)
    return headerOurs
      ? { ignore: 'garbage', detail: `informational: ${m.error.message}` }
      : { ignore: 'stale' };
  const notifies = notifiesIn(m.value.payloads).filter(
    (n) => headerOurs || (n.spi.length >= 8 && equalBytes(n.spi.subarray(0, 8), ckyI)),
  );
  if (!headerOurs && notifies.length === 0) return { ignore: 'stale' };
  const e = firstNotifyError(notifies, stage, false);
  return e ? { fail: e } : { ignore: 'unexpected', detail: 'informational without an error notify' };
}

function plainMainMode(
  msg: Uint8Array,
): { ok: true; payloads: readonly ChainEntry[] } | { ok: false; verdict: Verdict<never> } {
  const m = decodePlainMessage(msg);
  if (!m.ok) return { ok: false, verdict: { ignore: 'garbage', detail: m.error.message } };
  const critical = unknownCriticalPayloads(m.value.payloads);
  if (critical.length)
    return {
      ok: false,
      verdict: {
        fail: phase1Error('malformed-reply', `reply carries unknown critical payload type ${critical[0]}`),
      },
    };
  return { ok: true, payloads: m.value.payloads };
}

export function classifyMm2(
  msg: Uint8Array,
  h: IsakmpHeader,
  ckyI: Uint8Array,
  offered: readonly Phase1Proposal[],
  authMethod: number,
): Verdict<Mm2> {
  if (h.exchangeType === ExchangeType.INFORMATIONAL && !isEncrypted(h))
    return plainInformational(msg, h, ckyI, 'sa');
  if (!cookiesMatch(h, ckyI, null)) return { ignore: 'stale' };
  if (h.exchangeType !== ExchangeType.IDENTITY_PROTECTION || isEncrypted(h) || h.messageId !== 0)
    return { ignore: 'unexpected' };
  if (equalBytes(h.responderCookie, ZERO_COOKIE))
    return { ignore: 'garbage', detail: 'MM2 without responder cookie' };
  const m = plainMainMode(msg);
  if (!m.ok) return m.verdict;
  const sas = payloadsOfKind(m.payloads, 'sa');
  if (sas.length !== 1) return { ignore: 'unexpected', detail: `MM2 with ${sas.length} SA payloads` };
  const chosen = matchChosenPhase1(offered, sas[0]!.payload, authMethod);
  if (typeof chosen === 'string')
    return { fail: phase1Error('malformed-reply', `server chose a transform we did not offer: ${chosen}`) };
  return {
    accept: {
      bytes: msg.slice(),
      responderCookie: h.responderCookie,
      chosen,
      vendorIds: payloadsOfKind(m.payloads, 'vid').map((e) => e.payload.data),
    },
  };
}

export function classifyMm4(
  msg: Uint8Array,
  h: IsakmpHeader,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
): Verdict<Mm4> {
  if (h.exchangeType === ExchangeType.INFORMATIONAL && !isEncrypted(h))
    return plainInformational(msg, h, ckyI, 'ke');
  if (!cookiesMatch(h, ckyI, ckyR)) return { ignore: 'stale' };
  if (h.exchangeType !== ExchangeType.IDENTITY_PROTECTION || isEncrypted(h) || h.messageId !== 0)
    return { ignore: 'unexpected' };
  const m = plainMainMode(msg);
  if (!m.ok) return m.verdict;
  const ke = payloadsOfKind(m.payloads, 'ke');
  const nonce = payloadsOfKind(m.payloads, 'nonce');
  if (payloadsOfKind(m.payloads, 'sa').length) return { ignore: 'duplicate', detail: 'another MM2' };
  if (ke.length !== 1 || nonce.length !== 1)
    return { ignore: 'unexpected', detail: `MM4 with ${ke.length} KE and ${nonce.length} nonce payloads` };
  const nr = nonce[0]!.payload.data;
  if (nr.length < NONCE_MIN || nr.length > NONCE_MAX)
    return {
      fail: phase1Error('malformed-reply', `responder nonce of ${nr.length} bytes (RFC 2409: 8..256)`),
    };
  return {
    accept: {
      bytes: msg.slice(),
      ke: ke[0]!.payload.data,
      nonce: nr,
      natd: payloadsOfKind(m.payloads, 'nat-d').map((e) => e.payload.hash),
    },
  };
}

export interface Mm6Context {
  readonly ckyI: Uint8Array;
  readonly ckyR: Uint8Array;
  readonly cipher: CipherContext;
  readonly ivs: IvStore;
  readonly hash: HashAlgorithm;
  readonly keys: Phase1KeyMaterial;
  /** Checks the proof after IDir (HASH_R, or CERT and SIG_R) and the server's identity. */
  readonly auth: Phase1Authenticator;
  /**
   * Phase-1 IVs the server may derive an informational's IV from (RFC 2409 App. B "last phase-1 CBC output
   * block"): the block after our MM5 if it processed MM5, else the initial IV (strongSwan, after failing MM5).
   */
  readonly phase1IvCandidates: readonly Uint8Array[];
  expectedHashR(idirB: Uint8Array): Uint8Array;
}

const authFailed = (why: string) => phase1Error('auth-failed', `authentication failed (${why})`);

/** An encrypted INFORMATIONAL during phase 1: HASH(1)-protected notify (RFC 2409 §5.7). */
function encryptedInformational(msg: Uint8Array, h: IsakmpHeader, c: Mm6Context): Verdict<Mm6> {
  if (h.messageId === 0) return { ignore: 'garbage', detail: 'informational with message ID 0' };
  for (const last of c.phase1IvCandidates) {
    const iv = exchangeInitialIv(c.hash, last, h.messageId, c.ivs.blockSize);
    const dec = decryptMessage(c.cipher, msg, h, iv);
    if (!dec.ok) continue;
    const [first, ...rest] = dec.value.payloads;
    if (first?.payload.kind !== 'hash') continue;
    const payloads = concatBytes(...rest.map((e) => e.bytes));
    // HASH(1) proves the notification comes from a peer holding our keys (RFC 2409 §5.7).
    if (!equalBytes(first.payload.data, informationalHash(c.hash, c.keys.skeyidA, h.messageId, payloads)))
      continue;
    const e = firstNotifyError(notifiesIn(rest), 'auth', true);
    return e
      ? { fail: e }
      : { ignore: 'unexpected', detail: 'encrypted informational without an error notify' };
  }
  return { fail: authFailed('server sent an encrypted notification we cannot decrypt: keys differ') };
}

export function classifyMm6(msg: Uint8Array, h: IsakmpHeader, c: Mm6Context): Verdict<Mm6> {
  if (h.exchangeType === ExchangeType.INFORMATIONAL && !isEncrypted(h))
    return plainInformational(msg, h, c.ckyI, 'auth');
  if (!cookiesMatch(h, c.ckyI, c.ckyR)) return { ignore: 'stale' };
  if (h.exchangeType === ExchangeType.INFORMATIONAL) return encryptedInformational(msg, h, c);
  if (h.exchangeType !== ExchangeType.IDENTITY_PROTECTION || h.messageId !== 0)
    return { ignore: 'unexpected' };
  if (!isEncrypted(h)) return { ignore: 'unexpected', detail: 'unencrypted main mode message after MM5' };
  const dec = decryptMessage(c.cipher, msg, h, c.ivs.current(0));
  if (!dec.ok) return { fail: authFailed('MM6 cannot be decrypted: keys differ') };
  const ids = payloadsOfKind(dec.value.payloads, 'id');
  if (ids.length !== 1) return { fail: phase1Error('malformed-reply', `MM6 with ${ids.length} ID payloads`) };
  const id = ids[0]!;
  const peerId: Identification = {
    identity: id.payload.identity,
    protocol: id.payload.protocol,
    port: id.payload.port,
  };
  const verified = c.auth.verify(dec.value.payloads, peerId.identity, c.expectedHashR(id.body));
  if (!verified.ok) return { fail: verified.error };
  return {
    accept: {
      bytes: msg.slice(),
      lastBlock: dec.value.lastBlock,
      peerId,
      describedPeer: describeIdentity(peerId.identity),
      verified: verified.value,
    },
  };
}
