/**
 * SoftEther VPN Server as the userspace L2TP/IPsec lab peer: `vpnserver` in netns `ferry-se` (no route out,
 * IPv6 off), reachable from 10.201.0.2 at 10.201.0.1, configured by vpncmd from a seed config that keeps it
 * from phoning home. Facts behind the choices: /work/shared/lab/softether.md.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { linkDelete, netnsAdd, netnsDelete, netnsExists, removePid, udpPortBound, waitFor } from '../sys';
import type { LabInfo, LabServer, LabUpOptions } from '../types';
import {
  ADMIN_PASSWORD,
  ADMIN_PORT,
  CLIENT_ADDRESS,
  checkPsk,
  DEFAULT_PSK,
  expectedUdpPorts,
  HOST_IF,
  HUB,
  HUB_PASSWORD,
  NETNS,
  SECURE_NAT,
  SERVER_ADDRESS,
  seedConfig,
  USERS,
} from './config';
import { createLabLink, installCounters, netnsInode, pidsInNetnsInode } from './network';
import {
  baseDir,
  baseDirPath,
  INNER_SCRIPT,
  LAB_NAME,
  PID_NAME,
  runStateFile,
  serverLogFile,
  stateDir,
} from './paths';
import {
  ourServerPid,
  readRunState,
  spawnServer,
  stopServer,
  waitAdminListener,
  waitUdpPorts,
  writeRunState,
} from './server';
import { vpncmdCheck } from './vpncmd';

export { NETNS as SOFTETHER_NETNS } from './config';
export type { PacketCount, TrafficCounters } from './network';
export { readCounters as trafficCounters } from './network';
export type { VpncmdOptions, VpncmdResult } from './vpncmd';
export { ipsecSettings, vpncmdBatch, vpncmdCheck } from './vpncmd';

export interface SoftEtherUpOptions extends LabUpOptions {
  /** IPsec pre-shared key (default `ferry-lab-psk`). Printable ASCII, no spaces or quotes. */
  readonly psk?: string;
  /** Also serve plain L2TP (no IPsec) on UDP 1701, for testing L2TP/PPP on their own (default false). */
  readonly l2tpRaw?: boolean;
}

/** Milliseconds from the start of `up()`. */
export interface SoftEtherUpTimings {
  /** Leftovers of an earlier run removed. */
  readonly cleanedMs: number;
  /** Namespace, counters and link ready; vpnserver launched. */
  readonly launchedMs: number;
  /** TCP 5555 admin listener bound. */
  readonly adminListenerMs: number;
  /** All vpncmd commands succeeded. */
  readonly configuredMs: number;
  /** UDP 500 + 4500 (+ 1701) bound; `up()` returns. */
  readonly readyMs: number;
}

export interface SoftEtherInfo extends LabInfo {
  readonly netns: string;
  readonly hub: string;
  /** SecureNAT: gateway (= tunnelPeerAddress) and the DHCP pool PPP clients get their address from. */
  readonly secureNat: typeof SECURE_NAT;
  readonly l2tpRaw: boolean;
  readonly adminPort: number;
  readonly pid: number;
  readonly timings: SoftEtherUpTimings;
}

function prepareState(): void {
  baseDir();
  rmSync(stateDir(), { recursive: true, force: true });
  for (const sub of ['db', 'log', 'run', 'cmd'])
    mkdirSync(join(stateDir(), sub), { recursive: true, mode: 0o700 });
  writeFileSync(join(stateDir(), 'resolv.conf'), 'nameserver 127.0.0.1\n');
  writeFileSync(join(stateDir(), 'db', 'vpn_server.config'), seedConfig(), { mode: 0o600 });
  writeFileSync(serverLogFile(), '');
}

