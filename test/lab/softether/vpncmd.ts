/**
 * Drives `vpncmd` inside the lab namespace. Traps (see /work/shared/lab/softether.md): stdin is always
 * /dev/null and a `timeout` bounds every call, because a failed login makes vpncmd prompt and then spin at
 * 100 % CPU on EOF; its exit status means nothing, success is the line "The command completed successfully.";
 * `/ADMINHUB:` selects a hub, `/HUB:` would log in as hub admin. Several commands go through one process
 * (`/IN:` batch file), which saves about 0.2 s per command.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../sys';
import { ADMIN_PASSWORD, ADMIN_PORT, NETNS } from './config';
import { INNER_SCRIPT, stateDir } from './paths';

const SUCCESS = 'The command completed successfully.';
/** vpncmd's own limit; run() gets a little more so that `timeout` (not run) kills vpncmd. */
const VPNCMD_TIMEOUT_S = 30;

export interface VpncmdResult {
  /** The command name only (arguments may hold secrets). */
  readonly command: string;
  readonly ok: boolean;
  /** vpncmd's output for this command, without the echoed command line. */
  readonly output: string;
  /** "Error occurred. (Error code: N)" plus the explanation line, when vpncmd printed one. */
  readonly error: string | null;
}

export interface VpncmdOptions {
  /** Log in with the server admin password (default true; false only before ServerPasswordSet). */
  readonly auth?: boolean;
  /** Select this hub first (`/ADMINHUB:`). */
  readonly hub?: string;
}

/** Splits a batch transcript at the prompts ("VPN Server>" / "VPN Server/HUB>") into per-command results. */
export function parseBatchOutput(stdout: string): VpncmdResult[] {
  const results: VpncmdResult[] = [];
  const parts = stdout.split(/^VPN Server(?:\/[^>\n]*)?>/m).slice(1);
  for (const part of parts) {
    const nl = part.indexOf('\n');
    const line = nl < 0 ? part : part.slice(0, nl);
    const output = nl < 0 ? '' : part.slice(nl + 1);
    const command = line.trim().split(/\s+/)[0] ?? '';
    const m = /Error occurred\. \(Error code: \d+\)[^\n]*(?:\n[^\n]*)?/.exec(output);
    results.push({
      command,
      ok: output.includes(SUCCESS),
      output,
      error: m ? m[0].replace(/\s+/g, ' ').trim() : null,
    });
  }
  return results;
}

/**
 * Runs `commands` (one vpncmd command line each) in one vpncmd process and returns one result per command.
 * Never throws for a failed command; see `vpncmdCheck` for that.
 */
export async function vpncmdBatch(
  commands: readonly string[],
  opts: VpncmdOptions = {},
): Promise<VpncmdResult[]> {
  const batch = join(stateDir(), 'cmd', `batch-${randomBytes(6).toString('hex')}.txt`);
  // The batch may carry passwords: private to root, removed right after.
  writeFileSync(batch, `${commands.join('\n')}\n`, { mode: 0o600 });
  const argv = [
    'timeout',
    '-k',
    '2',
    String(VPNCMD_TIMEOUT_S),
    'sh',
    INNER_SCRIPT,
    stateDir(),
    'vpncmd',
    `127.0.0.1:${ADMIN_PORT}`,
    '/SERVER',
  ];
  if (opts.auth ?? true) argv.push(`/PASSWORD:${ADMIN_PASSWORD}`);
  if (opts.hub) argv.push(`/ADMINHUB:${opts.hub}`);
  argv.push(`/IN:${batch}`);
  try {
    const r = await run(argv, { netns: NETNS, timeoutMs: (VPNCMD_TIMEOUT_S + 10) * 1000, check: false });
    return parseBatchOutput(r.stdout);
  } finally {
    rmSync(batch, { force: true });
  }
}

/** Like `vpncmdBatch`, but throws (naming the failed commands, never their arguments) unless all succeeded. */
export async function vpncmdCheck(
  commands: readonly string[],
  opts: VpncmdOptions = {},
): Promise<VpncmdResult[]> {
  const results = await vpncmdBatch(commands, opts);
  const failed = results.filter((r) => !r.ok);
  if (results.length !== commands.length || failed.length > 0) {
    const what = failed.map((r) => `${r.command}: ${r.error ?? 'no success line'}`).join('; ');
    throw new Error(
      `softether lab: vpncmd ran ${results.length}/${commands.length} commands` +
        (what ? `, failed: ${what}` : ''),
    );
  }
  return results;
}

/** Parses vpncmd's two-column "Item |Value" table into a map (first occurrence of each item wins). */
export function parseTable(output: string): Record<string, string> {
  const table: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const bar = line.indexOf('|');
    if (bar <= 0 || line.startsWith('---')) continue;
    const key = line.slice(0, bar).trim();
    if (key === 'Item' || key in table) continue;
    table[key] = line.slice(bar + 1).trim();
  }
  return table;
}

/** The server's IPsec settings as `IPsecGet` reports them (keys are vpncmd's item names). */
export async function ipsecSettings(): Promise<Record<string, string>> {
  const [r] = await vpncmdCheck(['IPsecGet']);
  return parseTable(r!.output);
}
