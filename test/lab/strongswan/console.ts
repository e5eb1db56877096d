/**
 * Host side of the guest command console on ttyS1 (guest side: guest/rootfs/usr/local/sbin/ferry-console).
 * One request line `FERRY <id> <timeout-s> <base64 stdin|-> =<arg>...` (arguments escaped as `\xHH` outside a
 * small safe set, decoded by bash's printf %b in the guest, so no process is spawned for them); the reply carries the output
 * base64-encoded between `@@FERRY <id> OUT` and `@@FERRY <id> RC` markers, so nothing a command prints can be
 * mistaken for a marker. Requests are serialised; a late reply to a timed-out request is ignored by id.
 */
import { connect, type Socket } from 'node:net';

export interface ExecResult {
  /** Exit status in the guest (124 when the guest-side timeout killed the command). */
  readonly code: number;
  /** stdout and stderr, interleaved as written. */
  readonly output: string;
}

export interface ExecOptions {
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

interface Pending {
  readonly id: number;
  output: string | null;
  readonly resolve: (r: ExecResult) => void;
  readonly reject: (e: Error) => void;
}

/** "=" then the UTF-8 bytes, each outside [A-Za-z0-9._/:@,+-] as \xHH (the guest checks the same pattern). */
export function encodeArg(arg: string): string {
  let out = '=';
  for (const b of Buffer.from(arg, 'utf8')) {
    const ch = String.fromCharCode(b);
    out += /^[A-Za-z0-9._/:@,+-]$/.test(ch) ? ch : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

const MARKER = /^@@FERRY (\d+) (OUT|RC) ?([A-Za-z0-9+/=]*)$/;

export class GuestConsole {
  private buffer = '';
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = Math.floor(Date.now() % 1_000_000) * 100;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.pending?.reject(new Error('guest console connection closed'));
      this.pending = null;
    });
    socket.on('error', () => undefined);
  }

  /** Connects to qemu's ttyS1 socket (retrying until qemu has created it). */
  static async connect(path: string, timeoutMs = 10_000): Promise<GuestConsole> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const s = await new Promise<Socket>((resolve, reject) => {
          const sock = connect(path);
          sock.once('connect', () => resolve(sock));
          sock.once('error', reject);
        });
        return new GuestConsole(s);
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`cannot connect to guest console ${path}: ${String(e)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  /** Runs argv in the guest as root (no shell unless argv asks for one). */
  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0 || argv.some((a) => a.includes('\0'))) {
      return Promise.reject(new Error('argv must be non-empty and contain no NUL'));
    }
    const run = this.queue.then(() => this.send(argv, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private send(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new Error('guest console is closed'));
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const guestTimeout = Math.max(1, Math.ceil(timeoutMs / 1000));
    const id = ++this.nextId % 1_000_000_000;
    const args = argv.map(encodeArg).join(' ');
    const stdin = opts.stdin ? Buffer.from(opts.stdin, 'utf8').toString('base64') : '-';
    return new Promise<ExecResult>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending = null;
          reject(new Error(`guest command timed out after ${timeoutMs} ms: ${argv[0]}`));
        },
        // The guest kills the command at guestTimeout (+2 s grace); leave room for the reply to arrive.
        guestTimeout * 1000 + 8000,
      );
      this.pending = {
        id,
        output: null,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      // The leading newline ends any partial line left by an earlier, interrupted writer.
      this.socket.write(`\nFERRY ${id} ${guestTimeout} ${stdin} ${args}\n`);
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.onLine(line);
      nl = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > 64 * 1024 * 1024) this.buffer = '';
  }

  private onLine(line: string): void {
    const m = MARKER.exec(line);
    const p = this.pending;
    if (!m || !p || Number(m[1]) !== p.id) return;
    if (m[2] === 'OUT') {
      p.output = Buffer.from(m[3] ?? '', 'base64').toString('utf8');
    } else if (p.output !== null) {
      this.pending = null;
      p.resolve({ code: Number(m[3]), output: p.output });
    }
  }
}
