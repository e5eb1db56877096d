/**
 * CBC IV bookkeeping for IKEv1 (RFC 2409 App. B): phase 1 chains IVs across its encrypted messages (message ID 0);
 * every later exchange starts from hash(last phase-1 CBC block | M-ID) and then chains within itself.
 * IVs advance only for messages that were sent or verified, so garbage and retransmissions never move them.
 */
import type { HashAlgorithm } from './hash';
import { exchangeInitialIv } from './keys';

/** Exchanges whose IV is remembered at once; the oldest is dropped beyond this. */
const MAX_EXCHANGES = 32;

export class IvStore {
  private phase1: Uint8Array;
  private readonly exchanges = new Map<number, Uint8Array>();

  constructor(
    private readonly hash: HashAlgorithm,
    readonly blockSize: number,
    initialPhase1Iv: Uint8Array,
  ) {
    if (initialPhase1Iv.length !== blockSize) throw new RangeError('initial IV must be one block');
    this.phase1 = initialPhase1Iv.slice();
  }

  /** The IV for the next message of exchange `messageId` (0 = the phase-1 exchange). */
  current(messageId: number): Uint8Array {
    if (messageId === 0) return this.phase1.slice();
    let iv = this.exchanges.get(messageId);
    if (!iv) {
      iv = exchangeInitialIv(this.hash, this.phase1, messageId, this.blockSize);
      this.remember(messageId, iv);
    }
    return iv.slice();
  }

  /**
   * The IV `current(messageId)` would return, without remembering a new exchange: for one-message exchanges
   * (informationals) whose garbage copies must not evict the IVs of exchanges in progress.
   */
  peek(messageId: number): Uint8Array {
    if (messageId === 0) return this.phase1.slice();
    const iv = this.exchanges.get(messageId);
    return iv ? iv.slice() : exchangeInitialIv(this.hash, this.phase1, messageId, this.blockSize);
  }

  /** After a message of `messageId` was sent or verified: the next IV is its last ciphertext block. */
  advance(messageId: number, lastBlock: Uint8Array): void {
    if (lastBlock.length !== this.blockSize) throw new RangeError('last block has the wrong size');
    if (messageId === 0) this.phase1 = lastBlock.slice();
    else this.remember(messageId, lastBlock.slice());
  }

  /** Drops an exchange's IV (exchange finished). */
  forget(messageId: number): void {
    this.exchanges.delete(messageId);
  }

  private remember(messageId: number, iv: Uint8Array): void {
    this.exchanges.delete(messageId);
    this.exchanges.set(messageId, iv);
    while (this.exchanges.size > MAX_EXCHANGES) {
      const oldest = this.exchanges.keys().next().value as number;
      this.exchanges.delete(oldest);
    }
  }
}