/** One vpncmd process: admin password, hub, users, SecureNAT, L2TP/IPsec, keep-alive off. */
async function configure(psk: string, l2tpRaw: boolean): Promise<void> {
  const yn = (b: boolean) => (b ? 'yes' : 'no');
  await vpncmdCheck(
    [
      `ServerPasswordSet ${ADMIN_PASSWORD}`,
      `HubCreate ${HUB} /PASSWORD:${HUB_PASSWORD}`,
      `Hub ${HUB}`,
      ...USERS.flatMap((u) => [
        `UserCreate ${u.username} /GROUP:none /REALNAME:none /NOTE:none`,
        `UserPasswordSet ${u.username} /PASSWORD:${u.password}`,
      ]),
      'SecureNatEnable',
      // Keep SecureNAT in user mode: its kernel/raw-IP modes probe the internet (www.yahoo.com).
      'ExtOptionSet DisableKernelModeSecureNAT /VALUE:1',
      'ExtOptionSet DisableIpRawModeSecureNAT /VALUE:1',
      'Hub',
      `IPsecEnable /L2TP:yes /L2TPRAW:${yn(l2tpRaw)} /ETHERIP:no /PSK:${psk} /DEFAULTHUB:${HUB}`,
      'KeepDisable',
    ],
    { auth: false },
  );
}

async function up(opts: SoftEtherUpOptions = {}): Promise<SoftEtherInfo> {
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  const psk = opts.psk ?? DEFAULT_PSK;
  checkPsk(psk);
  const l2tpRaw = opts.l2tpRaw ?? false;
  const clientNetns = opts.clientNetns ?? null;

  await down();
  const cleanedMs = since();
  try {
    prepareState();
    await netnsAdd(NETNS);
    await installCounters();
    await createLabLink(clientNetns);
    const inode = netnsInode(NETNS);
    if (inode === null) throw new Error(`softether lab: namespace ${NETNS} vanished`);
    const { pid, startTime } = spawnServer();
    writeRunState({ clientNetns, netnsInode: inode, psk, l2tpRaw, serverStartTime: startTime });
    const launchedMs = since();
    await waitAdminListener(pid);
    const adminListenerMs = since();
    await configure(psk, l2tpRaw);
    const configuredMs = since();
    await waitUdpPorts(pid, expectedUdpPorts(l2tpRaw));
    return {
      serverAddress: SERVER_ADDRESS,
      clientAddress: CLIENT_ADDRESS,
      clientNetns,
      psk,
      users: USERS,
      tunnelPeerAddress: SECURE_NAT.gateway,
      netns: NETNS,
      hub: HUB,
      secureNat: SECURE_NAT,
      l2tpRaw,
      adminPort: ADMIN_PORT,
      pid,
      timings: { cleanedMs, launchedMs, adminListenerMs, configuredMs, readyMs: since() },
    };
  } catch (e) {
    await down().catch(() => undefined);
    throw e;
  }
}

/** Our own processes in a namespace whose name may already be gone. */
function isOurHelperProcess(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /\/(vpnserver|vpncmd)\0/.test(argv) || argv.includes(INNER_SCRIPT);
  } catch {
    return false;
  }
}

