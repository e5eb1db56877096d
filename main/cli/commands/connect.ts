/**
 * `ferry connect`: resolves the profile and its secrets, opens the control socket, brings the tunnel up through
 * the helper and keeps it up (reconnecting as the profile says) until Ctrl-C, SIGTERM or `ferry disconnect`;
 * then routes and DNS are restored. Exit codes by failure class (exitCodes.ts).
 */
import type { ConnectionView } from '../../../core/api/ipc';
import { isFerryError } from '../../../core/common/errors';
import { Redactor } from '../../../core/common/log';
import type { Profile } from '../../../core/profile/schema';
import { HelperClient } from '../../helper/client';
import { ConnectionManager } from '../../service/connection/manager';
import { HelperNetworkHost } from '../../service/connection/networkHost';
import { KeytarSecretStore } from '../../service/secrets/keytar';
import { MemorySecretStore } from '../../service/secrets/memory';
import type { Command } from '../args';
import { type CliContext, CliExit, logSinks, resolveProfile } from '../context';
import { ControlServer } from '../control/server';
import { EXIT, exitCodeFor } from '../exitCodes';
import { terminalOtpProvider } from '../otpPrompt';
import { connectionSummary, errorLine, phaseLine, type StatusResult, stateLine } from '../output';
import { controlSocket, helperSocket } from '../paths';
import { isInteractive, PromptInterrupted, promptHidden } from '../prompt';
import { type CliSecrets, collectSecrets, initialOtp } from '../secrets';
import { runBackground } from './background';

type ConnectCommand = Extract<Command, { cmd: 'connect' }>;

/** What the background child tells its parent on stdout (one JSON line each). */
export type ChildReport =
  | { readonly t: 'progress'; readonly line: string }
  | { readonly t: 'connected'; readonly status: StatusResult }
  | { readonly t: 'failed'; readonly error: Record<string, unknown>; readonly exit: number };

export async function runConnect(ctx: CliContext, cmd: ConnectCommand): Promise<number> {
  const redactor = new Redactor();
  const { profile, warnings } = await resolveProfile(ctx, cmd.profile);
  if (!ctx.inv.options.json) for (const w of warnings) ctx.err(`ferry: warning: ${w}`);
  if (cmd.daemonChild) {
    const handed = await readHandover(redactor);
    return tunnel(ctx, profile, handed.secrets, handed.otp, redactor, childReporter());
  }
  const interactive = isInteractive();
  let secrets: CliSecrets;
  let otp: string | undefined;
  try {
    secrets = await collectSecrets(profile, {
      env: ctx.env,
      redactor,
      ...(ctx.inv.options.keyring ? { keyring: new KeytarSecretStore() } : {}),
      ...(interactive ? { prompt: (q: string) => promptHidden(q) } : {}),
    });
    otp = initialOtp(cmd.otp, ctx.env);
    if (profile.mfa.mode === 'otp-append' && otp === undefined && interactive)
      otp = (await promptHidden(`One-time code for ${profile.name}: `)) || undefined;
  } catch (e) {
    if (e instanceof PromptInterrupted) return EXIT.interrupted;
    if (isFerryError(e))
      throw new CliExit(exitCodeFor(e), errorLine(e, exitCodeFor(e)), { error: e.toJSON() });
    throw e;
  }
  if (cmd.background) return runBackground(ctx, secrets, otp);
  return tunnel(ctx, profile, secrets, otp, redactor, null);
}

