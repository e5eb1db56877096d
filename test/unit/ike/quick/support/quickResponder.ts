/**
 * A scripted Quick Mode + informational responder for unit tests, layered on the phase-1 ScriptedResponder: it
 * intercepts the client's post-phase-1 datagrams to server:4500 through the FakeNetwork filter and answers with
 * the phase-1 keys the ScriptedResponder derived. Its hashes and KEYMAT come from @noble (oracle.ts); its ESP SAs
 * are built from those keys, so a packet that opens on either side proves both sides derived the same KEYMAT.
 */
import { concatBytes, equalBytes } from '../../../../../core/common/bytes';
import { InboundSa } from '../../../../../core/esp/inbound';
import { OutboundSa } from '../../../../../core/esp/outbound';
import {
  type EspTransform,
  espKeyLengths,
  espTransformFromIke,
  splitKeymat,
} from '../../../../../core/esp/transforms';
import {
  DOI_IPSEC,
  ExchangeType,
  HeaderFlag,
  NotifyType,
  ProtocolId,
} from '../../../../../core/ike/constants';
import { type DhKeyPair, dhGroupById, generateDhKeyPair } from '../../../../../core/ike/crypto/dh';
import { decryptMessage, encryptMessage } from '../../../../../core/ike/crypto/protect';
import {
  type ChainEntry,
  decodeHeader,
  encodePayloadChain,
  type OutgoingPayload,
  payloadsOfKind,
} from '../../../../../core/ike/message';
import { encodeIdPayload, type Identification } from '../../../../../core/ike/payloads/identification';
import type { SaPayload } from '../../../../../core/ike/payloads/sa';
import { parsePhase2Transform, phase2SaPayload } from '../../../../../core/ike/quick/espProposals';
import type { UdpEndpoint } from '../../../../../core/net/udp';
import type { Datagram, FakeNetwork, FilterVerdict } from '../../support/fakeNetwork';
import type { ScriptedResponder } from '../../support/responder';
import { nobleHmac, oracleKeymat, u32 } from './oracle';

type Phase1State = ScriptedResponder['sas'][number];

export interface QuickResponderOptions {
  /** Which transforms/modes it accepts; the first acceptable one in the initiator's order wins. */
  readonly accept?: (t: EspTransform, encapsulationMode: number, groupId: number | undefined) => boolean;
  /** How it refuses when nothing is acceptable. */
  readonly refuseWith?: number;
  /** Lifetime it writes into QM2 (default: echo the initiator's). */
  readonly lifetimeSeconds?: number;
  /** Adds a RESPONDER-LIFETIME notify with this many seconds. */
  readonly responderLifetime?: number;
  /** Corrupt HASH(2). */
  readonly badHash2?: boolean;
  /** Leave the IDs out of QM2, or return different ones. */
  readonly ids?: 'echo' | 'omit' | 'swap';
  /** Re-send QM2 every this many ms until QM3 arrives (SoftEther). */
  readonly retransmitQm2Ms?: number;
  /** Answer a repeated QM1 with the same QM2 (strongSwan); SoftEther ignores it. */
  readonly answerDuplicateQm1?: boolean;
  /** Answer R-U-THERE (default true). */
  readonly answerDpd?: boolean;
  /** Ignore QM1 entirely. */
  readonly silent?: boolean;
  /** Edit QM2's payloads (after HASH) before it is protected. */
  readonly tamper?: (payloads: OutgoingPayload[]) => OutgoingPayload[];
}

export interface ResponderChild {
  readonly transform: EspTransform;
  readonly encapsulationMode: number;
  /** The responder's SPI (our outbound). */
  readonly spiR: number;
  /** The initiator's SPI (our inbound). */
  readonly spiI: number;
  readonly inbound: InboundSa;
  readonly outbound: OutboundSa;
  readonly keymatI: Uint8Array;
  readonly keymatR: Uint8Array;
}

