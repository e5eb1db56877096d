/**
 * The one place node-forge is imported. Forge parses what node:crypto cannot: PKCS#12 containers (PBES2/AES,
 * and the legacy PKCS#12 PBEs with 3DES and RC2-40, which OpenSSL 3 only has in its legacy provider), and the
 * ASN.1 of names and extensions. Certificates, keys and signatures themselves stay with node:crypto.
 */
import forge from 'node-forge';

/** A forge ASN.1 node (values are binary strings, one char per byte). */
export type Asn1 = forge.asn1.Asn1;

export interface RdnAttribute {
  readonly type: string;
  readonly value: string;
  readonly valueTagClass: number;
  readonly shortName?: string;
}

export interface ForgeExtension {
  readonly id: string;
  readonly critical: boolean;
  readonly name?: string;
  readonly digitalSignature?: boolean;
  readonly nonRepudiation?: boolean;
  readonly keyCertSign?: boolean;
  readonly cA?: boolean;
  readonly pathLenConstraint?: number;
  readonly altNames?: readonly { readonly type: number; readonly value: string; readonly ip?: string }[];
  readonly [eku: string]: unknown;
}

/** Helpers forge exports at runtime but its type declarations omit. */
interface ForgePkiExtras {
  RDNAttributesAsArray(rdn: Asn1): RdnAttribute[];
  certificateExtensionFromAsn1(ext: Asn1): ForgeExtension;
  pbe: {
    getCipherForPBES2(oid: string, params: Asn1, password: string): unknown;
  };
}

const extras = forge.pki as unknown as ForgePkiExtras;

// RFC 8018 §3: a PBES2 password is an octet string; OpenSSL 3 (and Windows) use its UTF-8 bytes, while forge
// would use the UTF-16 code units truncated to bytes. The PKCS#12 KDF (RFC 7292 App. B, BMPString) is unaffected.
const pbes2 = extras.pbe.getCipherForPBES2.bind(extras.pbe);
extras.pbe.getCipherForPBES2 = (oid, params, password) => pbes2(oid, params, forge.util.encodeUtf8(password));

export { forge };

export const rdnAttributes = (name: Asn1): RdnAttribute[] => extras.RDNAttributesAsArray(name);
export const extensionFromAsn1 = (ext: Asn1): ForgeExtension => extras.certificateExtensionFromAsn1(ext);

/** Bytes as forge's binary string. */
export function toBinary(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export function fromBinary(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

type FromDerOptions = { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean };

/** Parses DER strictly (no trailing bytes, BIT STRINGs left opaque); throws on malformed input. */
export function parseDer(der: Uint8Array): Asn1 {
  const options: FromDerOptions = { strict: true, parseAllBytes: true, decodeBitStrings: false };
  return forge.asn1.fromDer(toBinary(der), options as unknown as boolean);
}

export function encodeDer(node: Asn1): Uint8Array {
  return fromBinary(forge.asn1.toDer(node).getBytes());
}
