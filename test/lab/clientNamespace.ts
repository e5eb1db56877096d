/**
 * A client machine for end-to-end tests: network namespace `ferry-cl` (the lab link's client end goes in with
 * `up({ clientNetns })`), a default route via the lab server side as the "original gateway", its own
 * /etc/netns/<ns>/resolv.conf, the real privileged helper running inside it (started by PID), and the real
 * `ferry` CLI run inside it. `snapshot()` is what must be byte-for-byte the same before and after a tunnel.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  killPid,
  LAB_ROOT,
  netnsAdd,
  netnsDelete,
  pidAlive,
  type RunResult,
  run,
  spawnDaemon,
  waitFor,
} from './sys';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_MAIN = join(ROOT, 'main/cli/main.ts');
/** How the CLI is run: from source through tsx, or the esbuild bundle when FERRY_CLI_BUNDLE names it. */
const cliArgv = (): string[] =>
  process.env.FERRY_CLI_BUNDLE
    ? ['node', process.env.FERRY_CLI_BUNDLE]
    : ['node', '--import', 'tsx', CLI_MAIN];
const HELPER_MAIN = join(ROOT, 'main/helper/main.ts');

/** The unprivileged user tests run the CLI as (nobody); the helper admits its group. */
export const UNPRIVILEGED = 65534;