interface Exchange {
  readonly sa?: ScriptedResponder['sas'][number];
  readonly mid: number;
  readonly qm1: Uint8Array;
  readonly ni: Uint8Array;
  readonly nr: Uint8Array;
  qm2: Uint8Array | null;
  timer?: object | number;
  done: boolean;
}

export class QuickResponder {
  readonly events: string[] = [];
  readonly qm1s: { mid: number; payloads: readonly ChainEntry[] }[] = [];
  readonly children: ResponderChild[] = [];
  readonly dpdAcks: number[] = [];
  readonly deletes: { protocol: number; spis: Uint8Array[]; cookies: Uint8Array }[] = [];
  readonly espIn: { nextHeader: number; payload: Uint8Array }[] = [];
  /** Client-side filter for loss/duplication, applied to every datagram (both directions). */
  filter: (d: Datagram) => FilterVerdict = () => 'deliver';
  private readonly exchanges = new Map<number, Exchange>();
  private client: UdpEndpoint | null = null;
  private nextMid = 0x51000000;

  constructor(
    private readonly net: FakeNetwork,
    private readonly clock: {
      setTimeout(fn: () => void, ms: number): object | number;
      clearTimeout(h: object | number): void;
    },
    private readonly phase1: ScriptedResponder,
    private readonly server: string,
    private readonly o: QuickResponderOptions = {},
  ) {
    net.filter = (d) => {
      const v = this.filter(d);
      if (v === 'drop') return 'drop';
      if (d.to.address === server && d.to.port === 4500 && this.handles(d.data)) {
        this.client = d.from;
        const copy = d.data.slice();
        this.clock.setTimeout(() => this.receive(copy), 1);
        if (v === 'duplicate') this.clock.setTimeout(() => this.receive(copy), 2);
        return 'drop';
      }
      return v;
    };
  }

  /** The newest established phase-1 SA (what the server uses for exchanges it starts). */
  private get sa(): Phase1State {
    const sa = this.phase1.sas.filter((x) => x.keys && x.stage === 'done').at(-1);
    if (!sa?.keys) throw new Error('phase 1 is not done');
    return sa;
  }

  /** The phase-1 SA a message belongs to (by its cookies); after a phase-1 rekey several are alive. */
  private saOf(bytes: Uint8Array): Phase1State | undefined {
    const h = decodeHeader(bytes);
    if (!h.ok) return undefined;
    return this.phase1.sas.find(
      (x) =>
        x.keys && equalBytes(x.ckyI, h.value.initiatorCookie) && equalBytes(x.ckyR, h.value.responderCookie),
    );
  }

  /** Post-phase-1 IKE (QUICK_MODE, encrypted INFORMATIONAL) and ESP; phase-1 traffic stays with ScriptedResponder. */
  private handles(d: Uint8Array): boolean {
    if (d.length === 1) return false;
    const marker = d.length >= 4 && d[0] === 0 && d[1] === 0 && d[2] === 0 && d[3] === 0;
    if (!marker) return this.children.length > 0;
    const h = decodeHeader(d.subarray(4));
    return h.ok && h.value.messageId !== 0;
  }

  private send(bytes: Uint8Array, esp = false): void {
    if (!this.client) throw new Error('no client yet');
    const data = esp ? bytes : concatBytes(new Uint8Array(4), bytes);
    this.net.route({ address: this.server, port: 4500 }, this.client, data);
  }

  private header(exchangeType: number, messageId: number, sa: Phase1State = this.sa) {
    return {
      initiatorCookie: sa.ckyI,
      responderCookie: sa.ckyR,
      exchangeType,
      flags: HeaderFlag.ENCRYPTION,
      messageId,
    };
  }

