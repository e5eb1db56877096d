/**
 * strongSwan + xl2tpd + pppd lab peer in a QEMU (TCG) VM.
 *
 * `up()` builds the image if needed, restores a saved VM state (cold-booting and saving it once per image,
 * qemu build and default config), sets the guest clock and applies the requested configuration variant
 * through the guest console. Tests then talk IKE to 10.202.0.2 from 10.202.0.3 (`fvm-h`).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labDir, netnsExists, readPid, removePid, waitFor, writePid } from '../sys';
import type { LabInfo, LabServer, LabUpOptions, LabUser } from '../types';
import { configFromFlatOptions, DEFAULT_CONFIG, resolveConfig, type StrongSwanConfig } from './config';
import { type ExecResult, GuestConsole } from './console';
import { installCredentials } from './credentials';
import { buildImage, type LabImage, removeAbandoned } from './image';
import { CLIENT_ADDRESS, NETNS, networkLeftovers, setupNetwork, TAP, teardownNetwork } from './network';
import { applyBundle, renderGuestFiles, TUNNEL_LOCAL, TUNNEL_POOL } from './render';
import {
  coldBootAndSave,
  isOurQemu,
  restoreVm,
  runFiles,
  type SavedState,
  savedStateAt,
  stateKey,
  stopQemu,
  VM_ADDRESS,
} from './vm';

export type { DpdAction, LabCredentials, PppAuth, StrongSwanConfig, UniqueIds } from './config';
export { DEFAULT_CONFIG, resolveConfig } from './config';
export type { ExecResult } from './console';
export { buildImage, cachedImage, type LabImage } from './image';

export interface StrongSwanInfo extends LabInfo {
  /** The configuration now active in the VM (defaults merged with the requested variant). */
  readonly config: StrongSwanConfig;
  /** Addresses pppd hands out to clients. */
  readonly tunnelPool: { readonly first: string; readonly last: string };
}

export interface StrongSwanUpOptions extends LabUpOptions {
  /** Variant applied on top of DEFAULT_CONFIG (not on top of the previous variant). */
  readonly config?: Partial<StrongSwanConfig>;
}

/** Milliseconds per step of the last up()/reconfigure(), for test output. */
export type LabTimings = Record<string, number>;

const NAME = 'strongswan';
const log = (m: string) => console.log(`[lab:${NAME}] ${m}`);

interface LabState {
  readonly clientNetns: string | null;
}

let active: StrongSwanInfo | null = null;
let timings: LabTimings = {};

const dir = () => labDir(NAME);
const files = () => runFiles(dir());
const stateFile = () => join(dir(), 'lab.json');

function readLabState(): LabState | null {
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as LabState;
  } catch {
    return null;
  }
}

function infoFor(config: StrongSwanConfig, clientNetns: string | null): StrongSwanInfo {
  return {
    serverAddress: VM_ADDRESS,
    clientAddress: CLIENT_ADDRESS,
    clientNetns,
    psk: config.psk,
    users: config.users.map((u: LabUser) => ({ ...u })),
    tunnelPeerAddress: TUNNEL_LOCAL,
    config,
    tunnelPool: TUNNEL_POOL,
  };
}

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Date.now() - t0;
  }
}

/**
 * Runs `fn` on a fresh console connection and closes it again: qemu's socket takes one client at a time, so
 * holding it would block every other process (e.g. tests while `npm run lab -- up` stays in the foreground).
 */
async function withConsole<T>(fn: (con: GuestConsole) => Promise<T>): Promise<T> {
  const pid = readPid(dir(), 'qemu');
  if (pid === null || !isOurQemu(pid))
    throw new Error('the strongSwan lab VM is not running (call up() first)');
  const con = await GuestConsole.connect(files().consoleSock);
  try {
    return await fn(con);
  } finally {
    con.close();
  }
}

/** Sends the rendered files to ferry-apply; resolves once charon and xl2tpd are ready. */
async function applyConfig(con: GuestConsole, config: StrongSwanConfig): Promise<string> {
  // Also sets the guest clock (after a restore it stands at the time of the save).
  const r = await con.exec(['/usr/local/sbin/ferry-apply', (Date.now() / 1000).toFixed(3)], {
    stdin: applyBundle(renderGuestFiles(config)),
    timeoutMs: 120_000,
  });
  const ready = /^FERRY-READY (.*)$/m.exec(r.output);
  if (r.code !== 0 || !ready)
    throw new Error(`applying the lab configuration failed (exit ${r.code}):\n${r.output}`);
  return ready[1]!;
}

async function ensureSavedState(img: LabImage): Promise<SavedState> {
  const key = stateKey(img, TAP, applyBundle(renderGuestFiles(DEFAULT_CONFIG)));
  const cached = savedStateAt(img, key);
  if (cached) return cached;
  await removeAbandoned(img.dir, /^\.state-[0-9a-f]+-(\d+)$/);
  log(`no saved VM state ${key}: cold boot (about 30-60 s under TCG)`);
  const r = await coldBootAndSave(img, key, files(), {
    netns: NETNS,
    tap: TAP,
    onPid: (pid) => writePid(dir(), 'qemu', pid),
    log,
    prepare: async (con) => {
      const summary = await applyConfig(con, DEFAULT_CONFIG);
      log(`default configuration applied: ${summary}`);
    },
  });
  removePid(dir(), 'qemu');
  timings.coldBoot = r.bootMs;
  timings.coldConfigure = r.prepareMs;
  timings.save = r.saveMs;
  log(`saved VM state in ${r.state.dir} (save ${(r.saveMs / 1000).toFixed(1)} s)`);
  return r.state;
}

