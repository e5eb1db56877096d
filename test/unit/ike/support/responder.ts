/**
 * A minimal scripted IKEv1 Main Mode responder (PSK, NAT-T) built from our codecs, for unit tests.
 * It mimics the server behaviours seen in the lab: SoftEther (silent on a bad MM5, retransmits every 2 s, ID 0.0.0.0)
 * and strongSwan (answers duplicates with its last message, error notifies after a bad MM5).
 */
import type { KeyObject } from 'node:crypto';
import { concatBytes, equalBytes, fromHex } from '../../../../core/common/bytes';
import {
  CertEncoding,
  DOI_IPSEC,
  ExchangeType,
  HeaderFlag,
  NotifyType,
  ProtocolId,
} from '../../../../core/ike/constants';
import { CIPHERS } from '../../../../core/ike/crypto/cipher';
import { type DhKeyPair, generateDhKeyPair } from '../../../../core/ike/crypto/dh';
import { IvStore } from '../../../../core/ike/crypto/ivs';
import {
  derivePhase1Keys,
  hashI,
  hashR,
  informationalHash,
  type Phase1KeyMaterial,
  phase1InitialIv,
  skeyidPsk,
} from '../../../../core/ike/crypto/keys';
import { type CipherContext, decryptMessage, encryptMessage } from '../../../../core/ike/crypto/protect';
import {
  authPrfHash,
  isSignatureMethod,
  signAuthHash,
  skeyidSignature,
  verifyAuthHash,
} from '../../../../core/ike/crypto/signature';
import {
  decodeHeader,
  decodePlainMessage,
  encodeMessage,
  encodePayloadChain,
  type OutgoingPayload,
  payloadsOfKind,
} from '../../../../core/ike/message';
import { natDetectionHash } from '../../../../core/ike/natDetection';
import { encodeIdPayload, type Identification } from '../../../../core/ike/payloads/identification';
import type { SaPayload } from '../../../../core/ike/payloads/sa';
import { type ParsedPhase1Transform, parsePhase1Transform } from '../../../../core/ike/proposals';
import { NATT_VENDOR_IDS, type NattVariant } from '../../../../core/ike/vendorIds';
import type { DatagramSocket, UdpEndpoint } from '../../../../core/net/udp';
import { Certificate } from '../../../../core/pki/certificate';
import type { FakeClock } from '../../../support/deterministic';
import type { FakeNetwork } from './fakeNetwork';

export type BadMm5Behaviour = 'silent' | 'notify-plain' | 'notify-encrypted' | 'answer-anyway';

export interface ResponderOptions {
  readonly psk: Uint8Array;
  readonly address?: string;
  /** Which transforms it accepts; the first acceptable one in the initiator's order wins. */
  readonly accept?: (t: ParsedPhase1Transform) => boolean;
  readonly nattVendorIds?: readonly NattVariant[];
  readonly dpd?: boolean;
  readonly idr?: Identification;
  readonly badMm5?: BadMm5Behaviour;
  readonly badMm5Notify?: number;
  /** Retransmit the last message every this many ms until the next request arrives (0 = never). */
  readonly retransmitMs?: number;
  readonly maxRetransmits?: number;
  /** Resend the last reply when a request arrives twice (strongSwan); SoftEther ignores duplicates. */
  readonly answerDuplicates?: boolean;
  /** Replace a transform in MM2 with something we never offered. */
  readonly tamperMm2?: (sa: SaPayload) => SaPayload;
  /** Send no NAT-D payloads in MM4. */
  readonly omitNatD?: boolean;
  readonly nonceLength?: number;
  /** After a good MM5, refuse our ID with an encrypted INVALID_ID_INFORMATION; the IV chain before or after MM5. */
  readonly rejectId?: 'iv-before-mm5' | 'iv-after-mm5';
  /** SoftEther sends NO_PROPOSAL_CHOSEN under a fresh random cookie with CKY-I | CKY-R as the notify SPI. */
  readonly softetherNoProposal?: boolean;
  /** Swallow every message of these kinds (tests timeouts). */
  readonly ignore?: ReadonlySet<'mm1' | 'mm3' | 'mm5'>;
  /**
   * Signature authentication (RFC 2409 §5.1) like strongSwan with authby=pubkey: SKEYID from the nonces, our
   * certificate chain (leaf first) and SIG_R in MM6; the initiator's SIG_I is verified with its CERT.
   */
  readonly signature?: {
    readonly privateKey: KeyObject;
    readonly chain: readonly Uint8Array[];
    /** Corrupt SIG_R, or leave our certificates out of MM6. */
    readonly tamper?: 'bad-signature' | 'no-certificate';
  };
  /** Certificate requests seen in MM3 (their authority bytes). */
  readonly onCertificateRequests?: (authorities: Uint8Array[]) => void;
}

