/**
 * What QM1's request makes of incoming messages (RFC 2409 §5.5): the responder's QM2 (HASH(2) verified in
 * constant time, SA/nonce/KE/IDs validated), or an authenticated informational refusing our proposal.
 */
import { equalBytes } from '../../common/bytes';
import type { DecodeError } from '../../common/decode';
import type { FerryError } from '../../common/errors';
import type { Result } from '../../common/result';
import { ExchangeType, HeaderFlag, isErrorNotify, NotifyType, notifyName, ProtocolId } from '../constants';
import type { DhKeyPair } from '../crypto/dh';
import type { DecryptedMessage } from '../crypto/protect';
import type { Verdict } from '../exchange';
import { type ChainEntry, type IsakmpHeader, payloadsOfKind, unknownCriticalPayloads } from '../message';
import { decodeAttributes } from '../payloads/attributes';
import { natOaAddressText } from '../payloads/natOa';
import type { NotifyPayload } from '../payloads/notify';
import type { Phase1Sa } from '../phase1';
import { quickModeError } from './errors';
import {
  type ChosenPhase2,
  matchChosenPhase2,
  type Phase2Offer,
  readLifetimes,
  spiBytes,
} from './espProposals';
import { quickModeHash2 } from './keymat';
import { openInformational, splitHash } from './protected';

/** RFC 2409 §5: nonces are 8..256 bytes. */
const NONCE_MIN = 8;
const NONCE_MAX = 256;

export interface Qm2 {
  readonly bytes: Uint8Array;
  readonly lastBlock: Uint8Array;
  readonly nr: Uint8Array;
  readonly chosen: ChosenPhase2;
  /** g(qm)^xy with PFS. */
  readonly gxy: Uint8Array | null;
  /** NAT-OA addresses the server sent (diagnostics only). */
  readonly natOa: readonly string[];
  readonly idsEchoed: boolean;
}

/** Evidence gathered while waiting, for the error when no usable QM2 comes. */
export interface Qm2Evidence {
  badHash: number;
  unusable: string | null;
}

export interface Qm2Context {
  readonly sa: Phase1Sa;
  readonly messageId: number;
  readonly offer: Phase2Offer;
  readonly ni: Uint8Array;
  /** The ID payload bodies we sent (IDci_b, IDcr_b). */
  readonly ids: readonly [Uint8Array, Uint8Array];
  readonly dh: DhKeyPair | null;
  decrypt(message: Uint8Array, header: IsakmpHeader): Result<DecryptedMessage, DecodeError>;
  readonly evidence: Qm2Evidence;
  /** Bad HASH(2) copies after which the exchange fails as auth-failed (default 2). */
  readonly badHashLimit: number;
}

const PROPOSAL_NOTIFIES: ReadonlySet<number> = new Set([
  NotifyType.NO_PROPOSAL_CHOSEN,
  NotifyType.ATTRIBUTES_NOT_SUPPORTED,
  NotifyType.INVALID_TRANSFORM_ID,
  NotifyType.BAD_PROPOSAL_SYNTAX,
]);

/** The error an error notify means for Quick Mode, or null for status notifies. */
export function quickModeNotifyError(n: NotifyPayload, where: string): FerryError | null {
  if (!isErrorNotify(n.type)) return null;
  const name = notifyName(n.type);
  if (PROPOSAL_NOTIFIES.has(n.type))
    return quickModeError('no-proposal-chosen', `server rejected all ESP proposals (${name} ${where})`);
  if (n.type === NotifyType.INVALID_ID_INFORMATION)
    return quickModeError('invalid-id', `server rejected the quick mode identities (${name} ${where})`);
  return quickModeError('server-error', `server sent ${name} ${where}`);
}

function notifies(entries: readonly ChainEntry[]): NotifyPayload[] {
  return payloadsOfKind(entries, 'notify').map((e) => e.payload);
}

/** An authenticated INFORMATIONAL during Quick Mode: an error notify or a DELETE of our IKE SA ends it. */
function informational(msg: Uint8Array, c: Qm2Context): Verdict<Qm2> {
  const info = openInformational(c.sa, msg);
  if (!info.ok) return { ignore: 'unexpected', detail: `informational: ${info.error.message}` };
  const ourSpi = spiBytes(c.offer.spi);
  for (const n of notifies(info.value.payloads)) {
    // Refusals of a proposal or identities, or anything naming our SPI (strongSwan); other error notifies
    // (e.g. about an older SA) are left to the informational handler.
    const aboutUs =
      PROPOSAL_NOTIFIES.has(n.type) ||
      n.type === NotifyType.INVALID_ID_INFORMATION ||
      (n.protocol === ProtocolId.ESP && equalBytes(n.spi, ourSpi));
    const e = aboutUs ? quickModeNotifyError(n, 'in an informational') : null;
    if (e) return { fail: e };
  }
  const cookies = new Uint8Array(16);
  cookies.set(c.sa.initiatorCookie);
  cookies.set(c.sa.responderCookie, 8);
  for (const d of payloadsOfKind(info.value.payloads, 'delete')) {
    const p = d.payload;
    const hit =
      (p.protocol === ProtocolId.ISAKMP && p.spis.some((s) => equalBytes(s, cookies))) ||
      (p.protocol === ProtocolId.ESP && p.spis.some((s) => equalBytes(s, ourSpi)));
    if (hit) return { fail: quickModeError('peer-deleted', 'server deleted the IKE SA during quick mode') };
  }
  // DPD and other status messages: left to the informational handler.
  return { ignore: 'unexpected' };
}

