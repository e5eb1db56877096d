/**
 * The browser harness's host side: serves dist/renderer/ and bridges ANY FerryApi implementation to the page.
 *   POST /ipc/<method>   body: JSON array of arguments → IpcResult (arguments validated with ipcArgs first,
 *                        exactly as the Electron main process does before a handler runs)
 *   GET  /ipc/events     Server-Sent Events: `event: <name>` / `data: <json payload>` for every IPC event
 * Only same-origin requests are served (the stand-in for Electron's IPC sender validation). Every call, result
 * and event is recorded for assertions. Point it at the scripted test double or at the real host.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type FerryApi,
  IPC_EVENTS,
  IPC_METHODS,
  type IpcEvent,
  type IpcMethod,
  type IpcResult,
  ipcArgs,
} from '../../../core/api/ipc';

export const DEFAULT_RENDERER_DIR = resolve(fileURLToPath(import.meta.url), '../../../../dist/renderer');

/** The CSP the Electron main process sets on its responses (index.html carries the same as a meta tag). */
export const RENDERER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'";

export interface RecordedCall {
  readonly method: IpcMethod;
  /** The validated arguments (secrets included: tests check they arrived, and only here). */
  readonly args: readonly unknown[];
  readonly result: IpcResult<unknown>;
}

export interface RecordedEvent {
  readonly event: IpcEvent;
  readonly payload: unknown;
}

export interface HarnessOptions {
  /** The host implementation behind window.ferry. */
  readonly api: FerryApi;
  /** Directory with the built renderer (default dist/renderer). */
  readonly rendererDir?: string;
  readonly port?: number;
}

export interface Harness {
  /** http://127.0.0.1:<port>/ — open this page after adding the bridge init script. */
  readonly url: string;
  readonly calls: readonly RecordedCall[];
  readonly events: readonly RecordedEvent[];
  /** Every request body and response body and event line as sent over the wire, for leak checks. */
  readonly wire: { readonly toHost: readonly string[]; readonly toPage: readonly string[] };
  /** Resolves once `n` event streams are connected (one per open page). */
  waitForStreams(n?: number): Promise<void>;
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

const MAX_BODY = 4 * 1024 * 1024;

function securityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', RENDERER_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('referrer-policy', 'no-referrer');
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isMethod = (m: string): m is IpcMethod => (IPC_METHODS as readonly string[]).includes(m);

/** Validates and dispatches one call, as the Electron main's ipcMain.handle wrapper will. */
export async function dispatch(api: FerryApi, method: IpcMethod, raw: unknown): Promise<IpcResult<unknown>> {
  const parsed = ipcArgs[method].safeParse(raw);
  if (!parsed.success) {
    return {
      type: 'error',
      error: {
        code: 'invalid-arguments',
        message: `invalid arguments for ${method}`,
        fields: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      },
    };
  }
  const fn = api[method] as (...args: unknown[]) => Promise<IpcResult<unknown>>;
  try {
    return await fn.apply(api, parsed.data as unknown[]);
  } catch (e) {
    // A host bug: report it without its text (which could carry anything), keep the details on the test console.
    console.error(`harness: ${method} threw`, e);
    return {
      type: 'error',
      error: { code: 'internal', message: `the host failed while handling ${method}` },
    };
  }
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const root = resolve(opts.rendererDir ?? DEFAULT_RENDERER_DIR);
  const calls: RecordedCall[] = [];
  const events: RecordedEvent[] = [];
  const wire = { toHost: [] as string[], toPage: [] as string[] };
  const streams = new Set<ServerResponse>();
  const streamWaiters: { n: number; resolve: () => void }[] = [];
  let origin = '';

  const sameOrigin = (req: IncomingMessage): boolean => {
    const o = req.headers.origin;
    // fetch() from the page sends Origin on POST; EventSource GETs are same-origin and may omit it.
    return (o === undefined && req.method === 'GET') || o === origin;
  };

  const serveStatic = async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const data = await readFile(file);
      securityHeaders(res);
      res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(req.method === 'HEAD' ? undefined : data);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  };

  const serveEvents = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    // Subscribe before the stream reports open: any call the page makes afterwards has its events delivered.
    const offs = IPC_EVENTS.map((event) =>
      opts.api.on(event, (payload: unknown) => {
        const data = JSON.stringify(payload);
        events.push({ event, payload: JSON.parse(data) });
        wire.toPage.push(data);
        res.write(`event: ${event}\ndata: ${data}\n\n`);
      }),
    );
    res.write(': connected\n\n');
    streams.add(res);
    for (const w of streamWaiters.splice(0)) {
      if (streams.size >= w.n) w.resolve();
      else streamWaiters.push(w);
    }
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepalive);
      for (const off of offs) off();
      streams.delete(res);
    });
  };

  const serveCall = async (req: IncomingMessage, res: ServerResponse, method: string): Promise<void> => {
    const reply = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      wire.toPage.push(text);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text);
    };
    if (!isMethod(method)) {
      reply(404, { type: 'error', error: { code: 'unknown-method', message: `no IPC method "${method}"` } });
      return;
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      reply(415, { type: 'error', error: { code: 'bad-request', message: 'expected application/json' } });
      return;
    }
    const body = await readBody(req);
    if (body === null) {
      reply(413, { type: 'error', error: { code: 'bad-request', message: 'request too large' } });
      return;
    }
    wire.toHost.push(body);
    let args: unknown;
    try {
      args = JSON.parse(body);
    } catch {
      reply(400, { type: 'error', error: { code: 'bad-request', message: 'body is not JSON' } });
      return;
    }
    const result = await dispatch(opts.api, method, args);
    calls.push({ method, args: Array.isArray(args) ? args : [args], result });
    reply(200, result);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin || 'http://127.0.0.1');
    if (!sameOrigin(req)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('cross-origin request refused');
      return;
    }
    if (url.pathname === '/ipc/events' && req.method === 'GET') return serveEvents(req, res);
    if (url.pathname.startsWith('/ipc/')) {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      void serveCall(req, res, url.pathname.slice('/ipc/'.length));
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      void serveStatic(req, res, url.pathname);
      return;
    }
    res.writeHead(405).end();
  });
  server.listen(opts.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/`,
    calls,
    events,
    wire,
    waitForStreams(n = 1) {
      if (streams.size >= n) return Promise.resolve();
      return new Promise<void>((resolve) => streamWaiters.push({ n, resolve }));
    },
    async close() {
      for (const s of streams) s.end();
      streams.clear();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
