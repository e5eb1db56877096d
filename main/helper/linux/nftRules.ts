/** nftables rulesets of our own tables. Each file replaces its table atomically (create, delete, define). */
import type { KillSwitchSettings } from '../backend';

export const KILL_SWITCH_TABLE = 'ferry_killswitch';

export const mssTable = (dev: string) => `ferry_mss_${dev}`;

function replaceTable(table: string, body: string): string {
  return `table inet ${table}\ndelete table inet ${table}\ntable inet ${table} {\n${body}}\n`;
}

/** Only loopback, the tunnel device and the server's IKE/NAT-T ports may pass, both ways. */
export function killSwitchRuleset(dev: string, s: KillSwitchSettings): string {
  const ports = `{ ${s.serverPorts.join(', ')} }`;
  return replaceTable(
    KILL_SWITCH_TABLE,
    `  chain output {
    type filter hook output priority filter; policy drop;
    oifname "lo" accept
    oifname "${dev}" accept
    ip daddr ${s.server} udp dport ${ports} accept
  }
  chain input {
    type filter hook input priority filter; policy drop;
    iifname "lo" accept
    iifname "${dev}" accept
    ip saddr ${s.server} udp sport ${ports} accept
  }
`,
  );
}

/** Clamp the MSS of TCP SYNs forwarded out through the tunnel to the route's MTU. */
export function mssClampRuleset(dev: string): string {
  return replaceTable(
    mssTable(dev),
    `  chain forward {
    type filter hook forward priority mangle; policy accept;
    oifname "${dev}" tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu
  }
`,
  );
}