  private receive(d: Uint8Array): void {
    const marker = d[0] === 0 && d[1] === 0 && d[2] === 0 && d[3] === 0;
    if (!marker) {
      this.esp(d);
      return;
    }
    const bytes = d.subarray(4);
    const h = decodeHeader(bytes);
    if (!h.ok) return;
    const sa = this.saOf(bytes);
    if (!sa) {
      this.events.push('unknown-sa');
      return;
    }
    if (h.value.exchangeType === ExchangeType.INFORMATIONAL) this.informational(bytes, sa);
    else if (h.value.exchangeType === ExchangeType.QUICK_MODE) {
      const ours = this.initiated.get(h.value.messageId);
      if (ours) this.qm2FromClient(ours, bytes);
      else this.quickMode(bytes, h.value.messageId, sa);
    }
  }

  private esp(packet: Uint8Array): void {
    for (const c of this.children) {
      const r = c.inbound.open(packet);
      if (r.ok) {
        this.espIn.push({ nextHeader: r.value.nextHeader, payload: r.value.payload.slice() });
        return;
      }
    }
    this.events.push('esp-undecryptable');
  }

  private quickMode(bytes: Uint8Array, mid: number, sa: Phase1State): void {
    const ex = this.exchanges.get(mid);
    if (ex && equalBytes(ex.qm1, bytes)) {
      this.events.push('duplicate-qm1');
      if (this.o.answerDuplicateQm1 && ex.qm2) this.send(ex.qm2);
      return;
    }
    if (ex) {
      this.qm3(ex, bytes);
      return;
    }
    if (this.o.silent) {
      this.events.push('qm1-ignored');
      return;
    }
    const h = decodeHeader(bytes);
    if (!h.ok) return;
    const dec = decryptMessage(sa.cipher!, bytes, h.value, sa.ivs!.current(mid));
    if (!dec.ok) {
      this.events.push('qm1-undecryptable');
      return;
    }
    const [hash, ...rest] = dec.value.payloads;
    const after = concatBytes(...rest.map((e) => e.bytes));
    if (
      hash?.payload.kind !== 'hash' ||
      !equalBytes(hash.payload.data, nobleHmac(sa.t.hash, sa.keys!.skeyidA, u32(mid), after))
    ) {
      this.events.push('qm1-bad-hash');
      return;
    }
    sa.ivs!.advance(mid, dec.value.lastBlock);
    this.qm1s.push({ mid, payloads: rest });
    this.events.push('qm1');
    const saIn = payloadsOfKind(rest, 'sa')[0]!.payload;
    const ni = payloadsOfKind(rest, 'nonce')[0]!.payload.data;
    const ke = payloadsOfKind(rest, 'ke')[0]?.payload.data;
    const ids = payloadsOfKind(rest, 'id');
    const prop = saIn.proposals[0]!;
    const spiI = new DataView(prop.spi.buffer, prop.spi.byteOffset).getUint32(0);
    let chosen: {
      t: EspTransform;
      raw: SaPayload['proposals'][number]['transforms'][number];
      mode: number;
      group?: number;
    } | null = null;
    for (const raw of prop.transforms) {
      const p = parsePhase2Transform(raw);
      if (typeof p === 'string') continue;
      const esp = espTransformFromIke({
        transformId: p.transformId,
        ...(p.keyLength === undefined ? {} : { keyLength: p.keyLength }),
        ...(p.authAlgorithm === undefined ? {} : { authAlgorithm: p.authAlgorithm }),
      });
      if (!esp.ok || p.encapsulationMode === undefined) continue;
      if (this.o.accept && !this.o.accept(esp.value, p.encapsulationMode, p.groupId)) continue;
      chosen = {
        t: esp.value,
        raw,
        mode: p.encapsulationMode,
        ...(p.groupId === undefined ? {} : { group: p.groupId }),
      };
      break;
    }
    if (!chosen) {
      this.events.push('no-proposal-chosen');
      this.sendInformational([
        this.notify(this.o.refuseWith ?? NotifyType.NO_PROPOSAL_CHOSEN, ProtocolId.ESP, prop.spi),
      ]);
      return;
    }
    let dh: DhKeyPair | null = null;
    let gxy: Uint8Array | null = null;
    if (chosen.group !== undefined) {
      dh = generateDhKeyPair(dhGroupById(chosen.group)!, (n) => new Uint8Array(n).fill(7));
      gxy = dh.computeShared(ke!);
    }
    const nr = new Uint8Array(16).fill(0x5a);
    const spiR = 0x7e570000 + this.children.length + 1;
    const raw = this.o.lifetimeSeconds
      ? {
          ...chosen.raw,
          attributes: chosen.raw.attributes.map((a) =>
            a.type === 2 ? { type: 2, format: 'tv' as const, value: this.o.lifetimeSeconds! } : a,
          ),
        }
      : chosen.raw;
    let payloads: OutgoingPayload[] = [
      {
        kind: 'sa',
        doi: DOI_IPSEC,
        situation: 1,
        proposals: [
          { number: 1, protocol: ProtocolId.ESP, spi: u32(spiR), transforms: [{ ...raw, number: 1 }] },
        ],
      },
      { kind: 'nonce', data: nr },
    ];
    if (dh) payloads.push({ kind: 'ke', data: dh.publicValue });
    const idMode = this.o.ids ?? 'echo';
    if (idMode !== 'omit' && ids.length === 2) {
      const [a, b] = idMode === 'swap' ? [ids[1]!, ids[0]!] : [ids[0]!, ids[1]!];
      payloads.push(a.payload, b.payload);
    }
    for (const oa of payloadsOfKind(rest, 'nat-oa')) payloads.push(oa.payload);
    if (this.o.responderLifetime) {
      const data = concatBytes(
        Uint8Array.of(0x80, 1, 0, 1),
        Uint8Array.of(0x80, 2),
        u32(this.o.responderLifetime).subarray(2),
      );
      payloads.push(this.notify(NotifyType.RESPONDER_LIFETIME, ProtocolId.ESP, u32(spiR), data));
    }
    if (this.o.tamper) payloads = this.o.tamper(payloads);
    const afterHash = encodePayloadChain(payloads).bytes;
    const hash2 = nobleHmac(sa.t.hash, sa.keys!.skeyidA, u32(mid), ni, afterHash);
    if (this.o.badHash2) hash2[0]! ^= 1;
    const out = encryptMessage(
      sa.cipher!,
      this.header(ExchangeType.QUICK_MODE, mid, sa),
      [{ kind: 'hash', data: hash2 }, ...payloads],
      sa.ivs!.current(mid),
    );
    sa.ivs!.advance(mid, out.lastBlock);
    const exchange: Exchange = { sa, mid, qm1: bytes.slice(), ni, nr, qm2: out.bytes, done: false };
    this.exchanges.set(mid, exchange);
    this.pending.set(mid, { t: chosen.t, mode: chosen.mode, spiI, spiR, gxy });
    this.send(out.bytes);
    this.armRetransmit(exchange);
  }

