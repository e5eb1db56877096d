/**
 * Running OS tools: fixed argv, never a shell, only programs on the backend's allow-list, a fixed PATH and
 * locale, a timeout. Stdin (nft rulesets, scutil commands) is generated from validated values only.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandRunner {
  run(argv: readonly string[], opts?: { readonly input?: string }): Promise<CommandResult>;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: CommandResult,
  ) {
    super(
      `${argv.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).trim().slice(0, 500)}`,
    );
    this.name = 'CommandError';
  }
}

/** Runs `argv` and rejects with CommandError unless it exits 0. */
export async function check(
  runner: CommandRunner,
  argv: readonly string[],
  opts?: { readonly input?: string },
): Promise<CommandResult> {
  const r = await runner.run(argv, opts);
  if (r.code !== 0) throw new CommandError(argv, r);
  return r;
}

const UNIX_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

export function systemRunner(
  allowed: readonly string[],
  opts: { readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv } = {},
): CommandRunner {
  const allow = new Set(allowed);
  const env = opts.env ?? (process.platform === 'win32' ? process.env : UNIX_ENV);
  return {
    run: (argv, o) => {
      const [file, ...args] = argv;
      if (!file || !allow.has(file)) return Promise.reject(new Error(`program not allowed: ${String(file)}`));
      return new Promise((resolve) => {
        const child = execFile(
          file,
          args,
          { shell: false, timeout: opts.timeoutMs ?? 10_000, killSignal: 'SIGKILL', env, windowsHide: true },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
            resolve({
              code,
              stdout: String(stdout),
              stderr: String(stderr || (code === -1 ? error?.message : '')),
            });
          },
        );
        // A program that exits without reading its stdin must not take the helper down with EPIPE.
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(o?.input ?? '');
      });
    },
  };
}
