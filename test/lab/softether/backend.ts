/**
 * A host behind the SoftEther server, for traffic that leaves the tunnel: 10.204.0.1/32 on the loopback of
 * `ferry-se` (this kernel has no dummy interfaces) and an `iperf3 -s` bound to it (started by PID). A VPN client reaches it through
 * SecureNAT's user-mode NAT (vpnserver opens ordinary sockets in its namespace, where 10.204.0.1 is local);
 * without the VPN the same address is reachable over the plain lab link (via 10.201.0.1), for comparison.
 * Removed with the namespace by `softetherLab.down()`, or earlier with `stopBackendHost()`.
 */
import { join } from 'node:path';
import { killPid, pidAlive, run, spawnDaemon, waitFor } from '../sys';
import { NETNS } from './config';
import { baseDir } from './paths';

export const BACKEND_HOST = {
  address: '10.204.0.1',
  subnet: '10.204.0.0/24',
  iperfPort: 5201,
} as const;

export interface BackendHost {
  readonly address: string;
  readonly iperfPort: number;
  readonly iperfPid: number;
}

/** Adds the address and starts iperf3 on it; resolves once iperf3 listens. Needs a running lab. */
export async function startBackendHost(): Promise<BackendHost> {
  const ns = { netns: NETNS };
  const { address, iperfPort } = BACKEND_HOST;
  await run(['ip', 'addr', 'add', `${address}/32`, 'dev', 'lo'], ns);
  const pid = spawnDaemon(
    ['iperf3', '-s', '-B', address, '-p', String(iperfPort)],
    join(baseDir(), 'iperf3.log'),
    ns,
  );
  await waitFor(
    'iperf3 in ferry-se to listen',
    async () => {
      if (!pidAlive(pid)) throw new Error('iperf3 exited; see iperf3.log in the lab directory');
      const r = await run(['ss', '-Htln', `sport = :${iperfPort}`], { ...ns, check: false });
      return r.stdout.includes(address);
    },
    10_000,
    50,
  );
  return { address, iperfPort, iperfPid: pid };
}

export async function stopBackendHost(host: BackendHost): Promise<void> {
  await killPid(host.iperfPid);
  await run(['ip', 'addr', 'del', `${BACKEND_HOST.address}/32`, 'dev', 'lo'], { netns: NETNS, check: false });
}
