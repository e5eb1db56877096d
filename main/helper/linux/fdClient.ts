/**
 * The app side of openTunFd on Linux: a short-lived connection of our own (koffi), one request line out, the
 * response line and the fd in via recvmsg. Node's net.Socket cannot be used: it reads with read(2), and the
 * kernel closes descriptors that arrive without room for ancillary data.
 */
import { recvWithFd } from './fdPassing';
import {
  AF_UNIX,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SOL_SOCKET,
  sockaddrUn,
  socketLibc,
} from './socketLibc';

export async function fetchFd(
  socketPath: string,
  requestLine: string,
  timeoutMs: number,
): Promise<{ line: string; fd: number | null }> {
  const libc = socketLibc();
  const sock = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) throw new Error(`socket() failed (errno ${libc.errno()})`);
  try {
    const timeout = Buffer.alloc(16); // struct timeval
    timeout.writeBigInt64LE(BigInt(Math.floor(timeoutMs / 1000)), 0);
    timeout.writeBigInt64LE(BigInt((timeoutMs % 1000) * 1000), 8);
    libc.setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
    const { addr, len } = sockaddrUn(socketPath);
    if (libc.connect(sock, addr, len) < 0)
      throw new Error(`cannot connect to ${socketPath} (errno ${libc.errno()})`);
    const out = Buffer.from(requestLine);
    let sent = 0;
    while (sent < out.length) {
      const n = libc.write(sock, out.subarray(sent), out.length - sent);
      if (n <= 0) throw new Error(`write to the helper failed (errno ${libc.errno()})`);
      sent += n;
    }
    const chunks: Buffer[] = [];
    let fd: number | null = null;
    let total = 0;
    for (;;) {
      const r = await recvWithFd(libc, sock, 4096);
      for (const extra of r.fds.slice(fd === null ? 1 : 0)) libc.close(extra);
      if (fd === null && r.fds.length) fd = r.fds[0]!;
      if (r.data.length === 0) break;
      chunks.push(r.data);
      total += r.data.length;
      if (r.data.includes(0x0a) || total > 64 * 1024) break;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const nl = text.indexOf('\n');
    return { line: nl < 0 ? text : text.slice(0, nl), fd };
  } finally {
    libc.close(sock);
  }
}
