/** `ferry status`, `ferry diag`, `ferry disconnect`: questions to the running `ferry connect` over its control socket. */
import { writeFileSync } from 'node:fs';
import type { ConnectionState } from '../../../core/connection/state';
import type { DiagnosticsReport } from '../../service/connection/diagnostics';
import type { Command } from '../args';
import { type CliContext, CliExit } from '../context';
import { controlRequest } from '../control/client';
import type { ControlRequestType } from '../control/protocol';
import { EXIT } from '../exitCodes';
import { diagText, type StatusResult, stateLine, statusText } from '../output';
import { controlSocket } from '../paths';

async function ask(ctx: CliContext, type: ControlRequestType): Promise<unknown> {
  const r = await controlRequest(controlSocket(ctx.inv.options, ctx.env), type);
  if (r.kind === 'ok') return r.result;
  if (r.kind === 'not-running')
    throw new CliExit(EXIT.notRunning, `ferry: ${r.message}`, {
      error: { code: 'not-running', message: r.message },
    });
  throw new CliExit(EXIT.internal, `ferry: ${r.message} [${r.code}]`, {
    error: { code: r.code, message: r.message },
  });
}

export async function runQuery(
  ctx: CliContext,
  cmd: Extract<Command, { cmd: 'status' | 'diag' | 'disconnect' }>,
): Promise<number> {
  const json = ctx.inv.options.json;
  if (cmd.cmd === 'status') {
    const s = (await ask(ctx, 'status')) as StatusResult;
    ctx.out(json ? JSON.stringify(s, null, 2) : statusText(s));
    return EXIT.ok;
  }
  if (cmd.cmd === 'diag') {
    const d = (await ask(ctx, 'diag')) as DiagnosticsReport | null;
    if (d === null) throw new CliExit(EXIT.notRunning, 'ferry: the connection has no diagnostics yet');
    const text = `${JSON.stringify(d, null, 2)}\n`;
    if (cmd.output) {
      writeFileSync(cmd.output, text, { mode: 0o600 });
      ctx.err(`ferry: diagnostics written to ${cmd.output}`);
    } else ctx.out(json ? text.trimEnd() : diagText(d));
    return EXIT.ok;
  }
  const r = (await ask(ctx, 'disconnect')) as { state: ConnectionState | null };
  ctx.out(json ? JSON.stringify(r) : `ferry: ${r.state ? stateLine(r.state) : 'disconnected'}`);
  return EXIT.ok;
}
