/** Encrypted ISAKMP messages (RFC 2408 §3.1 E flag, RFC 2409 App. B): header in clear, payload chain CBC-encrypted. */
import type { DecodeError } from '../../common/decode';
import { err, ok, type Result } from '../../common/result';
import { HeaderFlag, ISAKMP_HEADER_LENGTH } from '../constants';
import {
  type ChainEntry,
  decodePayloadChain,
  encodeHeader,
  encodePayloadChain,
  type HeaderFields,
  type IsakmpHeader,
  type OutgoingPayload,
} from '../message';
import { CIPHERS, type CipherAlgorithm, cbcDecrypt, cbcEncrypt } from './cipher';

export interface CipherContext {
  readonly cipher: CipherAlgorithm;
  readonly key: Uint8Array;
}

export interface EncryptedMessage {
  readonly bytes: Uint8Array;
  /** The last ciphertext block: the IV of the next message in this exchange. */
  readonly lastBlock: Uint8Array;
}

/** Encrypts a payload chain; zero padding up to the next block boundary (at least one byte, as strongSwan does). */
export function encryptMessage(
  ctx: CipherContext,
  h: HeaderFields,
  payloads: readonly OutgoingPayload[],
  iv: Uint8Array,
): EncryptedMessage {
  const bs = CIPHERS[ctx.cipher].blockSize;
  const chain = encodePayloadChain(payloads);
  const padded = new Uint8Array(chain.bytes.length + (bs - (chain.bytes.length % bs)));
  padded.set(chain.bytes);
  const ct = cbcEncrypt(ctx.cipher, ctx.key, iv, padded);
  const header = encodeHeader({ ...h, flags: h.flags | HeaderFlag.ENCRYPTION }, chain.first, ct.length);
  const bytes = new Uint8Array(header.length + ct.length);
  bytes.set(header);
  bytes.set(ct, header.length);
  return { bytes, lastBlock: ct.slice(ct.length - bs) };
}

export interface DecryptedMessage {
  readonly payloads: readonly ChainEntry[];
  /** Decrypted chain including padding; ChainEntry views point into it. */
  readonly plaintext: Uint8Array;
  readonly lastBlock: Uint8Array;
}

/**
 * Decrypts and parses an encrypted message. A wrong key almost always yields an unparsable chain, which is
 * reported as a DecodeError; callers treat that as "not from a peer holding our keys".
 */
export function decryptMessage(
  ctx: CipherContext,
  bytes: Uint8Array,
  header: IsakmpHeader,
  iv: Uint8Array,
): Result<DecryptedMessage, DecodeError> {
  const bs = CIPHERS[ctx.cipher].blockSize;
  if (!(header.flags & HeaderFlag.ENCRYPTION))
    return err({ code: 'invalid', message: 'message is not encrypted' });
  const ct = bytes.subarray(ISAKMP_HEADER_LENGTH, header.length);
  if (ct.length === 0 || ct.length % bs !== 0)
    return err({
      code: 'invalid',
      message: `ciphertext of ${ct.length} bytes is not whole ${bs}-byte blocks`,
    });
  const plaintext = cbcDecrypt(ctx.cipher, ctx.key, iv, ct);
  const chain = decodePayloadChain(header.nextPayload, plaintext, true);
  if (!chain.ok) return err(chain.error);
  return ok({ payloads: chain.value, plaintext, lastBlock: ct.slice(ct.length - bs) });
}
