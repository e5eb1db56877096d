/** Fixed names, addresses and credentials of the SoftEther lab, and its seed `vpn_server.config`. */
import type { LabUser } from '../types';

export const NETNS = 'ferry-se';
/** Client end of the lab link (root namespace or the caller's `clientNetns`). */
export const HOST_IF = 'fse-h';
/** Server end, inside `ferry-se`. */
export const SERVER_IF = 'fse-s';
export const SERVER_ADDRESS = '10.201.0.1';
export const CLIENT_ADDRESS = '10.201.0.2';
export const PREFIX_LEN = 24;
export const LAB_SUBNET = '10.201.0.0/24';

/** vpncmd talks to the server on the netns loopback; nothing else listens on TCP. */
export const ADMIN_PORT = 5555;
export const ADMIN_PASSWORD = 'ferry-lab-admin';
export const HUB = 'DEFAULT';
export const HUB_PASSWORD = 'ferry-lab-hub';
export const DEFAULT_PSK = 'ferry-lab-psk';

export const USERS: readonly LabUser[] = [
  { username: 'alice', password: 's3cret' },
  { username: 'bob', password: 'another-pass' },
];

/** SecureNAT defaults, kept as they are: PPP clients get IPCP addresses from this DHCP pool. */
export const SECURE_NAT = {
  gateway: '192.168.30.1',
  netmask: '255.255.255.0',
  dhcpStart: '192.168.30.10',
  dhcpEnd: '192.168.30.200',
} as const;

/** UDP ports the server must hold before `up()` returns (1701 only in raw L2TP mode). */
export function expectedUdpPorts(l2tpRaw: boolean): readonly number[] {
  return l2tpRaw ? [500, 4500, 1701] : [500, 4500];
}

/**
 * Written before the first start so the server never tries to reach the internet: no DDNS / get-my-ip
 * (and hence no VPN Azure client), no keep-alive, no SoftEther R-UDP NAT traversal, no JSON-RPC or web UI,
 * OpenVPN and SSTP off, no extra UDP ports, one TCP listener on 5555, no IPv6 listener. The server fills in
 * everything missing (certificate, key, defaults) and rewrites the file. `$` is SoftEther's empty string.
 */
export function seedConfig(): string {
  return `# Software Configuration File (Ferry lab seed)
declare root
{
\tuint ConfigRevision 0
\tdeclare DDnsClient
\t{
\t\tbool Disabled true
\t}
\tdeclare ListenerList
\t{
\t\tdeclare Listener0
\t\t{
\t\t\tbool DisableDos false
\t\t\tbool Enabled true
\t\t\tuint Port ${ADMIN_PORT}
\t\t}
\t}
\tdeclare ServerConfiguration
\t{
\t\tbool DisableIPv6Listener true
\t\tbool DisableJsonRpcWebApi true
\t\tbool DisableNatTraversal true
\t\tbool EnableVpnAzure false
\t\tbool EnableVpnOverDns false
\t\tbool EnableVpnOverIcmp false
\t\tstring PortsUDP $
\t\tbool UseKeepConnect false
\t\tbool UseWebUI false
\t\tdeclare Proto
\t\t{
\t\t\tdeclare OpenVPN
\t\t\t{
\t\t\t\tbool Enabled false
\t\t\t}
\t\t\tdeclare SSTP
\t\t\t{
\t\t\t\tbool Enabled false
\t\t\t}
\t\t}
\t}
}
`;
}

/**
 * vpncmd splits its command lines on spaces and treats `"` and `/` specially, so the PSK is limited to
 * printable ASCII without whitespace or quotes. The message never contains the value.
 */
export function checkPsk(psk: string): void {
  if (psk.length < 1 || psk.length > 255 || !/^[\x21\x23-\x7e]+$/.test(psk)) {
    throw new Error(
      'softether lab: the PSK must be 1..255 printable ASCII characters without spaces or quotes',
    );
  }
}
