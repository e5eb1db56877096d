/** Windows argv builders and parsers: netsh (addresses, MTU, routes, DNS, firewall) and reg. Pure. */
import type { KillSwitchSettings, Route } from '../backend';

export const WIN32_PROGRAMS = ['netsh.exe', 'reg.exe'] as const;
const NETSH = 'netsh.exe';
const REG = 'reg.exe';

export function prefixToMask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff].join('.');
}

export const netsh = {
  setAddress: (index: string, address: string, prefix: number) => [
    NETSH,
    'interface',
    'ipv4',
    'set',
    'address',
    `name=${index}`,
    'source=static',
    `address=${address}`,
    `mask=${prefixToMask(prefix)}`,
    'gateway=none',
  ],
  setMtu: (index: string, mtu: number) => [
    NETSH,
    'interface',
    'ipv4',
    'set',
    'subinterface',
    index,
    `mtu=${mtu}`,
    'store=active',
  ],
  /** A low interface metric makes Windows prefer the tunnel's DNS servers (full tunnel). */
  setMetric: (index: string, metric: number) => [
    NETSH,
    'interface',
    'ipv4',
    'set',
    'interface',
    index,
    `metric=${metric}`,
  ],
  route: (verb: 'add' | 'delete', r: Route) => [
    NETSH,
    'interface',
    'ipv4',
    verb,
    'route',
    `prefix=${r.cidr}`,
    `interface=${r.dev}`,
    `nexthop=${r.via ?? '0.0.0.0'}`,
    'store=active',
  ],
  setDnsPrimary: (index: string, server: string) => [
    NETSH,
    'interface',
    'ipv4',
    'set',
    'dnsservers',
    `name=${index}`,
    'source=static',
    `address=${server}`,
    'register=none',
    'validate=no',
  ],
  addDns: (index: string, server: string, position: number) => [
    NETSH,
    'interface',
    'ipv4',
    'add',
    'dnsservers',
    `name=${index}`,
    `address=${server}`,
    `index=${position}`,
    'validate=no',
  ],
  resetDns: (index: string) => [
    NETSH,
    'interface',
    'ipv4',
    'set',
    'dnsservers',
    `name=${index}`,
    'source=dhcp',
  ],
  showFirewallPolicy: () => [NETSH, 'advfirewall', 'show', 'allprofiles', 'firewallpolicy'],
  /** `allprofiles`, or one of `domainprofile`, `privateprofile`, `publicprofile`. */
  setFirewallPolicy: (profile: 'all' | string, policy: string) => [
    NETSH,
    'advfirewall',
    'set',
    profile === 'all' ? 'allprofiles' : `${profile}profile`,
    'firewallpolicy',
    policy,
  ],
  addAllowRule: (name: string, match: readonly string[]) => [
    NETSH,
    'advfirewall',
    'firewall',
    'add',
    'rule',
    `name=${name}`,
    'dir=out',
    'action=allow',
    ...match,
  ],
  deleteRule: (name: string) => [NETSH, 'advfirewall', 'firewall', 'delete', 'rule', `name=${name}`],
};

const interfaceKey = (guid: string) =>
  `HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\${guid}`;

export const reg = {
  setSearchList: (guid: string, domains: readonly string[]) => [
    REG,
    'add',
    interfaceKey(guid),
    '/v',
    'SearchList',
    '/t',
    'REG_SZ',
    '/d',
    domains.join(','),
    '/f',
  ],
  deleteSearchList: (guid: string) => [REG, 'delete', interfaceKey(guid), '/v', 'SearchList', '/f'],
};

export const KILL_SWITCH_RULES = {
  tunnel: 'Ferry kill switch - tunnel',
  server: 'Ferry kill switch - server',
} as const;

export function killSwitchRules(tunAddress: string, s: KillSwitchSettings): string[][] {
  return [
    netsh.addAllowRule(KILL_SWITCH_RULES.tunnel, [`localip=${tunAddress}`]),
    netsh.addAllowRule(KILL_SWITCH_RULES.server, [
      'protocol=udp',
      `remoteip=${s.server}`,
      `remoteport=${s.serverPorts.join(',')}`,
    ]),
  ];
}

/**
 * `netsh advfirewall show allprofiles firewallpolicy`: a "Domain Profile Settings:" header per profile, then
 * `Firewall Policy                       BlockInbound,AllowOutbound`. Returns { domain, private, public }.
 */
export function parseFirewallPolicies(stdout: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  let profile: string | null = null;
  for (const line of stdout.split(/\r?\n/)) {
    const header = line.match(/^(Domain|Private|Public) Profile Settings:/i);
    if (header) profile = header[1]!.toLowerCase();
    const policy = line.match(/^Firewall Policy\s+(\w+,\w+)\s*$/i);
    if (policy && profile) out[profile] = policy[1]!.toLowerCase();
  }
  return out.domain && out.private && out.public ? out : null;
}

export const exists = (text: string) => /already exists/i.test(text);
export const alreadyGone = (text: string) =>
  /Element not found|cannot find|No rules match|was unable to find/i.test(text);
