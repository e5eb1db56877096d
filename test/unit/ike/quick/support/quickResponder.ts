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
import type { SaPayload } from '../../../../../core/ike/payloads/sa';
import { parsePhase2Transform } from '../../../../../core/ike/quick/espProposals';
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
  readonly deletes: { protocol: number; spis: Uint8Array[] }[] = [];
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

  private get sa(): Phase1State {
    const sa = this.phase1.sas.at(-1);
    if (!sa?.keys) throw new Error('phase 1 is not done');
    return sa;
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

  private header(exchangeType: number, messageId: number) {
    const sa = this.sa;
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
    if (h.value.exchangeType === ExchangeType.INFORMATIONAL) this.informational(bytes);
    else if (h.value.exchangeType === ExchangeType.QUICK_MODE) this.quickMode(bytes, h.value.messageId);
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

  private quickMode(bytes: Uint8Array, mid: number): void {
    const sa = this.sa;
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
      this.header(ExchangeType.QUICK_MODE, mid),
      [{ kind: 'hash', data: hash2 }, ...payloads],
      sa.ivs!.current(mid),
    );
    sa.ivs!.advance(mid, out.lastBlock);
    const exchange: Exchange = { mid, qm1: bytes.slice(), ni, nr, qm2: out.bytes, done: false };
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
    const sa = this.sa;
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

  private informational(bytes: Uint8Array): void {
    const sa = this.sa;
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
        this.deletes.push({ protocol: e.payload.protocol, spis: e.payload.spis.map((s) => s.slice()) });
        this.events.push(`delete-${e.payload.protocol}`);
      } else if (e.payload.kind === 'notify') {
        const n = e.payload;
        const seq = n.data.length === 4 ? new DataView(n.data.buffer, n.data.byteOffset).getUint32(0) : -1;
        if (n.type === NotifyType.R_U_THERE) {
          this.events.push('r-u-there');
          if (this.o.answerDpd ?? true)
            this.sendInformational([
              this.notify(NotifyType.R_U_THERE_ACK, ProtocolId.ISAKMP, this.cookies(), u32(seq)),
            ]);
        } else if (n.type === NotifyType.R_U_THERE_ACK) {
          this.dpdAcks.push(seq);
          this.events.push('r-u-there-ack');
        }
      }
    }
  }

  cookies(): Uint8Array {
    return concatBytes(this.sa.ckyI, this.sa.ckyR);
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
  sendInformational(payloads: OutgoingPayload[], opts: { badHash?: boolean; mid?: number } = {}): Uint8Array {
    const sa = this.sa;
    const mid = opts.mid ?? this.nextMid++;
    const h1 = nobleHmac(sa.t.hash, sa.keys!.skeyidA, u32(mid), encodePayloadChain(payloads).bytes);
    if (opts.badHash) h1[0]! ^= 0x80;
    const out = encryptMessage(
      sa.cipher!,
      this.header(ExchangeType.INFORMATIONAL, mid),
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

  /** Seals `payload` on the newest child SA and sends it to the client (server -> client ESP). */
  sendEsp(payload: Uint8Array, nextHeader = 17): void {
    const c = this.children.at(-1);
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
}
