/**
 * The scripted host's certificate import: real parsing (node:crypto X509Certificate for PEM/DER, the openssl CLI
 * for PKCS#12) so the UI shows real subjects, dates and fingerprints. Errors carry the codes the UI maps to titles.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateInfo, IpcArgs, IpcError } from '../../../core/api/ipc';
import { err, ok, type Result } from '../../../core/common/result';

export type CertificateRequest = IpcArgs<'importCertificate'>[1];

const PRIVATE_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

const notCertificate: IpcError = {
  code: 'not-a-certificate',
  message: 'The file does not contain an X.509 certificate.',
  hint: 'Choose the .pem, .crt, .der or .p12 file your IT department gave you.',
};

const oneLine = (dn: string): string => dn.split('\n').filter(Boolean).join(', ');

export function describeCertificate(x: X509Certificate, hasPrivateKey: boolean): CertificateInfo {
  return {
    subject: oneLine(x.subject),
    issuer: oneLine(x.issuer),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    fingerprintSha256: x.fingerprint256,
    hasPrivateKey,
    isCa: x.ca,
  };
}

function parseX509(data: string | Buffer): X509Certificate | null {
  try {
    return new X509Certificate(data);
  } catch {
    return null;
  }
}

function openssl(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { env: { ...process.env, ...env }, timeout: 10_000 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
    });
  });
}

async function parsePkcs12(dataBase64: string, password: string): Promise<Result<CertificateInfo, IpcError>> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-p12-'));
  try {
    const file = join(dir, 'bundle.p12');
    await writeFile(file, Buffer.from(dataBase64, 'base64'), { mode: 0o600 });
    // The password goes through the environment, never argv.
    const env = { FERRY_P12_PASSWORD: password };
    const certs = await openssl(
      ['pkcs12', '-in', file, '-passin', 'env:FERRY_P12_PASSWORD', '-nokeys', '-clcerts'],
      env,
    );
    if (certs.code !== 0) {
      if (/mac verify|invalid password|bad decrypt/i.test(certs.stderr))
        return err({
          code: 'bad-password',
          message: 'The PKCS#12 password is wrong.',
          hint: 'Enter the password that protects the .p12 file (ask your IT department).',
        });
      return err({ ...notCertificate, message: 'The file is not a readable PKCS#12 bundle.' });
    }
    const pem = CERT_BLOCK.exec(certs.stdout);
    const x = pem ? parseX509(pem[0]) : null;
    if (!x) return err(notCertificate);
    const keys = await openssl(
      ['pkcs12', '-in', file, '-passin', 'env:FERRY_P12_PASSWORD', '-nocerts', '-nodes'],
      env,
    );
    return ok(describeCertificate(x, keys.code === 0 && PRIVATE_KEY.test(keys.stdout)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function parseCertificate(req: CertificateRequest): Promise<Result<CertificateInfo, IpcError>> {
  switch (req.format) {
    case 'pkcs12':
      return parsePkcs12(req.dataBase64, req.password);
    case 'pem': {
      const block = CERT_BLOCK.exec(req.text);
      const x = block ? parseX509(block[0]) : null;
      if (!x)
        return err({
          ...notCertificate,
          hint: 'This is not a PEM certificate; if it is binary, choose DER.',
        });
      return ok(describeCertificate(x, req.role === 'client' && PRIVATE_KEY.test(req.text)));
    }
    case 'der': {
      const x = parseX509(Buffer.from(req.dataBase64, 'base64'));
      if (!x)
        return err({ ...notCertificate, hint: 'This is not a DER certificate; if it is text, choose PEM.' });
      return ok(describeCertificate(x, false));
    }
  }
}
