/**
 * IKE over UDP with NAT traversal (RFC 3947 §4, RFC 3948 §2): one socket to server:500 and one to server:4500,
 * both on ephemeral local ports. On 4500 IKE carries the 4-byte non-ESP marker, 0xFF is a NAT keepalive and
 * anything else is ESP, handed to `onEsp`. Keepalives are sent while floated.
 */
import type { Clock, TimerHandle } from '../common/clock';
import type { Logger } from '../common/log';
import type { DatagramSocket, DatagramSocketFactory, UdpEndpoint } from '../net/udp';

export const IKE_PORT = 500;
export const NATT_PORT = 4500;
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 20_000;
const NON_ESP_MARKER_LENGTH = 4;

/** What an IKE SA needs from the network. */
export interface IkeTransport {
  /** Sends an IKE message: to server:500 before `float()`, afterwards to server:4500 behind the non-ESP marker. */
  sendIke(message: Uint8Array): void;
  /** Registers a receiver for IKE messages from the server (marker stripped); returns an unsubscribe function. */
  onIke(handler: (message: Uint8Array, via: 'ike' | 'natt') => void): () => void;
  /** Moves IKE to port 4500 (RFC 3947 §4: after MM4 once NAT-T is in use). */
  float(): void;
  readonly floated: boolean;
  /** Our local UDP ports (IKE socket, NAT-T socket). */
  readonly localPorts: { readonly ike: number; readonly natt: number };
  close(): void;
}

export interface NattCounters {
  ikeSent: number;
  ikeReceived: number;
  espSent: number;
  espReceived: number;
  keepalivesSent: number;
  keepalivesReceived: number;
  /** Datagrams from an address other than the server's. */
  droppedForeign: number;
  /** Datagrams too short to be IKE or ESP, or ESP with nobody listening. */
  droppedMalformed: number;
  droppedNoEspHandler: number;
  sendErrors: number;
}

export interface NattTransportOptions {
  readonly sockets: DatagramSocketFactory;
  readonly serverAddress: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Server ports (tests only). */
  readonly serverIkePort?: number;
  readonly serverNattPort?: number;
  readonly keepaliveIntervalMs?: number;
}

export class NattTransport implements IkeTransport {
  readonly counters: NattCounters = {
    ikeSent: 0,
    ikeReceived: 0,
    espSent: 0,
    espReceived: 0,
    keepalivesSent: 0,
    keepalivesReceived: 0,
    droppedForeign: 0,
    droppedMalformed: 0,
    droppedNoEspHandler: 0,
    sendErrors: 0,
  };
  private readonly ikeHandlers = new Set<(m: Uint8Array, via: 'ike' | 'natt') => void>();
  private espHandler: ((packet: Uint8Array) => void) | null = null;
  private isFloated = false;
  private closed = false;
  private keepaliveTimer: TimerHandle | null = null;
  private lastNattSend = 0;
  private readonly ikeServer: UdpEndpoint;
  private readonly nattServer: UdpEndpoint;
  private readonly keepaliveMs: number;

  private constructor(
    private readonly ikeSocket: DatagramSocket,
    private readonly nattSocket: DatagramSocket,
    private readonly opts: NattTransportOptions,
  ) {
    this.ikeServer = { address: opts.serverAddress, port: opts.serverIkePort ?? IKE_PORT };
    this.nattServer = { address: opts.serverAddress, port: opts.serverNattPort ?? NATT_PORT };
    this.keepaliveMs = opts.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS;
    ikeSocket.onMessage((data, from) => this.receiveIke(data, from));
    nattSocket.onMessage((data, from) => this.receiveNatt(data, from));
    const onError = (which: string) => (e: Error) => {
      this.counters.sendErrors++;
      opts.logger.warn('udp socket error', { socket: which, error: e });
    };
    ikeSocket.onError(onError('ike'));
    nattSocket.onError(onError('natt'));
  }

  /** Opens both sockets on ephemeral ports (SoftEther wedges when a client reuses fixed ports quickly). */
  static async open(opts: NattTransportOptions): Promise<NattTransport> {
    const ike = await opts.sockets.open();
    let natt: DatagramSocket;
    try {
      natt = await opts.sockets.open();
    } catch (e) {
      ike.close();
      throw e;
    }
    opts.logger.debug('nat-t transport open', { ikePort: ike.local.port, nattPort: natt.local.port });
    return new NattTransport(ike, natt, opts);
  }

