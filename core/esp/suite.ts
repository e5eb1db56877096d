/**
 * The cryptographic core of one SA direction: encrypt + integrity over an ESP packet laid out as
 * SPI | Sequence Number | IV | ciphertext | ICV (RFC 4303 §2). Two implementations: node:crypto (the hot path)
 * and @noble (portable, and the test oracle).
 */
import { getCiphers, getHashes } from 'node:crypto';
import { FerryError } from '../common/errors';
import { createNodeSuite, nodeCipherName } from './nodeSuite';
import { createPortableSuite } from './portableSuite';
import { checkKeys, describeTransform, type EspKeys, type EspTransform, INTEGRITY_INFO } from './transforms';

export type CryptoProvider = 'node' | 'portable';

export interface EspSuite {
  readonly provider: CryptoProvider;
  readonly ivLength: number;
  readonly cipherBlockSize: number;
  readonly alignment: number;
  readonly icvLength: number;
  /**
   * `packet` holds SPI, Sequence Number and IV in its first 8 + ivLength bytes and has exactly
   * `plaintext.length + icvLength` bytes after them; writes the ciphertext, then the ICV.
   * `plaintext` (payload + padding + pad length + next header) is a multiple of `alignment` long.
   */
  seal(packet: Uint8Array, plaintext: Uint8Array): void;
  /**
   * Verifies the ICV in constant time, then decrypts (RFC 4303 §3.4.4). Returns the plaintext, or null when the
   * packet does not authenticate. The caller guarantees the ciphertext length is a positive multiple of
   * `cipherBlockSize`.
   */
  open(packet: Uint8Array): Uint8Array | null;
}

let nodeAlgorithms: { readonly ciphers: Set<string>; readonly hashes: Set<string> } | undefined;

/** Whether this process's node:crypto (OpenSSL, or BoringSSL under Electron) has everything the transform needs. */
export function nodeSupports(t: EspTransform): boolean {
  nodeAlgorithms ??= { ciphers: new Set(getCiphers()), hashes: new Set(getHashes()) };
  if (!nodeAlgorithms.ciphers.has(nodeCipherName(t))) return false;
  return t.cipher === 'aes-gcm-16' || nodeAlgorithms.hashes.has(INTEGRITY_INFO[t.integrity].hash);
}

/** The portable implementation covers AES (CBC, GCM) and every HMAC; @noble has no DES. */
export function portableSupports(t: EspTransform): boolean {
  return t.cipher !== '3des-cbc';
}

export interface SuiteOptions {
  /** Default: node:crypto when it has the algorithm, else the portable implementation. */
  readonly provider?: CryptoProvider;
}

/** Builds the suite for one SA direction; throws a FerryError (phase quick-mode) for bad keys or no provider. */
export function createEspSuite(t: EspTransform, keys: EspKeys, opts: SuiteOptions = {}): EspSuite {
  const keyProblem = checkKeys(t, keys);
  if (keyProblem !== null) {
    throw new FerryError({
      phase: 'quick-mode',
      code: 'esp-bad-keys',
      message: `ESP ${describeTransform(t)}: ${keyProblem}`,
      hint: 'This is a bug in key derivation; report it with the connection log.',
    });
  }
  const provider = opts.provider ?? (nodeSupports(t) ? 'node' : 'portable');
  const available = provider === 'node' ? nodeSupports(t) : portableSupports(t);
  if (!available) {
    throw new FerryError({
      phase: 'quick-mode',
      code: 'esp-unsupported-transform',
      message: `ESP ${describeTransform(t)} is not available from the ${provider} crypto provider`,
      hint: 'Choose another phase-2 proposal in the profile (AES-GCM or AES-CBC with SHA-2).',
    });
  }
  return provider === 'node' ? createNodeSuite(t, keys) : createPortableSuite(t, keys);
}