  private readonly pending = new Map<
    number,
    { t: EspTransform; mode: number; spiI: number; spiR: number; gxy: Uint8Array | null }
  >();

  private armRetransmit(ex: Exchange): void {
    const every = this.o.retransmitQm2Ms ?? 0;
    if (!every || ex.done) return;
    ex.timer = this.clock.setTimeout(() => {
      if (ex.done || !ex.qm2) return;
      this.events.push('retransmit-qm2');
      this.send(ex.qm2);
      this.armRetransmit(ex);
    }, every);
  }

  private qm3(ex: Exchange, bytes: Uint8Array): void {
    const sa = ex.sa ?? this.sa;
    const h = decodeHeader(bytes);
    if (!h.ok) return;
    if (ex.done) {
      this.events.push('duplicate-qm3');
      return;
    }
    const dec = decryptMessage(sa.cipher!, bytes, h.value, sa.ivs!.current(ex.mid));
    const hash = dec.ok ? dec.value.payloads[0] : undefined;
    const want = nobleHmac(sa.t.hash, sa.keys!.skeyidA, Uint8Array.of(0), u32(ex.mid), ex.ni, ex.nr);
    if (hash?.payload.kind !== 'hash' || !equalBytes(hash.payload.data, want)) {
      this.events.push('qm3-bad-hash');
      return;
    }
    ex.done = true;
    if (ex.timer) this.clock.clearTimeout(ex.timer);
    this.events.push('qm3');
    const p = this.pending.get(ex.mid)!;
    const len = espKeyLengths(p.t).total;
    const keymatI = oracleKeymat(sa.t.hash, sa.keys!.skeyidD, p.spiI, ex.ni, ex.nr, len, p.gxy);
    const keymatR = oracleKeymat(sa.t.hash, sa.keys!.skeyidD, p.spiR, ex.ni, ex.nr, len, p.gxy);
    const kI = splitKeymat(p.t, keymatI);
    const kR = splitKeymat(p.t, keymatR);
    if (!kI.ok || !kR.ok) throw new Error('keymat split');
    this.children.push({
      transform: p.t,
      encapsulationMode: p.mode,
      spiR: p.spiR,
      spiI: p.spiI,
      inbound: new InboundSa({ spi: p.spiR, transform: p.t, keys: kR.value }),
      outbound: new OutboundSa({ spi: p.spiI, transform: p.t, keys: kI.value }),
      keymatI,
      keymatR,
    });
  }

