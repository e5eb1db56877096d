/**
 * Quick Mode as responder (RFC 2409 §5.5, roles reversed): the server rekeys our ESP SA before it expires
 * (strongSwan does so at lifetime - margintime). QM1 from the server is authenticated (HASH(1)), one of its
 * transforms that our policy allows is chosen for the same mode and selectors, QM2 answers with HASH(2) and is
 * retransmitted until QM3's HASH(3) verifies; then the new SA pair is handed over. Refusals are authenticated
 * informationals (NO_PROPOSAL_CHOSEN, INVALID_ID_INFORMATION); nothing here throws into the transport.
 */
import { equalBytes } from '../../common/bytes';
import type { Clock } from '../../common/clock';
import type { Logger } from '../../common/log';
import type { RandomSource } from '../../common/random';
import type { InboundSa } from '../../esp/inbound';
import type { OutboundSa } from '../../esp/outbound';
import { spiHex } from '../../esp/packet';
import { describeTransform, type EspTransform, espTransformFromIke } from '../../esp/transforms';
import { DOI_IPSEC, ExchangeType, HeaderFlag, NotifyType, ProtocolId } from '../constants';
import { type DhGroupName, dhGroupById, generateDhKeyPair } from '../crypto/dh';
import type { Verdict } from '../exchange';
import type { IkeSa } from '../ikeSa';
import {
  type ChainEntry,
  encodePayloadChain,
  type IsakmpHeader,
  type OutgoingPayload,
  payloadsOfKind,
} from '../message';
import type { Identification } from '../payloads/identification';
import type { Transform } from '../payloads/sa';
import { buildEspPair, type EspOptions } from '../quick/espPair';
import { type EspMode, encapsulationModeValue, parsePhase2Transform, spiBytes } from '../quick/espProposals';
import { quickModeHash1, quickModeHash2, quickModeHash3 } from '../quick/keymat';
import { splitHash } from '../quick/protected';
import { sendInformational } from './informational';
import { L2TP_PORT, randomSpi } from './quickMode';

export interface RespondedChild {
  readonly outbound: OutboundSa;
  readonly inbound: InboundSa;
  readonly transform: EspTransform;
  readonly mode: EspMode;
  readonly lifetimeSeconds: number;
  readonly pfsGroup: DhGroupName | null;
  readonly messageId: number;
}

export interface QuickModeResponderOptions {
  readonly ikeSa: IkeSa;
  /** ESP transforms we accept (the profile's list). */
  readonly transforms: readonly EspTransform[];
  /** DH groups we accept for PFS; `requirePfs` refuses a QM1 without KE. */
  readonly pfsGroups: readonly DhGroupName[];
  readonly requirePfs: boolean;
  /** The mode of the current SA: a rekey keeps it. */
  readonly mode: EspMode;
  /** Our lifetime cap: the SA lives min(server's, ours). */
  readonly lifetimeSeconds: number;
  readonly localAddress: string;
  readonly serverAddress: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly esp?: EspOptions;
  /** How long QM2 is retransmitted while waiting for QM3. */
  readonly qm3TimeoutMs?: number;
  onEstablished(child: RespondedChild): void;
}

export interface QuickModeResponderCounters {
  offered: number;
  established: number;
  refused: number;
  /** QM1s that did not decrypt or authenticate. */
  rejected: number;
  /** QM3 never came. */
  abandoned: number;
}

const IPPROTO_UDP = 17;

interface Chosen {
  readonly transform: EspTransform;
  readonly raw: Transform;
  readonly proposalNumber: number;
  readonly spi: number;
  readonly group: DhGroupName | null;
  readonly lifetimeSeconds: number | null;
}

export class QuickModeResponder {
  readonly counters: QuickModeResponderCounters = {
    offered: 0,
    established: 0,
    refused: 0,
    rejected: 0,
    abandoned: 0,
  };
  private readonly unsubscribe: () => void;
  private readonly inProgress = new Set<number>();
  private closed = false;

  constructor(private readonly o: QuickModeResponderOptions) {
    this.unsubscribe = o.ikeSa.onExchange(ExchangeType.QUICK_MODE, (m, h) => this.receive(m, h));
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
  }

  private receive(msg: Uint8Array, h: IsakmpHeader): void {
    const { ikeSa } = this.o;
    if (this.closed || !ikeSa.established || h.messageId === 0 || !(h.flags & HeaderFlag.ENCRYPTION)) return;
    if (this.inProgress.has(h.messageId)) return;
    const sa = ikeSa.sa;
    // RFC 2409 App. B: the exchange's IV comes from the last phase-1 block; peek so garbage cannot evict others.
    const dec = ikeSa.decryptWith(msg, h, sa.ivs.peek(h.messageId));
    const split = dec.ok ? splitHash(dec.value.payloads) : null;
    if (
      !dec.ok ||
      !split ||
      !equalBytes(split.hash, quickModeHash1(sa.hash, sa.keys.skeyidA, h.messageId, split.bytes))
    ) {
      this.counters.rejected++;
      this.o.logger.debug('ignored a quick mode request that does not authenticate', {
        messageId: h.messageId,
      });
      return;
    }
    sa.ivs.advance(h.messageId, dec.value.lastBlock);
    this.counters.offered++;
    try {
      this.respond(msg, h.messageId, split.payloads);
    } catch (e) {
      sa.ivs.forget(h.messageId);
      this.o.logger.warn('quick mode responder failed', { error: e });
    }
  }

