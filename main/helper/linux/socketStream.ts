/** A helper session over an accepted Unix socket, with SCM_RIGHTS for openTunFd. */
import type { Socket } from 'node:net';
import { nodeStream, type SessionStream } from '../server';
import { sendWithFd } from './fdPassing';
import { EAGAIN, socketLibc } from './socketLibc';

export function unixSocketStream(socket: Socket, fd: number): SessionStream {
  const base = nodeStream(socket, socket);
  const libc = socketLibc();
  return {
    ...base,
    end: () => {
      socket.end();
      base.end();
    },
    closeFd: (passed) => {
      libc.close(passed);
    },
    sendWithFd: async (text, passFd) => {
      // Node owns the fd for ordinary writes: let its queue drain so our bytes stay in order.
      while (socket.writableLength > 0 && !socket.destroyed)
        await new Promise((r) => socket.once('drain', r));
      if (socket.destroyed) throw new Error('connection closed');
      const data = Buffer.from(text);
      for (let attempt = 0; attempt < 200; attempt++) {
        const r = sendWithFd(libc, fd, data, passFd);
        if (r.sent >= 0) {
          if (r.sent < data.length) socket.write(data.subarray(r.sent));
          return;
        }
        if (r.errno !== EAGAIN) throw new Error(`sendmsg failed (errno ${r.errno})`);
        await new Promise((res) => setTimeout(res, 5));
      }
      throw new Error('the client is not reading');
    },
  };
}