  private informational(bytes: Uint8Array, sa: Phase1State): void {
    const h = decodeHeader(bytes);
    if (!h.ok) return;
    const dec = decryptMessage(sa.cipher!, bytes, h.value, sa.ivs!.peek(h.value.messageId));
    if (!dec.ok) {
      this.events.push('info-undecryptable');
      return;
    }
    const [hash, ...rest] = dec.value.payloads;
    const after = concatBytes(...rest.map((e) => e.bytes));
    if (
      hash?.payload.kind !== 'hash' ||
      !equalBytes(hash.payload.data, nobleHmac(sa.t.hash, sa.keys!.skeyidA, u32(h.value.messageId), after))
    ) {
      this.events.push('info-bad-hash');
      return;
    }
    for (const e of rest) {
      if (e.payload.kind === 'delete') {
        this.deletes.push({
          protocol: e.payload.protocol,
          spis: e.payload.spis.map((s) => s.slice()),
          cookies: concatBytes(sa.ckyI, sa.ckyR),
        });
        this.events.push(`delete-${e.payload.protocol}`);
      } else if (e.payload.kind === 'notify') {
        const n = e.payload;
        const seq = n.data.length === 4 ? new DataView(n.data.buffer, n.data.byteOffset).getUint32(0) : -1;
        if (n.type === NotifyType.R_U_THERE) {
          this.events.push('r-u-there');
          if (this.o.answerDpd ?? true)
            this.sendInformational(
              [this.notify(NotifyType.R_U_THERE_ACK, ProtocolId.ISAKMP, this.cookies(sa), u32(seq))],
              { sa },
            );
        } else if (n.type === NotifyType.R_U_THERE_ACK) {
          this.dpdAcks.push(seq);
          this.events.push('r-u-there-ack');
        } else {
          this.events.push(`notify-${n.type}`);
        }
      }
    }
  }

  cookies(sa: Phase1State = this.sa): Uint8Array {
    return concatBytes(sa.ckyI, sa.ckyR);
  }

  notify(
    type: number,
    protocol: number,
    spi: Uint8Array,
    data: Uint8Array = new Uint8Array(0),
  ): OutgoingPayload {
    return { kind: 'notify', doi: DOI_IPSEC, protocol, spi, type, data };
  }

  /** HDR*, HASH(1), payloads under a fresh message ID (optionally with a wrong HASH). */
  sendInformational(
    payloads: OutgoingPayload[],
    opts: { badHash?: boolean; mid?: number; sa?: Phase1State } = {},
  ): Uint8Array {
    const sa = opts.sa ?? this.sa;
    const mid = opts.mid ?? this.nextMid++;
    const h1 = nobleHmac(sa.t.hash, sa.keys!.skeyidA, u32(mid), encodePayloadChain(payloads).bytes);
    if (opts.badHash) h1[0]! ^= 0x80;
    const out = encryptMessage(
      sa.cipher!,
      this.header(ExchangeType.INFORMATIONAL, mid, sa),
      [{ kind: 'hash', data: h1 }, ...payloads],
      sa.ivs!.peek(mid),
    );
    this.send(out.bytes);
    return out.bytes;
  }