  private refuse(type: number, spi: Uint8Array, mid: number, why: string): void {
    this.counters.refused++;
    this.o.ikeSa.sa.ivs.forget(mid);
    this.o.logger.warn("refused the server's quick mode", { reason: why, messageId: mid });
    sendInformational(this.o.ikeSa, [
      { kind: 'notify', doi: DOI_IPSEC, protocol: ProtocolId.ESP, spi, type, data: new Uint8Array(0) },
    ]);
  }

  /** The first transform of the server's proposal our policy accepts (RFC 2409 §5.5: the responder picks one). */
  private choose(entries: readonly ChainEntry[], hasKe: boolean): Chosen | string {
    const sas = payloadsOfKind(entries, 'sa');
    if (sas.length !== 1) return `${sas.length} SA payloads`;
    const wantMode = encapsulationModeValue(this.o.mode, this.o.ikeSa.sa.natt.draftPayloads);
    for (const prop of sas[0]!.payload.proposals) {
      if (prop.protocol !== ProtocolId.ESP || prop.spi.length !== 4) continue;
      const spi = new DataView(prop.spi.buffer, prop.spi.byteOffset, 4).getUint32(0);
      if (spi < 256) continue;
      for (const raw of prop.transforms) {
        const p = parsePhase2Transform(raw);
        if (typeof p === 'string' || p.encapsulationMode !== wantMode) continue;
        const t = espTransformFromIke({
          transformId: p.transformId,
          ...(p.keyLength === undefined ? {} : { keyLength: p.keyLength }),
          ...(p.authAlgorithm === undefined ? {} : { authAlgorithm: p.authAlgorithm }),
        });
        if (!t.ok) continue;
        const name = describeTransform(t.value);
        const transform = this.o.transforms.find((x) => describeTransform(x) === name);
        if (!transform) continue;
        const group = p.groupId === undefined ? null : (dhGroupById(p.groupId) ?? null);
        if (p.groupId !== undefined && (!group || !this.o.pfsGroups.includes(group) || !hasKe)) continue;
        if (group === null && (hasKe || this.o.requirePfs)) continue;
        return {
          transform,
          raw,
          proposalNumber: prop.number,
          spi,
          group,
          lifetimeSeconds: p.lifetimes.seconds,
        };
      }
    }
    return 'no acceptable transform';
  }

  /** RFC 2409 §5.5: IDci is the server's side, IDcr ours; transport mode selects the L2TP flow. */
  private idsAcceptable(ids: readonly (ChainEntry & { readonly payload: Identification })[]): boolean {
    if (ids.length === 0) return true;
    if (ids.length !== 2) return false;
    const ci = ids[0]!.payload;
    const cr = ids[1]!.payload;
    const proto = this.o.mode === 'transport' ? IPPROTO_UDP : 0;
    const okSide = (id: Identification, address: string, ports: readonly number[]) =>
      id.identity.type === 'ipv4' &&
      id.identity.address === address &&
      id.protocol === proto &&
      ports.includes(id.port);
    const ports = this.o.mode === 'transport' ? [L2TP_PORT, 0] : [0];
    return okSide(ci, this.o.serverAddress, ports) && okSide(cr, this.o.localAddress, ports);
  }