interface SaState {
  ckyI: Uint8Array;
  ckyR: Uint8Array;
  saiB: Uint8Array;
  t: ParsedPhase1Transform;
  stage: 'mm2' | 'mm4' | 'done';
  dh?: DhKeyPair;
  gxi?: Uint8Array;
  keys?: Phase1KeyMaterial;
  skeyid?: Uint8Array;
  ivs?: IvStore;
  cipher?: CipherContext;
  lastRequest?: Uint8Array;
  lastReply?: { bytes: Uint8Array; natt: boolean; to: UdpEndpoint };
  retransmitTimer?: object | number;
  retransmits: number;
}

let seed = 1;
/** Deterministic bytes for the responder's own randomness. */
function detRandom(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    b[i] = seed >>> 24;
  }
  return b;
}

export class ScriptedResponder {
  readonly address: string;
  readonly events: string[] = [];
  /** Initiator IDs and whether HASH_I verified, per MM5. */
  readonly mm5Results: { ok: boolean; initialContact: boolean; certificates?: number }[] = [];
  readonly sas: SaState[] = [];
  private readonly s500: DatagramSocket;
  private readonly s4500: DatagramSocket;

  constructor(
    net: FakeNetwork,
    private readonly clock: FakeClock,
    private readonly o: ResponderOptions,
  ) {
    this.address = o.address ?? '10.0.0.1';
    this.s500 = net.bind(this.address, 500);
    this.s4500 = net.bind(this.address, 4500);
    this.s500.onMessage((d, from) => this.receive(d, from, false));
    this.s4500.onMessage((d, from) => {
      if (d.length === 1 && d[0] === 0xff) {
        this.events.push('keepalive');
        return;
      }
      if (d.length >= 4 && d[0] === 0 && d[1] === 0 && d[2] === 0 && d[3] === 0)
        this.receive(d.subarray(4), from, true);
      else this.events.push('esp');
    });
  }

  close(): void {
    for (const sa of this.sas) if (sa.retransmitTimer) this.clock.clearTimeout(sa.retransmitTimer);
    this.s500.close();
    this.s4500.close();
  }

  private send(sa: SaState | null, bytes: Uint8Array, to: UdpEndpoint, natt: boolean): void {
    const sock = natt ? this.s4500 : this.s500;
    sock.send(natt ? concatBytes(new Uint8Array(4), bytes) : bytes, to);
    if (sa) {
      sa.lastReply = { bytes, natt, to };
      sa.retransmits = 0;
      this.armRetransmit(sa);
    }
  }

  private armRetransmit(sa: SaState): void {
    if (sa.retransmitTimer) this.clock.clearTimeout(sa.retransmitTimer);
    sa.retransmitTimer = undefined;
    const every = this.o.retransmitMs ?? 0;
    if (!every || sa.stage === 'done') return;
    sa.retransmitTimer = this.clock.setTimeout(() => {
      const r = sa.lastReply;
      if (!r || sa.retransmits >= (this.o.maxRetransmits ?? 5)) return;
      sa.retransmits++;
      this.events.push(`retransmit-${sa.stage}`);
      (r.natt ? this.s4500 : this.s500).send(
        r.natt ? concatBytes(new Uint8Array(4), r.bytes) : r.bytes,
        r.to,
      );
      this.armRetransmit(sa);
    }, every);
  }

