/** Minimal QMP client (QEMU Machine Protocol over a unix socket): commands in, JSON replies out, events ignored. */
import { connect, type Socket } from 'node:net';

interface QmpReply {
  readonly return?: unknown;
  readonly error?: { readonly class: string; readonly desc: string };
  readonly event?: string;
  readonly QMP?: unknown;
}

export class Qmp {
  private buffer = '';
  private waiters: ((r: QmpReply) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        nl = this.buffer.indexOf('\n');
        if (!line) continue;
        const msg = JSON.parse(line) as QmpReply;
        if (msg.event || msg.QMP) continue;
        this.waiters.shift()?.(msg);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const w of this.waiters.splice(0))
        w({ error: { class: 'Closed', desc: 'QMP connection closed' } });
    });
  }

  static async connect(path: string, timeoutMs = 15_000): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const qmp = new Qmp(sock);
        await qmp.execute('qmp_capabilities');
        return qmp;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`cannot connect to QMP at ${path}: ${String(e)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    const run = this.queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`QMP ${command} timed out`)), timeoutMs);
          this.waiters.push((r) => {
            clearTimeout(timer);
            if (r.error) reject(new Error(`QMP ${command}: ${r.error.class}: ${r.error.desc}`));
            else resolve(r.return as T);
          });
          this.socket.write(
            `${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`,
          );
        }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.socket.destroy();
  }
}
