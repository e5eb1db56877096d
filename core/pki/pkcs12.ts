/**
 * PKCS#12 (RFC 7292) through forge: the MAC is verified, shrouded key bags and certificate bags are decrypted
 * (PBES2/PBKDF2 with AES as OpenSSL 3 writes them, or the legacy pbeWithSHAAnd3-KeyTripleDES-CBC and
 * pbeWithSHAAnd40BitRC2-CBC of older OpenSSL and Windows exports). Keys leave as node:crypto KeyObjects.
 */
import type { KeyObject } from 'node:crypto';
import { err, ok, type Result } from '../common/result';
import { encodeDer, forge, parseDer } from './forge';
import { loadPrivateKey } from './keys';

export interface Pkcs12Contents {
  /** Certificates in file order, DER. */
  readonly certificates: readonly { readonly der: Uint8Array; readonly localKeyId: string | null }[];
  readonly keys: readonly { readonly key: KeyObject; readonly localKeyId: string | null }[];
}

export type Pkcs12Failure =
  | { readonly reason: 'bad-password'; readonly detail: string }
  | { readonly reason: 'not-pkcs12'; readonly detail: string }
  | { readonly reason: 'unsupported'; readonly detail: string };

const OIDS = forge.pki.oids;

/** Quick structural test: PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, ... } (RFC 7292 §4). */
export function looksLikePkcs12(der: Uint8Array): boolean {
  try {
    const root = parseDer(der);
    const v = Array.isArray(root.value) ? root.value[0] : undefined;
    return (
      v?.type === forge.asn1.Type.INTEGER &&
      typeof v.value === 'string' &&
      v.value === '\x03' &&
      Array.isArray(root.value) &&
      root.value.length >= 2
    );
  } catch {
    return false;
  }
}

function localKeyId(bag: forge.pkcs12.Bag): string | null {
  const ids = (bag.attributes as { localKeyId?: string[] } | undefined)?.localKeyId;
  return ids?.[0] === undefined ? null : Buffer.from(ids[0], 'latin1').toString('hex');
}

export function readPkcs12(der: Uint8Array, password: string): Result<Pkcs12Contents, Pkcs12Failure> {
  let pfx: forge.pkcs12.Pkcs12Pfx;
  try {
    pfx = forge.pkcs12.pkcs12FromAsn1(parseDer(der), true, password);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    if (/MAC could not be verified|Invalid password|decrypt|wrong password/i.test(detail))
      return err({ reason: 'bad-password', detail });
    if (/Unsupported OID|unsupported|Cannot read encrypted PBE/i.test(detail))
      return err({ reason: 'unsupported', detail });
    return err({ reason: 'not-pkcs12', detail });
  }
  const certificates: { der: Uint8Array; localKeyId: string | null }[] = [];
  const keys: { key: KeyObject; localKeyId: string | null }[] = [];
  for (const sc of pfx.safeContents) {
    for (const bag of sc.safeBags) {
      if (bag.type === OIDS.certBag) {
        // forge keeps the original TBS, so re-encoding an RSA certificate it parsed reproduces the DER.
        const node = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
        if (node) certificates.push({ der: encodeDer(node), localKeyId: localKeyId(bag) });
      } else if (bag.type === OIDS.pkcs8ShroudedKeyBag || bag.type === OIDS.keyBag) {
        const node = bag.key
          ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key))
          : (bag.asn1 as forge.asn1.Asn1 | undefined);
        if (!node) continue;
        const loaded = loadPrivateKey(encodeDer(node));
        if (!loaded.ok)
          return err({ reason: 'unsupported', detail: 'a key bag holds a key node:crypto cannot read' });
        keys.push({ key: loaded.key, localKeyId: localKeyId(bag) });
      }
    }
  }
  return ok({ certificates, keys });
}
