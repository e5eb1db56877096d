/**
 * Informational exchanges on an established IKE SA (RFC 2408 §4.8, RFC 2409 §5.7): every message is
 * HDR*, HASH(1), N/D under a fresh message ID. Answers DPD R-U-THERE (RFC 3706), runs our own DPD, honours the
 * peer's DELETE for our ESP SAs or the IKE SA, and sends our DELETEs on close. Unauthenticated or garbled
 * messages are counted and dropped; nothing here throws into the transport.
 */
import { equalBytes } from '../../common/bytes';
import type { Clock } from '../../common/clock';
import type { FerryError } from '../../common/errors';
import { Emitter } from '../../common/events';
import type { Logger } from '../../common/log';
import type { RandomSource } from '../../common/random';
import { spiHex } from '../../esp/packet';
import { DOI_IPSEC, ExchangeType, isErrorNotify, NotifyType, notifyName, ProtocolId } from '../constants';
import { informationalHash } from '../crypto/keys';
import type { IkeSa } from '../ikeSa';
import { encodePayloadChain, type OutgoingPayload } from '../message';
import type { DeletePayload } from '../payloads/delete';
import type { NotifyPayload } from '../payloads/notify';
import { establishedError } from '../quick/errors';
import { spiBytes } from '../quick/espProposals';
import { type InformationalRejection, openInformational } from '../quick/protected';
import { DEFAULT_DPD, DeadPeerDetection, type DpdCounters, type DpdPolicy } from './dpd';

export interface InformationalCounters {
  received: number;
  rejected: Record<InformationalRejection, number>;
  dpdRequestsReceived: number;
  dpdAcksSent: number;
  /** R-U-THEREs whose SPI names another IKE SA. */
  dpdForeign: number;
  deletesReceived: number;
  /** DELETEs for SAs that are not ours (e.g. already replaced). */
  deletesIgnored: number;
  deletesSent: number;
  errorNotifies: number;
  /** Status notifies we do not act on. */
  unknownNotifies: number;
}

export interface InformationalEvents {
  /** The peer deleted our ESP SA or the IKE SA, or stopped answering DPD. Fires once. */
  failure: (error: FerryError) => void;
  /** The peer deleted ESP SAs (SPIs as sent, 4 bytes each): old pairs after a rekey are expected to go. */
  'esp-deleted': (spis: readonly number[]) => void;
  /** The peer deleted this IKE SA (also while retiring, when it is no failure). */
  'ike-deleted': () => void;
}

export interface InformationalOptions {
  readonly ikeSa: IkeSa;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  /** Our own R-U-THEREs (only if the peer announced DPD); false disables them. Default DEFAULT_DPD. */
  readonly dpd?: Partial<DpdPolicy> | false;
}

export interface EspSpis {
  /** Ours: the server sends with it. */
  readonly inbound: number;
  /** The server's: we send with it. */
  readonly outbound: number;
}

export class Informational {
  readonly events = new Emitter<InformationalEvents>();
  readonly counters: InformationalCounters = {
    received: 0,
    rejected: { malformed: 0, foreign: 0, unencrypted: 0, undecryptable: 0, 'bad-hash': 0, internal: 0 },
    dpdRequestsReceived: 0,
    dpdAcksSent: 0,
    dpdForeign: 0,
    deletesReceived: 0,
    deletesIgnored: 0,
    deletesSent: 0,
    errorNotifies: 0,
    unknownNotifies: 0,
  };
  private readonly dpd: DeadPeerDetection | null;
  private readonly unsubscribe: () => void;
  private readonly cookies: Uint8Array;
  private esp: EspSpis[] = [];
  private failed = false;
  private closing = false;
  private retired = false;

  constructor(private readonly o: InformationalOptions) {
    const sa = o.ikeSa.sa;
    this.cookies = new Uint8Array(16);
    this.cookies.set(sa.initiatorCookie);
    this.cookies.set(sa.responderCookie, 8);
    this.dpd =
      o.dpd === false || !sa.peerSupportsDpd
        ? null
        : new DeadPeerDetection({
            clock: o.clock,
            random: o.random,
            policy: { ...DEFAULT_DPD, ...o.dpd },
            send: (seq) => this.sendDpd(NotifyType.R_U_THERE, seq),
            onDead: (misses, silentMs) =>
              this.fail(
                establishedError(
                  'dead-peer',
                  `no answer to ${misses} DPD requests after ${Math.round(silentMs / 1000)} s of silence`,
                ),
              ),
          });
    this.unsubscribe = o.ikeSa.onExchange(ExchangeType.INFORMATIONAL, (m) => this.receive(m));
  }

  /** Starts our own DPD (RFC 3706 §5.3: only while we have something to protect, i.e. once ESP is up). */
  start(): void {
    this.dpd?.start();
  }

  /** The ESP SAs whose DELETE ends the session (the current pair; during a rekey, old and new). */
  watchEsp(pairs: readonly EspSpis[]): void {
    this.esp = [...pairs];
  }

  /** Proof that the peer is alive (an authenticated ESP packet): postpones our R-U-THEREs. */
  alive(): void {
    this.dpd?.alive();
  }

  get dpdCounters(): DpdCounters | null {
    return this.dpd ? { ...this.dpd.counters } : null;
  }

  /**
   * A newer IKE SA took over (phase-1 rekey): stop DPD here; the peer deleting this IKE SA is expected now, while
   * a DELETE for the ESP SAs still watched remains a failure.
   */
  retire(): void {
    this.retired = true;
    this.dpd?.stop();
  }

