/** An in-memory UDP network on a FakeClock: sockets per host address, optional loss/duplication/injection. */
import type { DatagramSocket, DatagramSocketFactory, UdpEndpoint } from '../../../../core/net/udp';
import type { FakeClock } from '../../../support/deterministic';

export interface Datagram {
  readonly from: UdpEndpoint;
  readonly to: UdpEndpoint;
  readonly data: Uint8Array;
  readonly at: number;
}

export type FilterVerdict = 'deliver' | 'drop' | 'duplicate';

class FakeSocket implements DatagramSocket {
  private handler: ((data: Uint8Array, from: UdpEndpoint) => void) | null = null;
  closed = false;
  constructor(
    readonly local: UdpEndpoint,
    private readonly host: string,
    private readonly net: FakeNetwork,
  ) {}
  send(data: Uint8Array, to: UdpEndpoint): void {
    if (this.closed) return;
    this.net.route({ address: this.host, port: this.local.port }, to, data);
  }
  onMessage(handler: (data: Uint8Array, from: UdpEndpoint) => void): void {
    this.handler = handler;
  }
  onError(): void {}
  close(): void {
    this.closed = true;
    this.net.unbind(this.host, this.local.port);
  }
  deliver(data: Uint8Array, from: UdpEndpoint): void {
    if (!this.closed) this.handler?.(data, from);
  }
}

export class FakeNetwork {
  readonly log: Datagram[] = [];
  filter: (d: Datagram) => FilterVerdict = () => 'deliver';
  private readonly sockets = new Map<string, FakeSocket>();
  private nextPort = 40_000;

  constructor(
    private readonly clock: FakeClock,
    private readonly latencyMs = 1,
  ) {}

  /** A socket factory for a host; sockets report the wildcard address locally, like node:dgram. */
  factory(host: string): DatagramSocketFactory {
    return { open: async (opts = {}) => this.bind(host, opts.port ?? 0) };
  }

  bind(host: string, port: number): DatagramSocket {
    const p = port || this.nextPort++;
    const key = `${host}:${p}`;
    if (this.sockets.has(key)) throw new Error(`EADDRINUSE ${key}`);
    const s = new FakeSocket({ address: '0.0.0.0', port: p }, host, this);
    this.sockets.set(key, s);
    return s;
  }

  unbind(host: string, port: number): void {
    this.sockets.delete(`${host}:${port}`);
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  route(from: UdpEndpoint, to: UdpEndpoint, data: Uint8Array): void {
    const d: Datagram = { from, to, data: data.slice(), at: this.clock.now() };
    this.log.push(d);
    const v = this.filter(d);
    if (v === 'drop') return;
    this.schedule(d);
    if (v === 'duplicate') this.schedule(d, this.latencyMs + 1);
  }

  /** Injects a datagram as if `from` had sent it. */
  inject(from: UdpEndpoint, to: UdpEndpoint, data: Uint8Array): void {
    this.schedule({ from, to, data, at: this.clock.now() });
  }

  private schedule(d: Datagram, latency = this.latencyMs): void {
    this.clock.setTimeout(
      () => this.sockets.get(`${d.to.address}:${d.to.port}`)?.deliver(d.data.slice(), d.from),
      latency,
    );
  }
}
