/**
 * Starts the app's host process (main.ts: the real FerryService over the real helper) inside a client network
 * namespace, with a private profile directory and a real Secret Service: gnome-keyring in its own D-Bus session
 * (`dbus-run-session`, keyring unlocked from stdin), so keytar stores the secrets the UI saves. The test process
 * reaches it through a filesystem unix socket (those cross network namespaces) with the remote FerryApi protocol.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppPageHandle } from '../../e2e/harness/browser';
import { isCI } from '../../support/env';
import { connectRemoteApi, type RemoteApi } from '../../support/remoteApi/client';
import { type ClientNamespace, ROOT, UNPRIVILEGED } from '../clientNamespace';
import { pidAlive, sleep } from '../sys';

const MAIN = join(ROOT, 'test/lab/appHost/main.ts');
const KEYRING_TOOLS = ['/usr/bin/dbus-run-session', '/usr/bin/gnome-keyring-daemon'] as const;
/** The throw-away keyring's password (a fresh keyring in a private directory per run). */
const KEYRING_UNLOCK = 'ferry-app-test-keyring';

export type SecretBackend = 'keyring' | 'memory';

export interface AppHostOptions {
  /** 'keyring' (gnome-keyring + keytar), 'memory', or 'auto' (default: the keyring where its tools exist). */
  readonly secrets?: SecretBackend | 'auto';
  /**
   * The user the host runs as (own uid as its only group), as the desktop app runs unprivileged: the helper admits
   * it by group and passes the TUN descriptor. Default `UNPRIVILEGED` (nobody); 0 runs it as root.
   */
  readonly uid?: number;
}

/** Which secret store the host gets, and why (the keyring unless its tools are missing outside CI). */
export function chooseSecretBackend(wanted: SecretBackend | 'auto'): { backend: SecretBackend; why: string } {
  if (wanted === 'memory') return { backend: 'memory', why: 'asked for' };
  const missing = KEYRING_TOOLS.filter((p) => !existsSync(p));
  if (missing.length === 0)
    return { backend: 'keyring', why: 'keytar against gnome-keyring in a private D-Bus session' };
  if (wanted === 'keyring' || isCI)
    throw new Error(
      `the keyring secret store needs ${missing.join(', ')} (apt-get install gnome-keyring dbus)`,
    );
  console.warn(`*** app host: ${missing.join(', ')} missing: secrets in memory instead of the keyring ***`);
  return { backend: 'memory', why: `${missing.join(', ')} missing` };
}

export class AppHost {
  readonly dir: string;
  readonly socketPath: string;
  /** The service's own log (redacting logger, every level). */
  readonly logFile: string;
  /** stdout and stderr of the process tree (dbus-daemon, gnome-keyring, node). */
  readonly outputFile: string;
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private remote: RemoteApi | null = null;

  private constructor(
    readonly ns: ClientNamespace,
    readonly secrets: SecretBackend,
    readonly secretsWhy: string,
    readonly uid: number,
  ) {
    this.dir = join(ns.dir, `app-u${uid}`);
    this.socketPath = join(this.dir, 'run', 'api.sock');
    this.logFile = join(this.dir, 'service.log');
    this.outputFile = join(this.dir, 'output.log');
  }

  /** Starts the host in `ns` (whose helper must be running) and connects the remote API. */
  static async start(ns: ClientNamespace, opts: AppHostOptions = {}): Promise<AppHost> {
    const { backend, why } = chooseSecretBackend(opts.secrets ?? 'auto');
    const host = new AppHost(ns, backend, why, opts.uid ?? UNPRIVILEGED);
    try {
      await host.launch();
    } catch (e) {
      await host.stop();
      throw e;
    }
    return host;
  }

  /** The FerryApi proxy (valid after start). */
  get api(): RemoteApi {
    if (!this.remote) throw new Error('app host: not started');
    return this.remote;
  }

  /** Everything the host process tree wrote: the service log and its stdout/stderr. */
  logs(): string {
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    return `${read(this.logFile)}\n${read(this.outputFile)}`;
  }

  private async launch(): Promise<void> {
    const home = join(this.dir, 'home');
    const runtime = join(this.dir, 'runtime');
    for (const d of [this.dir, home, runtime, join(this.dir, 'run'), join(this.dir, 'state')]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      chownSync(d, this.uid, this.uid);
    }
    const node = [
      process.execPath,
      '--import',
      'tsx',
      MAIN,
      '--socket',
      this.socketPath,
      '--dir',
      join(this.dir, 'state'),
      '--helper-socket',
      this.ns.helperSocket,
      '--secrets',
      this.secrets,
      '--log-file',
      this.logFile,
    ];
    // Positional parameters, never interpolated: sh only unlocks the keyring, then becomes node.
    const inner =
      this.secrets === 'keyring'
        ? [
            'dbus-run-session',
            '--',
            'sh',
            '-c',
            `printf %s '${KEYRING_UNLOCK}' | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"`,
            'sh',
            ...node,
          ]
        : node;
    const out = openSync(this.outputFile, 'a', 0o600);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_RUNTIME_DIR: runtime,
    };
    const asUser =
      this.uid === 0 ? [] : ['setpriv', `--reuid=${this.uid}`, `--regid=${this.uid}`, '--clear-groups'];
    const child = spawn('ip', ['netns', 'exec', this.ns.name, ...asUser, ...inner], {
      cwd: ROOT,
      env,
      // stdin stays open: when this process dies, the host sees EOF and shuts down.
      stdio: ['pipe', out, out],
      detached: true,
    });
    closeSync(out);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!existsSync(this.socketPath)) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the app host exited (${child.exitCode ?? child.signalCode}):\n${this.logs()}`);
      if (Date.now() > deadline) throw new Error(`the app host did not listen within 60 s:\n${this.logs()}`);
      await sleep(50);
    }
    this.remote = await connectRemoteApi(this.socketPath);
  }

  /** Disconnects every profile the host knows a connection of, whatever its state (between tests). */
  async disconnectAll(): Promise<void> {
    const snap = await this.api.api.snapshot();
    if (snap.type !== 'success') return;
    for (const c of snap.value.connections) await this.api.api.disconnect(c.profileId);
  }

  /** Ends the host: SIGTERM (it disconnects every profile, restoring routes and DNS), then SIGKILL. */
  async stop(graceMs = 15_000): Promise<number | null> {
    this.remote?.close();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const hostPid = this.remote?.hostPid;
    if (hostPid && pidAlive(hostPid)) process.kill(hostPid, 'SIGTERM');
    else child.stdin?.end();
    const code = await Promise.race([this.exited, sleep(graceMs).then(() => 'timeout' as const)]);
    if (code !== 'timeout') return code;
    try {
      // Its own process group (detached): dbus-run-session, dbus-daemon, sh/node.
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return this.exited;
  }
}

/** Closes a test's page, keeping every serialised store state it recorded (for the no-secret checks). */
export async function closePageKeepingStates(h: AppPageHandle | null, into: string[]): Promise<void> {
  if (!h) return;
  into.push(
    ...(await h.page.evaluate(() => (window as unknown as { __ferryStates__: string[] }).__ferryStates__)),
  );
  await h.close();
}
