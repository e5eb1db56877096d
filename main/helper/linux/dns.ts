/**
 * DNS on Linux: per-link settings through systemd-resolved when it runs, else a rewritten /etc/resolv.conf with
 * a byte-exact backup. The file is written in place (same inode, through a symlink if it is one): under
 * `ip netns exec` it is a bind mount of /etc/netns/<ns>/resolv.conf, which a rename would not replace.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { DnsSettings } from '../backend';

export const RESOLV_CONF = '/etc/resolv.conf';
const RESOLVED_SOCKET = '/run/systemd/resolve/io.systemd.Resolve';

export interface FileOps {
  read(path: string): Buffer;
  /** Rewrites the file's contents in place (O_TRUNC on the existing inode). */
  write(path: string, data: Buffer): void;
}

export const realFiles: FileOps = {
  read: (path) => readFileSync(path),
  write: (path, data) => writeFileSync(path, data),
};

/** systemd-resolved is running (its varlink socket exists) and resolvectl is installed. */
export function resolvedRunning(): boolean {
  return existsSync(RESOLVED_SOCKET) && ['/usr/bin/resolvectl', '/bin/resolvectl'].some((p) => existsSync(p));
}

/** The resolv.conf Ferry writes while the tunnel is up. */
export function renderResolvConf(dev: string, dns: DnsSettings): Buffer {
  const lines = [
    `# Written by Ferry for ${dev}; the previous file is put back when the tunnel closes.`,
    ...dns.servers.map((s) => `nameserver ${s}`),
  ];
  if (dns.searchDomains.length) lines.push(`search ${dns.searchDomains.join(' ')}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

export type ResolvConfRestore = 'restored' | 'untouched' | 'changed-by-someone-else';

/**
 * Puts the original back if the file still holds what we wrote; leaves it alone if it already is the original
 * or if someone else has rewritten it since (their content is newer than both).
 */
export function restoreResolvConf(
  files: FileOps,
  path: string,
  original: Buffer,
  written: Buffer,
): ResolvConfRestore {
  let current: Buffer;
  try {
    current = files.read(path);
  } catch {
    files.write(path, original);
    return 'restored';
  }
  if (current.equals(original)) return 'untouched';
  if (!current.equals(written)) return 'changed-by-someone-else';
  files.write(path, original);
  return 'restored';
}
