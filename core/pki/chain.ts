/**
 * Validates a peer's certificate chain against configured trust anchors (RFC 5280 §6.1, simplified for IKE as
 * RFC 4945 §5 profiles it): a path from the end entity through the peer's intermediates to an anchor, each
 * signature verified, every certificate within its validity, CAs marked as CAs (basic constraints, key usage
 * keyCertSign, path length), and the end entity allowed to sign (digitalSignature or nonRepudiation).
 */
import type { Certificate } from './certificate';

export type ChainProblem =
  /** No path to a configured CA. */
  | 'untrusted'
  | 'expired'
  | 'not-yet-valid'
  /** An issuer in the path is not a CA, may not sign certificates, or its path length is exceeded. */
  | 'bad-ca'
  /** The end entity's key usage does not allow signatures (RFC 4945 §5.1.3.2). */
  | 'key-usage';

export interface ChainFailure {
  readonly problem: ChainProblem;
  readonly message: string;
  /** The certificate at fault. */
  readonly certificate: Certificate;
}

export type ChainResult =
  | { readonly ok: true; readonly path: readonly Certificate[] }
  | { readonly ok: false; readonly failure: ChainFailure };

/** Longest path we build (end entity + intermediates + anchor). */
const MAX_DEPTH = 8;

const fail = (problem: ChainProblem, certificate: Certificate, message: string): ChainResult => ({
  ok: false,
  failure: { problem, certificate, message },
});

function caProblem(ca: Certificate, below: number, anchor: boolean): string | null {
  const bc = ca.basicConstraints;
  // A configured anchor without extensions (a v1 root) is trusted because the admin chose it.
  if (!bc) return anchor && ca.keyUsage === null ? null : `${ca} is not marked as a CA`;
  if (!bc.ca) return `${ca} is not a CA (basicConstraints cA is false)`;
  if (ca.keyUsage && !ca.keyUsage.keyCertSign)
    return `${ca} may not sign certificates (keyUsage without keyCertSign)`;
  if (bc.pathLength !== null && below > bc.pathLength)
    return `${ca} allows ${bc.pathLength} intermediate CA(s) below it, the path has ${below}`;
  return null;
}

/** Validates `leaf` (+ `intermediates` the peer sent) against `anchors` at time `now`. */
export function validateChain(
  leaf: Certificate,
  intermediates: readonly Certificate[],
  anchors: readonly Certificate[],
  now: Date,
): ChainResult {
  const path: Certificate[] = [leaf];
  let current = leaf;
  let anchored: Certificate | null = null;
  while (path.length < MAX_DEPTH) {
    anchored = anchors.find((a) => current.issuedBy(a)) ?? null;
    if (anchored) break;
    const next = intermediates.find((c) => !path.includes(c) && current.issuedBy(c));
    if (!next) break;
    path.push(next);
    current = next;
  }
  if (!anchored)
    return fail(
      'untrusted',
      current,
      current === leaf
        ? `${leaf} was issued by ${formatIssuer(leaf)}, which is not the profile's CA`
        : `the chain ends at ${current}, issued by ${formatIssuer(current)}, which is not the profile's CA`,
    );
  const full = [...path, anchored];
  for (const c of full) {
    const v = c.validAt(now);
    if (v !== 'valid')
      return fail(
        v,
        c,
        v === 'expired'
          ? `${c} expired on ${c.notAfter.toISOString()}`
          : `${c} is valid only from ${c.notBefore.toISOString()}`,
      );
  }
  // Issuers: every certificate above the leaf; `below` counts the intermediates under each (RFC 5280 §6.1.4).
  for (let i = 1; i < full.length; i++) {
    const problem = caProblem(full[i]!, i - 1, i === full.length - 1);
    if (problem) return fail('bad-ca', full[i]!, problem);
  }
  const ku = leaf.keyUsage;
  if (ku && !ku.digitalSignature && !ku.nonRepudiation)
    return fail(
      'key-usage',
      leaf,
      `${leaf} may not sign (keyUsage lacks digitalSignature and nonRepudiation)`,
    );
  return { ok: true, path: full };
}

function formatIssuer(c: Certificate): string {
  return c.summary().issuer;
}
