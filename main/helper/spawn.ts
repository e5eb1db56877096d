/**
 * The fallback when no helper service is installed: the app starts the helper elevated (the caller supplies
 * the fixed elevation argv, e.g. pkexec on Linux) and talks to it over stdin/stdout. When the app dies, the
 * helper's stdin closes and it undoes everything it applied, then exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { FerryError } from '../../core/common/errors';
import { type Logger, silentLogger } from '../../core/common/log';
import { HelperClient } from './client';

export interface SpawnHelperOptions {
  /** Full argv, ending with the helper and `--stdio`. Never a shell command line. */
  readonly argv: readonly string[];
  readonly logger?: Logger;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export async function spawnHelperStdio(
  opts: SpawnHelperOptions,
): Promise<{ client: HelperClient; child: ChildProcess }> {
  const [file, ...args] = opts.argv;
  if (!file || !opts.argv.includes('--stdio'))
    throw new RangeError('spawnHelperStdio needs an argv with --stdio');
  const log = (opts.logger ?? silentLogger).child('helper-stdio');
  const child = spawn(file, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
    env: opts.env ?? process.env,
  });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-4096);
    for (const line of d.toString('utf8').split('\n')) if (line.trim()) log.debug(line.trim());
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(fail(`cannot start the helper: ${e.message}`, e)));
    child.once('exit', (code, signal) =>
      reject(fail(`the helper exited (${code ?? signal}) ${tail.trim().split('\n').pop() ?? ''}`)),
    );
  });
  exited.catch(() => undefined);
  const client = await Promise.race([
    HelperClient.overTransport(
      { input: child.stdout!, write: (t) => child.stdin!.write(t), close: () => child.stdin!.end() },
      { logger: opts.logger, timeoutMs: opts.timeoutMs },
    ),
    exited,
  ]);
  return { client, child };
}

function fail(message: string, cause?: unknown): FerryError {
  return new FerryError({
    phase: 'helper',
    code: 'helper-unavailable',
    message,
    hint: 'the helper could not be started with administrator rights',
    ...(cause ? { cause } : {}),
  });
}
