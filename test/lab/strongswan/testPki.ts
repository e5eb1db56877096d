/**
 * A throwaway PKI made with the openssl CLI for tests: CAs, server and client certificates (RSA or ECDSA) with
 * chosen validity, subjectAltNames and key usage, and PKCS#12 bundles in OpenSSL 3's default (PBES2/AES-256)
 * or legacy (RC2-40 + 3DES) encryption. Nothing is checked in: every run makes its own in a temp directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TestKeyType = 'rsa' | 'rsa1024' | 'ec256' | 'ec384' | 'ec521' | 'ed25519';

export interface TestCert {
  /** File stem inside the TestPki directory. */
  readonly name: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** DER of the certificate. */
  readonly der: Uint8Array;
  readonly subject: string;
  readonly keyType: TestKeyType;
}

export interface IssueOptions {
  /** OpenSSL -subj form, e.g. "/O=Ferry Lab/CN=vpn.ferry.test". */
  readonly subject: string;
  readonly keyType?: TestKeyType;
  /** subjectAltName entries as OpenSSL writes them: "DNS:vpn.ferry.test", "IP:10.202.0.2", "email:a@b". */
  readonly san?: readonly string[];
  /** Validity; default from one day ago for 30 days. */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** keyUsage list, default "critical,digitalSignature,keyEncipherment". */
  readonly keyUsage?: string;
  /** extendedKeyUsage, e.g. "serverAuth,1.3.6.1.5.5.7.3.17" (ipsecIKE). */
  readonly extendedKeyUsage?: string;
  /** Issue an intermediate CA instead of an end entity. */
  readonly ca?: boolean;
}

const DAY = 86_400_000;

