/** A DatagramSocketFactory wrapper that reports every socket error of the sockets it opened to one observer. */
import type { DatagramSocket, DatagramSocketFactory } from '../net/udp';

export interface WatchedSocketFactory extends DatagramSocketFactory {
  /** The carrier's observer; the sockets' own error handlers still run. */
  onError(handler: (error: Error) => void): void;
}

export function watchSocketErrors(inner: DatagramSocketFactory): WatchedSocketFactory {
  let observer: (error: Error) => void = () => {};
  return {
    onError: (handler) => {
      observer = handler;
    },
    open: async (opts) => {
      const sock = await inner.open(opts);
      let own: (error: Error) => void = () => {};
      sock.onError((e) => {
        own(e);
        observer(e);
      });
      const wrapped: DatagramSocket = {
        local: sock.local,
        send: (data, to) => sock.send(data, to),
        onMessage: (handler) => sock.onMessage(handler),
        onError: (handler) => {
          own = handler;
        },
        close: () => sock.close(),
      };
      return wrapped;
    },
  };
}