/** Applies a configuration variant (on top of DEFAULT_CONFIG) to the running VM. */
export async function reconfigure(config: Partial<StrongSwanConfig> = {}): Promise<StrongSwanInfo> {
  const resolved = resolveConfig(config);
  const t0 = Date.now();
  const hadCredentials = active?.config.credentials != null;
  const summary = await withConsole(async (con) => {
    if (resolved.credentials || hadCredentials) await installCredentials(con, resolved.credentials);
    return applyConfig(con, resolved);
  });
  timings.reconfigure = Date.now() - t0;
  log(`configuration applied in ${timings.reconfigure} ms: ${summary}`);
  active = infoFor(resolved, readLabState()?.clientNetns ?? null);
  return active;
}

/** Runs a command in the VM as root: argv as given, or a string through /bin/sh -c. */
export async function vmExec(
  cmd: string | readonly string[],
  opts: { timeoutMs?: number; stdin?: string } = {},
): Promise<ExecResult> {
  const argv = typeof cmd === 'string' ? ['/bin/sh', '-c', cmd] : cmd;
  return withConsole((con) => con.exec(argv, opts));
}

/** The VM's ttyS0 log (kernel, plus charon/xl2tpd/pppd through journald) since the last restore or boot. */
export async function serverLog(): Promise<string> {
  const f = files().serialLog;
  return existsSync(f) ? readFileSync(f, 'latin1').replace(/\r/g, '') : '';
}

/** Current length of serverLog(), to pass as `since` to waitForServerLog. */
export async function serverLogMark(): Promise<number> {
  return (await serverLog()).length;
}

/** Waits until `re` matches the server log (from offset `since`); returns the matched text. */
export async function waitForServerLog(re: RegExp, timeoutMs: number, since = 0): Promise<string> {
  return waitFor(
    `server log ${re}`,
    async () => {
      const m = re.exec((await serverLog()).slice(since));
      return m ? m[0] : null;
    },
    timeoutMs,
    200,
  );
}

/** Timings of the last up() and reconfigure() in ms. */
export function lastTimings(): Readonly<LabTimings> {
  return { ...timings };
}

/** The info of the running lab (after up()). */
export function currentInfo(): StrongSwanInfo | null {
  return active;
}

async function up(opts: StrongSwanUpOptions = {}): Promise<StrongSwanInfo> {
  timings = {};
  const t0 = Date.now();
  // `npm run lab` passes config fields flat (`--ppp-auth pap`); tests pass them in `config`.
  const flat = configFromFlatOptions(opts as Readonly<Record<string, unknown>>);
  const config = resolveConfig({ ...flat, ...opts.config });
  await timed('down', () => down());
  const img = await timed('image', () => buildImage({ log }));
  const clientNetns = opts.clientNetns ?? null;
  writeFileSync(stateFile(), `${JSON.stringify({ clientNetns } satisfies LabState)}\n`);
  await timed('network', () => setupNetwork(clientNetns));
  const state = await ensureSavedState(img);
  const vm = await timed('restore', () =>
    restoreVm(img, state, files(), { netns: NETNS, tap: TAP, onPid: (pid) => writePid(dir(), 'qemu', pid) }),
  );
  vm.qmp.close();
  const summary = await timed('configure', () =>
    withConsole(async (con) => {
      if (config.credentials) await installCredentials(con, config.credentials);
      return applyConfig(con, config);
    }),
  );
  timings.total = Date.now() - t0;
  log(`up in ${(timings.total / 1000).toFixed(1)} s: ${summary}`);
  active = infoFor(config, clientNetns);
  return active;
}

async function down(): Promise<void> {
  active = null;
  const d = dir();
  const pid = readPid(d, 'qemu');
  if (pid !== null && isOurQemu(pid)) await stopQemu({ pid });
  removePid(d, 'qemu');
  await teardownNetwork(readLabState()?.clientNetns ?? null);
  const f = files();
  for (const p of [f.overlay, f.consoleSock, f.qmpSock, stateFile()]) rmSync(p, { force: true });
}

async function status(): Promise<{ readonly running: boolean; readonly detail: string }> {
  const pid = readPid(dir(), 'qemu');
  const qemu = pid !== null && isOurQemu(pid);
  const ns = await netnsExists(NETNS);
  const left = qemu || ns ? [] : await networkLeftovers(readLabState()?.clientNetns ?? null);
  const detail = qemu
    ? `qemu pid ${pid} in netns ${NETNS}; server ${VM_ADDRESS}, client ${CLIENT_ADDRESS}`
    : left.length > 0
      ? `not running; leftovers: ${left.join(', ')}`
      : 'not running';
  return { running: qemu && ns, detail };
}

export const strongswanLab: LabServer<StrongSwanInfo, StrongSwanUpOptions> = {
  name: NAME,
  up,
  down,
  status,
  serverLog,
};
