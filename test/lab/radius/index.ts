/**
 * FreeRADIUS as the authentication backend of the SoftEther lab: `freeradius -f` (foreground, started and
 * stopped by PID) inside netns `ferry-se` on its loopback, from a config generated under the lab root
 * (config.ts), and the hub's users switched to RADIUS authentication pointed at it (vpncmd RadiusServerSet +
 * UserCreate/UserRadiusSet). Push approvals are files the test creates (push-wait.sh holds the answer).
 *
 * SoftEther 5.01 (Debian, git 8181039) relays PAP as User-Password and MS-CHAPv2 as MS-CHAP-Challenge +
 * MS-CHAP2-Response (Radius.c RadiusLogin), retransmits every RETRY_INTERVAL ms (1000..15000) and gives up
 * 15 s after the first Access-Request (RADIUS_RETRY_TIMEOUT, compiled in; configurable only upstream since
 * 2025-12): a push approval slower than that fails however long the client would wait.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SOFTETHER_NETNS, vpncmdCheck } from '../softether';
import { processStartTime } from '../softether/server';
import {
  killPid,
  LAB_ROOT,
  pidAlive,
  readPid,
  removePid,
  spawnDaemon,
  udpPortBound,
  waitFor,
  writePid,
} from '../sys';
import {
  checkSecret,
  paths,
  RADIUS_ADDRESS,
  RADIUS_PORT,
  type RadiusUser,
  renderDictionary,
  renderRadiusdConf,
  renderUsers,
} from './config';

export type { RadiusUser } from './config';
export { RADIUS_ADDRESS, RADIUS_PORT } from './config';

export const RADIUS_LAB = 'radius';
const PID_NAME = 'freeradius';
/** SoftEther's compiled-in cap on one RADIUS exchange (Radius.h RADIUS_RETRY_TIMEOUT). */
export const SOFTETHER_RADIUS_GIVEUP_MS = 15_000;

export interface RadiusUpOptions {
  readonly users: readonly RadiusUser[];
  /** push-wait.sh's own limit (default 10 s: below SoftEther's 15 s, so the verdict is a real Access-Reject). */
  readonly pushTimeoutSeconds?: number;
  /** Shared secret between SoftEther and FreeRADIUS (default random). */
  readonly secret?: string;
}

export interface RadiusInfo {
  readonly netns: string;
  readonly address: string;
  readonly port: number;
  readonly secret: string;
  readonly pid: number;
  readonly users: readonly RadiusUser[];
  readonly pushTimeoutSeconds: number;
  /** Launch to UDP 1812 bound (ms). */
  readonly startMs: number;
}

const baseDir = () => join(LAB_ROOT, RADIUS_LAB);

/** Why the RADIUS lab cannot run here (Debian freeradius with rlm_totp missing), or null. */
export function radiusUnavailableReason(): string | null {
  const missing = [
    '/usr/sbin/freeradius',
    '/usr/lib/freeradius/rlm_totp.so',
    '/usr/lib/freeradius/rlm_exec.so',
  ].filter((f) => !existsSync(f));
  return missing.length ? `FreeRADIUS is missing (${missing.join(', ')}): apt-get install freeradius` : null;
}
const runStateFile = () => join(baseDir(), 'run-state.json');

interface RunState {
  readonly startTime: string;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** A freeradius (or the `ip netns exec` about to become it) reading our config, or a push-wait.sh it started. */
const isOurs = (pid: number) => {
  const argv = cmdline(pid);
  const p = paths(baseDir());
  return (
    (argv.includes(p.raddb) && /freeradius|ip netns exec/.test(argv)) ||
    (argv.includes('push-wait.sh') && argv.includes(p.push))
  );
};

function ourPid(): number | null {
  if (!existsSync(baseDir())) return null;
  const pid = readPid(baseDir(), PID_NAME);
  if (pid === null || !pidAlive(pid) || !isOurs(pid)) return null;
  try {
    const st = JSON.parse(readFileSync(runStateFile(), 'utf8')) as RunState;
    return processStartTime(pid) === st.startTime ? pid : null;
  } catch {
    return null;
  }
}

/** Our freeradius processes even without a PID file (an interrupted run). */
function strays(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isOurs(pid)) out.push(pid);
  }
  return out;
}

