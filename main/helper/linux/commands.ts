/** Linux argv builders (iproute2, nftables, resolvectl). Pure: every value was validated by the protocol. */
import type { Route } from '../backend';

export const LINUX_PROGRAMS = ['ip', 'nft', 'resolvectl'] as const;

export const ip = {
  linkMtu: (dev: string, mtu: number) => ['ip', 'link', 'set', 'dev', dev, 'mtu', String(mtu)],
  linkUp: (dev: string) => ['ip', 'link', 'set', 'dev', dev, 'up'],
  linkDelete: (dev: string) => ['ip', 'link', 'delete', 'dev', dev],
  addrFlush: (dev: string) => ['ip', '-4', 'addr', 'flush', 'dev', dev],
  /** With a peer: a point-to-point /32 pair (`local peer P/32`); else `address/prefix`. */
  addrAdd: (dev: string, address: string, prefix: number, peer?: string) =>
    peer
      ? ['ip', '-4', 'addr', 'add', address, 'peer', `${peer}/32`, 'dev', dev]
      : ['ip', '-4', 'addr', 'add', `${address}/${prefix}`, 'dev', dev],
  routeAdd: (r: Route) => [
    'ip',
    '-4',
    'route',
    'add',
    r.cidr,
    ...(r.via ? ['via', r.via] : []),
    'dev',
    r.dev,
  ],
  routeDelete: (r: Route) => [
    'ip',
    '-4',
    'route',
    'delete',
    r.cidr,
    ...(r.via ? ['via', r.via] : []),
    'dev',
    r.dev,
  ],
  routeGet: (address: string) => ['ip', '-4', '-o', 'route', 'get', address],
  /** Many commands in one exec (stdin, one per line, `ip` prefix dropped); -force runs every line. */
  batch: () => ['ip', '-4', '-force', '-batch', '-'],
};

/** A batch line for an `ip -4 ...` argv built above. */
export const batchLine = (argv: readonly string[]) => argv.slice(2).join(' ');

/**
 * `ip -batch` reports each failing line as its error message(s) followed by `Command failed -:N`.
 * Returns, per line, null (succeeded) or the error text.
 */
export function parseBatchErrors(stderr: string, lines: number): (string | null)[] {
  const out: (string | null)[] = Array(lines).fill(null);
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const failed = line.match(/^Command failed -:(\d+)$/);
    if (failed) {
      const n = Number(failed[1]) - 1;
      if (n >= 0 && n < lines) out[n] = pending.join('; ') || 'failed';
      pending = [];
    } else pending.push(line);
  }
  return out;
}

export const nft = {
  /** Loads a ruleset atomically from stdin. */
  load: () => ['nft', '-f', '-'],
  deleteTable: (family: string, table: string) => ['nft', 'delete', 'table', family, table],
  listTable: (family: string, table: string) => ['nft', 'list', 'table', family, table],
};

export const resolvectl = {
  dns: (link: string, servers: readonly string[]) => ['resolvectl', 'dns', link, ...servers],
  /** `~.` makes the link the route for every domain (full tunnel); plain names are search domains. */
  domain: (link: string, domains: readonly string[]) => ['resolvectl', 'domain', link, ...domains],
  defaultRoute: (link: string, on: boolean) => ['resolvectl', 'default-route', link, on ? 'yes' : 'no'],
  revert: (link: string) => ['resolvectl', 'revert', link],
};

/** `ip -o route get` output: `10.0.0.9 via 10.0.0.1 dev eth0 src 10.0.0.2 uid 0 \    cache`. */
export function parseRouteGet(stdout: string): { via: string | null; dev: string } | null {
  const words = stdout.trim().split(/\s+/);
  const at = (k: string) => {
    const i = words.indexOf(k);
    return i >= 0 && i + 1 < words.length ? words[i + 1]! : null;
  };
  const dev = at('dev');
  if (!dev || words[0] === 'unreachable' || words[0] === 'prohibit' || words[0] === 'blackhole') return null;
  return { via: at('via'), dev };
}

/** `RTNETLINK answers: File exists` (route add) and the "already gone" answers of deletes. */
export const exists = (stderr: string) => /File exists/i.test(stderr);
export const alreadyGone = (stderr: string) =>
  /No such process|No such device|Cannot find device|does not exist|No such file or directory|Cannot find/i.test(
    stderr,
  );
