/**
 * IKEv1 Main Mode initiator (RFC 2409 §5) with pre-shared key or signatures (§5.1, RFC 4754) and NAT traversal
 * (RFC 3947):
 *   MM1 HDR, SA, VID...                      ->      <- MM2 HDR, SA, VID...
 *   MM3 HDR, KE, Ni, [CR,] NAT-D, NAT-D      ->      <- MM4 HDR, KE, Nr, [CR,] NAT-D, NAT-D
 *   (float to 4500)
 *   MM5 HDR*, IDii, HASH_I | CERT.. SIG_I [, N]  ->  <- MM6 HDR*, IDir, HASH_R | CERT.. SIG_R
 */
import type { Clock } from '../../common/clock';
import type { Logger } from '../../common/log';
import type { RandomSource } from '../../common/random';
import type { Phase1Authenticator } from '../auth/authenticator';
import type { VerifiedPeer } from '../auth/peerCertificate';
import { DOI_IPSEC, ExchangeType, HeaderFlag, NotifyType, ProtocolId } from '../constants';
import { CIPHERS } from '../crypto/cipher';
import { generateDhKeyPair } from '../crypto/dh';
import { HASH_LENGTH } from '../crypto/hash';
import { IvStore } from '../crypto/ivs';
import { derivePhase1Keys, hashI, hashR, phase1InitialIv } from '../crypto/keys';
import type { CipherContext } from '../crypto/protect';
import { encryptMessage } from '../crypto/protect';
import { phase1Error } from '../errors';
import type { RequestSpec, Verdict } from '../exchange';
import { encodeMessage, type HeaderFields, type IsakmpHeader, type OutgoingPayload } from '../message';
import { natDetectionHash, natDetectionMatches } from '../natDetection';
import { encodeIdPayload, type Identification } from '../payloads/identification';
import { encodeSaPayload } from '../payloads/sa';
import type { NattState, Phase1Result, Phase1Sa } from '../phase1';
import { describeProposal, type Phase1Proposal, phase1SaPayload } from '../proposals';
import {
  chooseNattVariant,
  initiatorVendorIds,
  isDraftVariant,
  peerSupportsDpd,
  vendorIdName,
} from '../vendorIds';
import { classifyMm2, classifyMm4, classifyMm6, type Mm6 } from './mainModeReplies';

export interface MainModeContext {
  /** Our cookie (RFC 2408 §2.5.3), chosen by the IKE SA so it can filter traffic before MM1 is sent. */
  readonly initiatorCookie: Uint8Array;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  /** PSK or signatures; it also checks MM6's ID against the profile's remote ID, if any. */
  readonly auth: Phase1Authenticator;
  readonly proposals: readonly Phase1Proposal[];
  readonly localId: Identification;
  readonly server: { readonly address: string; readonly port: number };
  /** Our address and IKE source port as the server would see them without NAT; only for reporting NAT. */
  readonly localEndpoint: { readonly address: string; readonly port: number } | undefined;
  readonly initialContact: boolean;
  /** Server MM4 retransmissions after our MM5 that count as proof of a PSK mismatch. */
  readonly authFailureEvidence: number;
  readonly nonceLength: number;
  request<T>(spec: RequestSpec<T>): Promise<T>;
  rememberReply(incoming: Uint8Array, reply: Uint8Array | null, onRepeat?: () => void): void;
  float(): void;
  retransmissions(): number;
}

export interface MainModeOutcome {
  readonly sa: Phase1Sa;
  readonly result: Phase1Result;
  /** The server's certificate path when it authenticated with a signature. */
  readonly peer: VerifiedPeer | null;
}

/** Wraps a classifier to remember why the last reply carrying our cookie was unusable. */
function tracked<T>(
  classify: (msg: Uint8Array, h: IsakmpHeader) => Verdict<T>,
  seen: { unusable: string | null },
): (msg: Uint8Array, h: IsakmpHeader) => Verdict<T> {
  return (msg, h) => {
    const v = classify(msg, h);
    if ('ignore' in v && v.ignore === 'garbage') seen.unusable = v.detail ?? 'undecodable';
    return v;
  };
}

/** A timeout, or malformed-reply when the server did answer but nothing it sent was usable. */
function noUsableReply(label: string, seen: { unusable: string | null }) {
  return seen.unusable === null
    ? phase1Error('timeout', `no response from server to ${label}`)
    : phase1Error('malformed-reply', `the server's replies to ${label} could not be used (${seen.unusable})`);
}