  private respond(qm1: Uint8Array, mid: number, entries: readonly ChainEntry[]): void {
    const { ikeSa, random, logger } = this.o;
    const sa = ikeSa.sa;
    const nonces = payloadsOfKind(entries, 'nonce');
    const kes = payloadsOfKind(entries, 'ke');
    const ids = payloadsOfKind(entries, 'id');
    const theirSpi = payloadsOfKind(entries, 'sa')[0]?.payload.proposals[0]?.spi ?? new Uint8Array(0);
    if (nonces.length !== 1 || kes.length > 1) {
      this.refuse(NotifyType.PAYLOAD_MALFORMED, theirSpi, mid, 'nonce/KE payloads');
      return;
    }
    const ni = nonces[0]!.payload.data;
    if (ni.length < 8 || ni.length > 256) {
      this.refuse(NotifyType.PAYLOAD_MALFORMED, theirSpi, mid, 'nonce length');
      return;
    }
    const chosen = this.choose(entries, kes.length === 1);
    if (typeof chosen === 'string') {
      this.refuse(NotifyType.NO_PROPOSAL_CHOSEN, theirSpi, mid, chosen);
      return;
    }
    if (!this.idsAcceptable(ids)) {
      this.refuse(NotifyType.INVALID_ID_INFORMATION, theirSpi, mid, 'identities');
      return;
    }
    let gxy: Uint8Array | null = null;
    let ke: Uint8Array | null = null;
    if (chosen.group) {
      const dh = generateDhKeyPair(chosen.group, random);
      gxy = dh.computeShared(kes[0]!.payload.data);
      if (!gxy) {
        this.refuse(NotifyType.INVALID_KEY_INFORMATION, theirSpi, mid, 'KE value');
        return;
      }
      ke = dh.publicValue;
    }
    const ourSpi = randomSpi(random);
    const nr = random(32);
    const payloads: OutgoingPayload[] = [
      {
        kind: 'sa',
        doi: DOI_IPSEC,
        situation: 1,
        proposals: [
          {
            number: chosen.proposalNumber,
            protocol: ProtocolId.ESP,
            spi: spiBytes(ourSpi),
            transforms: [chosen.raw],
          },
        ],
      },
      { kind: 'nonce', data: nr },
    ];
    if (ke) payloads.push({ kind: 'ke', data: ke });
    // RFC 2409 §5.5: the identities come back as received; NAT-OA likewise describes both ends (RFC 3947 §5.2).
    for (const id of ids) payloads.push(id.payload);
    for (const oa of payloadsOfKind(entries, 'nat-oa')) payloads.push(oa.payload);
    const hash2 = quickModeHash2(sa.hash, sa.keys.skeyidA, mid, ni, encodePayloadChain(payloads).bytes);
    const qm2 = ikeSa.encrypt(ExchangeType.QUICK_MODE, mid, [{ kind: 'hash', data: hash2 }, ...payloads]);
    ikeSa.rememberReply(qm1, qm2);
    this.inProgress.add(mid);
    logger.info('quick mode responder: server rekeys the ESP SA', {
      messageId: mid,
      transform: describeTransform(chosen.transform),
      pfs: chosen.group ?? 'none',
      inboundSpi: spiHex(ourSpi),
      outboundSpi: spiHex(chosen.spi),
    });
    const classifyQm3 = (m: Uint8Array, h: IsakmpHeader): Verdict<true> => {
      if (h.exchangeType !== ExchangeType.QUICK_MODE || h.messageId !== mid) return { ignore: 'stale' };
      if (equalBytes(m, qm1)) return { ignore: 'duplicate' };
      const dec = ikeSa.decrypt(m, h);
      const hash = dec.ok ? dec.value.payloads[0] : undefined;
      if (hash?.payload.kind !== 'hash') return { ignore: 'undecryptable' };
      if (!equalBytes(hash.payload.data, quickModeHash3(sa.hash, sa.keys.skeyidA, mid, ni, nr)))
        return { ignore: 'garbage', detail: 'HASH(3) does not verify' };
      return { accept: true };
    };
    ikeSa
      .request({
        label: 'QM2',
        message: qm2,
        classify: classifyQm3,
        timeoutMs: this.o.qm3TimeoutMs ?? 15_000,
      })
      .then(
        () => this.established(mid, chosen, ni, nr, gxy, ourSpi),
        () => {
          this.counters.abandoned++;
          logger.warn('quick mode responder: no QM3 from the server, abandoning the exchange', {
            messageId: mid,
          });
        },
      )
      .finally(() => {
        this.inProgress.delete(mid);
        if (ikeSa.established) ikeSa.sa.ivs.forget(mid);
      });
  }

  private established(
    mid: number,
    chosen: Chosen,
    ni: Uint8Array,
    nr: Uint8Array,
    gxy: Uint8Array | null,
    ourSpi: number,
  ): void {
    if (this.closed) return;
    const sa = this.o.ikeSa.sa;
    const pair = buildEspPair({
      hash: sa.hash,
      skeyidD: sa.keys.skeyidD,
      transform: chosen.transform,
      mode: this.o.mode,
      ni,
      nr,
      gxy,
      inboundSpi: ourSpi,
      outboundSpi: chosen.spi,
      random: this.o.random,
      logger: this.o.logger,
      ...(this.o.esp ? { esp: this.o.esp } : {}),
    });
    if (!pair) return;
    this.counters.established++;
    const lifetimeSeconds =
      chosen.lifetimeSeconds === null
        ? this.o.lifetimeSeconds
        : Math.min(chosen.lifetimeSeconds, this.o.lifetimeSeconds);
    this.o.onEstablished({
      ...pair,
      transform: chosen.transform,
      mode: this.o.mode,
      lifetimeSeconds,
      pfsGroup: chosen.group,
      messageId: mid,
    });
  }
}
