/** What every command gets: the parsed invocation, the environment, output streams, and shared loaders. */
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { createLogger, formatLogEntry, type LogLevel, type LogSink, Redactor } from '../../core/common/log';
import { type FieldError, type Profile, parseProfileFile } from '../../core/profile/schema';
import { enforcePolicy } from '../service/profiles/policy';
import { ProfileStore } from '../service/profiles/profileStore';
import type { Invocation } from './args';
import { EXIT } from './exitCodes';
import { fieldErrors } from './output';
import { storePaths } from './paths';

export interface CliContext {
  readonly inv: Invocation;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly version: string;
  /** The command line as given (for the background child). */
  readonly argv: readonly string[];
}

/** A failure that ends the command with `exit` after printing `text` (already formatted). */
export class CliExit extends Error {
  constructor(
    readonly exit: number,
    readonly text: string,
    readonly json?: unknown,
  ) {
    super(text);
    this.name = 'CliExit';
  }
}

export async function openStore(ctx: CliContext): Promise<ProfileStore> {
  const store = new ProfileStore(storePaths(ctx.inv.options, ctx.env));
  await store.load();
  return store;
}

const LEVEL: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Log sinks of a command: stderr at the chosen level (default warn), and a 0600 log file with everything. */
export function logSinks(
  ctx: CliContext,
  defaultLevel: LogLevel = 'warn',
): { sinks: LogSink[]; close: () => void } {
  const min = LEVEL[ctx.inv.options.logLevel ?? defaultLevel];
  const sinks: LogSink[] = [(e) => LEVEL[e.level] >= min && ctx.err(formatLogEntry(e))];
  let fd: number | null = null;
  if (ctx.inv.options.logFile) {
    fd = openSync(ctx.inv.options.logFile, 'a', 0o600);
    const f = fd;
    sinks.push((e) => writeSync(f, `${formatLogEntry(e)}\n`));
  }
  return { sinks, close: () => fd !== null && closeSync(fd) };
}

export function cliLogger(ctx: CliContext, redactor: Redactor = new Redactor()) {
  return createLogger({ sinks: logSinks(ctx).sinks, redactor, scope: 'ferry.cli' });
}

/** `ferry connect <file or name>`: a readable file is parsed as `.ferry.json`, anything else is looked up. */
export async function resolveProfile(
  ctx: CliContext,
  ref: string,
): Promise<{ profile: Profile; warnings: readonly string[]; source: string }> {
  const store = await openStore(ctx);
  if (existsSync(ref) && statSync(ref).isFile()) {
    const parsed = parseProfileFile(readFileSync(ref, 'utf8'));
    if (!parsed.ok) throw invalidProfile(`${ref} is not a valid Ferry profile`, parsed.error);
    const enforced = enforcePolicy(parsed.value, store.policy);
    if (!enforced.ok)
      throw invalidProfile(`${ref} cannot comply with your organisation’s policy`, enforced.errors);
    return { profile: enforced.profile, warnings: enforced.warnings, source: ref };
  }
  const found = store.find(ref);
  if (!found) {
    const broken = store.problems.filter((p) => p.source !== 'policy').length;
    throw new CliExit(
      EXIT.profile,
      `ferry: no profile "${ref}" (and no such file)${broken ? `; ${broken} profile file(s) have errors, see ferry profiles` : ''}`,
      { error: { code: 'profile-not-found', message: `no profile "${ref}"` } },
    );
  }
  return { profile: found.profile, warnings: found.warnings, source: found.path };
}

function invalidProfile(message: string, fields: readonly FieldError[]): CliExit {
  return new CliExit(EXIT.profile, `ferry: ${message}:\n${fieldErrors(fields)}`, {
    error: { code: 'invalid-profile', message, fields },
  });
}