function logTail(lines = 20): string {
  try {
    return readFileSync(paths(baseDir()).serverLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Generates the config and starts FreeRADIUS in the SoftEther namespace (which must exist: softetherLab.up first). */
async function up(opts: RadiusUpOptions): Promise<RadiusInfo> {
  await down();
  const t0 = performance.now();
  const secret = opts.secret ?? `lab-radius-${Math.random().toString(36).slice(2, 12)}`;
  checkSecret(secret);
  const pushTimeoutSeconds = opts.pushTimeoutSeconds ?? 10;
  const dir = baseDir();
  const p = paths(dir);
  for (const d of [p.raddb, p.log, p.run, p.push]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const conf = { dir, secret, users: opts.users, pushTimeoutSeconds };
  writeFileSync(join(p.raddb, 'radiusd.conf'), renderRadiusdConf(conf), { mode: 0o600 });
  writeFileSync(join(p.raddb, 'users'), renderUsers(opts.users), { mode: 0o600 });
  writeFileSync(join(p.raddb, 'dictionary'), renderDictionary(), { mode: 0o600 });
  writeFileSync(p.pushLog, '', { mode: 0o600 });
  writeFileSync(p.serverLog, '');
  chmodSync(dir, 0o700);
  // -f: no fork (the PID stays ours); -l stdout: the log goes to radius.out; never -X (it prints passwords).
  const pid = spawnDaemon(['freeradius', '-f', '-l', 'stdout', '-d', p.raddb, '-n', 'radiusd'], p.serverLog, {
    netns: SOFTETHER_NETNS,
  });
  const startTime = processStartTime(pid);
  if (startTime === null) throw new Error(`radius lab: freeradius exited at once\n${logTail()}`);
  writePid(dir, PID_NAME, pid);
  writeFileSync(runStateFile(), JSON.stringify({ startTime } satisfies RunState));
  try {
    const r = await waitFor(
      `freeradius on UDP ${RADIUS_PORT}`,
      async () =>
        !pidAlive(pid) ? 'exited' : (await udpPortBound(RADIUS_PORT, SOFTETHER_NETNS)) ? 'ok' : false,
      15_000,
      50,
    );
    if (r === 'exited') throw new Error(`radius lab: freeradius exited\n${logTail()}`);
  } catch (e) {
    await down();
    throw e;
  }
  return {
    netns: SOFTETHER_NETNS,
    address: RADIUS_ADDRESS,
    port: RADIUS_PORT,
    secret,
    pid,
    users: opts.users,
    pushTimeoutSeconds,
    startMs: Math.round(performance.now() - t0),
  };
}

/** Stops our freeradius (recorded PID, then any stray reading our config) and removes the generated tree. */
async function down(): Promise<void> {
  const pid = ourPid();
  if (pid !== null) await killPid(pid, 5000);
  for (const s of strays()) await killPid(s, 2000);
  removePid(baseDir(), PID_NAME);
  rmSync(baseDir(), { recursive: true, force: true });
}

async function status(): Promise<{ running: boolean; detail: string }> {
  const pid = ourPid();
  return pid === null
    ? { running: false, detail: 'not running' }
    : {
        running: true,
        detail: `freeradius pid ${pid} in netns ${SOFTETHER_NETNS} at ${RADIUS_ADDRESS}:${RADIUS_PORT}`,
      };
}

/** FreeRADIUS's own log (one line per request: user and verdict) plus push-wait.sh's events. */
async function serverLog(): Promise<string> {
  const p = paths(baseDir());
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  return `${read(p.serverLog)}${read(p.pushLog)}`;
}

export const radiusLab = { name: RADIUS_LAB, up, down, status, serverLog } as const;

/**
 * Points the SoftEther hub at FreeRADIUS and creates each user as a RADIUS user (alias = its own name).
 * RETRY_INTERVAL is SoftEther's resend interval (1000..15000 ms); its total wait stays 15 s whatever it is.
 */
export async function attachSoftEther(
  hub: string,
  radius: RadiusInfo,
  opts: { readonly retryIntervalMs?: number; readonly createUsers?: boolean } = {},
): Promise<void> {
  const interval = opts.retryIntervalMs ?? 5000;
  await vpncmdCheck(
    [
      `RadiusServerSet ${radius.address}:${radius.port} /SECRET:${radius.secret} /RETRY_INTERVAL:${interval}`,
      ...(opts.createUsers === false
        ? []
        : radius.users.flatMap((u) => [
            `UserCreate ${u.username} /GROUP:none /REALNAME:none /NOTE:none`,
            `UserRadiusSet ${u.username} /ALIAS:${u.username}`,
          ])),
    ],
    { hub },
  );
}

export interface PushEvent {
  readonly at: number;
  readonly user: string;
  readonly event: 'pending' | 'approved' | 'denied' | 'timeout';
  /** Since push-wait.sh started for this request (the server's view of the wait). */
  readonly elapsedMs: number;
}

/** push-wait.sh's events so far. */
export function pushEvents(): PushEvent[] {
  const f = paths(baseDir()).pushLog;
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [at, user, event, elapsed] = l.split(' ');
      return { at: Number(at), user: user!, event: event as PushEvent['event'], elapsedMs: Number(elapsed) };
    });
}

/** Resolves once FreeRADIUS holds a push request for `user` (the client is now waiting on the server). */
export function waitPushPending(user: string, timeoutMs = 30_000): Promise<true> {
  return waitFor(
    `a pending push for ${user}`,
    async () => existsSync(join(paths(baseDir()).push, `pending-${user}`)) || false,
    timeoutMs,
    20,
  ) as Promise<true>;
}

/** The user approves on their device. */
export function approvePush(user: string): void {
  writeFileSync(join(paths(baseDir()).push, `approve-${user}`), '');
}

/** The user denies on their device. */
export function denyPush(user: string): void {
  writeFileSync(join(paths(baseDir()).push, `deny-${user}`), '');
}
