/**
 * The control socket of a running `ferry connect`. The directory is created 0700 and must belong to this user;
 * the socket is bound under umask 0177 (never wider than 0600). A live socket at the path means another
 * `ferry connect` runs; a dead one (left by a kill -9) is replaced.
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { LineFramer } from '../../helper/framing';
import { type ControlRequest, type ControlResponse, MAX_CONTROL_LINE, parseControlRequest } from './protocol';

export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

export class ControlServer {
  private constructor(
    private readonly server: Server,
    readonly path: string,
    private readonly inode: number,
  ) {}

  /** Listens at `path`; 'running' when another live process already answers there. */
  static async listen(path: string, handler: ControlHandler): Promise<ControlServer | 'running'> {
    prepareDirectory(dirname(path));
    if (await isLive(path)) return 'running';
    try {
      const st = lstatSync(path);
      if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
      unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const server = createServer((s) => serve(s, handler));
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    chmodSync(path, 0o600);
    return new ControlServer(server, path, lstatSync(path).ino);
  }

  /** Stops listening and removes the socket (if it is still ours). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    try {
      if (lstatSync(this.path).ino === this.inode) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

function prepareDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (uid !== undefined && st.uid !== uid)
    throw new Error(`${dir} belongs to uid ${st.uid}, not to this user`);
  if (st.mode & 0o077) chmodSync(dir, 0o700);
}

function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function serve(socket: Socket, handler: ControlHandler): void {
  const framer = new LineFramer(MAX_CONTROL_LINE);
  let queue = Promise.resolve();
  const send = (r: ControlResponse) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(r)}\n`);
  };
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    for (const frame of framer.push(chunk)) {
      if (frame.kind === 'too-large') {
        socket.destroy();
        return;
      }
      const parsed = parseControlRequest(frame.line.toString('utf8'));
      if (!parsed.ok) {
        send({ id: -1, ok: false, error: { code: 'malformed', message: parsed.error } });
        continue;
      }
      const req = parsed.value;
      queue = queue.then(async () => {
        try {
          send({ id: req.id, ok: true, result: await handler(req) });
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          send({
            id: req.id,
            ok: false,
            error: {
              code: typeof code === 'string' ? code : 'failed',
              message: e instanceof Error ? e.message : String(e),
            },
          });
        }
      });
    }
  });
}