export function classifyQm2(msg: Uint8Array, h: IsakmpHeader, c: Qm2Context): Verdict<Qm2> {
  if (h.exchangeType === ExchangeType.INFORMATIONAL) return informational(msg, c);
  if (h.exchangeType !== ExchangeType.QUICK_MODE) return { ignore: 'unexpected' };
  if (h.messageId !== c.messageId) return { ignore: 'stale', detail: 'quick mode with another message ID' };
  if (!(h.flags & HeaderFlag.ENCRYPTION)) return { ignore: 'garbage', detail: 'unencrypted quick mode' };
  const dec = c.decrypt(msg, h);
  if (!dec.ok) {
    c.evidence.unusable = `QM2 cannot be decrypted (${dec.error.message})`;
    return { ignore: 'undecryptable', detail: dec.error.message };
  }
  const split = splitHash(dec.value.payloads);
  const expected = split && quickModeHash2(c.sa.hash, c.sa.keys.skeyidA, c.messageId, c.ni, split.bytes);
  // Constant-time HASH(2) check (RFC 2409 §5.5). A corrupted copy is not proof of anything; repeated ones are.
  if (!split || !expected || !equalBytes(split.hash, expected)) {
    c.evidence.badHash++;
    if (c.evidence.badHash >= c.badHashLimit)
      return {
        fail: quickModeError('auth-failed', `HASH(2) of ${c.evidence.badHash} QM2 copies did not verify`),
      };
    return { ignore: 'garbage', detail: 'HASH(2) does not verify' };
  }
  return validate(msg, dec.value, split.payloads, c);
}

function malformed(what: string): Verdict<Qm2> {
  return { fail: quickModeError('malformed-reply', `QM2 ${what}`) };
}

/** QM2 is authentic from here on: anything wrong is the server's answer, not noise. */
function validate(
  msg: Uint8Array,
  dec: DecryptedMessage,
  entries: readonly ChainEntry[],
  c: Qm2Context,
): Verdict<Qm2> {
  const critical = unknownCriticalPayloads(entries);
  if (critical.length) return malformed(`carries unknown critical payload type ${critical[0]}`);
  let lifetimeCap: number | null = null;
  for (const n of notifies(entries)) {
    const e = quickModeNotifyError(n, 'in QM2');
    if (e) return { fail: e };
    if (n.type === NotifyType.RESPONDER_LIFETIME) {
      // RFC 2407 §4.6.3.1: the responder's own, shorter lifetime for this SA.
      const attrs = decodeAttributes(n.data);
      const life = attrs.ok ? readLifetimes(attrs.value) : 'undecodable attributes';
      if (typeof life === 'string') return malformed(`RESPONDER-LIFETIME: ${life}`);
      if (life.seconds !== null) lifetimeCap = life.seconds;
    }
  }
  const sas = payloadsOfKind(entries, 'sa');
  const nonces = payloadsOfKind(entries, 'nonce');
  const kes = payloadsOfKind(entries, 'ke');
  const ids = payloadsOfKind(entries, 'id');
  if (sas.length !== 1) return malformed(`with ${sas.length} SA payloads`);
  if (nonces.length !== 1) return malformed(`with ${nonces.length} nonce payloads`);
  const nr = nonces[0]!.payload.data;
  if (nr.length < NONCE_MIN || nr.length > NONCE_MAX)
    return malformed(`nonce of ${nr.length} bytes (RFC 2409: 8..256)`);
  const chosen = matchChosenPhase2(c.offer, sas[0]!.payload);
  if (typeof chosen === 'string') return malformed(`chose a transform we did not offer: ${chosen}`);
  let gxy: Uint8Array | null = null;
  if (c.dh) {
    if (kes.length !== 1) return malformed(`with ${kes.length} KE payloads although PFS was negotiated`);
    gxy = c.dh.computeShared(kes[0]!.payload.data);
    if (!gxy) return malformed(`KE value is invalid for ${c.dh.group}`);
  } else if (kes.length) {
    return malformed('carries a KE payload although PFS was not offered');
  }
  // RFC 2409 §5.5: identities sent by the initiator come back unchanged.
  if (ids.length !== 0 && ids.length !== 2) return malformed(`with ${ids.length} ID payloads`);
  if (ids.length === 2 && !(equalBytes(ids[0]!.body, c.ids[0]) && equalBytes(ids[1]!.body, c.ids[1])))
    return malformed('returned identities that differ from ours');
  const lifetimeSeconds =
    lifetimeCap === null ? chosen.lifetimeSeconds : Math.min(chosen.lifetimeSeconds, lifetimeCap);
  return {
    accept: {
      bytes: msg.slice(),
      lastBlock: dec.lastBlock,
      nr,
      chosen: { ...chosen, lifetimeSeconds },
      gxy,
      natOa: payloadsOfKind(entries, 'nat-oa').map((e) => natOaAddressText(e.payload)),
      idsEchoed: ids.length === 2,
    },
  };
}
