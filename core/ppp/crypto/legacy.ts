import des from 'des.js';
import { createMD4, type IHasher } from 'hash-wasm';

/**
 * MD4 and single-block DES, needed by MS-CHAPv2 (RFC 2759 §8) but absent from OpenSSL 3's default provider
 * (node:crypto throws 'unsupported'). Kept behind this interface so the implementation can be swapped.
 */
export interface LegacyPrimitives {
  md4(data: Uint8Array): Uint8Array;
  /** DES-ECB encryption of one 8-byte block with an 8-byte key (parity bits are ignored by DES). */
  desEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array;
}

function fromHashWasm(md4: IHasher): LegacyPrimitives {
  return {
    md4: (data) => md4.init().update(data).digest('binary'),
    desEncryptBlock: (key, block) => {
      if (key.length !== 8 || block.length !== 8) throw new RangeError('DES needs an 8-byte key and block');
      const c = des.DES.create({ type: 'encrypt', key, padding: false });
      return Uint8Array.from(c.update(block));
    },
  };
}

let loading: Promise<LegacyPrimitives> | undefined;

/** Loads the WASM MD4 once per process; every call after the first resolves to the same object. */
export function loadLegacyPrimitives(): Promise<LegacyPrimitives> {
  loading ??= createMD4().then(fromHashWasm);
  return loading;
}
