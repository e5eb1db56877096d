/** The vpnserver process: start it by PID in the lab namespace, wait until it serves, stop only what we started. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  killPid,
  pidAlive,
  readPid,
  removePid,
  run,
  spawnDaemon,
  udpPortBound,
  waitFor,
  writePid,
} from '../sys';
import { ADMIN_PORT, NETNS } from './config';
import { baseDirPath, INNER_SCRIPT, PID_NAME, runStateFile, serverLogFile, stateDir } from './paths';

/** Written by `up()`, read by `down()`, `status()` and `restartServer()`. Lives next to the PID file. */
export interface RunState {
  readonly clientNetns: string | null;
  /** Inode of `ferry-se`, to find our processes even if the namespace name was removed. */
  readonly netnsInode: number;
  readonly psk: string;
  readonly l2tpRaw: boolean;
  /** /proc/<pid>/stat start time of the recorded vpnserver, so a reused PID is never mistaken for ours. */
  readonly serverStartTime: string;
}

export function readRunState(): RunState | null {
  try {
    return JSON.parse(readFileSync(runStateFile(), 'utf8')) as RunState;
  } catch {
    return null;
  }
}

export function writeRunState(state: RunState): void {
  writeFileSync(runStateFile(), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null if the process is gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/**
 * True only for a live process with the start time we recorded that is our vpnserver, or still the
 * `ip netns exec` / inner.sh on its way to becoming it.
 */
export function isOurServer(pid: number, state: RunState | null): boolean {
  if (state === null || processStartTime(pid) !== state.serverStartTime) return false;
  const argv = cmdline(pid).join(' ');
  return argv.includes('/vpnserver start --foreground') || argv.includes(INNER_SCRIPT);
}

/** The recorded vpnserver PID if that process is still ours and alive. */
export function ourServerPid(): number | null {
  if (!existsSync(baseDirPath())) return null;
  const pid = readPid(baseDirPath(), PID_NAME);
  return pid !== null && isOurServer(pid, readRunState()) ? pid : null;
}

/** Launches vpnserver in the foreground inside the lab namespace; stdout (the server log) appends to the log file. */
export function spawnServer(): { pid: number; startTime: string } {
  const pid = spawnDaemon(['sh', INNER_SCRIPT, stateDir(), 'server'], serverLogFile(), { netns: NETNS });
  // `ip netns exec` and inner.sh both exec, so this PID becomes vpnserver; the start time survives exec.
  const startTime = processStartTime(pid);
  if (startTime === null) throw new Error(`softether lab: vpnserver exited at once\n${logTail()}`);
  writePid(baseDirPath(), PID_NAME, pid);
  return { pid, startTime };
}

export function logTail(lines = 15): string {
  try {
    return readFileSync(serverLogFile(), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

async function tcpListening(port: number): Promise<boolean> {
  const r = await run(['ss', '-Htln', `sport = :${port}`], { netns: NETNS, check: false });
  return r.stdout.trim().length > 0;
}

/** Polls `probe` while the server lives; throws with the log tail if it exits first. */
export async function whileAlive(
  pid: number,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const r = await waitFor(
    what,
    async () => (!pidAlive(pid) ? 'exited' : (await probe()) ? 'ok' : false),
    timeoutMs,
    50,
  );
  if (r === 'exited')
    throw new Error(`softether lab: vpnserver exited while waiting for ${what}\n${logTail()}`);
}

export const waitAdminListener = (pid: number, timeoutMs = 15_000) =>
  whileAlive(pid, `TCP ${ADMIN_PORT} listener`, () => tcpListening(ADMIN_PORT), timeoutMs);

/** The UDP listener thread rescans its ports about once a second, so poll rather than sleep. */
export const waitUdpPorts = (pid: number, ports: readonly number[], timeoutMs = 15_000) =>
  whileAlive(
    pid,
    `UDP ${ports.join('/')} bound`,
    async () => (await Promise.all(ports.map((p) => udpPortBound(p, NETNS)))).every(Boolean),
    timeoutMs,
  );

/** SIGTERM (clean shutdown saves the config), SIGKILL after the grace period; removes the PID file. */
export async function stopServer(pid: number, graceMs = 10_000): Promise<void> {
  await killPid(pid, graceMs);
  removePid(baseDirPath(), PID_NAME);
}
