/**
 * The lab link: netns `ferry-vm` holds bridge `fvm-br` with the VM's TAP `fvm-tap` and the veth end `fvm-s`;
 * the other end `fvm-h` (10.202.0.3/24) sits in the root namespace or the caller's namespace. The bridge has no
 * address and the namespace no uplink, so the VM (10.202.0.2/24, no gateway) cannot reach anything else.
 */
import { linkDelete, netnsAdd, netnsDelete, netnsExists, run, vethPair } from '../sys';

export const NETNS = 'ferry-vm';
export const BRIDGE = 'fvm-br';
export const TAP = 'fvm-tap';
export const VETH_HOST = 'fvm-h';
export const VETH_SWITCH = 'fvm-s';
export const CLIENT_ADDRESS = '10.202.0.3';

export async function setupNetwork(clientNetns: string | null): Promise<void> {
  if (clientNetns !== null && !(await netnsExists(clientNetns))) {
    throw new Error(`client namespace ${clientNetns} does not exist (the caller creates it)`);
  }
  await netnsAdd(NETNS);
  const ns = { netns: NETNS };
  await run(['ip', 'link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'], ns);
  await run(['ip', 'link', 'set', BRIDGE, 'up'], ns);
  await run(['ip', 'tuntap', 'add', 'dev', TAP, 'mode', 'tap'], ns);
  await run(['ip', 'link', 'set', TAP, 'master', BRIDGE], ns);
  await run(['ip', 'link', 'set', TAP, 'up'], ns);
  const clientNs = clientNetns ?? undefined;
  await vethPair({ a: VETH_HOST, aNetns: clientNs, b: VETH_SWITCH, bNetns: NETNS });
  await run(['ip', 'link', 'set', VETH_SWITCH, 'master', BRIDGE], ns);
  // No IPv6 chatter (RS, DAD, MLD) from the client end towards the VM.
  await run(['sysctl', '-qw', `net.ipv6.conf.${VETH_HOST}.disable_ipv6=1`], {
    netns: clientNs,
    check: false,
  });
  await run(['ip', 'addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', VETH_HOST], { netns: clientNs });
}

/** Removes everything setupNetwork created (killing whatever still runs inside `ferry-vm`: only our qemu). */
export async function teardownNetwork(clientNetns: string | null): Promise<void> {
  await netnsDelete(NETNS);
  await linkDelete(VETH_HOST);
  await linkDelete(VETH_SWITCH);
  if (clientNetns !== null && (await netnsExists(clientNetns))) {
    await linkDelete(VETH_HOST, clientNetns);
    await linkDelete(VETH_SWITCH, clientNetns);
  }
}

/** What of the lab link still exists (for status and for checking that down() cleaned up). */
export async function networkLeftovers(clientNetns: string | null): Promise<string[]> {
  const left: string[] = [];
  if (await netnsExists(NETNS)) left.push(`netns ${NETNS}`);
  for (const l of [VETH_HOST, VETH_SWITCH, BRIDGE, TAP]) {
    const r = await run(['ip', 'link', 'show', 'dev', l], { check: false });
    if (r.code === 0) left.push(`link ${l}`);
  }
  if (clientNetns !== null && (await netnsExists(clientNetns))) {
    const r = await run(['ip', 'link', 'show', 'dev', VETH_HOST], { netns: clientNetns, check: false });
    if (r.code === 0) left.push(`link ${VETH_HOST} in ${clientNetns}`);
  }
  return left;
}