  get floated(): boolean {
    return this.isFloated;
  }

  get localPorts(): { readonly ike: number; readonly natt: number } {
    return { ike: this.ikeSocket.local.port, natt: this.nattSocket.local.port };
  }

  get server(): { readonly ike: UdpEndpoint; readonly natt: UdpEndpoint } {
    return { ike: this.ikeServer, natt: this.nattServer };
  }

  onIke(handler: (message: Uint8Array, via: 'ike' | 'natt') => void): () => void {
    this.ikeHandlers.add(handler);
    return () => this.ikeHandlers.delete(handler);
  }

  /** The orchestrator's hook for ESP-in-UDP from the server (RFC 3948 §2.1: first 4 bytes are a non-zero SPI). */
  onEsp(handler: ((packet: Uint8Array) => void) | null): void {
    this.espHandler = handler;
  }

  sendIke(message: Uint8Array): void {
    if (this.closed) return;
    this.counters.ikeSent++;
    if (!this.isFloated) {
      this.ikeSocket.send(message, this.ikeServer);
      return;
    }
    const framed = new Uint8Array(NON_ESP_MARKER_LENGTH + message.length);
    framed.set(message, NON_ESP_MARKER_LENGTH);
    this.sendNatt(framed);
  }

  /** Sends one ESP packet (SPI first) to server:4500. */
  sendEsp(packet: Uint8Array): void {
    if (this.closed) return;
    this.counters.espSent++;
    this.sendNatt(packet);
  }

  float(): void {
    if (this.isFloated || this.closed) return;
    this.isFloated = true;
    this.lastNattSend = this.opts.clock.now();
    this.scheduleKeepalive(this.keepaliveMs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keepaliveTimer !== null) this.opts.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = null;
    this.ikeHandlers.clear();
    this.espHandler = null;
    this.ikeSocket.close();
    this.nattSocket.close();
  }

  private sendNatt(bytes: Uint8Array): void {
    this.lastNattSend = this.opts.clock.now();
    this.nattSocket.send(bytes, this.nattServer);
  }

  /** RFC 3948 §4: a keepalive only when nothing else went out on 4500 during the interval. */
  private scheduleKeepalive(delay: number): void {
    this.keepaliveTimer = this.opts.clock.setTimeout(() => {
      this.keepaliveTimer = null;
      if (this.closed) return;
      const idle = this.opts.clock.now() - this.lastNattSend;
      if (idle >= this.keepaliveMs) {
        this.counters.keepalivesSent++;
        this.sendNatt(Uint8Array.of(0xff));
        this.scheduleKeepalive(this.keepaliveMs);
      } else {
        this.scheduleKeepalive(this.keepaliveMs - idle);
      }
    }, delay);
  }

  private fromServer(from: UdpEndpoint): boolean {
    if (from.address === this.opts.serverAddress) return true;
    this.counters.droppedForeign++;
    return false;
  }

  private deliverIke(message: Uint8Array, via: 'ike' | 'natt'): void {
    this.counters.ikeReceived++;
    for (const h of [...this.ikeHandlers]) {
      try {
        h(message, via);
      } catch (e) {
        this.opts.logger.error('ike handler threw', { error: e });
      }
    }
  }

  private receiveIke(data: Uint8Array, from: UdpEndpoint): void {
    if (this.closed || !this.fromServer(from)) return;
    this.deliverIke(data, 'ike');
  }

  /** RFC 3948 §2.2 demultiplexing on port 4500. */
  private receiveNatt(data: Uint8Array, from: UdpEndpoint): void {
    if (this.closed || !this.fromServer(from)) return;
    if (data.length === 1 && data[0] === 0xff) {
      this.counters.keepalivesReceived++;
      return;
    }
    if (data.length < 8) {
      this.counters.droppedMalformed++;
      return;
    }
    if (data[0] === 0 && data[1] === 0 && data[2] === 0 && data[3] === 0) {
      this.deliverIke(data.subarray(NON_ESP_MARKER_LENGTH), 'natt');
      return;
    }
    const handler = this.espHandler;
    if (!handler) {
      this.counters.droppedNoEspHandler++;
      return;
    }
    this.counters.espReceived++;
    try {
      handler(data);
    } catch (e) {
      this.opts.logger.error('esp handler threw', { error: e });
    }
  }
}
