/**
 * Main Mode as responder (RFC 2409 §5, §5.1; NAT-T RFC 3947) for one purpose: the server reauthenticates. An
 * IKEv1 server rekeys its ISAKMP SA by starting a new Main Mode towards us (strongSwan moves the ESP SAs to the
 * new IKE SA and deletes the old one), so a client that never answers loses its tunnel at the server's phase-1
 * lifetime. Proposals are accepted only from the profile's list, the server proves itself exactly as it does to
 * the initiator (HASH_I, or certificate chain + SIG_I + identity), and the result is an established Phase1Sa.
 *   <- MM1 HDR, SA, VID..             MM2 HDR, SA, VID.. ->
 *   <- MM3 HDR, KE, Ni, [CR], NAT-D.. MM4 HDR, KE, Nr, [CR], NAT-D.. ->
 *   <- MM5 HDR*, IDii, proof          MM6 HDR*, IDir, proof ->
 */
import { equalBytes, fromHex } from '../../common/bytes';
import type { Clock, TimerHandle } from '../../common/clock';
import type { FerryError } from '../../common/errors';
import type { Logger } from '../../common/log';
import type { RandomSource } from '../../common/random';
import type { Phase1Authenticator } from '../auth/authenticator';
import type { VerifiedPeer } from '../auth/peerCertificate';
import { ExchangeType, HeaderFlag } from '../constants';
import { CIPHERS } from '../crypto/cipher';
import { type DhKeyPair, generateDhKeyPair } from '../crypto/dh';
import { IvStore } from '../crypto/ivs';
import { derivePhase1Keys, hashI, hashR, phase1InitialIv } from '../crypto/keys';
import { type CipherContext, decryptMessage, encryptMessage } from '../crypto/protect';
import {
  decodeHeader,
  decodePlainMessage,
  encodeMessage,
  type IsakmpHeader,
  type OutgoingPayload,
  payloadsOfKind,
} from '../message';
import { natDetectionHash } from '../natDetection';
import type { IkeTransport } from '../nattTransport';
import { encodeIdPayload, type Identification } from '../payloads/identification';
import type { SaPayload } from '../payloads/sa';
import type { NattState, Phase1Sa } from '../phase1';
import { describeProposal, type Phase1Proposal, parsePhase1Transform } from '../proposals';
import {
  chooseNattVariant,
  DPD_VENDOR_ID,
  isDraftVariant,
  NATT_VENDOR_IDS,
  peerSupportsDpd,
} from '../vendorIds';

export interface MainModeResponderOptions {
  readonly transport: IkeTransport;
  readonly auth: Phase1Authenticator;
  /** What we accept: the profile's phase-1 proposals (legacy only if it allows them). */
  readonly proposals: readonly Phase1Proposal[];
  /** Our ID in MM6: the one the original phase 1 used. */
  readonly localId: Identification;
  readonly serverAddress: string;
  /** Our address for NAT-D (as we know it). */
  readonly localAddress: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  /** Cookies of our own IKE SAs: their traffic is not for us. */
  isOwnSa(initiatorCookie: Uint8Array): boolean;
  /** Give up an exchange that stalls this long (default 30 s). */
  readonly timeoutMs?: number;
  onEstablished(
    sa: Phase1Sa,
    replies: readonly (readonly [Uint8Array, Uint8Array | null])[],
    peer: VerifiedPeer | null,
  ): void;
  onFailed?(error: FerryError | string): void;
}

export interface MainModeResponderCounters {
  started: number;
  established: number;
  refused: number;
  failed: number;
  abandoned: number;
}

interface Exchange {
  readonly ckyI: Uint8Array;
  readonly ckyR: Uint8Array;
  readonly saiB: Uint8Array;
  readonly proposal: Phase1Proposal;
  readonly lifetimeSeconds: number;
  readonly peerVids: readonly Uint8Array[];
  readonly variant: NonNullable<ReturnType<typeof chooseNattVariant>>;
  stage: 'mm2' | 'mm4' | 'done';
  lastIn: Uint8Array;
  lastOut: Uint8Array;
  dh?: DhKeyPair;
  gxi?: Uint8Array;
  ni?: Uint8Array;
  nr?: Uint8Array;
  skeyid?: Uint8Array;
  keys?: ReturnType<typeof derivePhase1Keys>;
  ivs?: IvStore;
  cipher?: CipherContext;
  timer: TimerHandle;
}