  sendRuThere(seq: number): void {
    this.sendInformational([this.notify(NotifyType.R_U_THERE, ProtocolId.ISAKMP, this.cookies(), u32(seq))]);
  }

  sendDelete(protocol: number, spis: Uint8Array[]): void {
    this.sendInformational([
      { kind: 'delete', doi: DOI_IPSEC, protocol, spiSize: spis[0]?.length ?? 4, spis },
    ]);
  }

  /** Seals `payload` on the newest (or the given) child SA and sends it to the client (server -> client ESP). */
  sendEsp(
    payload: Uint8Array,
    nextHeader = 17,
    child: ResponderChild | undefined = this.children.at(-1),
  ): void {
    const c = child;
    if (!c) throw new Error('no child SA');
    const r = c.outbound.seal(payload, nextHeader);
    if (!r.ok) throw new Error(r.error);
    this.send(r.value.packet, true);
  }

  /** Raw bytes to the client's NAT-T port with the non-ESP marker (fuzzing). */
  sendRawIke(bytes: Uint8Array): void {
    this.send(bytes);
  }

  close(): void {
    for (const ex of this.exchanges.values()) if (ex.timer) this.clock.clearTimeout(ex.timer);
  }

  private readonly initiated = new Map<
    number,
    {
      readonly sa: Phase1State;
      readonly transform: EspTransform;
      readonly mode: number;
      readonly spi: number;
      readonly ni: Uint8Array;
      readonly ids: readonly Uint8Array[];
      done: boolean;
    }
  >();

  /**
   * The server rekeys (as strongSwan does before its lifetime ends): QM1 on the newest phase-1 SA offering the
   * newest child's transform and mode, L2TP selectors from the server's side (IDci = server, IDcr = client).
   */
  initiateRekey(
    opts: { lifetimeSeconds?: number; corruptHash?: boolean; transform?: EspTransform } = {},
  ): number {
    const sa = this.sa;
    const last = this.children.at(-1);
    if (!last || !this.client) throw new Error('no child SA to rekey');
    const transform = opts.transform ?? last.transform;
    const mid = this.nextMid++;
    const spi = 0x5e4e0000 + this.children.length + this.initiated.size + 1;
    const ni = new Uint8Array(24).fill(0x3c);
    const draft = last.encapsulationMode === 61444 || last.encapsulationMode === 61443;
    const sap = phase2SaPayload({
      transforms: [transform],
      mode: last.encapsulationMode === 4 || last.encapsulationMode === 61444 ? 'transport' : 'tunnel',
      draft,
      pfsGroup: null,
      lifetimeSeconds: opts.lifetimeSeconds ?? 3600,
      spi,
    });
    const idci: OutgoingPayload = {
      kind: 'id',
      identity: { type: 'ipv4', address: this.server },
      protocol: 17,
      port: 1701,
    };
    const idcr: OutgoingPayload = {
      kind: 'id',
      identity: { type: 'ipv4', address: this.clientAddress },
      protocol: 17,
      port: 1701,
    };
    const rest: OutgoingPayload[] = [sap, { kind: 'nonce', data: ni }, idci, idcr];
    const h1 = nobleHmac(sa.t.hash, sa.keys!.skeyidA, u32(mid), encodePayloadChain(rest).bytes);
    if (opts.corruptHash) h1[0]! ^= 1;
    const out = encryptMessage(
      sa.cipher!,
      this.header(ExchangeType.QUICK_MODE, mid, sa),
      [{ kind: 'hash', data: h1 }, ...rest],
      sa.ivs!.current(mid),
    );
    sa.ivs!.advance(mid, out.lastBlock);
    this.initiated.set(mid, {
      sa,
      transform,
      mode: last.encapsulationMode,
      spi,
      ni,
      ids: [encodeIdPayload(idci as Identification), encodeIdPayload(idcr as Identification)],
      done: false,
    });
    this.events.push('server-qm1');
    this.send(out.bytes);
    return mid;
  }

