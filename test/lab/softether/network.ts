/** The lab link (veth with IPv6 off on both ends), the server's output counters and netns bookkeeping. */
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { linkDelete, netnsExists, run } from '../sys';
import {
  ADMIN_PORT,
  CLIENT_ADDRESS,
  HOST_IF,
  LAB_SUBNET,
  NETNS,
  PREFIX_LEN,
  SERVER_ADDRESS,
  SERVER_IF,
} from './config';

const sysctlV6Off = (dev: string) => ['sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`];

/**
 * `fse-h` (client side, root namespace or `clientNetns`) ↔ `fse-s` inside `ferry-se`. Unlike sys.vethPair,
 * IPv6 is switched off on both ends before they go up, so not even one router solicitation or MLD report
 * is sent. No routes besides the connected /24.
 */
export async function createLabLink(clientNetns: string | null): Promise<void> {
  const cns = clientNetns ?? undefined;
  if (cns && !(await netnsExists(cns)))
    throw new Error(`softether lab: client namespace ${cns} does not exist`);
  await linkDelete(HOST_IF, cns);
  await run(['ip', 'link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', SERVER_IF, 'netns', NETNS], {
    netns: cns,
  });
  await run(sysctlV6Off(HOST_IF), { netns: cns });
  await run(sysctlV6Off(SERVER_IF), { netns: NETNS });
  await run(['ip', 'addr', 'add', `${CLIENT_ADDRESS}/${PREFIX_LEN}`, 'dev', HOST_IF], { netns: cns });
  await run(['ip', 'addr', 'add', `${SERVER_ADDRESS}/${PREFIX_LEN}`, 'dev', SERVER_IF], { netns: NETNS });
  await run(['ip', 'link', 'set', HOST_IF, 'up'], { netns: cns });
  await run(['ip', 'link', 'set', SERVER_IF, 'up'], { netns: NETNS });
}

const COUNTER_TABLE = 'ferry_lab';

/**
 * Counts every packet the server namespace emits, installed before the server starts:
 * `lab` = to 10.201.0.0/24 on the lab link, `admin` = vpncmd ↔ server on loopback TCP 5555,
 * `other` = anything else (must stay 0: DNS, keep-alive, DDNS, NAT traversal, …).
 */
export async function installCounters(): Promise<void> {
  const rules = `table inet ${COUNTER_TABLE} {
  counter lab {}
  counter admin {}
  counter other {}
  chain output {
    type filter hook output priority 0; policy accept;
    oifname "${SERVER_IF}" ip daddr ${LAB_SUBNET} counter name "lab" accept
    oifname "lo" tcp dport ${ADMIN_PORT} counter name "admin" accept
    oifname "lo" tcp sport ${ADMIN_PORT} counter name "admin" accept
    counter name "other"
  }
}
`;
  await run(['nft', '-f', '-'], { netns: NETNS, input: rules });
}

export interface PacketCount {
  readonly packets: number;
  readonly bytes: number;
}
export interface TrafficCounters {
  readonly lab: PacketCount;
  readonly admin: PacketCount;
  readonly other: PacketCount;
}

/** Current values of the output counters (see `installCounters`). */
export async function readCounters(): Promise<TrafficCounters> {
  const r = await run(['nft', '-j', 'list', 'counters', 'table', 'inet', COUNTER_TABLE], { netns: NETNS });
  const parsed = JSON.parse(r.stdout) as {
    nftables: { counter?: { name: string; packets: number; bytes: number } }[];
  };
  const get = (name: string): PacketCount => {
    const c = parsed.nftables.find((e) => e.counter?.name === name)?.counter;
    if (!c) throw new Error(`softether lab: nft counter ${name} missing`);
    return { packets: c.packets, bytes: c.bytes };
  };
  return { lab: get('lab'), admin: get('admin'), other: get('other') };
}

/** Inode of the named namespace (identifies it even after its name is gone), or null. */
export function netnsInode(name: string): number | null {
  try {
    return statSync(`/run/netns/${name}`).ino;
  } catch {
    return null;
  }
}

/** PIDs of processes whose network namespace has inode `inode`. */
export function pidsInNetnsInode(inode: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === `net:[${inode}]`) pids.push(Number(entry));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return pids;
}
