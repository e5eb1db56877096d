/**
 * The data path between the TUN device and the tunnel: packets the OS routes into the device go to
 * Connection.send, packets out of the tunnel go to the device. Both handlers are created once; per packet
 * there is one version check and one call each way, nothing allocated here.
 */
import type { TunDevice } from '../../../core/tun';

/** The tunnel end of the pump (a Connection). */
export interface PacketEndpoint {
  send(packet: Uint8Array): boolean;
  onPacket(handler: (packet: Uint8Array) => void): void;
}

export interface PumpCounters {
  /** Packets from the device that were not IPv4 (IPv6, garbage): the tunnel carries IPv4 only. */
  readonly notIpv4: number;
  /** Packets the tunnel refused (not connected yet, PPP down); the connection counts the reason. */
  readonly refused: number;
}

const ignore = (): void => {};

export class PacketPump {
  private notIpv4 = 0;
  private refused = 0;
  private stopped = false;

  constructor(
    private readonly tun: TunDevice,
    private readonly endpoint: PacketEndpoint,
  ) {
    endpoint.onPacket(this.fromTunnel);
    tun.onPacket(this.fromDevice);
  }

  private readonly fromDevice = (packet: Uint8Array): void => {
    if (this.stopped) return;
    if (packet.length < 20 || packet[0]! >> 4 !== 4) {
      this.notIpv4++;
      return;
    }
    if (!this.endpoint.send(packet)) this.refused++;
  };

  private readonly fromTunnel = (packet: Uint8Array): void => {
    if (!this.stopped) this.tun.write(packet);
  };

  counters(): PumpCounters {
    return { notIpv4: this.notIpv4, refused: this.refused };
  }

  /** Stops moving packets (the device is closed by its owner). */
  stop(): void {
    this.stopped = true;
    this.endpoint.onPacket(ignore);
  }
}