function asn1Time(d: Date): string {
  // YYYYMMDDHHMMSSZ (GeneralizedTime form accepted by `openssl ca -startdate/-enddate`).
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export class TestPki {
  readonly dir: string;
  private serial = 1;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'ferry-pki-'));
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  private openssl(args: readonly string[], env: Record<string, string> = {}): void {
    execFileSync('openssl', args, { stdio: 'pipe', env: { ...process.env, ...env } });
  }

  private newKey(name: string, type: TestKeyType): string {
    const out = this.path(`${name}.key`);
    const alg =
      type === 'rsa'
        ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
        : type === 'rsa1024'
          ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']
          : type === 'ed25519'
            ? ['-algorithm', 'ED25519']
            : [
                '-algorithm',
                'EC',
                '-pkeyopt',
                `ec_paramgen_curve:${{ ec256: 'P-256', ec384: 'P-384', ec521: 'P-521' }[type]}`,
              ];
    this.openssl(['genpkey', ...alg, '-out', out]);
    return out;
  }

  private result(name: string, subject: string, keyType: TestKeyType): TestCert {
    const certPem = readFileSync(this.path(`${name}.pem`), 'utf8');
    const der = execFileSync('openssl', ['x509', '-in', this.path(`${name}.pem`), '-outform', 'DER']);
    return {
      name,
      certPem,
      keyPem: readFileSync(this.path(`${name}.key`), 'utf8'),
      der: new Uint8Array(der),
      subject,
      keyType,
    };
  }

  /** A self-signed root CA. */
  rootCa(
    name: string,
    subject: string,
    keyType: TestKeyType = 'ec256',
    days = 3650,
    ext: { readonly basicConstraints?: string; readonly keyUsage?: string } = {},
  ): TestCert {
    const key = this.newKey(name, keyType);
    this.openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-sha256',
      '-days',
      String(days),
      '-subj',
      subject,
      '-addext',
      `basicConstraints=${ext.basicConstraints ?? 'critical,CA:TRUE'}`,
      '-addext',
      `keyUsage=${ext.keyUsage ?? 'critical,keyCertSign,cRLSign'}`,
      '-addext',
      'subjectKeyIdentifier=hash',
      '-out',
      this.path(`${name}.pem`),
    ]);
    return this.result(name, subject, keyType);
  }

  /** A certificate signed by `issuer` (made by this TestPki). */
  issue(name: string, issuer: TestCert, o: IssueOptions): TestCert {
    const keyType = o.keyType ?? 'ec256';
    const key = this.newKey(name, keyType);
    const csr = this.path(`${name}.csr`);
    this.openssl(['req', '-new', '-key', key, '-subj', o.subject, '-out', csr]);
    const ext = [
      o.ca ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=critical,CA:FALSE',
      `keyUsage=${o.keyUsage ?? (o.ca ? 'critical,keyCertSign,cRLSign' : 'critical,digitalSignature,keyEncipherment')}`,
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      ...(o.san?.length ? [`subjectAltName=${o.san.join(',')}`] : []),
      ...(o.extendedKeyUsage ? [`extendedKeyUsage=${o.extendedKeyUsage}`] : []),
    ];
    writeFileSync(this.path(`${name}.ext`), `${ext.join('\n')}\n`);
    const db = this.path(`${name}.index`);
    writeFileSync(db, '');
    const serial = this.path(`${name}.srl`);
    writeFileSync(serial, `${(0x1000 + this.serial++).toString(16)}\n`);
    writeFileSync(
      this.path(`${name}.cnf`),
      [
        '[ca]',
        'default_ca = ferry',
        '[ferry]',
        `database = ${db}`,
        `serial = ${serial}`,
        `new_certs_dir = ${this.dir}`,
        'default_md = sha256',
        'policy = anything',
        'unique_subject = no',
        'copy_extensions = none',
        '[anything]',
        'commonName = optional',
        '',
      ].join('\n'),
    );
    const notBefore = o.notBefore ?? new Date(Date.now() - DAY);
    const notAfter = o.notAfter ?? new Date(Date.now() + 30 * DAY);
    this.openssl([
      'ca',
      '-batch',
      '-notext',
      '-config',
      this.path(`${name}.cnf`),
      '-cert',
      this.path(`${issuer.name}.pem`),
      '-keyfile',
      this.path(`${issuer.name}.key`),
      '-in',
      csr,
      '-out',
      this.path(`${name}.pem`),
      '-startdate',
      asn1Time(notBefore),
      '-enddate',
      asn1Time(notAfter),
      '-preserveDN',
      '-extfile',
      this.path(`${name}.ext`),
    ]);
    return this.result(name, o.subject, keyType);
  }

  /**
   * PKCS#12 of `cert` with its key and `chain`. Encryption: OpenSSL 3's default (PBES2, AES-256-CBC, PBKDF2 with
   * HMAC-SHA-256, SHA-256 MAC), 'legacy' (RC2-40 certificates, 3DES key, SHA-1 MAC: OpenSSL 1.x and old
   * Windows), or '3des' (3DES for both). `cheap` uses one iteration so fuzzing stays fast.
   */
  pkcs12(
    cert: TestCert,
    password: string,
    opts: { chain?: readonly TestCert[]; pbe?: 'modern' | 'legacy' | '3des'; cheap?: boolean } = {},
  ): Uint8Array {
    const name = `p12-${this.serial++}`;
    writeFileSync(this.path(`${name}.key`), cert.keyPem, { mode: 0o600 });
    writeFileSync(this.path(`${name}.pem`), cert.certPem + (opts.chain ?? []).map((c) => c.certPem).join(''));
    const out = this.path(`${name}.p12`);
    const pbe =
      opts.pbe === 'legacy'
        ? ['-legacy']
        : opts.pbe === '3des'
          ? ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']
          : [];
    this.openssl(
      [
        'pkcs12',
        '-export',
        ...pbe,
        ...(opts.cheap ? ['-iter', '1', '-maciter'] : []),
        '-inkey',
        this.path(`${name}.key`),
        '-in',
        this.path(`${name}.pem`),
        '-passout',
        'env:FERRY_TEST_P12',
        '-out',
        out,
      ],
      { FERRY_TEST_P12: password },
    );
    return new Uint8Array(readFileSync(out));
  }

  /** The private key of `cert` as PEM: PKCS#8, traditional (PKCS#1 / SEC1), or PKCS#8 encrypted with `password`. */
  keyPem(cert: TestCert, form: 'pkcs8' | 'traditional' | 'encrypted', password = ''): string {
    const args =
      form === 'pkcs8'
        ? ['pkey', '-in', this.path(`${cert.name}.key`)]
        : form === 'traditional'
          ? ['pkey', '-in', this.path(`${cert.name}.key`), '-traditional']
          : [
              'pkcs8',
              '-topk8',
              '-in',
              this.path(`${cert.name}.key`),
              '-v2',
              'aes-256-cbc',
              '-passout',
              'env:FERRY_TEST_KEY',
            ];
    return execFileSync('openssl', args, { env: { ...process.env, FERRY_TEST_KEY: password } }).toString();
  }

  /** The private key of `cert` as PKCS#8 DER. */
  keyDer(cert: TestCert): Uint8Array {
    return new Uint8Array(
      execFileSync('openssl', ['pkey', '-in', this.path(`${cert.name}.key`), '-outform', 'DER']),
    );
  }

  /** Path of a file this PKI wrote (for openssl oracles in tests). */
  file(cert: TestCert, ext: 'pem' | 'key'): string {
    return this.path(`${cert.name}.${ext}`);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
