/**
 * The L2TP control side of the fake LNS (RFC 2661 §7.2.2 and §7.4.2, LNS role): SCCRQ → SCCRP, SCCCN,
 * ICRQ → ICRP, ICCN, HELLO, CDN and StopCCN either way, on the production ReliableTransport (§5.8), which is
 * role-agnostic: Ns/Nr, window, retransmission and ZLB acks are the same for both ends.
 */
import type { Logger } from '../../../core/common/log';
import { type Avp, avp, findAvp } from '../../../core/l2tp/avp';
import type { ResultCodeValue } from '../../../core/l2tp/avpValues';
import { CdnResult, MessageType, StopCcnResult } from '../../../core/l2tp/constants';
import { type ControlMessage, decodeControlMessage, messageTypeOf } from '../../../core/l2tp/controlMessage';
import { ReliableTransport, type RetransmitPolicy } from '../../../core/l2tp/reliableTransport';
import type { FakeClock } from '../deterministic';
import { l2tpMessageName } from './names';
import type { LnsMoment, LnsRecord } from './types';

export type LnsTunnelState = 'idle' | 'established' | 'closing' | 'closed';
export type LnsSessionState = 'none' | 'connecting' | 'established' | 'closed';

/** What the control side needs from the LNS around it. */
export interface LnsTunnelHost {
  readonly clock: FakeClock;
  readonly logger: Logger;
  output(datagram: Uint8Array): void;
  record(dir: LnsRecord['dir'], layer: LnsRecord['layer'], what: string): void;
  /** The server reached a moment; false when it must not answer the message (gone, or hung up instead). */
  reached(moment: LnsMoment): boolean;
  sessionUp(): void;
  sessionDown(): void;
}

export interface LnsTunnelParams {
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly hostName: string;
  readonly vendorName: string;
  readonly receiveWindow: number;
  readonly retransmit: Partial<RetransmitPolicy>;
}

export class LnsTunnel {
  readonly transport: ReliableTransport;
  state: LnsTunnelState = 'idle';
  session: LnsSessionState = 'none';
  clientTunnelId = 0;
  clientSessionId = 0;
  malformed = 0;

  constructor(
    private readonly host: LnsTunnelHost,
    private readonly p: LnsTunnelParams,
  ) {
    this.transport = new ReliableTransport({
      clock: host.clock,
      logger: host.logger,
      output: (d) => host.output(d),
      deliver: (m) => this.deliver(m),
      onFailure: (f) => {
        host.record('event', 'l2tp', `transport failed (${l2tpMessageName(f.messageType)})`);
        this.closed();
      },
      retransmit: p.retransmit,
      receiveWindow: p.receiveWindow,
    });
  }

  /** One control datagram from the client. */
  receive(datagram: Uint8Array): void {
    const r = decodeControlMessage(datagram);
    if (!r.ok) {
      this.malformed++;
      this.host.record('in', 'l2tp', `malformed (${r.error.code})`);
      return;
    }
    // §6.1: the SCCRQ (and its retransmissions) carry Tunnel ID 0; everything else ours.
    if (r.value.tunnelId !== this.p.tunnelId && r.value.tunnelId !== 0) {
      this.host.record('in', 'l2tp', 'wrong tunnel');
      return;
    }
    this.transport.receive(r.value);
  }

  /** §6.13: the LNS clears the call. False when there is no session to clear. */
  sendCdn(result: ResultCodeValue = { result: CdnResult.Administrative }): boolean {
    if (this.session !== 'connecting' && this.session !== 'established') return false;
    this.send(this.clientSessionId, [
      avp('messageType', MessageType.CDN),
      avp('resultCode', result),
      avp('assignedSessionId', this.p.sessionId),
    ]);
    this.endSession();
    return true;
  }

  /** §6.4: the LNS clears the control connection. False before the client's tunnel ID is known or when closed. */
  sendStopCcn(result: ResultCodeValue = { result: StopCcnResult.ShuttingDown }): boolean {
    if (this.clientTunnelId === 0 || this.state === 'closing' || this.state === 'closed') return false;
    this.state = 'closing';
    this.endSession();
    const acked = this.send(0, [
      avp('messageType', MessageType.StopCCN),
      avp('assignedTunnelId', this.p.tunnelId),
      avp('resultCode', result),
    ]);
    void acked.then(() => this.closed());
    return true;
  }

  /** Forgets everything: no timers, nothing sent or acknowledged any more. */
  dispose(): void {
    this.transport.dispose();
    this.state = 'closed';
    this.endSession();
  }

  private send(sessionId: number, avps: readonly Avp[]): Promise<boolean> {
    const first = avps[0];
    this.host.record('out', 'l2tp', l2tpMessageName(first?.name === 'messageType' ? first.value : null));
    return this.transport.send(sessionId, avps);
  }

  private deliver(m: ControlMessage): void {
    const type = messageTypeOf(m);
    this.host.record('in', 'l2tp', l2tpMessageName(type));
    switch (type) {
      case MessageType.SCCRQ:
        this.onSccrq(m);
        return;
      case MessageType.SCCCN:
        return;
      case MessageType.ICRQ:
        this.onIcrq(m);
        return;
      case MessageType.ICCN:
        if (this.session !== 'connecting' || m.sessionId !== this.p.sessionId) return;
        this.session = 'established';
        this.host.sessionUp();
        return;
      case MessageType.CDN:
        if (this.session === 'connecting' || this.session === 'established') this.endSession();
        return;
      case MessageType.StopCCN:
        // §5.7: acknowledge it (the stopped transport sends the ZLB at once), then the tunnel is gone.
        this.closed();
        return;
      default:
        return; // HELLO and the rest: the transport acknowledges them.
    }
  }

  private onSccrq(m: ControlMessage): void {
    if (this.state !== 'idle') return;
    const clientId = findAvp(m.avps, 'assignedTunnelId');
    if (!clientId) return;
    this.clientTunnelId = clientId;
    this.transport.setPeerTunnelId(clientId);
    this.transport.setPeerWindow(findAvp(m.avps, 'receiveWindowSize') ?? 4);
    this.state = 'established';
    if (!this.host.reached('l2tp-tunnel')) return;
    // §6.2, shaped like the LNSes we know (SoftEther: host 'vm', vendor 'L2TP', window 16).
    this.send(0, [
      avp('messageType', MessageType.SCCRP),
      avp('protocolVersion', { version: 1, revision: 0 }),
      avp('framingCapabilities', 3),
      avp('bearerCapabilities', 3),
      avp('firmwareRevision', 0x0100),
      avp('hostName', this.p.hostName),
      avp('vendorName', this.p.vendorName),
      avp('assignedTunnelId', this.p.tunnelId),
      avp('receiveWindowSize', this.p.receiveWindow),
    ]);
  }

  private onIcrq(m: ControlMessage): void {
    if (this.session !== 'none' || this.state !== 'established') return;
    const clientSession = findAvp(m.avps, 'assignedSessionId');
    if (!clientSession) return;
    this.clientSessionId = clientSession;
    this.session = 'connecting';
    if (!this.host.reached('l2tp-session')) return;
    this.send(clientSession, [
      avp('messageType', MessageType.ICRP),
      avp('assignedSessionId', this.p.sessionId),
    ]);
  }

  private endSession(): void {
    if (this.session !== 'connecting' && this.session !== 'established') return;
    this.session = 'closed';
    this.host.sessionDown();
  }

  private closed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.endSession();
    this.transport.stop();
  }
}