export async function runMainMode(ctx: MainModeContext): Promise<MainModeOutcome> {
  const { clock, logger } = ctx;
  const t0 = clock.now();
  const ckyI = ctx.initiatorCookie;
  const seen: { unusable: string | null } = { unusable: null };
  const zeroCookie = new Uint8Array(8);
  const header = (ckyR: Uint8Array, flags = 0): HeaderFields => ({
    initiatorCookie: ckyI,
    responderCookie: ckyR,
    exchangeType: ExchangeType.IDENTITY_PROTECTION,
    flags,
    messageId: 0,
  });

  // MM1: SA with every proposal as one transform, and our vendor IDs (RFC 2409 §5, RFC 3947 §3.1).
  const { auth } = ctx;
  const sa = phase1SaPayload(ctx.proposals, auth.method);
  const saiB = encodeSaPayload(sa);
  const mm1 = encodeMessage(header(zeroCookie), [
    sa,
    ...initiatorVendorIds().map((data): OutgoingPayload => ({ kind: 'vid', data })),
  ]);
  logger.info('main mode: sending MM1', {
    cookie: ckyI,
    proposals: ctx.proposals.map(describeProposal),
    auth: auth.description,
    server: `${ctx.server.address}:${ctx.server.port}`,
  });
  const mm2 = await ctx.request({
    label: 'MM1',
    message: mm1,
    classify: tracked((msg, h) => classifyMm2(msg, h, ckyI, ctx.proposals, auth.method), seen),
    timeoutError: () => noUsableReply('MM1', seen),
  });
  const t2 = clock.now();
  const chosen = mm2.chosen;
  const hash = chosen.proposal.hash;
  const cipherAlg = chosen.proposal.encryption;
  const variant = chooseNattVariant(mm2.vendorIds);
  logger.info('main mode: MM2 accepted', {
    cookie: mm2.responderCookie,
    chosen: describeProposal(chosen.proposal),
    lifetimeSeconds: chosen.lifetimeSeconds,
    vendorIds: mm2.vendorIds.map(vendorIdName),
  });
  if (!variant) throw phase1Error('nat-t-unsupported', 'server announced no NAT-T vendor ID in MM2');
  const ckyR = mm2.responderCookie;
  const draft = isDraftVariant(variant);

  // MM3: KE for the group the responder chose, our nonce, NAT-D for the server and a faked one for us
  // (RFC 3947 §3.2; the fake forces UDP encapsulation like strongSwan's forceencaps).
  const tDh = clock.now();
  const dh = generateDhKeyPair(chosen.proposal.group, ctx.random);
  const dhGenerateMs = clock.now() - tDh;
  const ni = ctx.random(ctx.nonceLength);
  const mm3 = encodeMessage(header(ckyR), [
    { kind: 'ke', data: dh.publicValue },
    { kind: 'nonce', data: ni },
    ...auth.certificateRequests(),
    { kind: 'nat-d', draft, hash: natDetectionHash(hash, ckyI, ckyR, ctx.server.address, ctx.server.port) },
    { kind: 'nat-d', draft, hash: ctx.random(HASH_LENGTH[hash]) },
  ]);
  ctx.rememberReply(mm2.bytes, mm3);
  let mm3FirstSend = 0;
  let mm3LastSend = 0;
  const t3 = clock.now();
  const mm4 = await ctx.request({
    label: 'MM3',
    message: mm3,
    classify: tracked((msg, h) => classifyMm4(msg, h, ckyI, ckyR), seen),
    onTransmit: (n) => {
      mm3LastSend = clock.now();
      if (n === 1) mm3FirstSend = mm3LastSend;
    },
    timeoutError: () => noUsableReply('MM3', seen),
  });
  const t4 = clock.now();

  const tKeys = clock.now();
  const gxy = dh.computeShared(mm4.ke);
  if (!gxy)
    throw phase1Error('malformed-reply', `MM4 key exchange value is invalid for ${chosen.proposal.group}`);
  const skeyid = auth.skeyid(hash, ni, mm4.nonce, gxy);
  const authPrf = auth.authHash(hash);
  const keys = derivePhase1Keys(hash, skeyid, gxy, ckyI, ckyR, CIPHERS[cipherAlg].keyLength);
  const blockSize = CIPHERS[cipherAlg].blockSize;
  const initialIv = phase1InitialIv(hash, dh.publicValue, mm4.ke, blockSize);
  const ivs = new IvStore(hash, blockSize, initialIv);
  const cipher: CipherContext = { cipher: cipherAlg, key: keys.encryptionKey };
  const keyDerivationMs = clock.now() - tKeys;

  // RFC 3947 §3.2: the first NAT-D is the server's view of us, the others are the server's own addresses.
  const natds = mm4.natd;
  if (natds.length < 2)
    throw phase1Error('nat-t-unsupported', `server sent ${natds.length} NAT-D payloads in MM4`);
  const localBehindNat = ctx.localEndpoint
    ? !natDetectionMatches(hash, ckyI, ckyR, natds[0]!, [ctx.localEndpoint])
    : null;
  const remoteBehindNat = !natds.slice(1).some((h) => natDetectionMatches(hash, ckyI, ckyR, h, [ctx.server]));
  ctx.float();
  const natt: NattState = {
    variant,
    draftPayloads: draft,
    localBehindNat,
    remoteBehindNat,
    forcedEncapsulation: true,
    floated: true,
  };
  logger.info('main mode: MM4 accepted, floating to 4500', {
    nonceLength: mm4.nonce.length,
    natt: variant,
    localBehindNat,
    remoteBehindNat,
  });

  // MM5 (encrypted): IDii, HASH_I or CERT.. SIG_I [, INITIAL-CONTACT] (RFC 2409 §5/§5.1, RFC 2407 §4.6.3.3).
  const idiiB = encodeIdPayload(ctx.localId);
  const hI = hashI(authPrf, skeyid, { gxi: dh.publicValue, gxr: mm4.ke, ckyI, ckyR, saiB, idiiB });
  const mm5Payloads: OutgoingPayload[] = [{ kind: 'id', ...ctx.localId }, ...auth.proof(hI)];
  if (ctx.initialContact) {
    const spi = new Uint8Array(16);
    spi.set(ckyI);
    spi.set(ckyR, 8);
    mm5Payloads.push({
      kind: 'notify',
      doi: DOI_IPSEC,
      protocol: ProtocolId.ISAKMP,
      spi,
      type: NotifyType.INITIAL_CONTACT,
      data: new Uint8Array(0),
    });
  }
  const mm5 = encryptMessage(cipher, header(ckyR, HeaderFlag.ENCRYPTION), mm5Payloads, ivs.current(0));
  ivs.advance(0, mm5.lastBlock);

  // A PSK mismatch shows as the server retransmitting MM4 after our MM5 (it could not decrypt MM5).
  // Repeats that our late MM3 copies may have triggered are not counted.
  const mm3Rtt = Math.max(0, t4 - mm3FirstSend);
  let evidence = 0;
  let mm5Sends = 0;
  let failMm5: ((e: Error) => void) | null = null;
  const authFailed = (why: string) => phase1Error('auth-failed', `authentication failed (${why})`);
  ctx.rememberReply(mm4.bytes, mm5.bytes, () => {
    if (clock.now() - mm3LastSend <= 2 * mm3Rtt + 250) return;
    evidence++;
    logger.debug('server retransmitted MM4 after our MM5', { evidence });
    if (evidence >= ctx.authFailureEvidence && mm5Sends >= 2)
      failMm5?.(authFailed(`server retransmitted MM4 ${evidence} times: it cannot decrypt our MM5`));
  });
  const t5 = clock.now();
  let mm6: Mm6;
  try {
    mm6 = await ctx.request({
      label: 'MM5',
      message: mm5.bytes,
      classify: tracked(
        (msg, h) =>
          classifyMm6(msg, h, {
            ckyI,
            ckyR,
            cipher,
            ivs,
            hash,
            keys,
            auth,
            phase1IvCandidates: [mm5.lastBlock, initialIv],
            expectedHashR: (idirB) =>
              hashR(authPrf, skeyid, { gxi: dh.publicValue, gxr: mm4.ke, ckyI, ckyR, saiB, idirB }),
          }),
        seen,
      ),
      onTransmit: (n) => {
        mm5Sends = n;
      },
      attach: (fail) => {
        failMm5 = fail;
      },
      timeoutError: () =>
        evidence > 0
          ? authFailed('server never accepted MM5 and kept retransmitting MM4')
          : noUsableReply('MM5', seen),
    });
  } finally {
    failMm5 = null;
  }
  ivs.advance(0, mm6.lastBlock);
  ctx.rememberReply(mm6.bytes, null);
  const t6 = clock.now();
  logger.info('main mode: established', {
    peer: mm6.describedPeer,
    totalMs: Math.round(t6 - t0),
  });
  const stateSa: Phase1Sa = {
    initiatorCookie: ckyI,
    responderCookie: ckyR,
    proposal: chosen.proposal,
    lifetimeSeconds: chosen.lifetimeSeconds,
    hash,
    cipher,
    blockSize,
    keys,
    ivs,
    natt,
    localId: ctx.localId,
    peerId: mm6.peerId,
    peerSupportsDpd: peerSupportsDpd(mm2.vendorIds),
    establishedAt: t6,
  };
  return {
    sa: stateSa,
    peer: mm6.verified,
    result: {
      proposal: chosen.proposal,
      lifetimeSeconds: chosen.lifetimeSeconds,
      natt,
      peerId: mm6.peerId,
      peerVendorIds: mm2.vendorIds.map(vendorIdName),
      peerSupportsDpd: stateSa.peerSupportsDpd,
      timings: {
        mm1ToMm2Ms: t2 - t0,
        dhGenerateMs,
        mm3ToMm4Ms: t4 - t3,
        keyDerivationMs,
        mm5ToMm6Ms: t6 - t5,
        totalMs: t6 - t0,
      },
      retransmissions: ctx.retransmissions(),
    },
  };
}
