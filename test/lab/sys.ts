/** Small process and network-namespace primitives shared by the lab servers. Fixed argv only, never a shell string. */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  /** Run inside this network namespace (via `ip netns exec`). */
  readonly netns?: string;
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Throw unless the exit code is 0 (default true). */
  readonly check?: boolean;
}

/** Runs argv[0] with argv[1..]; stdin is /dev/null unless `input` is given; killed after `timeoutMs`. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const full = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : [...argv];
  const check = opts.check ?? true;
  return new Promise((resolve, reject) => {
    const child = execFile(
      full[0]!,
      full.slice(1),
      {
        timeout: opts.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        env: opts.env ?? process.env,
        cwd: opts.cwd,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        const res = { code, stdout: String(stdout), stderr: String(stderr) };
        if (check && code !== 0) {
          reject(
            new Error(
              `command failed (${code ?? error?.signal ?? 'timeout'}): ${full.join(' ')}\n${res.stderr || res.stdout}`,
            ),
          );
        } else resolve(res);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

export async function netnsExists(name: string): Promise<boolean> {
  const r = await run(['ip', 'netns', 'list'], { check: false });
  return r.stdout.split('\n').some((l) => l.split(' ')[0] === name);
}

export async function netnsAdd(name: string): Promise<void> {
  if (await netnsExists(name)) await netnsDelete(name);
  await run(['ip', 'netns', 'add', name]);
  await run(['ip', 'link', 'set', 'lo', 'up'], { netns: name });
  // No IPv6 noise (router solicitations, DAD) in lab namespaces.
  await run(['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'], { netns: name, check: false });
  await run(['sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1'], { netns: name, check: false });
}

/** Deletes a namespace after killing every process still inside it. */
export async function netnsDelete(name: string): Promise<void> {
  if (!(await netnsExists(name))) return;
  const pids = await run(['ip', 'netns', 'pids', name], { check: false });
  for (const p of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await run(['ip', 'netns', 'del', name], { check: false });
}

export async function linkExists(name: string, netns?: string): Promise<boolean> {
  const r = await run(['ip', 'link', 'show', 'dev', name], { netns, check: false });
  return r.code === 0;
}

export async function linkDelete(name: string, netns?: string): Promise<void> {
  if (await linkExists(name, netns)) await run(['ip', 'link', 'del', 'dev', name], { netns, check: false });
}

/**
 * A veth pair: `a` stays where it is created (root namespace or `aNetns`) with `aAddr`,
 * `b` moves into `bNetns` with `bAddr`. Addresses are CIDRs.
 */
export async function vethPair(spec: {
  a: string;
  aAddr?: string;
  aNetns?: string;
  b: string;
  bAddr?: string;
  bNetns: string;
}): Promise<void> {
  await linkDelete(spec.a, spec.aNetns);
  await run(['ip', 'link', 'add', spec.a, 'type', 'veth', 'peer', 'name', spec.b], { netns: spec.aNetns });
  await run(['ip', 'link', 'set', spec.b, 'netns', spec.bNetns], { netns: spec.aNetns });
  if (spec.aAddr) await run(['ip', 'addr', 'add', spec.aAddr, 'dev', spec.a], { netns: spec.aNetns });
  if (spec.bAddr) await run(['ip', 'addr', 'add', spec.bAddr, 'dev', spec.b], { netns: spec.bNetns });
  await run(['ip', 'link', 'set', spec.a, 'up'], { netns: spec.aNetns });
  await run(['ip', 'link', 'set', spec.b, 'up'], { netns: spec.bNetns });
}

/** True when something listens on UDP `port` (inside `netns` if given). */
export async function udpPortBound(port: number, netns?: string): Promise<boolean> {
  const r = await run(['ss', '-Huln', `sport = :${port}`], { netns, check: false });
  return r.stdout.trim().length > 0;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Only ever a PID we recorded ourselves. */
export async function killPid(pid: number, graceMs = 5000): Promise<void> {
  if (!pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pidAlive(pid)) await sleep(50);
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    while (pidAlive(pid)) await sleep(20);
  }
}

/** Starts a long-running process detached in its own session, stdout/stderr to `logFile`; returns its PID. */
export function spawnDaemon(
  argv: readonly string[],
  logFile: string,
  opts: { netns?: string; env?: NodeJS.ProcessEnv } = {},
): number {
  const full = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : [...argv];
  const fd = openSync(logFile, 'a');
  const child = spawn(full[0]!, full.slice(1), {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: opts.env ?? process.env,
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`failed to start ${full.join(' ')}`);
  return child.pid;
}

/** Lab state lives outside the repo; one directory per lab server. */
export const LAB_ROOT = process.env.FERRY_LAB_DIR ?? '/run/ferry-lab';

export function labDir(name: string): string {
  const d = join(LAB_ROOT, name);
  mkdirSync(d, { recursive: true });
  return d;
}

export function writePid(dir: string, name: string, pid: number): void {
  writeFileSync(join(dir, `${name}.pid`), `${pid}\n`);
}

export function readPid(dir: string, name: string): number | null {
  const f = join(dir, `${name}.pid`);
  if (!existsSync(f)) return null;
  const n = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : null;
}

export function removePid(dir: string, name: string): void {
  rmSync(join(dir, `${name}.pid`), { force: true });
}