  /** The client's QM2 to our QM1: verify HASH(2), answer QM3, derive the child (we are the initiator here). */
  private qm2FromClient(
    x: NonNullable<ReturnType<QuickResponder['initiated']['get']>>,
    bytes: Uint8Array,
  ): void {
    const h = decodeHeader(bytes);
    if (!h.ok || x.done) return;
    const mid = h.value.messageId;
    const dec = decryptMessage(x.sa.cipher!, bytes, h.value, x.sa.ivs!.current(mid));
    if (!dec.ok) {
      this.events.push('client-qm2-undecryptable');
      return;
    }
    const [hash, ...rest] = dec.value.payloads;
    const after = concatBytes(...rest.map((e) => e.bytes));
    if (
      hash?.payload.kind !== 'hash' ||
      !equalBytes(hash.payload.data, nobleHmac(x.sa.t.hash, x.sa.keys!.skeyidA, u32(mid), x.ni, after))
    ) {
      this.events.push('client-qm2-bad-hash');
      return;
    }
    const notify = payloadsOfKind(rest, 'notify')[0];
    if (notify) {
      this.events.push(`client-qm2-notify-${notify.payload.type}`);
      return;
    }
    x.sa.ivs!.advance(mid, dec.value.lastBlock);
    x.done = true;
    const nr = payloadsOfKind(rest, 'nonce')[0]!.payload.data;
    const prop = payloadsOfKind(rest, 'sa')[0]!.payload.proposals[0]!;
    const clientSpi = new DataView(prop.spi.buffer, prop.spi.byteOffset).getUint32(0);
    const ids = payloadsOfKind(rest, 'id').map((e) => e.body);
    if (ids.length === 2 && !(equalBytes(ids[0]!, x.ids[0]!) && equalBytes(ids[1]!, x.ids[1]!)))
      this.events.push('client-qm2-ids-differ');
    const h3 = nobleHmac(x.sa.t.hash, x.sa.keys!.skeyidA, Uint8Array.of(0), u32(mid), x.ni, nr);
    const qm3 = encryptMessage(
      x.sa.cipher!,
      this.header(ExchangeType.QUICK_MODE, mid, x.sa),
      [{ kind: 'hash', data: h3 }],
      x.sa.ivs!.current(mid),
    );
    this.send(qm3.bytes);
    this.events.push('server-qm3');
    const len = espKeyLengths(x.transform).total;
    // KEYMAT with the server as the Quick Mode initiator: Ni is ours (the server's), Nr the client's.
    const keymatServerIn = oracleKeymat(x.sa.t.hash, x.sa.keys!.skeyidD, x.spi, x.ni, nr, len, null);
    const keymatServerOut = oracleKeymat(x.sa.t.hash, x.sa.keys!.skeyidD, clientSpi, x.ni, nr, len, null);
    const kIn = splitKeymat(x.transform, keymatServerIn);
    const kOut = splitKeymat(x.transform, keymatServerOut);
    if (!kIn.ok || !kOut.ok) throw new Error('keymat split');
    this.children.push({
      transform: x.transform,
      encapsulationMode: x.mode,
      spiR: x.spi,
      spiI: clientSpi,
      inbound: new InboundSa({ spi: x.spi, transform: x.transform, keys: kIn.value }),
      outbound: new OutboundSa({ spi: clientSpi, transform: x.transform, keys: kOut.value }),
      keymatI: keymatServerOut,
      keymatR: keymatServerIn,
    });
  }

  /** The client's address as the server learned it (from its first datagram). */
  private get clientAddress(): string {
    if (!this.client) throw new Error('no client yet');
    return this.client.address;
  }
}