/** The connect process proper (foreground, or the detached child of --background). */
async function tunnel(
  ctx: CliContext,
  profile: Profile,
  secrets: CliSecrets,
  otp: string | undefined,
  redactor: Redactor,
  report: ((r: ChildReport) => void) | null,
): Promise<number> {
  const o = ctx.inv.options;
  const json = o.json && !report;
  const logs = logSinks(ctx, report ? 'info' : 'warn');
  const interactive = !report && isInteractive();
  const manager = new ConnectionManager({
    secrets: new MemorySecretStore({ [profile.id]: secrets }, 'command line'),
    network: new HelperNetworkHost({
      connect: (logger) => HelperClient.connect({ socketPath: helperSocket(o, ctx.env), logger }),
    }),
    redactor,
    sinks: logs.sinks,
    version: ctx.version,
    // A rejected code (the typed mfa-rejected) and reconnects need a fresh code: only a terminal can give one.
    otp: terminalOtpProvider({
      profileName: profile.name,
      interactive,
      err: (line) => ctx.err(line),
      ask: (q) => promptHidden(q),
    }),
  });
  const startedAt = new Date().toISOString();
  const status = async (): Promise<StatusResult> => {
    const d = await manager.diagnostics(profile.id, 0);
    const view = manager.view(profile.id);
    return {
      pid: process.pid,
      startedAt,
      profile: { id: profile.id, name: profile.name, server: profile.server, routing: profile.routing.mode },
      connection: view ?? {
        profileId: profile.id,
        state: { kind: 'idle' },
        phases: [],
        counters: null,
        routes: [],
        dns: [],
        reconnect: null,
      },
      algorithms: d?.algorithms ?? null,
      addresses: d?.addresses ?? null,
      network: d?.network ?? null,
      tun: d?.tun ?? null,
    };
  };
  const control = await ControlServer.listen(controlSocket(o, ctx.env), async (req) => {
    if (req.type === 'status') return status();
    if (req.type === 'diag') {
      const text = await manager.bundle(profile.id);
      return text === null ? null : JSON.parse(text);
    }
    await manager.disconnect(profile.id);
    return { state: manager.view(profile.id)?.state ?? null };
  });
  if (control === 'running') {
    logs.close();
    throw new CliExit(
      EXIT.alreadyRunning,
      `ferry: another ferry connect is already running (${controlSocket(o, ctx.env)}); ferry disconnect ends it`,
      {
        error: { code: 'already-running', message: 'another ferry connect is running' },
      },
    );
  }
  const progress = progressPrinter(ctx, json, report);
  manager.events.on('connection', progress);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) {
      // Second signal: leave at once; the helper undoes everything when our socket closes.
      process.exit(EXIT.interrupted);
    }
    interrupted = true;
    void manager.disconnect(profile.id);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  const cleanup = async () => {
    for (const s of signals) process.off(s, onSignal);
    await manager.dispose();
    await control.close();
    logs.close();
  };

  try {
    await manager.connect(profile, otp === undefined ? {} : { otp });
  } catch (e) {
    await cleanup();
    const error = isFerryError(e)
      ? e.toJSON()
      : { phase: 'established', code: 'internal', message: String(e), hint: 'report this bug' };
    const exit = exitCodeFor(error);
    report?.({ t: 'failed', error, exit });
    if (json) ctx.out(JSON.stringify({ event: 'failed', error, exit }));
    else ctx.err(errorLine(error, exit));
    return exit;
  }
  const up = await status();
  report?.({ t: 'connected', status: up });
  if (json) ctx.out(JSON.stringify({ event: 'connected', ...up }));
  else if (!report) ctx.out(connectionSummary(up));

  const final = await manager.ended(profile.id)!;
  await cleanup();
  if (final.kind === 'failed') {
    if (json) ctx.out(JSON.stringify({ event: 'failed', error: final, exit: EXIT.lost }));
    else ctx.err(errorLine(final, EXIT.lost));
    return EXIT.lost;
  }
  if (json) ctx.out(JSON.stringify({ event: 'disconnected', state: final }));
  else if (!report) ctx.err('ferry: disconnected; routes and DNS restored');
  return EXIT.ok;
}

/** Prints each phase as it finishes, losses and reconnects (stderr; the background parent relays them). */
function progressPrinter(ctx: CliContext, json: boolean, report: ((r: ChildReport) => void) | null) {
  let printed = 0;
  let lastState = '';
  return (v: ConnectionView) => {
    const say = (line: string) => (report ? report({ t: 'progress', line }) : !json && ctx.err(line));
    if (v.phases.length < printed) printed = 0;
    while (printed < v.phases.length && v.phases[printed]!.result !== 'running')
      say(phaseLine(v.phases[printed++]!));
    const s = `${v.state.kind}:${v.reconnect?.attempt ?? ''}`;
    if (s === lastState) return;
    lastState = s;
    if (v.state.kind === 'failed' && v.reconnect)
      say(
        `ferry: ${stateLine(v.state)}; reconnecting in ${Math.round(v.reconnect.inMs / 1000)} s (attempt ${v.reconnect.attempt})`,
      );
  };
}

/** The child's side of --background: secrets arrive as one JSON line on stdin, never via argv or environment. */
async function readHandover(redactor: Redactor): Promise<{ secrets: CliSecrets; otp?: string }> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n') || text.length > 64 * 1024) break;
  }
  const h = JSON.parse(text.split('\n')[0] ?? '{}') as {
    psk?: unknown;
    'client-key'?: unknown;
    password?: unknown;
    otp?: unknown;
  };
  if (typeof h.password !== 'string')
    throw new CliExit(EXIT.secrets, 'ferry: no secrets handed over to the background process');
  // The code is redacted by the connection while it is used, and not kept (see initialOtp).
  const clientKey = h['client-key'];
  for (const v of [h.psk, clientKey, h.password]) if (typeof v === 'string') redactor.addSecret(v);
  return {
    secrets: {
      password: h.password,
      ...(typeof h.psk === 'string' ? { psk: h.psk } : {}),
      ...(typeof clientKey === 'string' ? { 'client-key': clientKey } : {}),
    },
    ...(typeof h.otp === 'string' ? { otp: h.otp } : {}),
  };
}

function childReporter(): (r: ChildReport) => void {
  let open = true;
  process.stdout.on('error', () => {
    open = false;
  });
  return (r) => {
    if (!open) return;
    process.stdout.write(`${JSON.stringify(r)}\n`);
    // After the outcome the parent is gone: nothing more goes to its pipe.
    if (r.t !== 'progress') {
      open = false;
      process.stdout.end();
    }
  };
}