  private receive(d: Uint8Array, from: UdpEndpoint, natt: boolean): void {
    const h = decodeHeader(d);
    if (!h.ok) return;
    const header = h.value;
    const zero = header.responderCookie.every((x) => x === 0);
    const sa = this.sas.find((s) => equalBytes(s.ckyI, header.initiatorCookie));
    if (sa?.lastRequest && equalBytes(sa.lastRequest, d)) {
      this.events.push(`duplicate-${sa.stage}`);
      if (this.o.answerDuplicates && sa.lastReply)
        (sa.lastReply.natt ? this.s4500 : this.s500).send(
          sa.lastReply.natt ? concatBytes(new Uint8Array(4), sa.lastReply.bytes) : sa.lastReply.bytes,
          sa.lastReply.to,
        );
      return;
    }
    if (zero && !sa) {
      this.mm1(d, from, natt);
      return;
    }
    if (!sa || !equalBytes(sa.ckyR, header.responderCookie)) return;
    if (sa.stage === 'mm2' && !(header.flags & HeaderFlag.ENCRYPTION)) this.mm3(sa, d, from, natt);
    else if (sa.stage === 'mm4' && header.flags & HeaderFlag.ENCRYPTION) this.mm5(sa, d, from, natt);
  }

  private mm1(d: Uint8Array, from: UdpEndpoint, natt = false): void {
    if (this.o.ignore?.has('mm1')) return;
    const m = decodePlainMessage(d);
    if (!m.ok) return;
    const saEntry = payloadsOfKind(m.value.payloads, 'sa')[0];
    if (!saEntry) return;
    this.events.push('mm1');
    const prop = saEntry.payload.proposals[0]!;
    const accept = this.o.accept ?? (() => true);
    const chosen = prop.transforms.find((t) => {
      const p = parsePhase1Transform(t);
      return typeof p !== 'string' && accept(p);
    });
    const ckyI = m.value.header.initiatorCookie;
    if (!chosen) {
      this.events.push('no-proposal-chosen');
      const se = this.o.softetherNoProposal ?? false;
      const n = encodeMessage(
        {
          initiatorCookie: se ? detRandom(8) : ckyI,
          responderCookie: new Uint8Array(8),
          exchangeType: ExchangeType.INFORMATIONAL,
          flags: 0,
          messageId: se ? 0x4771c1a0 : 0,
        },
        [
          {
            kind: 'notify',
            doi: DOI_IPSEC,
            protocol: ProtocolId.ISAKMP,
            spi: se ? concatBytes(ckyI, new Uint8Array(8)) : new Uint8Array(0),
            type: NotifyType.NO_PROPOSAL_CHOSEN,
            data: new Uint8Array(0),
          },
        ],
      );
      this.send(null, n, from, natt);
      return;
    }
    const sa: SaState = {
      ckyI,
      ckyR: detRandom(8),
      saiB: saEntry.body.slice(),
      t: parsePhase1Transform(chosen) as ParsedPhase1Transform,
      stage: 'mm2',
      lastRequest: d.slice(),
      retransmits: 0,
    };
    this.sas.push(sa);
    let reply: SaPayload = {
      kind: 'sa',
      doi: DOI_IPSEC,
      situation: 1,
      proposals: [{ ...prop, transforms: [chosen] }],
    };
    if (this.o.tamperMm2) reply = this.o.tamperMm2(reply);
    const vids: OutgoingPayload[] = (this.o.nattVendorIds ?? ['rfc3947']).map((v) => ({
      kind: 'vid',
      data: fromHex(NATT_VENDOR_IDS[v]),
    }));
    if (this.o.dpd ?? true) vids.push({ kind: 'vid', data: fromHex('afcad71368a1f1c96b8696fc77570100') });
    this.send(sa, encodeMessage(this.header(sa, 0), [reply, ...vids]), from, natt);
  }

  private header(
    sa: SaState,
    flags: number,
    exchangeType: number = ExchangeType.IDENTITY_PROTECTION,
    messageId = 0,
  ) {
    return { initiatorCookie: sa.ckyI, responderCookie: sa.ckyR, exchangeType, flags, messageId };
  }