  /** Stops DPD and stops acting on the peer's DELETEs (ours are about to go out). */
  shutdown(): void {
    this.closing = true;
    this.dpd?.stop();
  }

  /** DELETE for an ESP SA: both SPIs in one payload, protocol ESP (RFC 2408 §3.15). */
  deleteEsp(pair: EspSpis): void {
    this.sendInformational([
      {
        kind: 'delete',
        doi: DOI_IPSEC,
        protocol: ProtocolId.ESP,
        spiSize: 4,
        spis: [spiBytes(pair.inbound), spiBytes(pair.outbound)],
      },
    ]);
    this.counters.deletesSent++;
    this.o.logger.info('sent DELETE for the ESP SA', {
      inboundSpi: spiHex(pair.inbound),
      outboundSpi: spiHex(pair.outbound),
    });
  }

  /** DELETE for the ISAKMP SA: the cookie pair as its SPI (RFC 2408 §3.15). */
  deleteIkeSa(): void {
    this.sendInformational([
      { kind: 'delete', doi: DOI_IPSEC, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [this.cookies] },
    ]);
    this.counters.deletesSent++;
    this.o.logger.info('sent DELETE for the IKE SA');
  }

  close(): void {
    this.shutdown();
    this.unsubscribe();
  }

  private sendInformational(payloads: OutgoingPayload[]): void {
    sendInformational(this.o.ikeSa, payloads);
  }

  /** RFC 3706 §7: SPI = CKY-I | CKY-R, data = 32-bit sequence number. */
  private sendDpd(type: number, seq: number): void {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, seq >>> 0);
    this.sendInformational([
      { kind: 'notify', doi: DOI_IPSEC, protocol: ProtocolId.ISAKMP, spi: this.cookies, type, data },
    ]);
  }

  private receive(message: Uint8Array): void {
    this.counters.received++;
    const opened = openInformational(this.o.ikeSa.sa, message);
    if (!opened.ok) {
      this.counters.rejected[opened.error.reason]++;
      this.o.logger.debug('ignored informational', {
        reason: opened.error.reason,
        detail: opened.error.message,
      });
      return;
    }
    for (const e of opened.value.payloads) {
      if (e.payload.kind === 'notify') this.notify(e.payload);
      else if (e.payload.kind === 'delete') this.delete(e.payload);
    }
  }

  private notify(n: NotifyPayload): void {
    if (n.type === NotifyType.R_U_THERE || n.type === NotifyType.R_U_THERE_ACK) {
      if (n.data.length !== 4) {
        this.counters.unknownNotifies++;
        return;
      }
      if (n.spi.length !== 0 && !equalBytes(n.spi, this.cookies)) {
        this.counters.dpdForeign++;
        return;
      }
      const seq = new DataView(n.data.buffer, n.data.byteOffset, 4).getUint32(0);
      if (n.type === NotifyType.R_U_THERE) {
        this.counters.dpdRequestsReceived++;
        this.dpd?.alive();
        // RFC 3706 §5.5: the ACK echoes the sequence number.
        this.sendDpd(NotifyType.R_U_THERE_ACK, seq);
        this.counters.dpdAcksSent++;
      } else {
        this.dpd?.ack(seq);
      }
      return;
    }
    if (isErrorNotify(n.type)) {
      this.counters.errorNotifies++;
      this.o.logger.warn('server sent an error notification', { notify: notifyName(n.type) });
      return;
    }
    this.counters.unknownNotifies++;
    this.o.logger.debug('ignored notification', { notify: notifyName(n.type) });
  }

  private delete(d: DeletePayload): void {
    this.counters.deletesReceived++;
    if (d.doi !== DOI_IPSEC) {
      this.counters.deletesIgnored++;
      return;
    }
    if (d.protocol === ProtocolId.ISAKMP && d.spis.some((s) => equalBytes(s, this.cookies))) {
      this.events.emit('ike-deleted');
      if (!this.retired) this.fail(establishedError('peer-deleted', 'the server deleted the IKE SA'));
      return;
    }
    if (d.protocol === ProtocolId.ESP && d.spiSize === 4) {
      const spis = d.spis
        .filter((s) => s.length === 4)
        .map((s) => new DataView(s.buffer, s.byteOffset, 4).getUint32(0));
      this.events.emit('esp-deleted', spis);
      const ours = new Set(this.esp.flatMap((p) => [p.inbound >>> 0, p.outbound >>> 0]));
      const hit = d.spis.find((s) => ours.has(new DataView(s.buffer, s.byteOffset, 4).getUint32(0)));
      if (hit) {
        this.fail(establishedError('peer-deleted', `the server deleted the ESP SA ${toHex(hit)}`));
        return;
      }
    }
    this.counters.deletesIgnored++;
  }

  private fail(error: FerryError): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    this.dpd?.stop();
    this.o.logger.warn('IKE SA failed', { error });
    this.events.emit('failure', error);
  }
}

/** HDR*, HASH(1), payloads under a new message ID; HASH(1) = prf(SKEYID_a, M-ID | payloads) (RFC 2409 §5.7). */
export function sendInformational(ikeSa: IkeSa, payloads: readonly OutgoingPayload[]): void {
  if (!ikeSa.established) return;
  const sa = ikeSa.sa;
  const mid = ikeSa.newMessageId();
  const hash = informationalHash(sa.hash, sa.keys.skeyidA, mid, encodePayloadChain(payloads).bytes);
  const bytes = ikeSa.encrypt(ExchangeType.INFORMATIONAL, mid, [{ kind: 'hash', data: hash }, ...payloads]);
  sa.ivs.forget(mid);
  ikeSa.send(bytes);
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