async function down(): Promise<void> {
  const dir = baseDirPath();
  const state = readRunState();
  const pid = ourServerPid();
  if (pid !== null) await stopServer(pid);
  // Deleting the client end removes the pair, at once rather than when the namespace is finally freed.
  await linkDelete(HOST_IF);
  if (state?.clientNetns && (await netnsExists(state.clientNetns)))
    await linkDelete(HOST_IF, state.clientNetns);
  const inode = netnsInode(NETNS) ?? state?.netnsInode ?? null;
  // SIGKILLs whatever is still inside (a stray vpncmd, a server that ignored SIGTERM), then removes the name.
  await netnsDelete(NETNS);
  if (inode !== null) {
    for (const p of pidsInNetnsInode(inode).filter(isOurHelperProcess)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await waitFor(
      `processes in ${NETNS} to exit`,
      async () => pidsInNetnsInode(inode).filter(isOurHelperProcess).length === 0,
      10_000,
      50,
    );
  }
  removePid(dir, PID_NAME);
  rmSync(stateDir(), { recursive: true, force: true });
  rmSync(runStateFile(), { force: true });
}

async function status(): Promise<{ running: boolean; detail: string }> {
  const pid = ourServerPid();
  const nsExists = await netnsExists(NETNS);
  if (pid === null) {
    return {
      running: false,
      detail: nsExists ? `netns ${NETNS} exists but vpnserver is not running (run down)` : 'not running',
    };
  }
  const state = readRunState();
  const ports = await Promise.all(
    expectedUdpPorts(state?.l2tpRaw ?? false).map(
      async (p) => `${p}${(await udpPortBound(p, NETNS)) ? '' : ' (not bound)'}`,
    ),
  );
  return {
    running: true,
    detail: `vpnserver pid ${pid} in netns ${NETNS} at ${SERVER_ADDRESS}, UDP ${ports.join(', ')}`,
  };
}

async function serverLog(): Promise<string> {
  try {
    return readFileSync(serverLogFile(), 'utf8');
  } catch {
    return '';
  }
}

export const softetherLab: LabServer<SoftEtherInfo, SoftEtherUpOptions> = {
  name: LAB_NAME,
  up,
  down,
  status,
  serverLog,
};

/** Current length of the server log: pass it to `waitForServerLog` to look only at what comes after. */
export async function serverLogMark(): Promise<number> {
  return (await serverLog()).length;
}

/**
 * Server log lines tests wait for, from the build's string table (hamcore strtable_en.stb LI_*, LP_*).
 * The PPP line prefix is "L2TP PPP Session [client-ip:port]: ".
 */
export const SERVER_LOG = {
  ikeSaEstablished: /This IKE SA is established between the server and the client\./,
  ipsecSaEstablished: /This IPsec SA is established between the server and the client\./,
  noNatT: /not compatible with IPsec NAT Traversal/,
  pppStarted: /PPP Session \[[^\]]+\]: A new PPP session \(Upper protocol: [^)]*\) is started/,
  pppEnded:
    /PPP Session \[[^\]]+\]: (?:The PPP session is disconnected|A PPP protocol error occurred|A timeout on the PPP)/,
  ikeSaDeleted: /This IKE SA is deleted\./,
} as const;

/** Waits until the server log (from character offset `since`) matches `pattern` (see SERVER_LOG); returns the match. */
export async function waitForServerLog(
  pattern: RegExp,
  timeoutMs: number,
  since = 0,
): Promise<RegExpExecArray> {
  const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
  return waitFor(
    `server log to match ${re}`,
    async () => re.exec((await serverLog()).slice(since)),
    timeoutMs,
    100,
  );
}

/**
 * Stops vpnserver (SIGTERM, clean shutdown saves its config) and starts it again on the same state,
 * namespace and link; resolves when its UDP ports are bound again. The PID changes.
 */
export async function restartServer(): Promise<{ pid: number; stopMs: number; startMs: number }> {
  const state = readRunState();
  const old = ourServerPid();
  if (state === null || old === null)
    throw new Error('softether lab: restartServer() needs a running lab (up() first)');
  const t0 = performance.now();
  await stopServer(old);
  const stopMs = Math.round(performance.now() - t0);
  const { pid, startTime } = spawnServer();
  writeRunState({ ...state, serverStartTime: startTime });
  await waitAdminListener(pid);
  await waitUdpPorts(pid, expectedUdpPorts(state.l2tpRaw));
  return { pid, stopMs, startMs: Math.round(performance.now() - t0) - stopMs };
}

/** The recorded vpnserver PID if that process is alive and ours (tests use it to simulate a crash). */
export const serverPid = (): number | null => ourServerPid();

export { BACKEND_HOST, type BackendHost, startBackendHost, stopBackendHost } from './backend';