  private mm3(sa: SaState, d: Uint8Array, from: UdpEndpoint, natt = false): void {
    if (this.o.ignore?.has('mm3')) return;
    const m = decodePlainMessage(d);
    if (!m.ok) return;
    const ke = payloadsOfKind(m.value.payloads, 'ke')[0];
    const ni = payloadsOfKind(m.value.payloads, 'nonce')[0];
    const natd = payloadsOfKind(m.value.payloads, 'nat-d');
    if (!ke || !ni) return;
    this.events.push(`mm3 natd=${natd.length} draft=${natd[0]?.payload.draft ?? '-'}`);
    const dh = generateDhKeyPair(sa.t.group, detRandom);
    const gxy = dh.computeShared(ke.payload.data);
    if (!gxy) return;
    const nr = detRandom(this.o.nonceLength ?? 16);
    const hashAlg = sa.t.hash;
    sa.dh = dh;
    sa.gxi = ke.payload.data;
    this.o.onCertificateRequests?.(payloadsOfKind(m.value.payloads, 'cr').map((e) => e.payload.authority));
    sa.skeyid = this.o.signature
      ? skeyidSignature(hashAlg, ni.payload.data, nr, gxy)
      : skeyidPsk(hashAlg, this.o.psk, ni.payload.data, nr);
    sa.keys = derivePhase1Keys(hashAlg, sa.skeyid, gxy, sa.ckyI, sa.ckyR, CIPHERS[sa.t.encryption].keyLength);
    const bs = CIPHERS[sa.t.encryption].blockSize;
    sa.ivs = new IvStore(hashAlg, bs, phase1InitialIv(hashAlg, sa.gxi, dh.publicValue, bs));
    sa.cipher = { cipher: sa.t.encryption, key: sa.keys.encryptionKey };
    sa.stage = 'mm4';
    sa.lastRequest = d.slice();
    const draft = natd[0]?.payload.draft ?? false;
    const payloads: OutgoingPayload[] = [
      { kind: 'ke', data: dh.publicValue },
      { kind: 'nonce', data: nr },
    ];
    if (!this.o.omitNatD)
      payloads.push(
        { kind: 'nat-d', draft, hash: natDetectionHash(hashAlg, sa.ckyI, sa.ckyR, from.address, from.port) },
        { kind: 'nat-d', draft, hash: natDetectionHash(hashAlg, sa.ckyI, sa.ckyR, '0.0.0.0', 500) },
      );
    this.send(sa, encodeMessage(this.header(sa, 0), payloads), from, natt);
  }

