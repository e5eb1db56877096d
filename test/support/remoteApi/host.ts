/**
 * The host end of the remote FerryApi (protocol.ts): a unix socket server in front of a FerryApi implementation
 * (FerryService.invoke + on). Every connection gets a hello, the results of its calls, and every IPC event from
 * then on. Lines that are not JSON, too long or off-schema are refused with a `refused` line and never reach the
 * service; the connection stays usable.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  IPC_EVENTS,
  type IpcEvent,
  type IpcEvents,
  type IpcMethod,
  type IpcResult,
} from '../../../core/api/ipc';
import { LineFramer } from '../../../main/helper/framing';
import {
  checkEvent,
  checkedResult,
  decodeToHost,
  encodeLine,
  MAX_LINE_BYTES,
  PROTOCOL,
  type ProtocolProblem,
  type ToTest,
} from './protocol';

/** What the host needs of the service: the validated entry point and the event subscription. */
export interface InvokableApi {
  invoke(method: IpcMethod, args: unknown): Promise<IpcResult<unknown>>;
  on<E extends IpcEvent>(event: E, listener: (payload: IpcEvents[E]) => void): () => void;
}

export interface RemoteApiHost {
  readonly socketPath: string;
  /** Lines refused so far (what, never the line itself: it may carry secrets). */
  readonly refused: readonly ProtocolProblem[];
  close(): Promise<void>;
}

export interface HostOptions {
  /** Called for every refused line and every message the host itself would not send. */
  readonly onProblem?: (p: ProtocolProblem) => void;
  /** Socket file mode (default 0600: only the owner may connect). */
  readonly mode?: number;
}

export async function serveRemoteApi(
  api: InvokableApi,
  socketPath: string,
  opts: HostOptions = {},
): Promise<RemoteApiHost> {
  const refused: ProtocolProblem[] = [];
  const sockets = new Set<Socket>();
  const report = (p: ProtocolProblem) => {
    refused.push(p);
    opts.onProblem?.(p);
  };

  const serve = (sock: Socket): void => {
    sockets.add(sock);
    const framer = new LineFramer(MAX_LINE_BYTES);
    let open = true;
    const send = (m: ToTest): void => {
      if (!open) return;
      const line = encodeLine(m);
      if (line === null) {
        report({ code: 'too-large', message: `a ${m.t} message exceeds the line limit`, id: null });
        if (m.t === 'result')
          sock.write(
            encodeLine({
              t: 'result',
              id: m.id,
              result: { type: 'error', error: { code: 'too-large', message: 'the result is too large' } },
            }) ?? '',
          );
        return;
      }
      sock.write(line);
    };
    const refuse = (p: ProtocolProblem): void => {
      report(p);
      if (p.code === 'invalid-argument' && p.id !== null) {
        // A well-formed call with bad arguments is answered like the IPC layer answers it.
        send({
          t: 'result',
          id: p.id,
          result: { type: 'error', error: { code: 'invalid-argument', message: p.message } },
        });
        return;
      }
      send({ t: 'refused', id: p.id, code: p.code, message: p.message });
    };
    const offs = IPC_EVENTS.map((event) =>
      api.on(event, (payload) => {
        if (checkEvent(event, payload)) send({ t: 'event', event, payload });
        else report({ code: 'invalid-result', message: `event ${event} is off-schema; not sent`, id: null });
      }),
    );
    send({ t: 'hello', protocol: PROTOCOL, pid: process.pid });
    sock.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        if (frame.kind === 'too-large') {
          refuse({ code: 'too-large', message: `line over ${MAX_LINE_BYTES} bytes`, id: null });
          continue;
        }
        const m = decodeToHost(frame.line);
        if (!m.ok) {
          refuse(m.error);
          continue;
        }
        const { id, method, args } = m.value;
        void api
          .invoke(method, args)
          .catch(
            (): IpcResult<unknown> => ({
              type: 'error',
              error: { code: 'internal', message: `the host failed while handling ${method}` },
            }),
          )
          .then((result) => send({ t: 'result', id, result: checkedResult(method, result) }));
      }
    });
    const end = () => {
      if (!open) return;
      open = false;
      for (const off of offs) off();
      sockets.delete(sock);
    };
    sock.on('close', end);
    sock.on('error', end);
  };

  rmSync(socketPath, { force: true });
  const server: Server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, opts.mode ?? 0o600);

  return {
    socketPath,
    refused,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(socketPath, { force: true });
    },
  };
}
