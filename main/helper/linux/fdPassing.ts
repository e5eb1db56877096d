/**
 * Passing a TUN fd over a Unix stream socket (SCM_RIGHTS, unix(7)): the helper sends one response line with the
 * fd attached; the app receives it with recvmsg. Node's streams read with read(2), which would drop ancillary
 * data, so the app side of this exchange uses a socket of its own (see client.ts).
 */
import {
  EAGAIN,
  EINTR,
  MSG_CMSG_CLOEXEC,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  SCM_RIGHTS,
  SOL_SOCKET,
  type SocketLibc,
} from './socketLibc';

const MSGHDR = 56;
const IOVEC = 16;
const CMSG_HDR = 16;
const CMSG_SPACE_ONE_FD = 24;
const MSG_CTRUNC = 0x8;

/** Lays out msghdr + iovec + data + control in one native block; returns offsets. */
function layout(libc: SocketLibc, dataLen: number, controlLen: number) {
  const dataOff = MSGHDR + IOVEC;
  const ctlOff = (dataOff + dataLen + 7) & ~7;
  const mem = libc.alloc(ctlOff + controlLen);
  const v = mem.view;
  v.writeBigUInt64LE(mem.address + BigInt(MSGHDR), 16); // msg_iov
  v.writeBigUInt64LE(1n, 24); // msg_iovlen
  v.writeBigUInt64LE(controlLen ? mem.address + BigInt(ctlOff) : 0n, 32); // msg_control
  v.writeBigUInt64LE(BigInt(controlLen), 40); // msg_controllen
  v.writeBigUInt64LE(mem.address + BigInt(dataOff), MSGHDR); // iov_base
  v.writeBigUInt64LE(BigInt(dataLen), MSGHDR + 8); // iov_len
  return { mem, dataOff, ctlOff };
}

/**
 * Sends `data` with `passFd` attached, non-blocking. Returns how many bytes of `data` went out (the fd travels
 * with the first byte); -1 with errno EAGAIN when the socket buffer is full.
 */
export function sendWithFd(
  libc: SocketLibc,
  sock: number,
  data: Buffer,
  passFd: number,
): { sent: number; errno: number } {
  const { mem, dataOff, ctlOff } = layout(libc, data.length, CMSG_SPACE_ONE_FD);
  try {
    data.copy(mem.view, dataOff);
    mem.view.writeBigUInt64LE(BigInt(CMSG_HDR + 4), ctlOff); // cmsg_len = CMSG_LEN(sizeof(int))
    mem.view.writeInt32LE(SOL_SOCKET, ctlOff + 8);
    mem.view.writeInt32LE(SCM_RIGHTS, ctlOff + 12);
    mem.view.writeInt32LE(passFd, ctlOff + 16);
    for (;;) {
      const n = libc.sendmsg(sock, mem.ptr, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return { sent: n, errno: 0 };
      const errno = libc.errno();
      if (errno !== EINTR) return { sent: -1, errno };
    }
  } finally {
    mem.free();
  }
}

export interface Received {
  readonly data: Buffer;
  /** Descriptors that came with the data (close any you do not keep). */
  readonly fds: number[];
}

/** One recvmsg on a blocking socket, on a worker thread (koffi async). */
export function recvWithFd(libc: SocketLibc, sock: number, maxData: number): Promise<Received> {
  const controlLen = CMSG_SPACE_ONE_FD * 4;
  const { mem, dataOff, ctlOff } = layout(libc, maxData, controlLen);
  return new Promise((resolve, reject) => {
    libc.recvmsg.async(sock, mem.ptr, MSG_CMSG_CLOEXEC, (error, n) => {
      try {
        if (error) return reject(error);
        if (n < 0) {
          const errno = libc.errno();
          return reject(
            new Error(
              errno === EAGAIN ? 'timed out waiting for the helper' : `recvmsg failed (errno ${errno})`,
            ),
          );
        }
        const fds = parseRights(mem.view, ctlOff, Number(mem.view.readBigUInt64LE(40)));
        if (mem.view.readInt32LE(48) & MSG_CTRUNC) {
          for (const fd of fds) libc.close(fd);
          return reject(new Error('descriptor truncated in transit'));
        }
        resolve({ data: Buffer.from(mem.view.subarray(dataOff, dataOff + n)), fds });
      } finally {
        mem.free();
      }
    });
  });
}

/** Walks the control messages and collects SCM_RIGHTS descriptors. */
export function parseRights(buf: Buffer, start: number, controlLen: number): number[] {
  const fds: number[] = [];
  let at = start;
  const end = start + controlLen;
  while (at + CMSG_HDR <= end) {
    const len = Number(buf.readBigUInt64LE(at));
    if (len < CMSG_HDR || at + len > end) break;
    if (buf.readInt32LE(at + 8) === SOL_SOCKET && buf.readInt32LE(at + 12) === SCM_RIGHTS) {
      for (let p = at + CMSG_HDR; p + 4 <= at + len; p += 4) fds.push(buf.readInt32LE(p));
    }
    at += (len + 7) & ~7;
  }
  return fds;
}