  private mm5(sa: SaState, d: Uint8Array, from: UdpEndpoint, natt: boolean): void {
    if (this.o.ignore?.has('mm5')) return;
    const h = decodeHeader(d);
    if (!h.ok) return;
    const iv = sa.ivs!.current(0);
    const dec = decryptMessage(sa.cipher!, d, h.value, iv);
    let ok = false;
    let initialContact = false;
    let certificates: number | undefined;
    const prfHash = authPrfHash(sa.t.authMethod, sa.t.hash);
    if (dec.ok) {
      const id = payloadsOfKind(dec.value.payloads, 'id')[0];
      const hash = payloadsOfKind(dec.value.payloads, 'hash')[0];
      const sig = payloadsOfKind(dec.value.payloads, 'sig')[0];
      const certs = payloadsOfKind(dec.value.payloads, 'cert');
      initialContact = payloadsOfKind(dec.value.payloads, 'notify').some(
        (n) => n.payload.type === NotifyType.INITIAL_CONTACT,
      );
      if (this.o.signature && id && sig && isSignatureMethod(sa.t.authMethod)) {
        certificates = certs.length;
        const leaf = certs[0] ? Certificate.fromDer(certs[0].payload.data) : null;
        const expect = hashI(prfHash, sa.skeyid!, {
          gxi: sa.gxi!,
          gxr: sa.dh!.publicValue,
          ckyI: sa.ckyI,
          ckyR: sa.ckyR,
          saiB: sa.saiB,
          idiiB: id.body,
        });
        ok = !!leaf?.ok && verifyAuthHash(sa.t.authMethod, leaf.value.publicKey, expect, sig.payload.data);
      } else if (id && hash) {
        const expect = hashI(sa.t.hash, sa.skeyid!, {
          gxi: sa.gxi!,
          gxr: sa.dh!.publicValue,
          ckyI: sa.ckyI,
          ckyR: sa.ckyR,
          saiB: sa.saiB,
          idiiB: id.body,
        });
        ok = equalBytes(expect, hash.payload.data);
      }
    }
    this.mm5Results.push({ ok, initialContact, ...(certificates === undefined ? {} : { certificates }) });
    this.events.push(`mm5 ok=${ok} natt=${natt}`);
    const behaviour = this.o.badMm5 ?? 'silent';
    if (!ok && behaviour !== 'answer-anyway') {
      const type = this.o.badMm5Notify ?? NotifyType.INVALID_PAYLOAD_TYPE;
      if (behaviour === 'notify-plain') {
        const n = encodeMessage(this.header(sa, 0, ExchangeType.INFORMATIONAL, 0x1234), [this.notify(type)]);
        this.send(null, n, from, natt);
      } else if (behaviour === 'notify-encrypted') {
        this.send(null, this.encryptedInformational(sa, 0x5678, [this.notify(type)]), from, natt);
      }
      return;
    }
    if (this.o.rejectId) {
      if (this.o.rejectId === 'iv-after-mm5')
        sa.ivs!.advance(0, d.subarray(d.length - CIPHERS[sa.t.encryption].blockSize));
      const n = this.encryptedInformational(sa, 0x2468ace0, [this.notify(NotifyType.INVALID_ID_INFORMATION)]);
      this.send(null, n, from, natt);
      return;
    }
    sa.ivs!.advance(0, d.subarray(d.length - CIPHERS[sa.t.encryption].blockSize));
    const leaf = this.o.signature?.chain[0] ? Certificate.fromDer(this.o.signature.chain[0]) : null;
    // strongSwan's default leftid with a certificate is its subject DN; SoftEther answers 0.0.0.0.
    const idr: Identification = this.o.idr ?? {
      identity: leaf?.ok
        ? { type: 'der-asn1-dn', der: leaf.value.subjectDer }
        : { type: 'ipv4', address: '0.0.0.0' },
      protocol: 0,
      port: 0,
    };
    const hR = hashR(prfHash, sa.skeyid!, {
      gxi: sa.gxi!,
      gxr: sa.dh!.publicValue,
      ckyI: sa.ckyI,
      ckyR: sa.ckyR,
      saiB: sa.saiB,
      idirB: encodeIdPayload(idr),
    });
    const sig = this.o.signature;
    const proof: OutgoingPayload[] = [];
    if (sig && isSignatureMethod(sa.t.authMethod)) {
      if (sig.tamper !== 'no-certificate')
        for (const der of sig.chain)
          proof.push({ kind: 'cert', encoding: CertEncoding.X509_SIGNATURE, data: der });
      const signature = signAuthHash(sa.t.authMethod, sig.privateKey, hR);
      if (sig.tamper === 'bad-signature') signature[signature.length - 1]! ^= 1;
      proof.push({ kind: 'sig', data: signature });
    } else {
      proof.push({ kind: 'hash', data: hR });
    }
    const out = encryptMessage(
      sa.cipher!,
      this.header(sa, HeaderFlag.ENCRYPTION),
      [{ kind: 'id', ...idr }, ...proof],
      sa.ivs!.current(0),
    );
    sa.ivs!.advance(0, out.lastBlock);
    sa.stage = 'done';
    sa.lastRequest = d.slice();
    this.send(sa, out.bytes, from, natt);
  }

  notify(type: number): OutgoingPayload {
    return {
      kind: 'notify',
      doi: DOI_IPSEC,
      protocol: ProtocolId.ISAKMP,
      spi: new Uint8Array(0),
      type,
      data: new Uint8Array(0),
    };
  }

  /** An encrypted INFORMATIONAL with HASH(1) under this responder's keys (RFC 2409 §5.7). */
  encryptedInformational(sa: SaState, mid: number, payloads: OutgoingPayload[]): Uint8Array {
    const rest = encodePayloadChain(payloads).bytes;
    const h1 = informationalHash(sa.t.hash, sa.keys!.skeyidA, mid, rest);
    const out = encryptMessage(
      sa.cipher!,
      this.header(sa, HeaderFlag.ENCRYPTION, ExchangeType.INFORMATIONAL, mid),
      [{ kind: 'hash', data: h1 }, ...payloads],
      sa.ivs!.current(mid),
    );
    sa.ivs!.advance(mid, out.lastBlock);
    return out.bytes;
  }

  /** Decrypts an encrypted message the initiator sent after phase 1 (checks IV derivation end to end). */
  decryptFromInitiator(sa: SaState, bytes: Uint8Array) {
    const h = decodeHeader(bytes);
    if (!h.ok) throw new Error(h.error.message);
    return decryptMessage(sa.cipher!, bytes, h.value, sa.ivs!.current(h.value.messageId));
  }
}
