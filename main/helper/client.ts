/**
 * The app's side of the helper protocol. Before using the socket it checks that the socket and its directory
 * belong to root and are not world-writable (as Mullvad's app verifies its daemon's socket), so an unprivileged
 * process cannot stand in for the helper. Refusals come back as FerryErrors (phase 'helper', code = refusal).
 */
import { lstatSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { FerryError } from '../../core/common/errors';
import { type Logger, silentLogger } from '../../core/common/log';
import { err, ok, type Result } from '../../core/common/result';
import { DEFAULT_SOCKET, isPipeName, PROTECTED_PIPE_PREFIX } from './config';
import { LineFramer } from './framing';
import {
  encodeRequest,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  parseResponse,
  REFUSAL_HINTS,
  type RefusalBody,
  type RequestInput,
  type RequestResult,
  type RequestType,
} from './protocol';

export interface HelperClientOptions {
  readonly socketPath?: string;
  /** Who must own the socket and its directory (default root). */
  readonly expectedOwnerUid?: number;
  readonly logger?: Logger;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number;
}

export interface SocketProblem {
  /** 'denied': this user may not even look (not in the helper's group); 'untrusted': wrong owner or mode; 'missing'. */
  readonly kind: 'denied' | 'untrusted' | 'missing';
  readonly message: string;
}

/** The socket must be a socket owned by `uid`, not world-writable, in a directory owned by `uid` that others cannot write. */
export function verifyHelperSocket(path: string, uid = 0): Result<void, SocketProblem> {
  const untrusted = (message: string) => err({ kind: 'untrusted' as const, message });
  try {
    const dir = lstatSync(dirname(path));
    if (!dir.isDirectory()) return untrusted(`${dirname(path)} is not a directory`);
    if (dir.uid !== uid) return untrusted(`${dirname(path)} is owned by uid ${dir.uid}, expected ${uid}`);
    if (dir.mode & 0o022)
      return untrusted(`${dirname(path)} is writable by others (mode ${(dir.mode & 0o777).toString(8)})`);
    const st = lstatSync(path);
    if (!st.isSocket()) return untrusted(`${path} is not a socket`);
    if (st.uid !== uid) return untrusted(`${path} is owned by uid ${st.uid}, expected ${uid}`);
    if (st.mode & 0o002)
      return untrusted(`${path} is world-writable (mode ${(st.mode & 0o777).toString(8)})`);
    return ok(undefined);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      return err({ kind: 'denied', message: `no access to ${path}` });
    if (code === 'ENOENT') return err({ kind: 'missing', message: `${path} does not exist` });
    return untrusted(`cannot inspect ${path}: ${code ?? String(e)}`);
  }
}

/**
 * Windows: the pipe must live under `\\.\pipe\ProtectedPrefix\Administrators\`, where only Administrators
 * and SYSTEM can create one (there is no owner to stat, and opening the pipe to look would be a connection).
 */
export function verifyHelperPipe(name: string): Result<void, SocketProblem> {
  const prefix = PROTECTED_PIPE_PREFIX;
  const rest = name.slice(prefix.length);
  // No `.`/`..` components or forward slashes: Win32 path normalisation could lead out of the prefix.
  const plain = /^[^\\/.][^/]*$/.test(rest) && !rest.includes('\\.');
  if (isPipeName(name) && name.toLowerCase().startsWith(prefix.toLowerCase()) && plain) return ok(undefined);
  return err({ kind: 'untrusted', message: `${name} is not under ${prefix}: anyone could have created it` });
}

/** The helper's endpoint for this OS: a Unix socket (owner and modes) or the Windows pipe (its name). */
export function verifyHelperEndpoint(
  path: string,
  uid = 0,
  platform: NodeJS.Platform = process.platform,
): Result<void, SocketProblem> {
  return platform === 'win32' ? verifyHelperPipe(path) : verifyHelperSocket(path, uid);
}

/** The FerryError for a socket that failed verifyHelperSocket. */
function socketError(p: SocketProblem): FerryError {
  switch (p.kind) {
    case 'denied':
      return helperError('unauthorized', p.message, REFUSAL_HINTS.unauthorized);
    case 'missing':
      return helperError('helper-unavailable', p.message, 'start the Ferry helper service (or reinstall it)');
    case 'untrusted':
      return helperError(
        'helper-untrusted',
        p.message,
        'the helper socket is not owned by root or is writable by others: reinstall the Ferry helper',
      );
  }
}

function helperError(code: string, message: string, hint: string, cause?: unknown): FerryError {
  return new FerryError({ phase: 'helper', code, message, hint, ...(cause ? { cause } : {}) });
}

export function refusalError(r: RefusalBody): FerryError {
  return helperError(r.code, r.message, REFUSAL_HINTS[r.code]);
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: FerryError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Anything that carries protocol lines both ways (a Unix socket, a child's stdio). */
export interface HelperTransport {
  readonly input: NodeJS.ReadableStream;
  write(text: string): void;
  close(): void;
}

export class HelperClient {
  private readonly pending = new Map<number, Pending>();
  private readonly framer = new LineFramer(MAX_MESSAGE_BYTES);
  private readonly closeHandlers: ((error: FerryError | null) => void)[] = [];
  private nextId = 1;
  private closedWith: FerryError | null | undefined;
  private readonly log: Logger;
  private readonly timeoutMs: number;

  private constructor(
    private readonly transport: HelperTransport,
    private readonly opts: HelperClientOptions & { readonly fdSocketPath: string | null },
  ) {
    this.log = (opts.logger ?? silentLogger).child('helper-client');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    transport.input.on('data', (c: Buffer | string) =>
      this.onData(typeof c === 'string' ? Buffer.from(c) : c),
    );
    const gone = () =>
      this.shutdown(
        helperError(
          'helper-closed',
          'the helper connection closed',
          'check that the Ferry helper service is running',
        ),
      );
    transport.input.on('end', gone);
    transport.input.on('close', gone);
    transport.input.on('error', gone);
  }

  /** Connects to the helper's socket after checking who owns it, then says hello. */
  static async connect(opts: HelperClientOptions = {}): Promise<HelperClient> {
    const path = opts.socketPath ?? DEFAULT_SOCKET;
    const trusted = verifyHelperEndpoint(path, opts.expectedOwnerUid ?? 0);
    if (!trusted.ok) throw socketError(trusted.error);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'EACCES'
            ? helperError(
                'unauthorized',
                `cannot open ${path}: permission denied`,
                REFUSAL_HINTS.unauthorized,
                e,
              )
            : helperError(
                'helper-unavailable',
                `cannot connect to ${path} (${e.code ?? e.message})`,
                'start the Ferry helper service',
                e,
              ),
        ),
      );
    });
    const client = new HelperClient(
      { input: socket, write: (t) => socket.write(t), close: () => socket.end() },
      { ...opts, fdSocketPath: path },
    );
    await client.hello();
    return client;
  }

  /** A helper started elevated by the app, speaking over its stdin/stdout (no fd passing). */
  static async overTransport(
    transport: HelperTransport,
    opts: HelperClientOptions = {},
  ): Promise<HelperClient> {
    const client = new HelperClient(transport, { ...opts, fdSocketPath: null });
    await client.hello();
    return client;
  }

  /** Sends one request; resolves with its result or rejects with a FerryError. */
  request<T extends RequestType>(type: T, args: RequestInput<T>): Promise<RequestResult<T>> {
    if (this.closedWith !== undefined)
      return Promise.reject(
        this.closedWith ?? helperError('helper-closed', 'the helper connection is closed', 'reconnect'),
      );
    const id = this.nextId++;
    const line = encodeRequest(id, type, args);
    if (Buffer.byteLength(line) > MAX_MESSAGE_BYTES)
      return Promise.reject(
        refusalError({ code: 'too-large', message: `${type} request is ${Buffer.byteLength(line)} bytes` }),
      );
    return new Promise<RequestResult<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          helperError(
            'helper-timeout',
            `the helper did not answer ${type} in ${this.timeoutMs} ms`,
            'see the helper log',
          ),
        );
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.transport.write(line);
    });
  }

  createTun = (a: RequestInput<'createTun'> = {}) => this.request('createTun', a);
  setAddress = (a: RequestInput<'setAddress'>) => this.request('setAddress', a);
  setMtu = (a: RequestInput<'setMtu'>) => this.request('setMtu', a);
  addRoutes = (a: RequestInput<'addRoutes'>) => this.request('addRoutes', a);
  removeRoutes = (a: RequestInput<'removeRoutes'>) => this.request('removeRoutes', a);
  setFullTunnel = (a: RequestInput<'setFullTunnel'>) => this.request('setFullTunnel', a);
  setDns = (a: RequestInput<'setDns'>) => this.request('setDns', a);
  restoreDns = () => this.request('restoreDns', {});
  enableKillSwitch = (a: RequestInput<'enableKillSwitch'>) => this.request('enableKillSwitch', a);
  disableKillSwitch = () => this.request('disableKillSwitch', {});
  destroyTun = (a: RequestInput<'destroyTun'>) => this.request('destroyTun', a);
  restoreAll = () => this.request('restoreAll', {});
  status = () => this.request('status', {});

  /**
   * A file descriptor attached to the device (Linux, socket mode): the helper opens it as root and passes it
   * over a separate connection, so /dev/net/tun's permissions do not matter. Pass it to core/tun `tunFromFd`.
   */
  async openTunFd(name: string, token: string): Promise<number> {
    const path = this.opts.fdSocketPath;
    if (process.platform !== 'linux' || path === null)
      throw helperError(
        'fd-passing-unavailable',
        'descriptor passing needs the helper socket on Linux',
        'attach with openTun(name) instead',
      );
    const trusted = verifyHelperSocket(path, this.opts.expectedOwnerUid ?? 0);
    if (!trusted.ok) throw socketError(trusted.error);
    const { fetchFd } = await import('./linux/fdClient');
    const { socketLibc } = await import('./linux/socketLibc');
    const { line, fd } = await fetchFd(path, encodeRequest(0, 'openTunFd', { name, token }), this.timeoutMs);
    const r = parseResponse(line);
    if (!r.ok || !r.value.ok || fd === null) {
      if (fd !== null) socketLibc().close(fd);
      if (r.ok && !r.value.ok) throw refusalError(r.value.error);
      throw helperError(
        'helper-protocol',
        `openTunFd: ${r.ok ? 'no descriptor received' : r.error}`,
        'see the helper log',
      );
    }
    return fd;
  }

  /** Called once when the connection ends (null after close()). */
  onClose(handler: (error: FerryError | null) => void): void {
    this.closeHandlers.push(handler);
  }

  /** Closing the connection makes the helper undo everything this session applied. */
  async close(): Promise<void> {
    if (this.closedWith !== undefined) return;
    this.transport.close();
    this.shutdown(null);
  }

  private async hello(): Promise<void> {
    const h = await this.request('hello', { version: PROTOCOL_VERSION });
    this.log.debug('helper connected', { version: h.version, platform: h.platform });
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.framer.push(chunk)) {
      if (frame.kind === 'too-large') {
        this.log.warn('oversized line from the helper ignored');
        continue;
      }
      const r = parseResponse(frame.line.toString('utf8'));
      if (!r.ok) {
        this.log.warn('unparseable line from the helper', { error: r.error });
        continue;
      }
      const res = r.value;
      if (res.id === null) {
        // A refusal not tied to a request. Unauthorized means the helper is closing on us: fail everything.
        if (!res.ok && res.error.code === 'unauthorized') this.shutdown(refusalError(res.error));
        else this.log.warn('helper refused a line', { code: res.ok ? null : res.error.code });
        continue;
      }
      const p = typeof res.id === 'number' ? this.pending.get(res.id) : undefined;
      if (!p) continue;
      this.pending.delete(res.id as number);
      clearTimeout(p.timer);
      if (res.ok) p.resolve(res.result);
      else p.reject(refusalError(res.error));
    }
  }

  private shutdown(error: FerryError | null): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = error;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(error ?? helperError('helper-closed', 'the helper connection was closed', 'reconnect'));
    }
    this.pending.clear();
    for (const h of this.closeHandlers) h(error);
  }
}
