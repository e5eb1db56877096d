/**
 * Test-only carrier: L2TP straight over UDP to port 1701, no IPsec. Lets the L2TP/PPP layers and the
 * orchestrator run against a real LNS (SoftEther with L2TPRAW) independently of IKE/ESP.
 */
import type { CarrierFactory } from '../../core/connection/carrier';
import { nodeUdp } from '../../core/net/udp';

export function plainL2tpCarrier(server: string, port = 1701): CarrierFactory {
  return async () => {
    const sock = await nodeUdp.open();
    let handler: (d: Uint8Array) => void = () => {};
    let datagrams = 0;
    sock.onMessage((d, from) => {
      if (from.address !== server || from.port !== port) return;
      datagrams++;
      handler(d);
    });
    return {
      send: (d) => sock.send(d, { address: server, port }),
      onDatagram: (h) => {
        handler = h;
      },
      onFailure: () => {},
      algorithms: { esp: 'none (plain L2TP, test only)' },
      stats: () => ({ datagramsIn: datagrams }),
      close: async () => sock.close(),
    };
  };
}
