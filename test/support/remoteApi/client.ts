/**
 * The test end of the remote FerryApi (protocol.ts): a FerryApi whose methods are calls over the unix socket and
 * whose `on()` listeners are fed by the host's event lines. Arguments are checked with the IPC schemas before
 * they leave; every line that arrives is checked before it is used, and one that fails is recorded as a problem
 * (never thrown, never acted on). Hand it to the browser harness: `startHarness({ api: remote.api })`.
 */
import { createConnection, type Socket } from 'node:net';
import {
  type FerryApi,
  IPC_METHODS,
  type IpcEvent,
  type IpcEvents,
  type IpcMethod,
  type IpcResult,
} from '../../../core/api/ipc';
import { Emitter } from '../../../core/common/events';
import { LineFramer } from '../../../main/helper/framing';
import {
  checkArgs,
  decodeToTest,
  encodeLine,
  MAX_LINE_BYTES,
  PROTOCOL,
  type ProtocolProblem,
} from './protocol';

export interface RemoteApi {
  readonly api: FerryApi;
  /** The host's process id (from its hello). */
  readonly hostPid: number;
  /** Lines from the host that were refused (should stay empty). */
  readonly problems: readonly ProtocolProblem[];
  /** Every line the host sent, as received (for leak checks: secrets go in, never out). */
  readonly received: readonly string[];
  close(): void;
}

export interface RemoteApiOptions {
  /** How long a call waits for its result (default 60 s). */
  readonly callTimeoutMs?: number;
  /** How long to wait for the connection and the host's hello (default 10 s). */
  readonly connectTimeoutMs?: number;
}

type Events = { [E in IpcEvent]: (payload: IpcEvents[E]) => void };

interface Pending {
  readonly method: IpcMethod;
  readonly resolve: (r: IpcResult<unknown>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

const failure = (code: string, message: string): IpcResult<never> => ({
  type: 'error',
  error: { code, message },
});

export async function connectRemoteApi(socketPath: string, opts: RemoteApiOptions = {}): Promise<RemoteApi> {
  const sock: Socket = createConnection(socketPath);
  const emitter = new Emitter<Events>();
  const pending = new Map<number, Pending>();
  const problems: ProtocolProblem[] = [];
  const received: string[] = [];
  const framer = new LineFramer(MAX_LINE_BYTES);
  let nextId = 1;
  let closed = false;
  let hello: ((pid: number) => void) | null = null;
  const helloPid = new Promise<number>((resolve) => {
    hello = resolve;
  });

  const settle = (id: number, r: IpcResult<unknown>): void => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(r);
  };

  const onLine = (line: Buffer): void => {
    received.push(line.toString('utf8'));
    const m = decodeToTest(line, (id) => pending.get(id)?.method);
    if (!m.ok) {
      problems.push(m.error);
      // A call whose answer was unusable fails now rather than at its timeout.
      if (m.error.id !== null)
        settle(m.error.id, failure('ipc-protocol', `unusable answer: ${m.error.message}`));
      return;
    }
    const msg = m.value;
    switch (msg.t) {
      case 'hello':
        hello?.(msg.pid);
        hello = null;
        return;
      case 'result':
        settle(msg.id, msg.result);
        return;
      case 'event':
        emitter.emit(msg.event, msg.payload as never);
        return;
      case 'refused':
        problems.push({ code: msg.code, message: `host refused: ${msg.message}`, id: msg.id });
        if (msg.id !== null) settle(msg.id, failure(msg.code, msg.message));
        return;
    }
  };

  sock.on('data', (chunk: Buffer) => {
    for (const f of framer.push(chunk)) {
      if (f.kind === 'too-large')
        problems.push({ code: 'too-large', message: `host line over ${MAX_LINE_BYTES} bytes`, id: null });
      else onLine(f.line);
    }
  });
  const shut = (): void => {
    if (closed) return;
    closed = true;
    for (const id of [...pending.keys()]) settle(id, failure('ipc-unavailable', 'the Ferry host went away'));
  };
  sock.on('close', shut);
  sock.on('error', shut);

  const call =
    (method: IpcMethod) =>
    (...args: unknown[]): Promise<IpcResult<unknown>> => {
      const checked = checkArgs(method, args);
      if (!checked.ok)
        return Promise.resolve({
          type: 'error',
          error: {
            code: 'invalid-argument',
            message: `invalid arguments for ${method}`,
            fields: checked.error.issues.map((i) => ({
              path: i.path.map(String).join('.'),
              message: i.message,
            })),
          },
        });
      if (closed) return Promise.resolve(failure('ipc-unavailable', 'the Ferry host went away'));
      const id = nextId++;
      const line = encodeLine({ t: 'invoke', id, method, args: checked.value });
      if (line === null) return Promise.resolve(failure('too-large', `the ${method} request is too large`));
      return new Promise((resolve) => {
        const timer = setTimeout(
          () => settle(id, failure('ipc-timeout', `no answer to ${method} in time`)),
          opts.callTimeoutMs ?? 60_000,
        );
        pending.set(id, { method, resolve, timer });
        sock.write(line);
      });
    };

  const api: Record<string, unknown> = {};
  for (const m of IPC_METHODS) api[m] = call(m);
  api.on = <E extends IpcEvent>(event: E, listener: (payload: IpcEvents[E]) => void) =>
    emitter.on(event, listener as Events[E]);

  const connectTimeout = opts.connectTimeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hostPid = await Promise.race([
    helloPid,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no ${PROTOCOL} hello from ${socketPath} within ${connectTimeout} ms`)),
        connectTimeout,
      );
      sock.once('error', (e) => reject(new Error(`cannot connect to ${socketPath}: ${e.message}`)));
    }),
  ]).finally(() => clearTimeout(timer));

  return {
    api: api as unknown as FerryApi,
    hostPid,
    problems,
    received,
    close: () => {
      sock.end();
      shut();
    },
  };
}
