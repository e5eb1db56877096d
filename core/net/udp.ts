import dgram from 'node:dgram';

export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** The only thing protocol code knows about sockets: send, receive, close. */
export interface DatagramSocket {
  readonly local: UdpEndpoint;
  send(data: Uint8Array, to: UdpEndpoint): void;
  onMessage(handler: (data: Uint8Array, from: UdpEndpoint) => void): void;
  onError(handler: (error: Error) => void): void;
  close(): void;
}

export interface DatagramSocketFactory {
  /** Opens a UDP/IPv4 socket; port 0 (the default) asks the OS for an ephemeral port. */
  open(opts?: { readonly port?: number; readonly address?: string }): Promise<DatagramSocket>;
}

const RECV_BUFFER = 8 * 1024 * 1024;

/** node:dgram sockets. */
export const nodeUdp: DatagramSocketFactory = {
  open: (opts = {}) =>
    new Promise((resolve, reject) => {
      const sock = dgram.createSocket({
        type: 'udp4',
        recvBufferSize: RECV_BUFFER,
        sendBufferSize: RECV_BUFFER,
      });
      let errorHandler: (e: Error) => void = () => {};
      const onStartError = (e: Error) => reject(e);
      sock.once('error', onStartError);
      sock.bind(opts.port ?? 0, opts.address, () => {
        sock.off('error', onStartError);
        sock.on('error', (e) => errorHandler(e));
        const a = sock.address();
        let closed = false;
        resolve({
          local: { address: a.address, port: a.port },
          send: (data, to) => {
            if (closed) return;
            sock.send(data, to.port, to.address, (e) => {
              if (e) errorHandler(e);
            });
          },
          onMessage: (handler) => {
            sock.on('message', (msg, rinfo) => handler(msg, { address: rinfo.address, port: rinfo.port }));
          },
          onError: (handler) => {
            errorHandler = handler;
          },
          close: () => {
            if (closed) return;
            closed = true;
            sock.close();
          },
        });
      });
    }),
};

/** The local IPv4 address the OS would use to reach `remote` (a connected UDP socket sends nothing). */
export function localAddressFor(remote: UdpEndpoint): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', (e) => {
      sock.close();
      reject(e);
    });
    sock.connect(remote.port, remote.address, () => {
      const { address } = sock.address();
      sock.close();
      resolve(address);
    });
  });
}
