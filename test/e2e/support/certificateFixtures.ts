/** Real certificates for the UI tests, made with the openssl CLI: a CA, a client certificate and a PKCS#12. */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertificateFixtures {
  readonly dir: string;
  readonly caPem: string;
  readonly caPath: string;
  readonly caDerPath: string;
  readonly clientP12Path: string;
  /** The client certificate alone (PEM, no key). */
  readonly clientPemPath: string;
  readonly clientP12Password: string;
  readonly clientFingerprint: string;
  readonly caFingerprint: string;
  cleanup(): void;
}

export function makeCertificates(): CertificateFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-certs-'));
  const p = (f: string): string => join(dir, f);
  const run = (args: string[], env: Record<string, string> = {}): void => {
    execFileSync('openssl', args, { stdio: 'pipe', env: { ...process.env, ...env } });
  };
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('ca.key')]);
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    p('ca.key'),
    '-sha256',
    '-days',
    '3650',
    '-subj',
    '/O=Example Corp/CN=Example VPN CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    p('ca.pem'),
  ]);
  run(['x509', '-in', p('ca.pem'), '-outform', 'DER', '-out', p('ca.der')]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('client.key')]);
  run([
    'req',
    '-new',
    '-key',
    p('client.key'),
    '-subj',
    '/O=Example Corp/CN=alice@example.com',
    '-out',
    p('client.csr'),
  ]);
  run([
    'x509',
    '-req',
    '-in',
    p('client.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '365',
    '-sha256',
    '-out',
    p('client.pem'),
  ]);
  const password = 'p12-Secret-4711';
  run(
    [
      'pkcs12',
      '-export',
      '-inkey',
      p('client.key'),
      '-in',
      p('client.pem'),
      '-passout',
      'env:P12PASS',
      '-out',
      p('client.p12'),
    ],
    { P12PASS: password },
  );
  const caPem = readFileSync(p('ca.pem'), 'utf8');
  return {
    dir,
    caPem,
    caPath: p('ca.pem'),
    caDerPath: p('ca.der'),
    clientP12Path: p('client.p12'),
    clientPemPath: p('client.pem'),
    clientP12Password: password,
    clientFingerprint: new X509Certificate(readFileSync(p('client.pem'))).fingerprint256,
    caFingerprint: new X509Certificate(caPem).fingerprint256,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
