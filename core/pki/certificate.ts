/**
 * An X.509 certificate (RFC 5280): node:crypto's X509Certificate for the signature, validity, key and fingerprint,
 * plus what it does not expose, read from forge's ASN.1 tree: the exact subject/issuer DER, key usage bits,
 * basic constraints with the path length, and the subjectAltName entries.
 */
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { decoder, fail } from '../common/decode';
import type { Result } from '../common/result';
import { type Asn1, encodeDer, extensionFromAsn1, forge, parseDer } from './forge';
import { describeKey, type KeyDescription } from './keys';
import { type DistinguishedName, decodeDistinguishedName, formatDistinguishedName } from './names';

export interface KeyUsage {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
  readonly keyCertSign: boolean;
}

export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLength: number | null;
}

export type AltName =
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'ip'; readonly value: string }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'other'; readonly tag: number };

/** What a user is shown about a certificate (SPEC §4: subject, issuer, validity, fingerprint). */
export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  /** ISO 8601. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the DER, lowercase hex without separators (the profile's `clientCertificate` format). */
  readonly fingerprintSha256: string;
  readonly key: KeyDescription;
  readonly isCa: boolean;
  readonly serialNumber: string;
  readonly subjectAltNames: readonly string[];
}

const CONTEXT = forge.asn1.Class.CONTEXT_SPECIFIC;

function children(node: Asn1, what: string): Asn1[] {
  if (!Array.isArray(node.value)) fail('invalid', `${what} is not a SEQUENCE`);
  return node.value;
}

function altName(gn: { type: number; value: string; ip?: string }): AltName {
  if (gn.type === 2) return { type: 'dns', value: gn.value };
  if (gn.type === 1) return { type: 'email', value: gn.value };
  if (gn.type === 7 && gn.ip) return { type: 'ip', value: gn.ip };
  return { type: 'other', tag: gn.type };
}

export class Certificate {
  readonly x509: X509Certificate;
  readonly fingerprintSha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;

  private constructor(
    readonly der: Uint8Array,
    x509: X509Certificate,
    readonly subjectDer: Uint8Array,
    readonly issuerDer: Uint8Array,
    readonly subject: DistinguishedName,
    readonly issuer: DistinguishedName,
    readonly keyUsage: KeyUsage | null,
    readonly basicConstraints: BasicConstraints | null,
    readonly subjectAltNames: readonly AltName[],
  ) {
    this.x509 = x509;
    this.fingerprintSha256 = createHash('sha256').update(der).digest('hex');
    this.notBefore = new Date(x509.validFrom);
    this.notAfter = new Date(x509.validTo);
  }

  /** Parses one DER certificate. Total: anything unusable is a DecodeError. */
  static readonly fromDer: (der: Uint8Array) => Result<Certificate, import('../common/decode').DecodeError> =
    decoder((der: Uint8Array): Certificate => {
      let x509: X509Certificate;
      try {
        x509 = new X509Certificate(der);
        // The key is decoded lazily: a certificate whose key node:crypto cannot read is no certificate to us.
        void x509.publicKey.asymmetricKeyType;
      } catch (e) {
        fail('invalid', `not an X.509 certificate: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (Number.isNaN(Date.parse(x509.validFrom)) || Number.isNaN(Date.parse(x509.validTo)))
        fail('invalid', 'unreadable validity dates');
      let root: Asn1;
      try {
        root = parseDer(der);
      } catch (e) {
        fail('invalid', `certificate DER: ${e instanceof Error ? e.message : String(e)}`);
      }
      // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } (RFC 5280 §4.1)
      const tbs = children(children(root, 'Certificate')[0] ?? fail('invalid', 'empty certificate'), 'TBS');
      const off = tbs[0]?.tagClass === CONTEXT && tbs[0].type === 0 ? 1 : 0;
      const issuerNode = tbs[off + 2];
      const subjectNode = tbs[off + 4];
      if (!issuerNode || !subjectNode) fail('invalid', 'TBS certificate too short');
      const subjectDer = encodeDer(subjectNode);
      const issuerDer = encodeDer(issuerNode);
      const subject = decodeDistinguishedName(subjectDer);
      const issuer = decodeDistinguishedName(issuerDer);
      if (!subject.ok || !issuer.ok) fail('invalid', 'unreadable subject or issuer name');
      let keyUsage: KeyUsage | null = null;
      let basicConstraints: BasicConstraints | null = null;
      const alt: AltName[] = [];
      const extContainer = tbs.find((n) => n.tagClass === CONTEXT && n.type === 3);
      if (extContainer) {
        const list = children(
          children(extContainer, 'extensions')[0] ?? fail('invalid', 'no extensions'),
          'Extensions',
        );
        for (const node of list) {
          let ext: ReturnType<typeof extensionFromAsn1>;
          try {
            ext = extensionFromAsn1(node);
          } catch (e) {
            fail('invalid', `unreadable extension: ${e instanceof Error ? e.message : String(e)}`);
          }
          if (ext.name === 'keyUsage')
            keyUsage = {
              digitalSignature: ext.digitalSignature === true,
              nonRepudiation: ext.nonRepudiation === true,
              keyCertSign: ext.keyCertSign === true,
            };
          else if (ext.name === 'basicConstraints')
            basicConstraints = { ca: ext.cA === true, pathLength: ext.pathLenConstraint ?? null };
          else if (ext.name === 'subjectAltName') for (const gn of ext.altNames ?? []) alt.push(altName(gn));
        }
      }
      return new Certificate(
        der.slice(),
        x509,
        subjectDer,
        issuerDer,
        subject.value,
        issuer.value,
        keyUsage,
        basicConstraints,
        alt,
      );
    });

  get publicKey(): KeyObject {
    return this.x509.publicKey;
  }

  get key(): KeyDescription {
    return describeKey(this.x509.publicKey);
  }

  get isCa(): boolean {
    return this.basicConstraints?.ca === true;
  }

  get selfIssued(): boolean {
    return Buffer.compare(this.subjectDer, this.issuerDer) === 0;
  }

  /**
   * True when `issuer` signed this certificate: its subject is our issuer name and its key verifies our
   * signature (RFC 5280 §6.1.3). Whether the issuer may issue (CA, keyCertSign) is chain.ts's business, so that
   * a failure there can say why.
   */
  issuedBy(issuer: Certificate): boolean {
    try {
      return Buffer.compare(this.issuerDer, issuer.subjectDer) === 0 && this.x509.verify(issuer.publicKey);
    } catch {
      return false;
    }
  }

  validAt(now: Date): 'valid' | 'expired' | 'not-yet-valid' {
    if (now.getTime() < this.notBefore.getTime()) return 'not-yet-valid';
    if (now.getTime() > this.notAfter.getTime()) return 'expired';
    return 'valid';
  }

  summary(): CertificateSummary {
    return {
      subject: formatDistinguishedName(this.subject),
      issuer: formatDistinguishedName(this.issuer),
      notBefore: this.notBefore.toISOString(),
      notAfter: this.notAfter.toISOString(),
      fingerprintSha256: this.fingerprintSha256,
      key: this.key,
      isCa: this.isCa,
      serialNumber: this.x509.serialNumber.toLowerCase(),
      subjectAltNames: this.subjectAltNames.map((a) =>
        a.type === 'other' ? `tag ${a.tag}` : `${a.type.toUpperCase()}:${a.value}`,
      ),
    };
  }

  toString(): string {
    return formatDistinguishedName(this.subject);
  }
}
