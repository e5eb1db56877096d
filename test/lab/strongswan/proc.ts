/** Process and filesystem helpers for the image build that sys.ts does not cover (streamed logs, chroot trees). */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { pidAlive, run, sleep } from '../sys';

/** Runs argv (no shell) with stdout/stderr appended to `logFile`; rejects on a non-zero exit or timeout. */
export function runLogged(
  argv: readonly string[],
  logFile: string,
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const fd = openSync(logFile, 'a');
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], env: opts.env ?? process.env });
    closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun();
      else {
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
        reject(new Error(`${argv.join(' ')} failed (${code ?? signal}); end of ${logFile}:\n${tail}`));
      }
    });
  });
}

/** Mount points at or below `dir`, deepest first. */
function mountsBelow(dir: string): string[] {
  const root = resolve(dir);
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m === root || m.startsWith(root + sep))
    .sort((a, b) => b.length - a.length);
}

/**
 * Deletes a build tree that may still hold mounts from an interrupted debootstrap/chroot (proc, sys, dev):
 * unmounts them first and never crosses into another filesystem.
 */
export async function safeRemoveTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const abs = resolve(dir);
  if (abs.split(sep).filter(Boolean).length < 3) throw new Error(`refusing to remove ${abs}`);
  for (const m of mountsBelow(abs)) await run(['umount', '-l', m], { check: false });
  const left = mountsBelow(abs);
  if (left.length > 0) throw new Error(`still mounted below ${abs}: ${left.join(', ')}`);
  await run(['rm', '-rf', '--one-file-system', abs], { timeoutMs: 300_000 });
}

/**
 * Runs `fn` holding an exclusive lock file (its content is the holder's PID). A lock whose holder has died
 * is taken over; a live holder is waited for, up to `timeoutMs`.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  opts: { timeoutMs: number; onWait?: (holder: number) => void },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(path, 'utf8').trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(holder) || holder <= 0 || !pidAlive(holder)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path} held by pid ${holder}`);
    if (!told) {
      opts.onWait?.(holder);
      told = true;
    }
    await sleep(1000);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
