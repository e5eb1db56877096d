/**
 * `ferry connect --background`: the secrets are collected here (the terminal is ours), then the same command
 * runs detached (own session, no terminal) with `--daemon-child`; the secrets go to it as one JSON line on its
 * stdin — never in its argv or environment. Its progress comes back on its stdout until the tunnel is up or
 * has failed; then this process exits (0, or the failure's exit code) and the child keeps the tunnel.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SECRET_ENV } from '../../service/secrets/env';
import type { CliContext } from '../context';
import { EXIT } from '../exitCodes';
import { connectionSummary, errorLine } from '../output';
import { controlSocket } from '../paths';
import type { CliSecrets } from '../secrets';
import type { ChildReport } from './connect';

/** The child's argv: ours without --background and --otp (the code travels on stdin), plus --daemon-child. */
export function childArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--background') continue;
    if (a === '--otp') {
      i++;
      continue;
    }
    if (a.startsWith('--otp=')) continue;
    out.push(a);
  }
  return [...out, '--daemon-child'];
}

export async function runBackground(
  ctx: CliContext,
  secrets: CliSecrets,
  otp: string | undefined,
): Promise<number> {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell which script to run in the background');
  const logFile =
    ctx.inv.options.logFile ?? join(dirname(controlSocket(ctx.inv.options, ctx.env)), 'connect.log');
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  const logFd = openSync(logFile, 'a', 0o600);
  const env = { ...ctx.env };
  for (const name of [...Object.values(SECRET_ENV), 'FERRY_OTP']) delete env[name];
  const child = spawn(process.execPath, [...process.execArgv, script, ...childArgv(ctx.argv)], {
    detached: true,
    stdio: ['pipe', 'pipe', logFd],
    env,
  });
  closeSync(logFd);
  child.stdin!.end(`${JSON.stringify({ ...secrets, ...(otp ? { otp } : {}) })}\n`);
  const json = ctx.inv.options.json;
  return new Promise<number>((resolve) => {
    let buf = '';
    let settled = false;
    const settle = (code: number) => {
      if (settled) return;
      settled = true;
      child.stdout!.destroy();
      child.unref();
      resolve(code);
    };
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let r: ChildReport;
        try {
          r = JSON.parse(line) as ChildReport;
        } catch {
          continue;
        }
        if (r.t === 'progress') {
          if (!json) ctx.err(r.line);
        } else if (r.t === 'connected') {
          if (json) ctx.out(JSON.stringify({ event: 'connected', background: true, logFile, ...r.status }));
          else
            ctx.out(
              `${connectionSummary(r.status)}\nferry: running in the background as pid ${r.status.pid} (log ${logFile}); ferry disconnect ends it`,
            );
          settle(EXIT.ok);
        } else {
          const e = r.error as { phase: string; code: string; message: string; hint: string };
          if (json) ctx.out(JSON.stringify({ event: 'failed', error: e, exit: r.exit }));
          else ctx.err(errorLine(e, r.exit));
          settle(r.exit);
        }
      }
    });
    child.once('exit', (code) => {
      if (!settled)
        ctx.err(`ferry: the background process exited (${code}) before the tunnel was up; see ${logFile}`);
      settle(code && code !== 0 ? code : EXIT.internal);
    });
  });
}