const ZERO_COOKIE = new Uint8Array(8);
const cookieKey = (c: Uint8Array) => Buffer.from(c).toString('hex');

export class MainModeResponder {
  readonly counters: MainModeResponderCounters = {
    started: 0,
    established: 0,
    refused: 0,
    failed: 0,
    abandoned: 0,
  };
  private readonly exchanges = new Map<string, Exchange>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly o: MainModeResponderOptions) {
    this.unsubscribe = o.transport.onIke((m, via) => this.receive(m, via));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const x of this.exchanges.values()) this.o.clock.clearTimeout(x.timer);
    this.exchanges.clear();
  }

  private receive(message: Uint8Array, via: 'ike' | 'natt'): void {
    if (this.closed) return;
    const h = decodeHeader(message);
    if (!h.ok || h.value.exchangeType !== ExchangeType.IDENTITY_PROTECTION || h.value.messageId !== 0) return;
    const header = h.value;
    const bytes = message.subarray(0, header.length);
    if (this.o.isOwnSa(header.initiatorCookie)) return;
    const x = this.exchanges.get(cookieKey(header.initiatorCookie));
    try {
      if (!x) {
        if (equalBytes(header.responderCookie, ZERO_COOKIE) && !(header.flags & HeaderFlag.ENCRYPTION))
          this.mm1(bytes, header);
        return;
      }
      if (!equalBytes(header.responderCookie, x.ckyR) && !equalBytes(header.responderCookie, ZERO_COOKIE))
        return;
      // RFC 2408 §5: a retransmitted request gets our previous answer again.
      if (equalBytes(bytes, x.lastIn)) {
        this.o.transport.sendIke(x.lastOut);
        return;
      }
      if (x.stage === 'mm2' && !(header.flags & HeaderFlag.ENCRYPTION)) this.mm3(x, bytes, via);
      else if (x.stage === 'mm4' && header.flags & HeaderFlag.ENCRYPTION) this.mm5(x, bytes, header);
    } catch (e) {
      this.o.logger.warn('main mode responder: dropped a message', { error: e });
    }
  }

  private fail(x: Exchange | null, why: FerryError | string): void {
    this.counters.failed++;
    if (x) this.drop(x);
    this.o.logger.warn("main mode responder: the server's reauthentication failed", {
      reason: typeof why === 'string' ? why : why.message,
    });
    this.o.onFailed?.(why);
  }

  private drop(x: Exchange): void {
    this.o.clock.clearTimeout(x.timer);
    this.exchanges.delete(cookieKey(x.ckyI));
  }

  private send(x: Exchange, incoming: Uint8Array, reply: Uint8Array): void {
    x.lastIn = incoming.slice();
    x.lastOut = reply;
    this.o.transport.sendIke(reply);
  }

  /** MM1: pick the first transform of the server's that we would offer ourselves (RFC 2409 §5). */
  private mm1(bytes: Uint8Array, header: IsakmpHeader): void {
    const m = decodePlainMessage(bytes);
    if (!m.ok) return;
    const sa = payloadsOfKind(m.value.payloads, 'sa')[0];
    if (!sa) return;
    const vids = payloadsOfKind(m.value.payloads, 'vid').map((e) => e.payload.data);
    const variant = chooseNattVariant(vids);
    let chosen: {
      raw: SaPayload['proposals'][number]['transforms'][number];
      number: number;
      p: Phase1Proposal;
      life: number;
    } | null = null;
    for (const prop of sa.payload.proposals) {
      for (const raw of prop.transforms) {
        const t = parsePhase1Transform(raw);
        if (typeof t === 'string' || t.authMethod !== this.o.auth.method) continue;
        const p = this.o.proposals.find(
          (x) => x.encryption === t.encryption && x.hash === t.hash && x.group === t.group,
        );
        if (!p) continue;
        chosen = {
          raw,
          number: prop.number,
          p,
          life: Math.min(p.lifetimeSeconds, t.lifetimeSeconds ?? p.lifetimeSeconds),
        };
        break;
      }
      if (chosen) break;
    }
    if (!chosen || !variant) {
      this.counters.refused++;
      this.o.logger.warn("main mode responder: refused the server's phase 1", {
        reason: variant ? 'no acceptable proposal' : 'no NAT-T vendor ID',
      });
      return;
    }
    this.counters.started++;
    const ckyR = this.o.random(8);
    const reply: SaPayload = {
      kind: 'sa',
      doi: sa.payload.doi,
      situation: sa.payload.situation,
      proposals: [{ number: chosen.number, protocol: 1, spi: new Uint8Array(0), transforms: [chosen.raw] }],
    };
    const mm2 = encodeMessage(this.header(header.initiatorCookie, ckyR, 0), [
      reply,
      { kind: 'vid', data: fromHex(NATT_VENDOR_IDS[variant]) },
      { kind: 'vid', data: fromHex(DPD_VENDOR_ID) },
    ]);
    const x: Exchange = {
      ckyI: header.initiatorCookie.slice(),
      ckyR,
      saiB: sa.body.slice(),
      proposal: chosen.p,
      lifetimeSeconds: chosen.life,
      peerVids: vids,
      variant,
      stage: 'mm2',
      lastIn: bytes.slice(),
      lastOut: mm2,
      timer: this.o.clock.setTimeout(() => {
        if (this.exchanges.get(cookieKey(header.initiatorCookie)) !== x) return;
        this.counters.abandoned++;
        this.drop(x);
        this.o.logger.warn('main mode responder: the server stopped in the middle of its reauthentication');
      }, this.o.timeoutMs ?? 30_000),
    };
    this.exchanges.set(cookieKey(x.ckyI), x);
    this.o.logger.info('main mode responder: the server starts a new phase 1 (reauthentication)', {
      cookie: x.ckyI,
      chosen: describeProposal(chosen.p),
      lifetimeSeconds: chosen.life,
    });
    this.send(x, bytes, mm2);
  }

  private header(ckyI: Uint8Array, ckyR: Uint8Array, flags: number) {
    return {
      initiatorCookie: ckyI,
      responderCookie: ckyR,
      exchangeType: ExchangeType.IDENTITY_PROTECTION,
      flags,
      messageId: 0,
    };
  }

  /** MM3 -> MM4: our KE and nonce, CERT_REQ for our CA, NAT-D (RFC 3947 §3.2: the initiator's address first). */
  private mm3(x: Exchange, bytes: Uint8Array, via: 'ike' | 'natt'): void {
    const m = decodePlainMessage(bytes);
    if (!m.ok) return;
    const ke = payloadsOfKind(m.value.payloads, 'ke')[0];
    const ni = payloadsOfKind(m.value.payloads, 'nonce')[0];
    const natd = payloadsOfKind(m.value.payloads, 'nat-d');
    if (!ke || !ni || ni.payload.data.length < 8 || ni.payload.data.length > 256) return;
    const p = x.proposal;
    const dh = generateDhKeyPair(p.group, this.o.random);
    const gxy = dh.computeShared(ke.payload.data);
    if (!gxy) {
      this.fail(x, `the server's KE value is invalid for ${p.group}`);
      return;
    }
    const nr = this.o.random(32);
    const skeyid = this.o.auth.skeyid(p.hash, ni.payload.data, nr, gxy);
    const keys = derivePhase1Keys(p.hash, skeyid, gxy, x.ckyI, x.ckyR, CIPHERS[p.encryption].keyLength);
    const bs = CIPHERS[p.encryption].blockSize;
    Object.assign(x, {
      dh,
      gxi: ke.payload.data.slice(),
      ni: ni.payload.data.slice(),
      nr,
      skeyid,
      keys,
      ivs: new IvStore(p.hash, bs, phase1InitialIv(p.hash, ke.payload.data, dh.publicValue, bs)),
      cipher: { cipher: p.encryption, key: keys.encryptionKey },
      stage: 'mm4',
    });
    const draft = natd[0]?.payload.draft ?? isDraftVariant(x.variant);
    const server = { address: this.o.serverAddress, port: via === 'natt' ? 4500 : 500 };
    const ports = this.o.transport.localPorts;
    const mm4 = encodeMessage(this.header(x.ckyI, x.ckyR, 0), [
      { kind: 'ke', data: dh.publicValue },
      { kind: 'nonce', data: nr },
      ...this.o.auth.certificateRequests(),
      { kind: 'nat-d', draft, hash: natDetectionHash(p.hash, x.ckyI, x.ckyR, server.address, server.port) },
      {
        kind: 'nat-d',
        draft,
        hash: natDetectionHash(
          p.hash,
          x.ckyI,
          x.ckyR,
          this.o.localAddress,
          via === 'natt' ? ports.natt : ports.ike,
        ),
      },
    ]);
    this.send(x, bytes, mm4);
  }

  /** MM5 -> MM6: verify the server's ID and proof over HASH_I, answer with ours over HASH_R (RFC 2409 §5). */
  private mm5(x: Exchange, bytes: Uint8Array, header: IsakmpHeader): void {
    const p = x.proposal;
    const dec = decryptMessage(x.cipher!, bytes, header, x.ivs!.current(0));
    if (!dec.ok) return; // garbage, or a retransmission we cannot tell apart: the server retransmits
    const id = payloadsOfKind(dec.value.payloads, 'id')[0];
    if (!id) {
      this.fail(x, 'MM5 without an ID payload');
      return;
    }
    const authPrf = this.o.auth.authHash(p.hash);
    const common = { gxi: x.gxi!, gxr: x.dh!.publicValue, ckyI: x.ckyI, ckyR: x.ckyR, saiB: x.saiB };
    const expected = hashI(authPrf, x.skeyid!, { ...common, idiiB: id.body });
    const verified = this.o.auth.verify(dec.value.payloads, id.payload.identity, expected);
    if (!verified.ok) {
      this.fail(x, verified.error);
      return;
    }
    x.ivs!.advance(0, dec.value.lastBlock);
    const idirB = encodeIdPayload(this.o.localId);
    const hR = hashR(authPrf, x.skeyid!, { ...common, idirB });
    const payloads: OutgoingPayload[] = [{ kind: 'id', ...this.o.localId }, ...this.o.auth.proof(hR)];
    const mm6 = encryptMessage(
      x.cipher!,
      this.header(x.ckyI, x.ckyR, HeaderFlag.ENCRYPTION),
      payloads,
      x.ivs!.current(0),
    );
    x.ivs!.advance(0, mm6.lastBlock);
    x.stage = 'done';
    this.send(x, bytes, mm6.bytes);
    this.drop(x);
    this.counters.established++;
    const natt: NattState = {
      variant: x.variant,
      draftPayloads: isDraftVariant(x.variant),
      localBehindNat: null,
      remoteBehindNat: false,
      forcedEncapsulation: true,
      floated: true,
    };
    const phase1: Phase1Sa = {
      initiatorCookie: x.ckyI,
      responderCookie: x.ckyR,
      proposal: { ...p, lifetimeSeconds: x.lifetimeSeconds },
      lifetimeSeconds: x.lifetimeSeconds,
      hash: p.hash,
      cipher: x.cipher!,
      blockSize: CIPHERS[p.encryption].blockSize,
      keys: x.keys!,
      ivs: x.ivs!,
      natt,
      localId: this.o.localId,
      peerId: { identity: id.payload.identity, protocol: id.payload.protocol, port: id.payload.port },
      peerSupportsDpd: peerSupportsDpd(x.peerVids),
      establishedAt: this.o.clock.now(),
    };
    this.o.logger.info("main mode responder: the server's reauthentication is established", {
      cookie: x.ckyI,
      proposal: describeProposal(p),
    });
    this.o.onEstablished(phase1, [[bytes.slice(), mm6.bytes]], verified.value);
  }
}
