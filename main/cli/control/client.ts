/** Talks to a running `ferry connect` over its control socket, after checking the socket belongs to this user. */
import { connect } from 'node:net';
import { verifyHelperSocket } from '../../helper/client';
import { LineFramer } from '../../helper/framing';
import { type ControlRequestType, MAX_CONTROL_LINE, parseControlResponse } from './protocol';

export type ControlResult =
  | { readonly kind: 'ok'; readonly result: unknown }
  | { readonly kind: 'not-running'; readonly message: string }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

export async function controlRequest(
  path: string,
  type: ControlRequestType,
  timeoutMs = 60_000,
): Promise<ControlResult> {
  const trusted = verifyHelperSocket(path, process.getuid?.() ?? 0);
  if (!trusted.ok) {
    if (trusted.error.kind === 'missing')
      return { kind: 'not-running', message: 'no ferry connect is running' };
    return { kind: 'error', code: 'control-untrusted', message: trusted.error.message };
  }
  return new Promise((resolve) => {
    const s = connect(path);
    const framer = new LineFramer(MAX_CONTROL_LINE);
    const done = (r: ControlResult) => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => done({ kind: 'error', code: 'timeout', message: `no answer to ${type} in ${timeoutMs} ms` }),
      timeoutMs,
    );
    s.once('connect', () => s.write(`${JSON.stringify({ id: 1, type })}\n`));
    s.once('error', (e: NodeJS.ErrnoException) =>
      done(
        e.code === 'ECONNREFUSED' || e.code === 'ENOENT'
          ? { kind: 'not-running', message: 'no ferry connect is running (stale control socket)' }
          : { kind: 'error', code: e.code ?? 'error', message: e.message },
      ),
    );
    s.on('close', () =>
      done({ kind: 'error', code: 'closed', message: 'the connection closed before an answer' }),
    );
    s.on('data', (chunk: Buffer) => {
      for (const f of framer.push(chunk)) {
        if (f.kind !== 'line') continue;
        const r = parseControlResponse(f.line.toString('utf8'));
        if (!r.ok) return done({ kind: 'error', code: 'malformed', message: r.error });
        const res = r.value;
        return done(res.ok ? { kind: 'ok', result: res.result } : { kind: 'error', ...res.error });
      }
    });
  });
}
