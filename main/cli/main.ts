#!/usr/bin/env node
/**
 * `ferry`: the command-line client. Parses the command line first and loads the rest lazily, so `ferry --version`
 * and usage errors do not pay for loading the protocol stack.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pkg from '../../package.json' with { type: 'json' };
import { type Invocation, parseArgs, USAGE } from './args';
import { EXIT } from './exitCodes';

export const VERSION: string = pkg.version;

export interface MainIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const processIo: MainIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  env: process.env,
};

/** Runs one command; resolves with the exit code. Never rejects. */
export async function main(argv: readonly string[], io: MainIo = processIo): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.err(`ferry: ${parsed.error}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const inv: Invocation = parsed.value;
  const { command } = inv;
  if (command.cmd === 'version') {
    io.out(inv.options.json ? JSON.stringify({ version: VERSION }) : `ferry ${VERSION}`);
    return EXIT.ok;
  }
  if (command.cmd === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  const { CliExit } = await import('./context');
  const ctx = { inv, env: io.env, out: io.out, err: io.err, version: VERSION, argv };
  try {
    switch (command.cmd) {
      case 'connect':
        return await (await import('./commands/connect')).runConnect(ctx, command);
      case 'profiles':
        return await (await import('./commands/profiles')).runProfiles(ctx);
      case 'import':
        return await (await import('./commands/profiles')).runImport(ctx, command);
      default:
        return await (await import('./commands/query')).runQuery(ctx, command);
    }
  } catch (e) {
    if (e instanceof CliExit) {
      if (inv.options.json && e.json !== undefined)
        io.out(JSON.stringify({ ...(e.json as object), exit: e.exit }));
      else io.err(e.text);
      return e.exit;
    }
    const { isFerryError } = await import('../../core/common/errors');
    if (isFerryError(e)) {
      const { exitCodeFor } = await import('./exitCodes');
      const { errorLine } = await import('./output');
      const exit = exitCodeFor(e);
      if (inv.options.json) io.out(JSON.stringify({ error: e.toJSON(), exit }));
      else io.err(errorLine(e, exit));
      return exit;
    }
    io.err(`ferry: internal error: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.internal;
  }
}

/** Run as a program (also through a symlink such as node_modules/.bin/ferry), not imported by a test. */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Output first, then leave even if a handle (a poller, a socket) would keep the loop alive.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
