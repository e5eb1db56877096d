/** macOS argv builders and parsers: ifconfig, route, scutil (stdin script), pfctl. Pure. */
import type { DnsSettings, KillSwitchSettings, Route } from '../backend';

export const DARWIN_PROGRAMS = ['/sbin/ifconfig', '/sbin/route', '/usr/sbin/scutil', '/sbin/pfctl'] as const;
const IFCONFIG = '/sbin/ifconfig';
const ROUTE = '/sbin/route';
export const SCUTIL = '/usr/sbin/scutil';
const PFCTL = '/sbin/pfctl';

export const KILL_SWITCH_ANCHOR = 'com.apple/ferry.killswitch';

export function prefixToMask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff].join('.');
}

const isHost = (cidr: string) => cidr.endsWith('/32');
const hostOf = (cidr: string) => cidr.slice(0, cidr.indexOf('/'));

export const ifconfig = {
  up: (dev: string, mtu: number) => [IFCONFIG, dev, 'mtu', String(mtu), 'up'],
  mtu: (dev: string, mtu: number) => [IFCONFIG, dev, 'mtu', String(mtu)],
  /** utun is point-to-point: local and destination address (the peer, or ourselves). */
  address: (dev: string, address: string, prefix: number, peer?: string) => [
    IFCONFIG,
    dev,
    'inet',
    address,
    peer ?? address,
    'netmask',
    prefixToMask(prefix),
    'up',
  ],
};

function target(r: Route): string[] {
  const dest = isHost(r.cidr) ? ['-host', hostOf(r.cidr)] : ['-net', r.cidr];
  return [...dest, ...(r.via ? [r.via] : ['-interface', r.dev])];
}

export const route = {
  add: (r: Route) => [ROUTE, '-n', 'add', ...target(r)],
  delete: (r: Route) => [ROUTE, '-n', 'delete', ...target(r)],
  get: (address: string) => [ROUTE, '-n', 'get', address],
};

/** `route -n get` prints `   gateway: 192.168.1.1` and `  interface: en0` lines. */
export function parseRouteGet(stdout: string): { via: string | null; dev: string } | null {
  const field = (k: string) => stdout.match(new RegExp(`^\\s*${k}:\\s*(\\S+)\\s*$`, 'm'))?.[1] ?? null;
  const dev = field('interface');
  if (!dev) return null;
  const gw = field('gateway');
  return { via: gw && /^\d+\.\d+\.\d+\.\d+$/.test(gw) ? gw : null, dev };
}

export const exists = (stderr: string) => /File exists/i.test(stderr);
export const alreadyGone = (stderr: string) =>
  /not in table|No such process|does not exist|No such file/i.test(stderr);

export const serviceKey = (dev: string, entity: 'DNS' | 'IPv4') =>
  `State:/Network/Service/ferry.${dev}/${entity}`;

/**
 * scutil commands for the tunnel's DNS. A full tunnel also publishes an IPv4 entity with OverridePrimary, so
 * configd makes the tunnel the primary service (its resolver becomes the default); a split tunnel publishes
 * only supplemental match domains.
 */
export function scutilSetDns(dev: string, address: string | null, dns: DnsSettings): string {
  const lines = ['d.init', `d.add ServerAddresses * ${dns.servers.join(' ')}`];
  if (dns.searchDomains.length) {
    lines.push(`d.add SearchDomains * ${dns.searchDomains.join(' ')}`);
    lines.push(`d.add DomainName ${dns.searchDomains[0]}`);
  }
  if (!dns.defaultRoute && dns.searchDomains.length)
    lines.push(`d.add SupplementalMatchDomains * ${dns.searchDomains.join(' ')}`);
  lines.push(`set ${serviceKey(dev, 'DNS')}`);
  if (dns.defaultRoute && address) {
    lines.push(
      'd.init',
      `d.add Addresses * ${address}`,
      `d.add InterfaceName ${dev}`,
      'd.add OverridePrimary # 1',
    );
    lines.push(`set ${serviceKey(dev, 'IPv4')}`);
  }
  lines.push('quit');
  return `${lines.join('\n')}\n`;
}

export function scutilRemove(keys: readonly string[]): string {
  return `${[...keys.map((k) => `remove ${k}`), 'quit'].join('\n')}\n`;
}

export const scutil = () => [SCUTIL];

/** pf rules for our anchor: quick passes for loopback, the tunnel and the server's ports, then block the rest. */
export function pfKillSwitchRules(dev: string, s: KillSwitchSettings): string {
  const ports = `{ ${s.serverPorts.join(' ')} }`;
  return [
    'pass quick on lo0 all',
    `pass quick on ${dev} all`,
    `pass out quick proto udp from any to ${s.server} port ${ports}`,
    `pass in quick proto udp from ${s.server} port ${ports} to any`,
    'block drop quick all',
    '',
  ].join('\n');
}

export const pfctl = {
  load: (anchor: string) => [PFCTL, '-a', anchor, '-f', '-'],
  /** Enables pf and takes a reference; stderr says `Token : <n>`. */
  enable: () => [PFCTL, '-E'],
  release: (token: string) => [PFCTL, '-X', token],
  flush: (anchor: string) => [PFCTL, '-a', anchor, '-F', 'all'],
};

export function parsePfToken(output: string): string | null {
  return output.match(/Token\s*:\s*(\d+)/)?.[1] ?? null;
}