export interface ConnectProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** JSON lines printed so far on stdout. */
  readonly events: Record<string, unknown>[];
  stdout(): string;
  stderr(): string;
  /** The first JSON event named `event` (e.g. 'connected'), or an error if the process exits first. */
  waitFor(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

export class ClientNamespace {
  readonly dir: string;
  readonly helperSocket: string;
  readonly controlSocket: string;
  readonly resolvConf: string;
  readonly profilesDir: string;
  readonly helperLog: string;
  readonly cliLog: string;
  private helperPid = 0;
  private readonly running = new Set<ChildProcess>();

  constructor(
    readonly name = 'ferry-cl',
    readonly resolvContent = `# ${name} test resolver\nnameserver 10.9.9.9\nsearch client.invalid\n`,
  ) {
    this.dir = join(LAB_ROOT, `client-${name}`);
    this.helperSocket = join(this.dir, 'run', 'helper.sock');
    this.controlSocket = join(this.dir, 'user', 'cli.sock');
    this.resolvConf = `/etc/netns/${name}/resolv.conf`;
    this.profilesDir = join(this.dir, 'profiles');
    this.helperLog = join(this.dir, 'helper.log');
    this.cliLog = join(this.dir, 'cli.log');
  }

  /** The namespace and its files (before the lab puts its link end in). */
  async create(): Promise<void> {
    await this.destroy();
    await netnsAdd(this.name);
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    chmodSync(this.dir, 0o755);
    mkdirSync(this.profilesDir, { recursive: true });
    mkdirSync(`/etc/netns/${this.name}`, { recursive: true });
    writeFileSync(this.resolvConf, this.resolvContent);
  }

  /** After the lab is up: the original default route, then the helper. */
  /** PID of the helper started by start() (0 before). */
  get helperProcessId(): number {
    return this.helperPid;
  }

  async start(gateway: string): Promise<void> {
    await run(['ip', '-n', this.name, 'route', 'add', 'default', 'via', gateway]);
    this.helperPid = spawnDaemon(
      [
        'node',
        '--import',
        'tsx',
        HELPER_MAIN,
        '--socket',
        this.helperSocket,
        '--state',
        join(this.dir, 'state', 'state.json'),
        '--group',
        String(UNPRIVILEGED),
        '--log-level',
        'debug',
      ],
      this.helperLog,
      { netns: this.name },
    );
    await waitFor(
      'the helper socket',
      async () =>
        pidAlive(this.helperPid) && existsSync(this.helperSocket) && (await canConnect(this.helperSocket)),
      30_000,
      50,
    );
  }

  /** Ends every `ferry connect` a test left running (SIGTERM: the CLI restores; then SIGKILL). */
  async stopConnects(): Promise<void> {
    for (const c of this.running) if (c.pid && pidAlive(c.pid)) await killPid(c.pid, 10_000);
    this.running.clear();
  }

  async destroy(): Promise<void> {
    await this.stopConnects();
    if (this.helperPid) await killPid(this.helperPid);
    this.helperPid = 0;
    await netnsDelete(this.name);
    rmSync(`/etc/netns/${this.name}`, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Routes (all tables), rules, the nft ruleset, links, addresses and resolv.conf bytes of the namespace. */
  async snapshot(): Promise<Record<string, string>> {
    const ns = { netns: this.name };
    const [routes, rules, nft, links, addrs] = await Promise.all([
      run(['ip', 'route', 'show', 'table', 'all'], ns),
      run(['ip', 'rule'], ns),
      run(['nft', 'list', 'ruleset'], ns),
      run(['ip', '-o', 'link', 'show'], ns),
      run(['ip', '-o', '-4', 'addr', 'show'], ns),
    ]);
    return {
      routes: routes.stdout,
      rules: rules.stdout,
      nft: nft.stdout,
      links: links.stdout
        .split('\n')
        .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
        .filter(Boolean)
        .join(' '),
      addrs: addrs.stdout,
      resolv: readFileSync(this.resolvConf, 'utf8'),
    };
  }

  /** Waits until snapshot() equals `baseline` again; resolves with how long that took (ms). */
  async backToBaseline(baseline: Record<string, string>, timeoutMs = 5000): Promise<number> {
    const t0 = performance.now();
    let last: Record<string, string> = {};
    try {
      await waitFor(
        'the client namespace back to its baseline',
        async () => {
          last = await this.snapshot();
          return JSON.stringify(last) === JSON.stringify(baseline);
        },
        timeoutMs,
        10,
      );
    } catch (e) {
      const differs = Object.keys(baseline).filter((k) => last[k] !== baseline[k]);
      throw new Error(
        `${(e as Error).message}; still different: ${differs.join(', ')}\n${JSON.stringify(last, null, 1)}`,
      );
    }
    return Math.round(performance.now() - t0);
  }

  /** Writes `profile` as a `.ferry.json` file in the namespace's directory; returns its path. */
  writeProfile(name: string, profile: Record<string, unknown>): string {
    const path = join(this.dir, `${name}.ferry.json`);
    writeFileSync(path, `${JSON.stringify({ format: 'ferry-profile', version: 1, profile }, null, 2)}\n`);
    return path;
  }

  /** A 0700 directory of `uid` for its control socket, profiles and log (the CLI runs as that user). */
  userDir(uid: number): string {
    const d = join(this.dir, `u${uid}`);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chownSync(d, uid, uid);
    return d;
  }

  /** CLI options every test run uses: this namespace's helper, the user's control socket and profile directory. */
  cliOptions(uid?: number): string[] {
    const user = uid === undefined ? null : this.userDir(uid);
    return [
      '--helper-socket',
      this.helperSocket,
      '--control',
      user ? join(user, 'ferry', 'cli.sock') : this.controlSocket,
      '--config-dir',
      user ? join(user, 'profiles') : this.profilesDir,
      '--system-dir',
      'none',
      '--policy',
      'none',
    ];
  }

  /** The log file of `ferry connect` (per user). */
  logFile(uid?: number): string {
    return uid === undefined ? this.cliLog : join(this.userDir(uid), 'cli.log');
  }

  /** Runs as `uid` (its own uid as group, no supplementary groups) when given, else as root. */
  private asUser(uid: number | undefined): { prefix: string[]; env: NodeJS.ProcessEnv } {
    if (uid === undefined) return { prefix: [], env: {} };
    return {
      prefix: ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'],
      env: { HOME: this.userDir(uid) },
    };
  }

  /** `ferry <args>` inside the namespace, to completion. */
  ferry(
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
    opts: { readonly timeoutMs?: number; readonly uid?: number } = {},
  ): Promise<RunResult> {
    const who = this.asUser(opts.uid);
    return run([...who.prefix, ...cliArgv(), ...args, ...this.cliOptions(opts.uid)], {
      netns: this.name,
      env: { ...process.env, ...who.env, ...env },
      cwd: ROOT,
      check: false,
      timeoutMs: opts.timeoutMs ?? 120_000,
    });
  }

  /** A long-running `ferry connect ... --json` inside the namespace (`ip netns exec` execs, so pid is node's). */
  connect(
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    opts: { readonly uid?: number } = {},
  ): ConnectProcess {
    const who = this.asUser(opts.uid);
    const argv = [
      'ip',
      'netns',
      'exec',
      this.name,
      ...who.prefix,
      ...cliArgv(),
      'connect',
      ...args,
      '--json',
      '--log-file',
      this.logFile(opts.uid),
      ...this.cliOptions(opts.uid),
    ];
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: ROOT,
      env: { ...process.env, ...who.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.running.add(child);
    child.once('exit', () => this.running.delete(child));
    let out = '';
    let err = '';
    const events: Record<string, unknown>[] = [];
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      for (const l of lines.slice(events.length, -1)) {
        try {
          events.push(JSON.parse(l) as Record<string, unknown>);
        } catch {
          events.push({ event: 'unparsable', line: l });
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let exitCode: number | null | undefined;
    void exited.then((c) => {
      exitCode = c;
    });
    return {
      child,
      pid: child.pid!,
      events,
      stdout: () => out,
      stderr: () => err,
      exited,
      waitFor: async (event, timeoutMs = 120_000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const e = events.find((x) => x.event === event);
          if (e) return e;
          if (exitCode !== undefined || Date.now() > deadline)
            throw new Error(
              `ferry connect ${exitCode !== undefined ? `exited (${exitCode})` : `still running after ${timeoutMs} ms`} without "${event}"\nstdout:\n${out}\nstderr:\n${err}`,
            );
          await new Promise((r) => setTimeout(r, 20));
        }
      },
    };
  }
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * `ping` (iputils) inside the namespace: loss and average round trip of `count` echoes, measured once the
 * address answers at all (a peer may still be configuring its side for a moment after IPCP, e.g. pppd's route).
 */
export async function ping(
  netns: string,
  address: string,
  count = 5,
): Promise<{ loss: number; avgMs: number; warmupMs: number; text: string }> {
  const t0 = performance.now();
  await waitFor(
    `${address} to answer a ping`,
    async () =>
      (await run(['ping', '-n', '-c', '1', '-W', '1', address], { netns, check: false })).code === 0,
    15_000,
    0,
  );
  const warmupMs = Math.round(performance.now() - t0);
  const r = await run(['ping', '-n', '-c', String(count), '-i', '0.2', '-W', '2', address], {
    netns,
    check: false,
    timeoutMs: 30_000,
  });
  const loss = Number(/(\d+(?:\.\d+)?)% packet loss/.exec(r.stdout)?.[1] ?? 100);
  const avgMs = Number(/= [\d.]+\/([\d.]+)\//.exec(r.stdout)?.[1] ?? Number.NaN);
  return { loss, avgMs, warmupMs, text: r.stdout };
}

/** `iperf3 -c` inside the namespace: TCP throughput in Mbit/s (sender and receiver side); `reverse`: server sends. */
export async function iperf3(
  netns: string,
  address: string,
  opts: { readonly seconds?: number; readonly port?: number; readonly reverse?: boolean } = {},
): Promise<{ sentMbps: number; receivedMbps: number; retransmits: number }> {
  const seconds = opts.seconds ?? 5;
  const argv = [
    'iperf3',
    '-c',
    address,
    '-p',
    String(opts.port ?? 5201),
    '-t',
    String(seconds),
    '-J',
    ...(opts.reverse ? ['-R'] : []),
  ];
  // iperf3 -s serves one test at a time and a slow server (the TCG VM) needs a moment between tests.
  let lastError = '';
  for (let attempt = 1; attempt <= 10; attempt++) {
    const r = await run(argv, { netns, check: false, timeoutMs: (seconds + 30) * 1000 });
    const j = JSON.parse(r.stdout || '{}') as {
      error?: string;
      end?: {
        sum_sent?: { bits_per_second: number; retransmits?: number };
        sum_received?: { bits_per_second: number };
      };
    };
    if (!j.error && j.end?.sum_received)
      return {
        sentMbps: Math.round((j.end.sum_sent?.bits_per_second ?? 0) / 1e4) / 100,
        receivedMbps: Math.round(j.end.sum_received.bits_per_second / 1e4) / 100,
        retransmits: j.end.sum_sent?.retransmits ?? 0,
      };
    lastError = j.error ?? r.stderr;
    if (!/refused|busy|reset/i.test(lastError)) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`iperf3 to ${address} failed: ${lastError}`);
}

/** CPU time (user + system) a process has used so far, in milliseconds (from /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); here counted from field 3 (state) = index 0.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Runs `fn` and reports how busy each process was meanwhile (share of one core). */
export async function withCpu<T>(
  pids: Record<string, number>,
  fn: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p)]));
  const t0 = performance.now();
  const result = await fn();
  const wall = performance.now() - t0;
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([k, p]) => [k, Math.round(((cpuMs(p) - before[k]!) / wall) * 100) / 100]),
  );
  return { result, cpu };
}

/** `ferry status --json` of a connected tunnel, as the interop tests read it (the connected parts present). */
export interface ConnectedStatus {
  connection: {
    state: { kind: string };
    phases: { phase: string; result: string; startMs: number; durationMs: number }[];
    counters: {
      ip: { packetsIn: number; packetsOut: number; bytesIn: number; bytesOut: number };
      carrier: { esp: { in: { packets: number }; out: { packets: number } } };
    };
    routes: string[];
    dns: string[];
  };
  algorithms: { ike: string; esp: string; natT: string; pppAuth: string };
  addresses: { localIp: string; peerIp: string };
  network: { tunName: string; killSwitch: boolean; dnsMethod: string };
}

/** Connect time as the phases saw it: from the start of IKE to the end of the last phase (DNS). */
export function connectPhasesMs(status: ConnectedStatus): number {
  const last = status.connection.phases.at(-1);
  return last ? Math.round(last.startMs + last.durationMs) : 0;
}
