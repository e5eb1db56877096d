/**
 * Puts the server's certificate material into the running VM for `auth: 'pubkey'`: CAs into
 * /etc/ipsec.d/cacerts, the certificate into certs/, the key into private/ (0600). It travels through the guest
 * console as a base64 tar on stdin (a few KiB; the kernel command line is too small for certificates and a
 * config disk would change the saved VM state). Files of an earlier variant are removed first, so a CA from a
 * previous test never stays trusted. The image is untouched: its recipe hash does not change.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabCredentials } from './config';
import type { GuestConsole } from './console';
import { SERVER_CERT_FILE, SERVER_KEY_FILE } from './render';

const INSTALL = [
  'set -eu',
  'umask 077',
  'rm -f /etc/ipsec.d/cacerts/ferry-* /etc/ipsec.d/certs/ferry-* /etc/ipsec.d/private/ferry-*',
  'base64 -d | tar -x -C /etc/ipsec.d --no-same-owner --no-same-permissions',
  'chmod 0644 /etc/ipsec.d/cacerts/ferry-* /etc/ipsec.d/certs/ferry-* 2>/dev/null || true',
  'chmod 0600 /etc/ipsec.d/private/ferry-* 2>/dev/null || true',
  'ls /etc/ipsec.d/cacerts /etc/ipsec.d/certs /etc/ipsec.d/private',
].join('\n');

function tarBase64(c: LabCredentials | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-lab-creds-'));
  try {
    const files: string[] = [];
    const put = (rel: string, content: string) => {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), content, { mode: 0o600 });
      files.push(rel);
    };
    if (c) {
      c.caPems.forEach((pem, i) => {
        put(`cacerts/ferry-ca-${i + 1}.pem`, pem);
      });
      put(`certs/${SERVER_CERT_FILE}`, c.certPem);
      put(`private/${SERVER_KEY_FILE}`, c.keyPem);
    }
    const tar = execFileSync('tar', [
      '-c',
      '--owner=0',
      '--group=0',
      '-C',
      dir,
      ...(files.length ? files : ['--files-from=/dev/null']),
    ]);
    return tar.toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces the VM's Ferry certificate files with `credentials` (none: only removes them). */
export async function installCredentials(
  con: GuestConsole,
  credentials: LabCredentials | null,
): Promise<void> {
  const r = await con.exec(['/bin/sh', '-c', INSTALL], { stdin: tarBase64(credentials), timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`installing the lab certificates failed (exit ${r.code}):\n${r.output}`);
}
